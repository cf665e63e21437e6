import { z } from "zod";
import { RepoConfig } from "./repo-config.ts";

const usd = z.number().positive().max(100_000);

/**
 * An installation's defaults, set on the dashboard: models per agent and budgets. A repository's
 * `.github/practical.yml` overrides the models and the per-feature budget for that repository.
 */
export const InstallationSettings = z.object({
  models: RepoConfig.shape.models,
  /** USD per calendar month (UTC) for the whole installation. */
  budget_monthly_usd: usd.optional(),
  /** USD per feature. */
  budget_feature_usd: usd.optional(),
});
export type InstallationSettings = z.infer<typeof InstallationSettings>;

/** The stored settings, or the defaults when they are missing or unreadable. */
export function parseInstallationSettings(stored: unknown): InstallationSettings {
  const parsed = InstallationSettings.safeParse(stored ?? {});
  return parsed.success ? parsed.data : InstallationSettings.parse({});
}

/** Per feature, when neither the repository (`budget_usd`) nor the installation sets one. */
export const DEFAULT_FEATURE_BUDGET_USD = 5;
/** Per installation and calendar month (UTC), when the installation sets none. */
export const DEFAULT_MONTHLY_BUDGET_USD = 100;

/** The feature's budget: the repository's `budget_usd`, else the installation's, else $5. */
export function featureBudgetUsd(settings: InstallationSettings, repoBudget?: number): number {
  return repoBudget ?? settings.budget_feature_usd ?? DEFAULT_FEATURE_BUDGET_USD;
}

/** The installation's monthly budget, else $100. */
export function monthlyBudgetUsd(settings: InstallationSettings): number {
  return settings.budget_monthly_usd ?? DEFAULT_MONTHLY_BUDGET_USD;
}

/** The start of the calendar month (UTC) that a monthly budget counts from. */
export function monthStart(now: Date = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}
