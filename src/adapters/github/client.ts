import type { Probot, ProbotOctokit } from "probot";
import { toGitHubApiError } from "../../errors.ts";
import type { RepoRef } from "../../ports/github.ts";

/** Probot's Octokit, authenticated as one installation. */
export type Octokit = InstanceType<typeof ProbotOctokit>;

/** The repository's installation client. Installation tokens are cached by Probot (59 minutes). */
export async function installationOctokit(probot: Probot, repo: RepoRef): Promise<Octokit> {
  const octokit = (await probot.auth(repo.installationId)) as Octokit;
  // The adapter's edge: a failed request leaves as a GitHubApiError (status, request id).
  octokit.hook.error("request", (error) => {
    throw toGitHubApiError(error);
  });
  return octokit;
}
