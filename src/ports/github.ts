export interface RepoRef {
  installationId: number;
  owner: string;
  repo: string;
}

export type ReactionContent = "eyes" | "confused" | "+1" | "rocket";

/**
 * What the app does on GitHub, as idempotent verbs: a job that runs twice finds the
 * first run's result (by marker, by name, by branch head) instead of repeating it.
 */
export interface GitHubPort {
  /** Creates the comment unless one containing `marker` exists; updates it if the body differs. */
  ensureComment(
    repo: RepoRef,
    issueNumber: number,
    marker: string,
    body: string,
    /**
     * `knownId`: the comment's id when known (edited in place). `firstRun`: no earlier run of
     * the caller can have posted it, so it is created without looking for the marker.
     */
    options?: { knownId?: number | null; firstRun?: boolean },
  ): Promise<{ id: number; url: string }>;
  /** GitHub answers 200 for a reaction that exists already, so this is idempotent. */
  addReaction(
    repo: RepoRef,
    target: { commentId: number } | { issueNumber: number },
    content: ReactionContent,
  ): Promise<void>;
  /**
   * Adds `add` and removes every other label starting with `removePrefix`; `previous`, when
   * known, is the only such label the issue can have (the one set last time).
   */
  syncLabels(
    repo: RepoRef,
    issueNumber: number,
    add: string,
    removePrefix: string,
    previous?: string,
  ): Promise<void>;
  removeLabel(repo: RepoRef, issueNumber: number, name: string): Promise<void>;
  closeIssue(
    repo: RepoRef,
    issueNumber: number,
    reason: "completed" | "not_planned",
  ): Promise<void>;
  /** A file's text on `ref` (default branch when omitted), or null when absent. */
  readFile(repo: RepoRef, path: string, ref?: string): Promise<string | null>;
  /** The default branch, and the node id GraphQL mutations name the repository by. */
  getRepository(repo: RepoRef): Promise<{ defaultBranch: string; nodeId: string }>;
  /**
   * Takes a draft PR out of draft (GraphQL: REST cannot); no-op when it is ready already. With
   * `announce`, also posts that comment on the issue, in the same request on a first run.
   */
  markPullRequestReady(
    repo: RepoRef,
    prNumber: number,
    announce?: { issueNumber: number; marker: string; body: string; firstRun: boolean },
  ): Promise<void>;
}

/** One file of a commit: new content, or `null` to delete it. */
export interface FileChange {
  path: string;
  content: string | null;
}

export interface CommitRequest {
  /** The feature branch, e.g. `practical/12-csv-export`; created from `base` when missing. */
  branch: string;
  /** The branch to start from (the default branch). */
  base: string;
  /** The whole commit message; it must contain `marker`. */
  message: string;
  /**
   * A trailer line unique to this step (e.g. `Practical-Step: f12-spec-v3`). A commit on the
   * branch whose message contains it is this step's commit already: it is returned, not redone.
   */
  marker: string;
  files: FileChange[];
  /**
   * The head this step's work was based on (the last commit the app made or read). If the
   * branch has moved since, the new commits' changed files must not overlap `files`, or the
   * commit is refused with `BranchMovedError`. Null: no expectation (the branch may be new).
   * Either way, commits pushed between the app's read of the head and its ref update are
   * held to the same rule.
   */
  basedOn: string | null;
  /**
   * No earlier attempt of the caller can have made this step's commit: with `basedOn`, the
   * branch need not be searched for the marker first.
   */
  firstRun?: boolean;
  /** The repository's GraphQL node id: a missing branch is then created with its commit. */
  repositoryId?: string;
  /** The draft pull request to open with a branch this commit creates. */
  pullRequest?: { title: string; body: string };
}

export interface CommitResult {
  sha: string;
  created: boolean;
  unchanged?: boolean;
  /** The branch was created for this commit: no pull request can have it as its head yet. */
  branchCreated?: boolean;
  /** The draft pull request opened with the branch (`CommitRequest.pullRequest`). */
  pullRequest?: { number: number; url: string };
}

export interface PullRequestRequest {
  head: string;
  base: string;
  title: string;
  body: string;
  /** The PR opened earlier for `head`: its body is updated without looking it up first. */
  knownNumber?: number | null;
  /** `head` was created just now: no pull request can exist for it, so none is looked for. */
  newBranch?: boolean;
}

export interface PullRequestRef {
  number: number;
  url: string;
  headSha: string;
  created: boolean;
}

export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  title?: string;
  message: string;
}

export interface CheckRunRequest {
  headSha: string;
  /** Stable name, e.g. `Build Practical / security`. */
  name: string;
  /** Ties the run to the feature and round, e.g. `feature-12/round-1/security_review`. */
  externalId: string;
  status: "in_progress" | "completed";
  /**
   * No earlier attempt of the caller can have created it: created without looking for it
   * first.
   */
  firstRun?: boolean;
  /** Required by GitHub once completed; `neutral` is sent when it is missing. */
  conclusion?: "success" | "failure" | "neutral" | "action_required";
  title: string;
  summary: string;
  text?: string;
  /**
   * Any number; sent in batches of 50 (GitHub's per-request limit). GitHub appends the
   * annotations of every update, so those an existing run has already are not sent again.
   */
  annotations?: CheckAnnotation[];
  /** At most three buttons. */
  actions?: { label: string; description: string; identifier: string }[];
}

/** A check run as read back, for CI failures and the "Fix findings" button. */
export interface CheckRunReport {
  id: number;
  name: string;
  conclusion: string | null;
  title: string | null;
  summary: string | null;
  annotations: { path: string; line: number; message: string }[];
}

/** One check of the repository's CI on a commit: another app's check run, or a commit status. */
export interface CiCheckReport {
  kind: "check_run" | "status";
  /** The check run id (for GitHub Actions also the job id); 0 for a status. */
  id: number;
  name: string;
  /** The app's slug (`github-actions`), or the status's creator. */
  app: string;
  /** The app's id; null for a status. */
  appId: number | null;
  state: "pending" | "success" | "failure";
  conclusion: string | null;
  /** Where a person sees it: the check run's page, or the status's target URL. */
  url: string | null;
  /** The CI's own page for it (`details_url`), or the status's target URL. */
  detailsUrl: string | null;
  /** Title and summary of a check run's output, or a status's description. */
  description: string;
}

/**
 * The repository's files at one commit, read once into memory. Shared by the jobs reading that
 * commit, so read-only: a job that edits or adds files copies them first.
 */
export interface Snapshot {
  sha: string;
  /** Text files by path; binary and very large files are left out. */
  files: ReadonlyMap<string, string>;
  /**
   * Files of the commit the archive left out (`.gitattributes` `export-ignore`, often tests or
   * docs): they exist, so they are read on demand and never overwritten unread.
   */
  hidden?: ReadonlySet<string>;
  /** Symbolic links and submodules, which are never written. */
  special?: ReadonlyMap<string, "a symbolic link" | "a submodule">;
  /** GitHub cut the commit's file tree short: the lists above may be incomplete. */
  truncated?: boolean;
}

/** What the PR's code review and fix rounds read. */
export interface GitHubCodePort {
  /**
   * One commit with every file of the step in one tree (Git Data API), on top of the branch
   * head, updating the ref without force. Idempotent by `marker`; see `CommitRequest`.
   * `created: false` when the step's commit was found already; `unchanged: true` (with the
   * head's sha) when the branch already had these contents and no commit was made.
   */
  commitFiles(repo: RepoRef, request: CommitRequest): Promise<CommitResult>;
  /**
   * The open PR from `head` (the known one, or found again), or a new draft one; the body is
   * updated if it differs (always, for a known PR: reading it first would cost as much).
   */
  ensurePullRequest(repo: RepoRef, request: PullRequestRequest): Promise<PullRequestRef>;
  /** Found by name + external_id on the head commit, updated; else created. */
  ensureCheckRun(repo: RepoRef, request: CheckRunRequest): Promise<{ id: number; url: string }>;
  readCheckRun(repo: RepoRef, checkRunId: number): Promise<CheckRunReport>;
  /** Failed check runs of a suite (the repository's own CI), with their annotations. */
  failedChecksOfSuite(repo: RepoRef, checkSuiteId: number): Promise<CheckRunReport[]>;
  /**
   * The CI on a commit: the latest check run of each name (every app), and the latest status
   * of each context.
   */
  ciChecks(repo: RepoRef, sha: string): Promise<CiCheckReport[]>;
  /** A check run's output text besides its summary (other CI than GitHub Actions). */
  checkRunText(repo: RepoRef, checkRunId: number): Promise<string>;
  /**
   * A GitHub Actions job's log (for Actions the check run id is the job id). Null when it
   * cannot be read: no `actions: read` permission yet, or the log has expired.
   */
  jobLog(repo: RepoRef, jobId: number): Promise<string | null>;
  /** A submitted review's body and its line comments. */
  readReview(
    repo: RepoRef,
    prNumber: number,
    reviewId: number,
  ): Promise<{ body: string; comments: { path: string; line: number | null; body: string }[] }>;
  /** The files changed between two commits, with unified-diff patches (for the reviewers). */
  diff(
    repo: RepoRef,
    base: string,
    head: string,
  ): Promise<{ path: string; status: string; patch: string }[]>;
  /** Every file path at `ref` (one recursive tree read), for the agents that only need the list. */
  listFiles(repo: RepoRef, ref: string): Promise<string[]>;
  /** The tarball of `ref`, unpacked in memory. */
  snapshot(repo: RepoRef, ref: string): Promise<Snapshot>;
}
