// The feature as the pure core sees it: no database ids beyond `id`, no GitHub objects.

export const STAGES = [
  "drafting",
  "spec_generating",
  "spec_ready",
  "plan_generating",
  "plan_ready",
  "tests_generating",
  "tests_ready",
  "implementing",
  "documenting",
  "reviewing",
  "fixing",
  "awaiting_ci",
  "awaiting_merge",
  "done",
  "failed",
  "cancelled",
  "abandoned",
] as const;
export type Stage = (typeof STAGES)[number];

/** Stages in which an agent is working; the stuck sweep watches these. */
export const WORKING_STAGES = [
  "spec_generating",
  "plan_generating",
  "tests_generating",
  "implementing",
  "documenting",
  "reviewing",
  "fixing",
] as const satisfies readonly Stage[];
export type WorkingStage = (typeof WORKING_STAGES)[number];

export const TERMINAL_STAGES = [
  "done",
  "cancelled",
  "abandoned",
] as const satisfies readonly Stage[];

/** A gate is a human approval between stages; each approves one artifact. */
export const GATES = ["brief", "spec", "plan", "tests"] as const;
export type Gate = (typeof GATES)[number];

/** The stage in which each gate waits for `/approve`. */
export const GATE_STAGE: Record<Gate, Stage> = {
  brief: "drafting",
  spec: "spec_ready",
  plan: "plan_ready",
  tests: "tests_ready",
};

export const AGENTS = [
  "ba",
  "spec",
  "plan",
  "tests",
  "implement",
  "docs",
  "security_review",
  "code_review",
  "alignment_review",
  "title",
] as const;
export type AgentName = (typeof AGENTS)[number];

/** Repository permission as GitHub reports it; `unknown` when it could not be read. */
export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none" | "unknown";

export interface Actor {
  login: string;
  permission: Permission;
}

export interface Feature {
  id: number;
  stage: Stage;
  /** Compare-and-set version: every saved transition increments it. */
  version: number;
  /** The working stage a `/retry` resumes from, set when the feature fails. */
  checkpoint: WorkingStage | null;
  /** Automatic fix rounds used since the code was last committed by `implementing`. */
  fixRounds: number;
  maxFixRounds: number;
  /**
   * Automatic fix rounds started by a failing CI check suite. Reset only by a human asking for
   * work (`/fix`, a changes-requested review, "Fix findings", `/retry`), not by the reviews
   * passing: otherwise a CI that always fails would loop fix → review → ready → fix forever.
   */
  ciFixRounds: number;
  /** Bound of `ciFixRounds` (`ci_fix_rounds`); 3 when absent. */
  maxCiFixRounds?: number;
  /** Current version (content hash or commit SHA) of each gate's artifact. */
  artifacts: Partial<Record<Gate, string>>;
  /** The artifact version each gate was approved at. */
  approvals: Partial<Record<Gate, string>>;
  issueAuthor: string;
  allowSelfApproval: boolean;
  failureReason: string | null;
  /**
   * Whether the docs agent documents the code before the reviews (`docs` in the repository's
   * configuration when the feature started); true when absent.
   */
  docs?: boolean;
  /**
   * The commit whose changes to protected files (CI, tooling, package scripts) wait for
   * `/approve protected`; the pull request is not marked ready while it is set.
   */
  protectedPending?: string | null;
}
