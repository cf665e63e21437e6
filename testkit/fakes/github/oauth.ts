// The web side of signing in with GitHub, as a GitHub App's user authorization ("web application
// flow") works on github.com, and what a user token may see:
//
//   GET  /login/oauth/authorize?client_id&redirect_uri&state   → the consent page (a small form)
//   POST /login/oauth/authorize                                 → 302 to redirect_uri?code&state
//   POST /login/oauth/access_token (JSON or form; Accept: json) → { access_token: "ghu_…", … }
//
// Errors follow GitHub: the token endpoint answers 200 with { error, error_description, error_uri };
// a denied consent redirects with error=access_denied. Codes are single-use and expire after
// 10 minutes; user tokens after 8 hours (expiring user tokens, GitHub's default for apps).
import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { type OAuthState, USER_TOKEN_TTL_S } from "./oauth-state.ts";
import type { RouteResult } from "./server.ts";
import type { FakeState, InstallationRec, Permission, RepoRec, UserRec } from "./state.ts";

const CODE_TTL_MS = 10 * 60 * 1000;
const REFRESH_TTL_S = 184 * 24 * 3600;

const RANK: Record<Permission, number> = {
  none: 0,
  read: 1,
  triage: 2,
  write: 3,
  maintain: 4,
  admin: 5,
};

// ---- what a user may see ------------------------------------------------------------------------

/** The user's role on a repository: explicit, as the owner, or through the owning organisation. */
export function userPermission(state: FakeState, repo: RepoRec, user: UserRec): Permission {
  const explicit = repo.permissions.get(user.login.toLowerCase()) ?? "none";
  let viaOrg: Permission = "none";
  if (repo.owner.type === "Organization") {
    const role = state.oauth.role(repo.owner.login, user.login);
    // Organisation owners administer every repository; members get the base permission (read).
    if (role === "admin") viaOrg = "admin";
    else if (role === "member") viaOrg = "read";
  }
  return RANK[explicit] >= RANK[viaOrg] ? explicit : viaOrg;
}

export function permissionFlags(permission: Permission) {
  const rank = RANK[permission];
  return {
    admin: rank >= 5,
    maintain: rank >= 4,
    push: rank >= 3,
    triage: rank >= 2,
    pull: rank >= 1,
  };
}

/** Repositories of an installation the user can read (GitHub lists only these). */
export function readableRepos(
  state: FakeState,
  installation: InstallationRec,
  user: UserRec,
): RepoRec[] {
  return [...state.repos.values()].filter(
    (repo) =>
      repo.installationId === installation.id && RANK[userPermission(state, repo, user)] >= 1,
  );
}

/**
 * Installations of the app the user can access: their own account's, an organisation's they are a
 * member of, or one holding a repository they have a role on.
 */
export function accessibleInstallations(state: FakeState, user: UserRec): InstallationRec[] {
  return [...state.installations.values()]
    .filter((installation) => {
      const account = installation.account;
      if (account.login.toLowerCase() === user.login.toLowerCase()) return true;
      if (account.type === "Organization" && state.oauth.role(account.login, user.login)) {
        return true;
      }
      return readableRepos(state, installation, user).length > 0;
    })
    .sort((a, b) => a.id - b.id);
}

// ---- the web flow -------------------------------------------------------------------------------

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}

function page(status: number, title: string, body: string): RouteResult {
  return {
    status,
    raw: {
      contentType: "text/html; charset=utf-8",
      data: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main>${body}</main></body></html>`,
    },
  };
}

function redirect(location: string): RouteResult {
  return { status: 302, headers: { location }, raw: { contentType: "text/plain", data: "" } };
}

function withQuery(base: string, params: Record<string, string | null>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) {
    if (value !== null) url.searchParams.set(name, value);
  }
  return url.toString();
}

function parseForm(headers: IncomingHttpHeaders, raw: Buffer): URLSearchParams {
  const type = String(headers["content-type"] ?? "");
  const text = raw.toString("utf8");
  if (type.includes("application/json")) {
    const params = new URLSearchParams();
    try {
      const body = JSON.parse(text || "{}") as Record<string, unknown>;
      for (const [name, value] of Object.entries(body)) {
        if (value !== undefined && value !== null) params.set(name, String(value));
      }
    } catch {
      // An unreadable body reads as no parameters, as GitHub answers with an error object.
    }
    return params;
  }
  return new URLSearchParams(text);
}

function redirectAllowed(oauth: OAuthState, redirectUri: string | null): boolean {
  if (redirectUri === null || oauth.callbackUrls.length === 0) return true;
  // GitHub accepts a registered callback URL or a sub-path of one (same host and port).
  return oauth.callbackUrls.some((registered) => {
    try {
      const a = new URL(registered);
      const b = new URL(redirectUri);
      return a.origin === b.origin && b.pathname.startsWith(a.pathname);
    } catch {
      return false;
    }
  });
}

/** Serves /login/oauth/*; returns null for any other path. */
export function handleOAuthRequest(
  state: FakeState,
  method: string,
  url: URL,
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
): RouteResult | null {
  const oauth = state.oauth;
  if (url.pathname === "/login/oauth/authorize") {
    const params = method === "POST" ? parseForm(headers, rawBody) : url.searchParams;
    const clientId = params.get("client_id") ?? "";
    const redirectUri = params.get("redirect_uri");
    const oauthState = params.get("state");
    if (clientId !== oauth.clientId) {
      return page(404, "Not Found", "<h1>404</h1><p>This application does not exist.</p>");
    }
    if (!redirectAllowed(oauth, redirectUri)) {
      return page(
        400,
        "Redirect URI mismatch",
        "<h1>Be careful!</h1><p>The redirect_uri is not associated with this application.</p>",
      );
    }
    const target = redirectUri ?? oauth.callbackUrls[0];
    if (!target) {
      return page(400, "Missing redirect_uri", "<p>The application has no callback URL.</p>");
    }
    if (method === "GET") {
      const login = oauth.browserUser ?? "";
      const hidden = (name: string, value: string | null) =>
        value === null ? "" : `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
      return page(
        200,
        `Authorize ${state.app.name}`,
        `<h1>Authorize ${escapeHtml(state.app.name)}</h1>
<form method="post" action="/login/oauth/authorize">
${hidden("client_id", clientId)}${hidden("redirect_uri", redirectUri)}${hidden("state", oauthState)}
<label>Signed in as <input name="login" id="login" value="${escapeHtml(login)}" autocomplete="username"></label>
<button type="submit" name="authorize" value="1" id="js-oauth-authorize-btn">Authorize ${escapeHtml(state.app.name)}</button>
<button type="submit" name="authorize" value="0" id="js-oauth-cancel-btn">Cancel</button>
</form>`,
      );
    }
    if (method !== "POST") return page(404, "Not Found", "<h1>404</h1>");
    if (params.get("authorize") !== "1") {
      return redirect(
        withQuery(target, {
          error: "access_denied",
          error_description: "The user has denied your application access.",
          error_uri:
            "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied",
          state: oauthState,
        }),
      );
    }
    const login = (params.get("login") ?? "").trim();
    if (!login) return page(422, "Sign in", "<p>Sign in to GitHub first.</p>");
    const user = state.user(login);
    const code = randomBytes(10).toString("hex");
    oauth.codes.set(code, {
      login: user.login,
      clientId,
      redirectUri,
      expiresAt: state.nowMs() + CODE_TTL_MS,
    });
    return redirect(withQuery(target, { code, state: oauthState }));
  }

  if (url.pathname === "/login/oauth/access_token") {
    if (method !== "POST") return page(404, "Not Found", "<h1>404</h1>");
    const params = parseForm(headers, rawBody);
    const error = (code: string, description: string): RouteResult => ({
      status: 200,
      body: {
        error: code,
        error_description: description,
        error_uri: `https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#${code.replaceAll("_", "-")}`,
      },
    });
    if (
      params.get("client_id") !== oauth.clientId ||
      params.get("client_secret") !== oauth.clientSecret
    ) {
      return error(
        "incorrect_client_credentials",
        "The client_id and/or client_secret passed are incorrect.",
      );
    }
    const code = params.get("code") ?? "";
    const record = oauth.codes.get(code);
    oauth.codes.delete(code);
    if (!record || record.expiresAt <= state.nowMs() || record.clientId !== oauth.clientId) {
      return error("bad_verification_code", "The code passed is incorrect or expired.");
    }
    const redirectUri = params.get("redirect_uri");
    if (record.redirectUri !== null && redirectUri !== null && redirectUri !== record.redirectUri) {
      return error(
        "redirect_uri_mismatch",
        "The redirect_uri MUST match the registered callback URL for this application.",
      );
    }
    const token = oauth.issueToken(record.login, state.nowMs());
    const body = {
      access_token: token.token,
      expires_in: USER_TOKEN_TTL_S,
      refresh_token: `ghr_${randomBytes(30).toString("hex")}`,
      refresh_token_expires_in: REFRESH_TTL_S,
      scope: "",
      token_type: "bearer",
    };
    const accept = String(headers.accept ?? "");
    if (accept.includes("application/json")) return { status: 200, body };
    return {
      status: 200,
      raw: {
        contentType: "application/x-www-form-urlencoded; charset=utf-8",
        data: new URLSearchParams(
          Object.entries(body).map(([k, v]) => [k, String(v)]) as [string, string][],
        ).toString(),
      },
    };
  }
  return null;
}
