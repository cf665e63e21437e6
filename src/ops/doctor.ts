// `npm run doctor`: checks the real environment the app would run in, one small function per
// check, each returning what it found and, when something is wrong, how to fix it. Nothing here
// prints a secret: keys, passwords and tokens are never part of a detail.
import { readdir, readFile } from "node:fs/promises";
import Anthropic from "@anthropic-ai/sdk";
import { Redis } from "ioredis";
import { sql } from "kysely";
import { Probot, ProbotOctokit } from "probot";
import { parse as parseYaml } from "yaml";
import { createDatabase } from "../adapters/store/database.ts";
import { type Config, needsAppRegistration, readConfig, WEBHOOK_PATH } from "../config/env.ts";
import { ConfigurationError } from "../errors.ts";
import { createLogger } from "../log.ts";
import { projectPath } from "../project-root.ts";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about a ✗. */
  fix?: string;
}

type Env = Record<string, string | undefined>;

const pass = (name: string, detail: string): Check => ({ name, ok: true, detail });
const fail = (name: string, detail: string, fix: string): Check => ({
  name,
  ok: false,
  detail,
  fix,
});
const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Where a URL points, without its credentials. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return "(not a URL)";
  }
}

// ---- configuration ---------------------------------------------------------------------------

export function checkConfiguration(env: Env): { check: Check; config: Config | null } {
  const name = "Configuration";
  if (needsAppRegistration(env)) {
    return {
      config: null,
      check: fail(
        name,
        "APP_ID and PRIVATE_KEY are not set: the GitHub App is not registered yet",
        "Run `npm start` and register the app on its setup page (README: Registering the app), or set APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH).",
      ),
    };
  }
  try {
    const config = readConfig(env);
    return {
      config,
      check: pass(name, `App ${config.appId} on ${config.githubWebUrl}`),
    };
  } catch (error) {
    const problems =
      error instanceof ConfigurationError ? error.problems.join("; ") : reasonOf(error);
    return {
      config: null,
      check: fail(name, problems, "Set the variables named (README: Configuration)."),
    };
  }
}

// ---- GitHub ----------------------------------------------------------------------------------

/**
 * GitHub rejects an app JWT whose `iat` lies in its future or whose `exp` is more than 10 minutes
 * ahead (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app);
 * Probot's signer (universal-github-app-jwt) backdates `iat` by 30 seconds, so a clock more than
 * that ahead makes every call as the App fail.
 */
export const MAX_CLOCK_SKEW_S = 30;

export function checkClock(serverDate: string | undefined, localNowMs: number): Check {
  const name = "Clock";
  const server = serverDate ? Date.parse(serverDate) : Number.NaN;
  if (Number.isNaN(server)) {
    return fail(
      name,
      "GitHub did not answer with its time",
      "Check that GitHub is reachable from here (GHE_HOST for GitHub Enterprise Server).",
    );
  }
  // The Date header has whole seconds.
  const skew = Math.round((localNowMs - server) / 1000);
  const detail = `${Math.abs(skew)} s ${skew >= 0 ? "ahead of" : "behind"} GitHub's`;
  if (Math.abs(skew) > MAX_CLOCK_SKEW_S) {
    return fail(
      name,
      `this machine's clock is ${detail}: GitHub rejects the App's JWTs`,
      "Synchronise the clock (NTP: `timedatectl set-ntp true`, or the host's time service).",
    );
  }
  return pass(name, `within ${MAX_CLOCK_SKEW_S} s of GitHub's (${detail})`);
}

/** GET /app/hook/config (https://docs.github.com/rest/apps/webhooks#get-a-webhook-configuration-for-an-app). */
export interface HookConfig {
  url?: string;
  content_type?: string;
  /** "********" when a secret is set: GitHub never shows it. */
  secret?: string | null;
  insecure_ssl?: string | number;
}

/** Webhook proxies for development (Probot's WEBHOOK_PROXY_URL, https://smee.io/new). */
const isProxyUrl = (url: URL) => url.hostname === "smee.io";

export function checkWebhookConfig(
  hook: HookConfig,
  options: { proxyUrl?: string | undefined; publicUrl?: string | undefined } = {},
): Check {
  const name = "Webhook configuration";
  const problems: string[] = [];
  const fixes: string[] = [];
  const serverUrl = `${options.publicUrl ?? "<PUBLIC_URL>"}${WEBHOOK_PATH}`;
  let url: URL | null = null;
  try {
    url = hook.url ? new URL(hook.url) : null;
  } catch {
    url = null;
  }
  if (!url) {
    problems.push(hook.url ? "the webhook URL is not a URL" : "no webhook URL is set");
    fixes.push(
      `set the App's Webhook URL to ${serverUrl} (a server) or a smee.io channel also set as WEBHOOK_PROXY_URL (a laptop)`,
    );
  } else if (options.proxyUrl) {
    if (hook.url !== options.proxyUrl) {
      problems.push(`GitHub delivers to ${hook.url}, not to WEBHOOK_PROXY_URL`);
      fixes.push("set the App's Webhook URL to the WEBHOOK_PROXY_URL channel");
    }
  } else if (isProxyUrl(url)) {
    problems.push(`GitHub delivers to the proxy ${hook.url}, but WEBHOOK_PROXY_URL is not set`);
    fixes.push(
      `set WEBHOOK_PROXY_URL to that channel (a laptop), or the Webhook URL to ${serverUrl} (a server)`,
    );
  } else if (url.protocol !== "https:") {
    problems.push(`the webhook URL ${hook.url} is not https`);
    fixes.push(`serve the web role over https and set the Webhook URL to ${serverUrl}`);
  } else if (!url.pathname.endsWith(WEBHOOK_PATH) && url.pathname !== "/") {
    // "/" is what Probot's setup page registers; the web role takes deliveries there too.
    problems.push(
      `GitHub delivers to ${hook.url}, but the app receives webhooks at ${WEBHOOK_PATH}`,
    );
    fixes.push(`set the App's Webhook URL to ${serverUrl}`);
  }
  if (hook.content_type !== "json") {
    problems.push(`the content type is ${hook.content_type ?? "unset"}, not json`);
    fixes.push("set the App's webhook content type to application/json");
  }
  if (!hook.secret) {
    problems.push("no webhook secret is set: deliveries are unsigned and the app refuses them");
    fixes.push("set the App's Webhook secret to the value of WEBHOOK_SECRET");
  }
  if (String(hook.insecure_ssl ?? "0") !== "0") {
    problems.push("SSL verification of deliveries is off");
    fixes.push("turn SSL verification on in the App's webhook settings");
  }
  if (problems.length > 0) {
    return fail(
      name,
      problems.join("; "),
      `On GitHub, the App's settings (General → Webhook): ${fixes.join("; ")}.`,
    );
  }
  return pass(
    name,
    `${hook.url}, json, secret set (GitHub does not show it: it must equal WEBHOOK_SECRET)`,
  );
}

/** What app.yml asks of each installation. */
export interface Manifest {
  permissions: Record<string, string>;
  events: string[];
}

export async function readManifest(path = projectPath("app.yml")): Promise<Manifest> {
  const doc = parseYaml(await readFile(path, "utf8")) as {
    default_permissions?: Record<string, string>;
    default_events?: string[];
  };
  return { permissions: doc.default_permissions ?? {}, events: doc.default_events ?? [] };
}

/** An installation as GET /app/installations lists it (the fields used). */
export interface InstallationInfo {
  id: number;
  account: { login: string } | null;
  permissions: Record<string, string | undefined>;
  events: string[];
  html_url?: string;
  suspended_at?: string | null;
}

const LEVEL: Record<string, number> = { read: 1, write: 2, admin: 3 };

/** What each installation lacks of what app.yml asks (GitHub keeps an installation on the permissions it accepted). */
export function checkInstallationGrants(
  installations: InstallationInfo[],
  manifest: Manifest,
): Check {
  const name = "Installations";
  if (installations.length === 0) {
    return pass(name, "none yet: install the App on a repository to use it");
  }
  const lacking: string[] = [];
  const urls: string[] = [];
  for (const installation of installations) {
    const who = `${installation.account?.login ?? "?"} (${installation.id})`;
    if (installation.suspended_at) {
      lacking.push(`${who} is suspended`);
      if (installation.html_url) urls.push(installation.html_url);
      continue;
    }
    const missing: string[] = [];
    for (const [permission, level] of Object.entries(manifest.permissions)) {
      const granted = installation.permissions[permission];
      if ((LEVEL[granted ?? ""] ?? 0) < (LEVEL[level] ?? 1)) {
        missing.push(`${permission}: ${level}${granted ? ` (has ${granted})` : ""}`);
      }
    }
    const events = manifest.events.filter((e) => !installation.events.includes(e));
    if (events.length > 0) missing.push(`events ${events.join(", ")}`);
    if (missing.length > 0) {
      lacking.push(`${who} lacks ${missing.join(", ")}`);
      if (installation.html_url) urls.push(installation.html_url);
    }
  }
  if (lacking.length > 0) {
    return fail(
      name,
      `${lacking.join("; ")}: it has not accepted what app.yml asks`,
      `An owner of each account named reviews and accepts the App's requested permissions${urls.length ? ` (${urls.join(", ")})` : ""}; if app.yml changed, update the App's permissions and events on GitHub first.`,
    );
  }
  return pass(
    name,
    `${installations.length} installation(s), each with every permission and event app.yml asks`,
  );
}

/** Credentials, clock, webhook configuration and installations: one JWT-authenticated session. */
export async function checkGitHub(config: Config, env: Env, manifest: Manifest): Promise<Check[]> {
  const credentials = "GitHub App credentials";
  const probot = new Probot({
    appId: config.appId,
    privateKey: config.privateKey,
    baseUrl: config.githubApiUrl,
    log: createLogger({ level: "silent", format: "json" }),
    Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
      ...options,
      retry: { enabled: false },
      throttle: { enabled: false },
    })),
  });
  let octokit: Awaited<ReturnType<Probot["auth"]>>;
  let app: { data: { name?: string; slug?: string } | null; headers: Record<string, unknown> };
  const unreachable = (what: string, error: unknown) =>
    fail(
      what,
      `${config.githubApiUrl} did not answer (${reasonOf(error)})`,
      "Check the network and, for GitHub Enterprise Server, GHE_HOST and GHE_PROTOCOL.",
    );
  try {
    octokit = await probot.auth();
    app = await octokit.request("GET /app", { request: { signal: AbortSignal.timeout(15_000) } });
  } catch (error) {
    const status = (error as { status?: number }).status;
    const headers = (error as { response?: { headers?: Record<string, unknown> } }).response
      ?.headers;
    // Octokit reports a request that never got an answer as a 500 without a response.
    if (typeof status !== "number" || !headers) {
      if (/key|PEM|sign|asn1|decoder/i.test(reasonOf(error))) {
        return [
          fail(
            credentials,
            "the private key could not sign a JWT",
            "Set PRIVATE_KEY (or PRIVATE_KEY_PATH) to the .pem generated on the App's settings page (Private keys).",
          ),
        ];
      }
      return [unreachable(credentials, error)];
    }
    const clock = checkClock(headers?.date as string | undefined, Date.now());
    const message = (error as { response?: { data?: { message?: string } } }).response?.data
      ?.message;
    return [
      fail(
        credentials,
        `GitHub refused the App's JWT (${status}${message ? `: ${message}` : ""})`,
        clock.ok
          ? `Check APP_ID (the App's id on its settings page) and that PRIVATE_KEY is a key generated for that App${config.githubWebUrl === "https://github.com" ? "" : ` on ${config.githubWebUrl}`}.`
          : "Fix the clock first (see Clock), then check APP_ID and PRIVATE_KEY.",
      ),
      clock,
    ];
  }
  const checks: Check[] = [
    pass(credentials, `${app.data?.name ?? "?"} (${app.data?.slug ?? "?"}), App ${config.appId}`),
    checkClock(app.headers.date as string | undefined, Date.now()),
  ];
  try {
    const hook = await octokit.request("GET /app/hook/config");
    checks.push(
      checkWebhookConfig(hook.data as HookConfig, {
        proxyUrl: env.WEBHOOK_PROXY_URL || undefined,
        publicUrl: env.PUBLIC_URL ? config.publicUrl : undefined,
      }),
    );
  } catch (error) {
    checks.push(unreachable("Webhook configuration", error));
  }
  try {
    const installations = (await octokit.paginate("GET /app/installations", {
      per_page: 100,
    })) as InstallationInfo[];
    checks.push(checkInstallationGrants(installations, manifest));
  } catch (error) {
    checks.push(unreachable("Installations", error));
  }
  return checks;
}

// ---- PostgreSQL and Redis ----------------------------------------------------------------------

export function checkMigrations(applied: string[], files: string[]): Check {
  const name = "PostgreSQL";
  const pending = files.filter((f) => !applied.includes(f));
  const unknown = applied.filter((a) => !files.includes(a));
  if (unknown.length > 0) {
    return fail(
      name,
      `the database has migrations this code does not have (${unknown.join(", ")})`,
      "Run the version of the app that migrated it, or a newer one.",
    );
  }
  if (pending.length > 0) {
    return fail(
      name,
      `${pending.length} of ${files.length} migration(s) not applied (${pending.join(", ")})`,
      "Run `npm run migrate` (or start the app with MIGRATE_ON_START=true).",
    );
  }
  return pass(name, `reachable, all ${files.length} migrations applied`);
}

export async function migrationFiles(folder = projectPath("migrations")): Promise<string[]> {
  return (await readdir(folder))
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((f) => f.replace(/\.sql$/, ""));
}

export async function checkDatabase(databaseUrl: string, files: string[]): Promise<Check> {
  const db = createDatabase(databaseUrl, { max: 1 });
  try {
    const table = await sql<{
      t: string | null;
    }>`select to_regclass('kysely_migration')::text as t`.execute(db);
    const applied = table.rows[0]?.t
      ? (
          await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)
        ).rows.map((r) => r.name)
      : [];
    return checkMigrations(applied, files);
  } catch (error) {
    return fail(
      "PostgreSQL",
      `${safeUrl(databaseUrl)} did not answer (${reasonOf(error)})`,
      "Start PostgreSQL (`docker compose up -d postgres`) or fix DATABASE_URL.",
    );
  } finally {
    await db.destroy().catch(() => {});
  }
}

/** BullMQ needs Redis to keep every key: https://docs.bullmq.io/guide/going-to-production#max-memory-policy */
export function checkRedisPolicy(policy: string | null): Check {
  const name = "Redis";
  if (policy === "noeviction") return pass(name, "reachable, maxmemory-policy noeviction");
  return fail(
    name,
    policy
      ? `maxmemory-policy is ${policy}: Redis may evict BullMQ's keys and lose jobs`
      : "could not read maxmemory-policy",
    "Set `maxmemory-policy noeviction` (redis.conf, `redis-server --maxmemory-policy noeviction`, or the managed service's parameter).",
  );
}

export async function checkRedis(redisUrl: string): Promise<Check> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 3_000,
    retryStrategy: () => null,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    // INFO works where managed services disable CONFIG.
    const info = await redis.info("memory");
    const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? null;
    return checkRedisPolicy(policy);
  } catch (error) {
    return fail(
      "Redis",
      `${safeUrl(redisUrl)} did not answer (${reasonOf(error)})`,
      "Start Redis (`docker compose up -d redis`) or fix REDIS_URL.",
    );
  } finally {
    redis.disconnect();
  }
}

// ---- the model key -----------------------------------------------------------------------------

export async function checkModelKey(
  apiKey: string | undefined,
  baseURL: string | undefined,
): Promise<Check> {
  const name = "Model key";
  if (!apiKey) {
    return pass(name, "no ANTHROPIC_API_KEY: each installation's admins set a key in Settings");
  }
  const client = new Anthropic({
    apiKey,
    ...(baseURL ? { baseURL } : {}),
    maxRetries: 0,
    timeout: 15_000,
  });
  try {
    // One model listed: no tokens, no cost.
    await client.models.list({ limit: 1 });
    return pass(name, `ANTHROPIC_API_KEY accepted by ${baseURL ? safeUrl(baseURL) : "the API"}`);
  } catch (error) {
    if (error instanceof Anthropic.AuthenticationError) {
      return fail(
        name,
        "the model key was rejected (401)",
        "Set ANTHROPIC_API_KEY to a valid key (Claude Console → API keys), or unset it and let installations set their own.",
      );
    }
    if (error instanceof Anthropic.PermissionDeniedError) {
      return fail(
        name,
        "the key was accepted but refused access (403)",
        "Check the key's workspace and organisation in the Claude Console.",
      );
    }
    if (error instanceof Anthropic.APIConnectionError) {
      return fail(
        name,
        `${baseURL ? safeUrl(baseURL) : "the model API"} could not be reached`,
        "Check the network, or ANTHROPIC_BASE_URL.",
      );
    }
    const status = (error as { status?: number }).status;
    return fail(
      name,
      `the model API could not check the key${status ? ` (${status})` : ""}`,
      "Try again shortly; check ANTHROPIC_BASE_URL if it is set.",
    );
  }
}

// ---- all of it ---------------------------------------------------------------------------------

/** Every check, in the order a fix is best made. */
export async function runDoctor(env: Env = process.env): Promise<Check[]> {
  const { check, config } = checkConfiguration(env);
  if (!config) return [check];
  const [manifest, files] = await Promise.all([readManifest(), migrationFiles()]);
  const [github, database, redis, model] = await Promise.all([
    checkGitHub(config, env, manifest),
    checkDatabase(config.databaseUrl, files),
    checkRedis(config.redisUrl),
    checkModelKey(config.anthropicApiKey, config.anthropicBaseUrl),
  ]);
  return [check, ...github, database, redis, model];
}

/** One table: ✓/✗, the check, what was found; the fix under each ✗. */
export function formatReport(checks: Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.map((c) => {
    const row = `${c.ok ? "✓" : "✗"} ${c.name.padEnd(width)}  ${c.detail}`;
    return c.ok || !c.fix ? row : `${row}\n  ${" ".repeat(width)}  → ${c.fix}`;
  });
  const failed = checks.filter((c) => !c.ok).length;
  lines.push(
    "",
    failed === 0
      ? "All checks passed."
      : `${failed} check(s) failed.${checks.length === 1 ? " The other checks need a valid configuration." : ""}`,
  );
  return `${lines.join("\n")}\n`;
}
