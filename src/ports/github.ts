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
    options?: { knownId?: number | null },
  ): Promise<{ id: number; url: string }>;
  /** GitHub answers 200 for a reaction that exists already, so this is idempotent. */
  addReaction(
    repo: RepoRef,
    target: { commentId: number } | { issueNumber: number },
    content: ReactionContent,
  ): Promise<void>;
  /** Adds `add` and removes every other label starting with `removePrefix`. */
  syncLabels(repo: RepoRef, issueNumber: number, add: string, removePrefix: string): Promise<void>;
  removeLabel(repo: RepoRef, issueNumber: number, name: string): Promise<void>;
  closeIssue(
    repo: RepoRef,
    issueNumber: number,
    reason: "completed" | "not_planned",
  ): Promise<void>;
  /** A file's text on `ref` (default branch when omitted), or null when absent. */
  readFile(repo: RepoRef, path: string, ref?: string): Promise<string | null>;
  getDefaultBranch(repo: RepoRef): Promise<string>;
  /** Takes a draft PR out of draft (GraphQL: REST cannot). No-op when it is ready already. */
  markPullRequestReady(repo: RepoRef, prNumber: number): Promise<void>;
}
