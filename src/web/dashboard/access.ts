import type { OrgRole, UserApi, UserRepo } from "./github-user.ts";

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
