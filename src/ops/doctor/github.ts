// The doctor's GitHub checks: the App's credentials and clock, its webhook, its installations.
import { readFile } from "node:fs/promises";
import { Probot, ProbotOctokit } from "probot";
import { parse as parseYaml } from "yaml";
import { type Config, WEBHOOK_PATH } from "../../config/env.ts";
import { createLogger } from "../../log.ts";
import { projectPath } from "../../project-root.ts";
import { type Check, type Env, fail, pass, reasonOf } from "./check.ts";

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
