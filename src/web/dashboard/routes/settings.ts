// An installation's settings, for admins of its account: the model key, the model and max_tokens
// per agent, the budgets.
import { type Request, type RequestHandler, type Response, Router } from "express";
import type { DashboardQueries } from "../../../adapters/store/dashboard-queries.ts";
import type { Store } from "../../../adapters/store/store.ts";
import type { Config } from "../../../config/env.ts";
import {
  DEFAULT_FEATURE_BUDGET_USD,
  DEFAULT_MONTHLY_BUDGET_USD,
  parseInstallationSettings,
} from "../../../config/installation-settings.ts";
import { encryptModelKey } from "../../../core/model-keys.ts";
import type { Logger } from "../../../log.ts";
import type { Access, InstallationAccess, UserAccess } from "../access.ts";
import { PageError } from "../errors.ts";
import { layoutFields, sendPage } from "../layout.ts";
import { checkModelKey } from "../model-key.ts";
import { localsOf } from "../session.ts";
import { modelSettingsRows, parseSettingsForm } from "../settings-form.ts";

export interface SettingsDeps {
  config: Pick<Config, "anthropicApiKey" | "anthropicBaseUrl" | "encryptionKey" | "retentionDays">;
  store: Pick<Store, "ensureInstallation" | "auditSettingsChange" | "listSettingsAudit">;
  queries: DashboardQueries;
  access: UserAccess;
  /** Limits how often one user may have a pasted key checked. */
  keyCheckLimit: RequestHandler;
  log: Logger;
}

const NOTICES: Record<string, string> = {
  key: "The key was checked with the model API and saved.",
  "key-deleted": "The key was deleted.",
  settings: "The settings were saved.",
};

export function settingsRoutes({
  config,
  store,
  queries,
  access: users,
  keyCheckLimit,
  log,
}: SettingsDeps): Router {
  const router = Router();

  /** The installation in the URL, if the user administers its account; asked afresh to change it. */
  async function adminInstallation(req: Request, res: Response) {
    const access = await users.of(res, req.method !== "GET");
    const installation = users.installation(access, req.params.id as string | undefined);
    if (!installation.admin) {
      throw new PageError(
        403,
        "Admins only",
        installation.adminUnknown
          ? `Settings need an owner of the ${installation.account} organisation. GitHub did not say whether you are one: the app needs the "Members" organisation permission (read) to ask.`
          : installation.accountType === "Organization"
            ? `Settings are for owners of the ${installation.account} organisation. Ask one of them.`
            : `Settings are for ${installation.account}, whose account this installation is on.`,
      );
    }
    return { access, installation };
  }

  async function settingsPage(
    res: Response,
    access: Access,
    installation: InstallationAccess,
    status: number,
    messages: { notice?: string; keyError?: string; settingsErrors?: string[] } = {},
  ) {
    const row = await queries.installation(installation.id);
    const settings = parseInstallationSettings(row?.settings);
    const audit = await store.listSettingsAudit(installation.id, 10);
    sendPage(res, status, "settings", {
      ...layoutFields(res, `${installation.account} · settings`, users.isOperatorAdmin(access)),
      installation: { id: installation.id, account: installation.account },
      key: { set: Boolean(row?.model_key_ciphertext), hint: row?.model_key_hint ?? "" },
      operatorKey: Boolean(config.anthropicApiKey),
      agents: modelSettingsRows(settings),
      budgetMonthly: settings.budget_monthly_usd ?? "",
      budgetFeature: settings.budget_feature_usd ?? "",
      defaultMonthly: DEFAULT_MONTHLY_BUDGET_USD,
      defaultFeature: DEFAULT_FEATURE_BUDGET_USD,
      retentionDays: config.retentionDays,
      notice: messages.notice ?? null,
      keyError: messages.keyError ?? null,
      settingsErrors: messages.settingsErrors ?? [],
      recentChanges: audit.map((entry) => ({
        at: entry.created_at.toISOString(),
        actor: entry.actor,
        what: describeChange(entry.action, entry.detail),
      })),
    });
  }

  router.get("/installations/:id/settings", async (req, res) => {
    const { access, installation } = await adminInstallation(req, res);
    const saved = typeof req.query.saved === "string" ? NOTICES[req.query.saved] : undefined;
    await settingsPage(res, access, installation, 200, saved ? { notice: saved } : {});
  });

  router.post("/installations/:id/settings/key", keyCheckLimit, async (req, res) => {
    const { access, installation } = await adminInstallation(req, res);
    const pasted = String((req.body as Record<string, unknown>).key ?? "").trim();
    const check = await checkModelKey(pasted, { baseURL: config.anthropicBaseUrl });
    if (!check.ok) {
      log.info(
        { installationId: installation.id, login: localsOf(res).session?.login },
        "dashboard: a pasted model key failed its check",
      );
      await settingsPage(res, access, installation, 422, { keyError: check.message });
      return;
    }
    await store.ensureInstallation(installation.id, installation.account, installation.accountType);
    const sealed = encryptModelKey(pasted, installation.id, config.encryptionKey);
    await queries.setModelKey(installation.id, sealed);
    await store.auditSettingsChange({
      installationId: installation.id,
      actor: actorOf(res),
      action: "model_key_set",
      detail: { hint: sealed.hint },
    });
    log.info(
      { installationId: installation.id, login: localsOf(res).session?.login },
      "dashboard: model key saved",
    );
    res.redirect(303, `/installations/${installation.id}/settings?saved=key`);
  });

  router.post("/installations/:id/settings/key/delete", async (req, res) => {
    const { installation } = await adminInstallation(req, res);
    const before = await queries.installation(installation.id);
    await queries.deleteModelKey(installation.id);
    await store.auditSettingsChange({
      installationId: installation.id,
      actor: actorOf(res),
      action: "model_key_deleted",
      detail: before?.model_key_hint ? { hint: before.model_key_hint } : {},
    });
    log.info(
      { installationId: installation.id, login: localsOf(res).session?.login },
      "dashboard: model key deleted",
    );
    res.redirect(303, `/installations/${installation.id}/settings?saved=key-deleted`);
  });

  router.post("/installations/:id/settings", async (req, res) => {
    const { access, installation } = await adminInstallation(req, res);
    const parsed = parseSettingsForm(req.body as Record<string, unknown>);
    if (!parsed.ok) {
      await settingsPage(res, access, installation, 422, { settingsErrors: parsed.problems });
      return;
    }
    await store.ensureInstallation(installation.id, installation.account, installation.accountType);
    const before = parseInstallationSettings(
      (await queries.installation(installation.id))?.settings,
    );
    await queries.saveSettings(installation.id, parsed.settings);
    await store.auditSettingsChange({
      installationId: installation.id,
      actor: actorOf(res),
      action: "settings",
      detail: { changes: settingsChanges(before, parsed.settings) },
    });
    log.info(
      { installationId: installation.id, login: localsOf(res).session?.login },
      "dashboard: settings saved",
    );
    res.redirect(303, `/installations/${installation.id}/settings?saved=settings`);
  });

  return router;
}

/** Who made a change: the signed-in user (settings pages need one). */
function actorOf(res: Response): string {
  return localsOf(res).session?.login ?? "unknown";
}

/** What changed between two settings, one `path: old → new` line per value. */
export function settingsChanges(before: unknown, after: unknown): string[] {
  const a = flatten(before);
  const b = flatten(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths
    .filter((path) => a.get(path) !== b.get(path))
    .map((path) => `${path}: ${a.get(path) ?? "default"} → ${b.get(path) ?? "default"}`);
}

function flatten(value: unknown, prefix = "", into = new Map<string, string>()) {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) {
      flatten(inner, prefix ? `${prefix}.${key}` : key, into);
    }
  } else if (value !== undefined && prefix) {
    into.set(prefix, String(value));
  }
  return into;
}

/** One line of the "recent changes" list; a key appears only as its last four characters. */
function describeChange(action: string, detail: Record<string, unknown>): string {
  const hint = typeof detail.hint === "string" ? ` (last four characters: ${detail.hint})` : "";
  switch (action) {
    case "model_key_set":
      return `set the model key${hint}`;
    case "model_key_deleted":
      return `deleted the model key${hint}`;
    case "model_key_rotated":
      return `re-encrypted the model key under a new ENCRYPTION_KEY${hint}`;
    case "settings": {
      const changes = Array.isArray(detail.changes) ? detail.changes.map(String) : [];
      return changes.length > 0 ? `changed ${changes.join("; ")}` : "saved the settings unchanged";
    }
    default:
      return action;
  }
}
