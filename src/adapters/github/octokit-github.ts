import type { Probot } from "probot";
import type { GitHubCodePort, GitHubPort, RepoRef } from "../../ports/github.ts";
import * as checks from "./checks.ts";
import { installationOctokit, type Octokit } from "./client.ts";
import * as commits from "./commits.ts";
import * as contents from "./contents.ts";
import * as issues from "./issues.ts";
import * as pulls from "./pulls.ts";
import type { SnapshotCache } from "./snapshot-cache.ts";

/** A verb of one of the parts, given the repository's installation client. */
type Verb<A extends unknown[], R> = (octokit: Octokit, repo: RepoRef, ...args: A) => Promise<R>;

/** The GitHub port over Probot's installation-authenticated Octokit, made of the parts beside it. */
export class OctokitGitHub implements GitHubPort, GitHubCodePort {
  readonly #probot: Probot;
  /** The app's id: a marker counts only in comments this app made. */
  readonly #appId: number;
  /** Snapshots shared by this process's jobs (workers); none: each read downloads. */
  readonly #snapshots: SnapshotCache | undefined;

  constructor(probot: Probot, appId: number, options: { snapshots?: SnapshotCache } = {}) {
    this.#probot = probot;
    this.#appId = appId;
    this.#snapshots = options.snapshots;
  }

  octokit(repo: RepoRef): Promise<Octokit> {
    return installationOctokit(this.#probot, repo);
  }

  readonly ensureComment: GitHubPort["ensureComment"] = (repo, number, marker, body, options) =>
    this.#withClient(issues.ensureComment)(repo, number, marker, body, {
      ...options,
      appId: this.#appId,
    });
  readonly addReaction = this.#withClient(issues.addReaction);
  readonly syncLabels = this.#withClient(issues.syncLabels);
  readonly removeLabel = this.#withClient(issues.removeLabel);
  readonly closeIssue = this.#withClient(issues.closeIssue);

  readonly readFile = this.#withClient(contents.readFile);
  readonly getRepository = this.#withClient(contents.getRepository);
  readonly diff = this.#withClient(contents.diff);
  readonly listFiles = this.#withClient(contents.listFiles);
  readonly snapshot: GitHubCodePort["snapshot"] = async (repo, ref) =>
    contents.snapshot(await this.octokit(repo), repo, ref, this.#snapshots);

  readonly commitFiles: GitHubCodePort["commitFiles"] = async (repo, request) =>
    commits.commitFiles(await this.octokit(repo), repo, request, this.#snapshots);

  readonly ensurePullRequest = this.#withClient(pulls.ensurePullRequest);
  readonly markPullRequestReady: GitHubPort["markPullRequestReady"] = (repo, number, announce) =>
    this.#withClient(pulls.markPullRequestReady)(
      repo,
      number,
      announce && { ...announce, appId: this.#appId },
    );
  readonly readReview = this.#withClient(pulls.readReview);

  readonly ensureCheckRun = this.#withClient(checks.ensureCheckRun);
  readonly readCheckRun = this.#withClient(checks.readCheckRun);
  readonly failedChecksOfSuite = this.#withClient(checks.failedChecksOfSuite);
  readonly ciChecks = this.#withClient(checks.ciChecks);
  readonly checkRunText = this.#withClient(checks.checkRunText);
  readonly jobLog = this.#withClient(checks.jobLog);

  /** The port's form of a verb: the repository's client is fetched for each call. */
  #withClient<A extends unknown[], R>(verb: Verb<A, R>) {
    return async (repo: RepoRef, ...args: A): Promise<R> =>
      verb(await this.octokit(repo), repo, ...args);
  }
}
