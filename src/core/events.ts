import type { Command } from "./commands.ts";
import type { Actor, AgentName } from "./feature.ts";

/**
 * The person's current reply window on the issue, given by ingest: refusals and /help answer
 * in one comment per person per window, named by the comment that opened it. `repeated` when
 * this comment did not open it (the person was answered already).
 */
export interface ReplyWindow {
  commentId: number;
  repeated: boolean;
}

/** Everything that can happen to a feature, already translated from webhooks and job results. */
export type PipelineEvent =
  /** Trigger label, issue opened with the label, or `/build` on an issue without an active feature. */
  | { type: "start"; actor: Actor; commentId: number | null; replyWindow?: ReplyWindow }
  /** A slash command in a newly created human comment (issue or PR). */
  | {
      type: "command";
      command: Command;
      actor: Actor;
      commentId: number;
      /** The comment's `created_at`. */
      writtenAt?: string;
      /** Set by ingest: the comment was written before the artifact it would approve existed. */
      predatesArtifact?: boolean;
      replyWindow?: ReplyWindow;
    }
  /** The `practical:approve` label was applied. */
  | { type: "approve_label"; actor: Actor }
  /** A human comment that is not a command: conversation for the BA agent. */
  | { type: "comment"; actor: Actor; commentId: number }
  /** An agent finished; `artifactVersion` is the content hash or commit SHA it produced. */
  | {
      type: "agent_finished";
      agent: AgentName;
      artifactVersion: string | null;
      /** The commit changed protected files: they wait for `/approve protected`. */
      protectedChanges?: boolean;
    }
  /** An agent failed for good (retries exhausted, bad output, budget, rejected key…). */
  | { type: "agent_failed"; agent: AgentName; reason: string }
  /**
   * The three PR reviews finished; `failed` names the reviews that did not pass. `ci` is the
   * head's CI as recorded when they finished (absent: not followed, the reviews alone decide).
   */
  | { type: "review_verdict"; pass: boolean; failed: string[]; ci?: CiReport }
  /** The repository's CI reached a result on the feature branch's head (the app's last commit). */
  | ({ type: "ci_reported" } & CiReport)
  /** A submitted PR review requested changes. */
  | { type: "changes_requested"; actor: Actor; reviewId: number }
  /** A check run's "Fix findings" button was pressed. */
  | { type: "fix_findings"; actor: Actor; checkRunId: number }
  /** A check run's "Re-run review" button, or GitHub's own re-run of one of the app's check runs. */
  /** `source` names the button pressed (`check-run-<id>` or `check-suite-<id>`), for reply keys. */
  /** The app was uninstalled: unfinished work stops, and nothing is said (GitHub is out of reach). */
  | { type: "uninstalled" }
  | { type: "rerun_reviews"; actor: Actor; source: string }
  | { type: "pr_merged"; actor: Actor }
  | { type: "pr_closed"; actor: Actor }
  /** The maintenance sweep found the feature in a working stage for too long. */
  | { type: "stuck"; minutes: number };

/** The repository's CI on one commit: every other app's check runs and the commit statuses. */
export interface CiReport {
  sha: string;
  /** `none`: nothing reported within the wait; `pending`: something still runs (or may yet). */
  state: "success" | "failure" | "pending" | "none";
  /** Names of the failing checks. */
  failing: string[];
  /** One line on the failure, quoted when the feature stops. */
  detail?: string;
  /** Red on a plan task's commit: the task a fix round goes back to (see `taskToFix`). */
  task?: string;
}

export type PipelineEventType = PipelineEvent["type"];
