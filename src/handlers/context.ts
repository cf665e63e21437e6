import type { Context } from "probot";
import type { PermissionCache } from "../adapters/github/permissions.ts";
import type { Store } from "../adapters/store/store.ts";
import type { IssueTarget } from "../app/advance.ts";
import type { Ingress, NewFeatureInfo } from "../app/ingest.ts";
import type { ParsedRepoConfig } from "../config/repo-config.ts";
import type { Actor } from "../core/feature.ts";
import type { GitHubPort } from "../ports/github.ts";

/** What every handler may use. */
export interface HandlerDeps extends Ingress {
  store: Store;
  permissions: PermissionCache;
  /** Reads the repository's config; handlers only record and enqueue, so nothing more. */
  github: Pick<GitHubPort, "readFile">;
}

type AnyContext = Context<
  | "issues"
  | "issue_comment"
  | "pull_request"
  | "pull_request_review"
  | "check_suite"
  | "check_run"
  | "status"
>;

export function repoOf(context: AnyContext) {
  const { repository } = context.payload;
  return { owner: repository.owner.login, repo: repository.name };
}

export function installationIdOf(context: AnyContext): number | null {
  return (context.payload as { installation?: { id: number } }).installation?.id ?? null;
}

export function issueTarget(context: AnyContext, issueNumber: number): IssueTarget | null {
  const installationId = installationIdOf(context);
  if (installationId === null) return null;
  return { installationId, ...repoOf(context), issueNumber };
}

/** The actor with their repository permission, read only when a command needs it. */
export async function actorOf(
  deps: HandlerDeps,
  context: AnyContext,
  login: string,
  needsPermission: boolean,
): Promise<Actor> {
  if (!needsPermission) return { login, permission: "read" };
  const { owner, repo } = repoOf(context);
  return { login, permission: await deps.permissions.get(context.octokit, owner, repo, login) };
}

export function newFeatureInfo(
  context: AnyContext,
  issue: { title: string; user: { login: string } | null },
  repoConfig: ParsedRepoConfig,
): NewFeatureInfo {
  const account = context.payload.repository.owner;
  return {
    issueTitle: issue.title,
    issueAuthor: issue.user?.login ?? "ghost",
    accountLogin: account.login,
    accountType: account.type ?? "User",
    repoConfig,
  };
}

/** The feature a CI report is about: by the commit's branch, else by a pull request listing it. */
export async function featureOfCommit(
  deps: HandlerDeps,
  owner: string,
  repo: string,
  branches: (string | null | undefined)[],
  prNumbers: number[],
) {
  for (const branch of branches) {
    if (!branch) continue;
    const feature = await deps.store.findFeatureByBranch(owner, repo, branch);
    if (feature) return feature;
  }
  for (const number of prNumbers) {
    const feature = await deps.store.findFeatureByPullRequest(owner, repo, number);
    if (feature) return feature;
  }
  return undefined;
}

/**
 * The feature one of the app's check runs belongs to: by its `external_id`
 * (`feature-<id>/…`, which also works for a run on an older head that no PR lists any more),
 * else by the PR it is on.
 */
export async function featureOfCheckRun(
  deps: HandlerDeps,
  context: AnyContext,
  run: { external_id?: string | null; pull_requests?: { number: number }[] },
) {
  const { owner, repo } = repoOf(context);
  const id = Number(/^feature-(\d+)\//.exec(run.external_id ?? "")?.[1]);
  if (Number.isSafeInteger(id) && id > 0) {
    const feature = await deps.store.findFeature(id);
    // Only a feature of this repository: an external_id is not proof of anything by itself.
    if (feature && feature.repoOwner === owner && feature.repoName === repo) return feature;
  }
  const prNumber = run.pull_requests?.[0]?.number;
  return prNumber === undefined
    ? undefined
    : deps.store.findFeatureByPullRequest(owner, repo, prNumber);
}
