// Shared fixtures for the pipeline tests: a typical feature in every stage and one event of
// every kind (commands with write and read permission, every agent).

import { COMMAND_NAMES } from "../../../src/core/commands.ts";
import type { PipelineEvent, PipelineEventType } from "../../../src/core/events.ts";
import {
  type Actor,
  AGENTS,
  type Feature,
  type Gate,
  STAGES,
  type Stage,
} from "../../../src/core/feature.ts";

export const AUTHOR: Actor = { login: "alice", permission: "read" };
export const MAINTAINER: Actor = { login: "bob", permission: "write" };
export const READER: Actor = { login: "mallory", permission: "read" };

export const VERSIONS: Record<Gate, string> = {
  brief: "b1e5f00d",
  spec: "5bec0001",
  plan: "91a40002",
  tests: "7e570003",
};

/** Gates whose artifact exists once a feature has reached each stage (on the happy path). */
const REACHED: Record<Stage, Gate[]> = {
  drafting: ["brief"],
  spec_generating: ["brief"],
  spec_ready: ["brief", "spec"],
  plan_generating: ["brief", "spec"],
  plan_ready: ["brief", "spec", "plan"],
  tests_generating: ["brief", "spec", "plan"],
  tests_ready: ["brief", "spec", "plan", "tests"],
  implementing: ["brief", "spec", "plan", "tests"],
  documenting: ["brief", "spec", "plan", "tests"],
  reviewing: ["brief", "spec", "plan", "tests"],
  fixing: ["brief", "spec", "plan", "tests"],
  awaiting_ci: ["brief", "spec", "plan", "tests"],
  awaiting_merge: ["brief", "spec", "plan", "tests"],
  done: ["brief", "spec", "plan", "tests"],
  failed: ["brief", "spec", "plan", "tests"],
  cancelled: ["brief", "spec", "plan", "tests"],
  abandoned: ["brief", "spec", "plan", "tests"],
};

/** A feature in `stage` with the artifacts and approvals that stage implies. */
export function featureAt(stage: Stage, over: Partial<Feature> = {}): Feature {
  const artifacts: Partial<Record<Gate, string>> = {};
  const approvals: Partial<Record<Gate, string>> = {};
  for (const gate of REACHED[stage]) {
    artifacts[gate] = VERSIONS[gate];
    // A gate's artifact is approved once the feature has moved past the gate's stage.
    const waiting =
      (gate === "brief" && stage === "drafting") ||
      (gate === "spec" && stage === "spec_ready") ||
      (gate === "plan" && stage === "plan_ready") ||
      (gate === "tests" && stage === "tests_ready");
    if (!waiting) approvals[gate] = VERSIONS[gate];
  }
  return {
    id: 42,
    stage,
    version: 7,
    checkpoint: stage === "failed" ? "reviewing" : null,
    fixRounds: 0,
    maxFixRounds: 2,
    ciFixRounds: 0,
    artifacts,
    approvals,
    issueAuthor: AUTHOR.login,
    allowSelfApproval: false,
    failureReason: stage === "failed" ? "code_review: model output failed its schema" : null,
    ...over,
  };
}

const ARGUMENTS: Record<string, string> = {
  revise: "Use POST instead of GET.",
  fix: "Handle an empty list.",
};

/** One event of every kind, named for the table. */
export const VARIANTS: Record<string, PipelineEvent> = {
  "start:write": { type: "start", actor: MAINTAINER, commentId: 100 },
  "start:read": { type: "start", actor: READER, commentId: 100 },
  ...Object.fromEntries(
    COMMAND_NAMES.flatMap((name) =>
      (
        [
          ["write", MAINTAINER],
          ["read", READER],
        ] as const
      ).map(([level, actor]): [string, PipelineEvent] => [
        `/${name}:${level}`,
        {
          type: "command",
          command: { name, argument: ARGUMENTS[name] ?? "" },
          actor,
          commentId: 200,
        },
      ]),
    ),
  ),
  "label:write": { type: "approve_label", actor: MAINTAINER },
  "label:read": { type: "approve_label", actor: READER },
  "comment:author": { type: "comment", actor: AUTHOR, commentId: 300 },
  "comment:stranger": { type: "comment", actor: READER, commentId: 300 },
  ...Object.fromEntries(
    AGENTS.map((agent): [string, PipelineEvent] => [
      `finished:${agent}`,
      { type: "agent_finished", agent, artifactVersion: "a1b2c3d4" },
    ]),
  ),
  ...Object.fromEntries(
    AGENTS.map((agent): [string, PipelineEvent] => [
      `failed:${agent}`,
      { type: "agent_failed", agent, reason: "overloaded" },
    ]),
  ),
  "verdict:pass": { type: "review_verdict", pass: true, failed: [] },
  "verdict:fail": { type: "review_verdict", pass: false, failed: ["security"] },
  "verdict:pass:ci-pending": {
    type: "review_verdict",
    pass: true,
    failed: [],
    ci: { sha: "c0de0001", state: "pending", failing: [] },
  },
  "verdict:pass:ci-red": {
    type: "review_verdict",
    pass: true,
    failed: [],
    ci: { sha: "c0de0001", state: "failure", failing: ["test"] },
  },
  "ci:success": { type: "ci_reported", sha: "c0de0001", state: "success", failing: [] },
  "ci:failure": { type: "ci_reported", sha: "c0de0001", state: "failure", failing: ["test"] },
  "ci:none": { type: "ci_reported", sha: "c0de0001", state: "none", failing: [] },
  "changes_requested:write": { type: "changes_requested", actor: MAINTAINER, reviewId: 400 },
  "changes_requested:read": { type: "changes_requested", actor: READER, reviewId: 400 },
  "fix_findings:write": { type: "fix_findings", actor: MAINTAINER, checkRunId: 600 },
  "fix_findings:read": { type: "fix_findings", actor: READER, checkRunId: 600 },
  "rerun:write": { type: "rerun_reviews", actor: MAINTAINER, source: "check-run-600" },
  "rerun:read": { type: "rerun_reviews", actor: READER, source: "check-run-600" },
  pr_merged: { type: "pr_merged", actor: MAINTAINER },
  pr_closed: { type: "pr_closed", actor: MAINTAINER },
  stuck: { type: "stuck", minutes: 45 },
  uninstalled: { type: "uninstalled" },
};

/** Every event kind; a new kind fails to compile here until it is listed (and tabled). */
export const EVENT_KINDS: Record<PipelineEventType, true> = {
  start: true,
  command: true,
  approve_label: true,
  comment: true,
  agent_finished: true,
  agent_failed: true,
  review_verdict: true,
  changes_requested: true,
  ci_reported: true,
  fix_findings: true,
  rerun_reviews: true,
  pr_merged: true,
  pr_closed: true,
  stuck: true,
  uninstalled: true,
};

export { STAGES };
