// The stage tables and the small pure queries over them: which gate a stage waits at, which
// agent it runs, who may act and which commands mean something now. Read by the reducer
// (pipeline.ts), the views, the handlers and the jobs. What a stage is called, in each
// language, is view data (`stage.<id>` in views/locales/).

import { COMMAND_NAMES, type CommandName } from "./commands.ts";
import {
  type AgentName,
  type Feature,
  type Gate,
  type Permission,
  type Stage,
  TERMINAL_STAGES,
  WORKING_STAGES,
  type WorkingStage,
} from "./feature.ts";

export const WRITE_PERMISSIONS: ReadonlySet<Permission> = new Set(["admin", "maintain", "write"]);
/** Collaborators who may talk with the BA besides the issue author (labels need triage). */
export const CONVERSE_PERMISSIONS: ReadonlySet<Permission> = new Set([
  "admin",
  "maintain",
  "write",
  "triage",
]);
export const WRITE_COMMANDS: ReadonlySet<CommandName> = new Set([
  "build",
  "approve",
  "revise",
  "retry",
  "cancel",
  "fix",
]);

export const NEXT: Record<Stage, Stage | null> = {
  drafting: "spec_generating",
  spec_generating: "spec_ready",
  spec_ready: "plan_generating",
  plan_generating: "plan_ready",
  plan_ready: "tests_generating",
  tests_generating: "tests_ready",
  tests_ready: "implementing",
  implementing: "documenting",
  documenting: "reviewing",
  reviewing: "awaiting_merge",
  fixing: "reviewing",
  awaiting_ci: "awaiting_merge",
  awaiting_merge: "done",
  done: null,
  failed: null,
  cancelled: null,
  abandoned: null,
};

export const GATE_OF: Partial<Record<Stage, Gate>> = {
  drafting: "brief",
  spec_ready: "spec",
  plan_ready: "plan",
  tests_ready: "tests",
};

/** The agent whose result moves each stage on (reviewing waits for a `review_verdict`). */
export const STAGE_AGENT: Partial<Record<Stage, AgentName>> = {
  drafting: "ba",
  spec_generating: "spec",
  plan_generating: "plan",
  tests_generating: "tests",
  implementing: "implement",
  documenting: "docs",
  fixing: "implement",
};

export const REVIEW_AGENTS: ReadonlySet<AgentName> = new Set([
  "security_review",
  "code_review",
  "alignment_review",
]);

// Small pure queries, exported for views and handlers.

/** The gate that waits for `/approve` in this stage, or null. */
export function gateOf(stage: Stage): Gate | null {
  return GATE_OF[stage] ?? null;
}

/** The stage that follows on the happy path, or null for terminal and failed stages. */
export function nextStage(stage: Stage): Stage | null {
  return NEXT[stage] ?? null;
}

/** The agent whose `agent_finished` advances this stage (null for reviewing and resting stages). */
export function agentOf(stage: Stage): AgentName | null {
  return STAGE_AGENT[stage] ?? null;
}

export function isTerminal(stage: Stage): boolean {
  return (TERMINAL_STAGES as readonly Stage[]).includes(stage);
}

export function isWorkingStage(stage: Stage): stage is WorkingStage {
  return (WORKING_STAGES as readonly Stage[]).includes(stage);
}

export function hasWriteAccess(permission: Permission): boolean {
  return WRITE_PERMISSIONS.has(permission);
}

/** Whom the BA converses with: the issue author and collaborators with triage or more. */
export function isHeard(login: string, permission: string | null, issueAuthor: string): boolean {
  return (
    sameLogin(login, issueAuthor) ||
    (permission !== null && CONVERSE_PERMISSIONS.has(permission as Permission))
  );
}

/** Commands that do something in the feature's current state, in `COMMAND_NAMES` order. */
export function availableCommands(feature: Feature): CommandName[] {
  const now = new Set<CommandName>(["status", "help"]);
  const stage = feature.stage;
  if (stage === "drafting") {
    now.add("cancel");
    if (feature.artifacts.brief !== undefined) {
      now.add("approve");
      now.add("revise");
    }
  } else if (gateOf(stage) !== null) {
    now.add("approve");
    now.add("revise");
    now.add("cancel");
  } else if (isWorkingStage(stage)) {
    now.add("cancel");
  } else if (stage === "awaiting_merge" || stage === "awaiting_ci") {
    now.add("fix");
    now.add("cancel");
  } else if (stage === "failed") {
    now.add("retry");
    now.add("cancel");
    if (canHumanFix(feature)) now.add("fix");
  } else if (stage === "cancelled" || stage === "abandoned") {
    now.add("build");
  }
  return COMMAND_NAMES.filter((name) => now.has(name));
}

/** A person may ask for fixes once the code exists: a PR waiting for merge or CI, or failed in review. */
export function canHumanFix(f: Feature): boolean {
  return (
    f.stage === "awaiting_merge" ||
    f.stage === "awaiting_ci" ||
    (f.stage === "failed" && (f.checkpoint === "reviewing" || f.checkpoint === "fixing"))
  );
}

export function sameLogin(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
