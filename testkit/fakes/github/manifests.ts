// Registering the app from a manifest, as GitHub does it: the owner submits the manifest form on
// GitHub, GitHub checks the manifest, creates the app and redirects to `redirect_url?code=…`;
// the app's setup exchanges the code at POST /app-manifests/{code}/conversions (no auth, once,
// within an hour) for its id, key and secrets (routes-manifests.ts).
// https://docs.github.com/en/apps/sharing-github-apps/registering-a-github-app-from-a-manifest
// https://docs.github.com/en/rest/apps/apps#create-a-github-app-from-a-manifest
import { randomBytes } from "node:crypto";

/** Events every app receives without subscribing; GitHub refuses them in `default_events`. */
const UNSUPPORTED_DEFAULT_EVENTS = new Set([
  "installation",
  "installation_repositories",
  "installation_target",
  "github_app_authorization",
  "meta",
]);

export interface Manifest {
  name?: string;
  url?: string;
  hook_attributes?: { url?: string; active?: boolean };
  redirect_url?: string;
  default_events?: string[];
  default_permissions?: Record<string, string>;
}

/**
 * What GitHub says about a manifest before it creates the app; empty when it accepts it. `url`
 * is required; an active webhook needs its `url`; installation events are "Default events
 * unsupported" (github.com answers so: https://github.com/probot/probot/issues/1773).
 */
export function manifestProblems(manifest: Manifest): string[] {
  const problems: string[] = [];
  if (!manifest.url) problems.push("Url can't be blank");
  if (!manifest.name) problems.push("Name can't be blank");
  else if (manifest.name.length > 34) problems.push("Name is too long (maximum is 34 characters)");
  if (manifest.hook_attributes?.active !== false && !manifest.hook_attributes?.url) {
    problems.push("Hook url can't be blank");
  }
  const unsupported = (manifest.default_events ?? []).filter((e) =>
    UNSUPPORTED_DEFAULT_EVENTS.has(e),
  );
  if (unsupported.length > 0)
    problems.push(`Default events unsupported: ${unsupported.join(", ")}`);
  return problems;
}

interface PendingRegistration {
  manifest: Manifest;
  expires: number;
}

export class ManifestState {
  readonly #pending = new Map<string, PendingRegistration>();

  /** The owner submits the manifest form: GitHub checks it and hands back a one-time code. */
  submit(manifest: Manifest, now = Date.now()): string {
    const problems = manifestProblems(manifest);
    if (problems.length > 0) throw new Error(`GitHub refuses the manifest: ${problems.join("; ")}`);
    const code = randomBytes(10).toString("hex");
    this.#pending.set(code, { manifest, expires: now + 3600_000 });
    return code;
  }

  /** The code, once: a second exchange, or one after an hour, is a 404. */
  take(code: string, now = Date.now()): Manifest | null {
    const pending = this.#pending.get(code);
    this.#pending.delete(code);
    return pending && pending.expires > now ? pending.manifest : null;
  }
}
