import type { Permission } from "../../core/feature.ts";
import { githubStatusOf } from "../../errors.ts";
import type { Octokit } from "./client.ts";

const TTL_MS = 60_000;

const ROLES: ReadonlySet<string> = new Set(["admin", "maintain", "write", "triage", "read"]);

/**
 * `permission` holds only the legacy base roles: maintain reads as "write" and triage as
 * "read". The real role is in `role_name`; a custom role's name is the organisation's own,
 * so it falls back to its base `permission`.
 * https://docs.github.com/en/rest/collaborators/collaborators#get-repository-permissions-for-a-user
 */
export function permissionOf(data: { permission: string; role_name?: string }): Permission {
  const role = data.role_name ?? "";
  if (ROLES.has(role)) return role as Permission;
  return ROLES.has(data.permission) || data.permission === "none"
    ? (data.permission as Permission)
    : "none";
}

/**
 * Who may act is read from the collaborator-permission endpoint (never from
 * author_association), cached briefly. Any failure reads as `unknown`, which is refused.
 */
export class PermissionCache {
  readonly #entries = new Map<string, { permission: Permission; until: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async get(octokit: Octokit, owner: string, repo: string, login: string): Promise<Permission> {
    const key = `${owner}/${repo}/${login}`.toLowerCase();
    const cached = this.#entries.get(key);
    if (cached && cached.until > this.#now()) return cached.permission;
    let permission: Permission;
    try {
      const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({
        owner,
        repo,
        username: login,
      });
      permission = permissionOf(data);
    } catch (error) {
      const status = githubStatusOf(error);
      if (status !== 404) return "unknown"; // not cached: the next try may succeed
      permission = "none";
    }
    if (this.#entries.size > 10_000) this.#entries.clear();
    this.#entries.set(key, { permission, until: this.#now() + TTL_MS });
    return permission;
  }
}
