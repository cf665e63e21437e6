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
