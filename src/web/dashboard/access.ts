import type { Response } from "express";
import type { SessionStore } from "../../adapters/store/sessions.ts";
import { githubStatusOf } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import { notFound, PageError } from "./errors.ts";
import type { GitHubSignIn, OrgRole, UserApi, UserRepo } from "./github-user.ts";
import { localsOf } from "./session.ts";

/** One installation as the signed-in user may see it. */
export interface InstallationAccess {
  id: number;
  account: string;
  accountType: "User" | "Organization";
  /** Admin of the installation's account: the user owning it, or an owner of the organisation. */
  admin: boolean;
  /** Set when GitHub would not say whether the user administers the organisation. */
  adminUnknown: boolean;
  /** Repositories the user can read, as GitHub lists them for the user's token. */
  repos: UserRepo[];
}

export interface Access {
  installations: InstallationAccess[];
  fetchedAt: number;
}

export function repoKey(owner: string, name: string): string {
  return `${owner}/${name}`.toLowerCase();
}

/** Asks GitHub, with the user's token, what the user may see. */
export async function loadAccess(api: UserApi, login: string): Promise<Access> {
  const installations = await api.listInstallations();
  const orgRoles = new Map<string, Promise<OrgRole>>();
  const result = await Promise.all(
    installations.map(async (installation) => {
      let role: OrgRole;
      if (installation.accountType === "User") {
        role = installation.account.toLowerCase() === login.toLowerCase() ? "admin" : "none";
      } else {
        const key = installation.account.toLowerCase();
        let pending = orgRoles.get(key);
        if (!pending) {
          pending = api.orgRole(installation.account);
          orgRoles.set(key, pending);
        }
        role = await pending;
      }
      return {
        ...installation,
        admin: role === "admin",
        adminUnknown: role === "unknown",
        repos: await api.listRepos(installation.id),
      };
    }),
  );
  return { installations: result, fetchedAt: Date.now() };
}

/**
 * What GitHub said, kept briefly per session so a page view costs no API calls; GitHub stays the
 * authority (a removed member loses access within `ttlMs`).
 */
export class AccessCache {
  readonly #entries = new Map<string, Access>();
  readonly #ttlMs: number;
  readonly #max: number;

  constructor(ttlMs = 60_000, max = 5_000) {
    this.#ttlMs = ttlMs;
    this.#max = max;
  }

  get(sessionKey: string): Access | undefined {
    const entry = this.#entries.get(sessionKey);
    if (!entry) return undefined;
    if (Date.now() - entry.fetchedAt > this.#ttlMs) {
      this.#entries.delete(sessionKey);
      return undefined;
    }
    return entry;
  }

  set(sessionKey: string, access: Access): void {
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(sessionKey, access);
  }

  delete(sessionKey: string): void {
    this.#entries.delete(sessionKey);
  }
}

/** The signed-in user's access for a request: asked of GitHub with the user's token, or cached. */
export class UserAccess {
  readonly #sessions: SessionStore;
  readonly #cache: AccessCache;
  readonly #signIn: GitHubSignIn | null;
  readonly #operatorOrg: string | undefined;
  readonly #log: Logger;

  constructor(deps: {
    sessions: SessionStore;
    cache: AccessCache;
    /** Null when sign-in is not configured: nobody has access. */
    signIn: GitHubSignIn | null;
    /** The organisation whose installation's admins see the queue board. */
    operatorOrg: string | undefined;
    log: Logger;
  }) {
    this.#sessions = deps.sessions;
    this.#cache = deps.cache;
    this.#signIn = deps.signIn;
    this.#operatorOrg = deps.operatorOrg;
    this.#log = deps.log;
  }

  /**
   * What GitHub says the user may see: from the cache for pages, asked afresh with the user's
   * token for anything that changes data.
   */
  async of(res: Response, fresh = false): Promise<Access> {
    const { session, sessionId } = localsOf(res);
    if (!session || !sessionId || !this.#signIn) {
      throw new PageError(401, "Sign in", "Sign in first.", true);
    }
    const cached = fresh ? undefined : this.#cache.get(session.idHash);
    if (cached) return cached;
    const token = session.token();
    if (!token) {
      await this.#sessions.delete(sessionId);
      throw new PageError(401, "Sign in again", "Your session ended. Sign in again.");
    }
    try {
      const access = await loadAccess(this.#signIn.forToken(token), session.login);
      this.#cache.set(session.idHash, access);
      return access;
    } catch (error) {
      const status = githubStatusOf(error);
      if (status === 401) {
        await this.#sessions.delete(sessionId);
        this.#cache.delete(session.idHash);
        throw new PageError(
          401,
          "Sign in again",
          "GitHub no longer accepts your sign-in (it expired or was revoked). Sign in again.",
        );
      }
      this.#log.warn(
        { status, login: session.login },
        "dashboard: GitHub did not answer for a user",
      );
      throw new PageError(
        502,
        "GitHub did not answer",
        "GitHub could not be asked what you can see. Try again in a moment.",
      );
    }
  }

  /** Forgets what GitHub said for a session that ended. */
  forget(sessionKey: string): void {
    this.#cache.delete(sessionKey);
  }

  /** The installation with this id among the user's, or not found. */
  installation(access: Access, idText: string | undefined): InstallationAccess {
    const id = Number(idText);
    const installation = access.installations.find((i) => i.id === id);
    if (!Number.isSafeInteger(id) || !installation) throw notFound();
    return installation;
  }

  /** Admin of the operator organisation's installation: may use the queue board. */
  isOperatorAdmin(access: Access): boolean {
    const org = this.#operatorOrg?.toLowerCase();
    return (
      org !== undefined &&
      access.installations.some((i) => i.account.toLowerCase() === org && i.admin)
    );
  }
}
