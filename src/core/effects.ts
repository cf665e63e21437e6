import type { AgentName, Gate, Stage } from "./feature.ts";

/** Replies the pipeline can post; each is a view in views/comments/<view>.hbs. */
export type ReplyView =
  | "not_now"
  | "unauthorized"
  | "label_start_refused"
  | "help"
  | "status"
  | "approved"
  | "nothing_to_approve"
  | "stale_approval"
  | "self_approval"
  | "cancelled"
  | "failed"
  | "retrying"
  | "ready_for_review"
  | "abandoned"
  | "config_invalid"
  | "no_feature"
  | "protected_pending"
  | "protected_approved";

/** Why the implementer is asked to fix its code, and where the worker finds the details. */
export type FixSource =
  /** Automatic round: these reviews (check runs on the PR head) did not pass. */
  | { kind: "reviews"; failed: string[] }
  /** A submitted PR review requested changes. */
  | { kind: "changes_requested"; reviewId: number; by: string }
  /** `/fix <text>`; the text is in the effect's `instructions`. */
  | { kind: "fix_command"; commentId: number; by: string }
  /** The "Fix findings" button of a check run. */
  | { kind: "fix_findings"; checkRunId: number; by: string }
  /**
   * The repository's own CI failed on the PR head (`sha`: read the failures recorded for it).
   * `task`: the plan task the failure goes back to; the fix round works on that task only.
   */
  | { kind: "ci"; sha: string; task?: string }
  /** A CI fix queued by an earlier version of the app, which named the failed check suite only. */
  | { kind: "ci"; checkSuiteId: number; task?: undefined }
  /** `/retry` of a feature that failed while fixing; `reason` is the failure being retried. */
  | { kind: "retry"; reason: string };

/**
 * What the pipeline wants done, as data. Effects are recorded (outbox) before they are
 * performed, and every performer is idempotent: `key` names the effect so that a second
 * run finds the first one's result (a marker in a comment, a job id) instead of repeating it.
 */
export type Effect =
  | { type: "react"; commentId: number | null; content: "eyes" | "confused" | "+1" }
  | {
      type: "reply";
      view: ReplyView;
      key: string;
      data: Record<string, string | number | boolean | string[]>;
      /** The key repeats across transitions: the reply edits the comment it finds. */
      shared?: true;
    }
  /** Create or edit the one status comment and mirror the stage in a `practical:<stage>` label. */
  | { type: "sync_status" }
  /**
   * Queue an agent job; `key` makes the job id deterministic. `gate` is set for gate reviews.
   * `fix` is set when the implementer runs in fix mode (on top of its own last commit) and says
   * what to fix: the worker reads the findings from there (check runs, PR review, CI suite).
   */
  | {
      type: "run_agent";
      agent: AgentName;
      key: string;
      gate?: Gate;
      commentId?: number;
      instructions?: string;
      fix?: FixSource;
    }
  /** Queue the three PR reviews as one flow (children: security, code, alignment; parent: verdict). */
  | { type: "run_reviews"; key: string }
  /** Remove queued jobs of the feature and tell running ones to discard their results. */
  | { type: "cancel_jobs" }
  | { type: "remove_label"; name: string }
  | { type: "record_approval"; gate: Gate; approver: string; artifactVersion: string }
  /** Take the PR out of draft; `announce`: the reply that says so, posted with it. */
  | { type: "mark_pr_ready"; announce?: ReplyEffect }
  /** Read the repository's CI on one of the feature's commits again (a CI webhook came in). */
  | { type: "check_ci"; sha: string }
  /** A person approved the protected files of `commit`: the check run passes, naming them. */
  | { type: "approve_protected"; approver: string; commit: string }
  | { type: "close_issue"; reason: "completed" | "not_planned" };

export type EffectType = Effect["type"];

export interface TransitionResult<F> {
  feature: F;
  effects: Effect[];
  /** Stage before and after, for the audit trail. */
  from: Stage;
  to: Stage;
}

export type ReplyEffect = Extract<Effect, { type: "reply" }>;
