import { describe, expect, it } from "vitest";
import type { CommandName } from "../../../src/core/commands.ts";
import type { Effect } from "../../../src/core/effects.ts";
import type { PipelineEvent } from "../../../src/core/events.ts";
import {
  type Actor,
  AGENTS,
  type Feature,
  GATE_STAGE,
  GATES,
  STAGES,
  type Stage,
  TERMINAL_STAGES,
} from "../../../src/core/feature.ts";
import { APPROVE_LABEL, startFeature, transition } from "../../../src/core/pipeline.ts";
import { availableCommands, gateOf, nextStage } from "../../../src/core/stages.ts";
import { AUTHOR, featureAt, MAINTAINER, READER, VARIANTS, VERSIONS } from "./pipeline-fixtures.ts";

let nextCommentId = 1000;
function command(name: CommandName, argument = "", actor: Actor = MAINTAINER): PipelineEvent {
  return { type: "command", command: { name, argument }, actor, commentId: nextCommentId++ };
}

/** Apply an event and save like the store does (version + 1). */
function step(feature: Feature, event: PipelineEvent): { feature: Feature; effects: Effect[] } {
  const result = transition(feature, event);
  return { feature: { ...result.feature, version: feature.version + 1 }, effects: result.effects };
}

function ofType<T extends Effect["type"]>(
  effects: Effect[],
  type: T,
): Extract<Effect, { type: T }>[] {
  return effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);
}

function replyOf(effects: Effect[]): Extract<Effect, { type: "reply" }> | undefined {
  return ofType(effects, "reply")[0];
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

describe("startFeature", () => {
  const init = { id: 7, issueAuthor: "alice", maxFixRounds: 2, allowSelfApproval: false };

  it("starts in drafting with 👀, the BA and the status comment", () => {
    const result = startFeature(init, { type: "start", actor: MAINTAINER, commentId: 11 });
    expect(result.feature).toMatchObject({
      id: 7,
      stage: "drafting",
      version: 0,
      checkpoint: null,
      fixRounds: 0,
      ciFixRounds: 0,
      artifacts: {},
      approvals: {},
      issueAuthor: "alice",
      failureReason: null,
    });
    expect(result.effects).toEqual([
      { type: "react", commentId: 11, content: "eyes" },
      { type: "run_agent", agent: "ba", key: "ba-start", commentId: 11 },
      { type: "sync_status" },
    ]);
  });

  it("a label start reacts on the issue itself (commentId null)", () => {
    const result = startFeature(init, { type: "start", actor: MAINTAINER, commentId: null });
    expect(result.effects[0]).toEqual({ type: "react", commentId: null, content: "eyes" });
    expect(result.effects[1]).toEqual({ type: "run_agent", agent: "ba", key: "ba-start" });
  });

  it("refuses actors without write access: no feature, one reply", () => {
    const result = startFeature(init, { type: "start", actor: READER, commentId: 11 });
    expect(result.feature).toBeNull();
    expect(result.effects.map((e) => e.type)).toEqual(["react", "reply"]);
    expect(replyOf(result.effects)).toMatchObject({
      view: "unauthorized",
      data: { command: "build", needed: "write", actor: "mallory" },
    });
  });

  it("a trigger label set by someone without write access starts nothing and says who can", () => {
    const result = startFeature(init, { type: "start", actor: READER, commentId: null });
    expect(result.feature).toBeNull();
    expect(result.effects).toEqual([
      {
        type: "reply",
        view: "label_start_refused",
        key: "start-v0-label_start_refused",
        data: { actor: "mallory" },
        shared: true,
      },
    ]);
  });
});

describe("happy path", () => {
  it("goes from an issue to a merged PR through four approvals", () => {
    const started = startFeature(
      { id: 1, issueAuthor: "alice", maxFixRounds: 2, allowSelfApproval: false },
      { type: "start", actor: MAINTAINER, commentId: null },
    );
    if (started.feature === null) throw new Error("not started");
    let f: Feature = { ...started.feature, version: 1 };
    const stages: Stage[] = [f.stage];
    const approvals: Effect[] = [];
    const run = (event: PipelineEvent): Effect[] => {
      const r = step(f, event);
      f = r.feature;
      stages.push(f.stage);
      approvals.push(...ofType(r.effects, "record_approval"));
      return r.effects;
    };

    run({ type: "comment", actor: AUTHOR, commentId: 2 });
    expect(run({ type: "agent_finished", agent: "ba", artifactVersion: "brief1" })).toContainEqual({
      type: "run_agent",
      agent: "alignment_review",
      key: "alignment-brief-v2",
      gate: "brief",
    });
    run({ type: "agent_finished", agent: "alignment_review", artifactVersion: null });
    expect(run(command("approve"))).toContainEqual({
      type: "run_agent",
      agent: "spec",
      key: "spec-v4",
    });
    run({ type: "agent_finished", agent: "spec", artifactVersion: "spec1" });
    run(command("approve", "spec"));
    run({ type: "agent_finished", agent: "plan", artifactVersion: "plan1" });
    run({ type: "approve_label", actor: MAINTAINER });
    run({ type: "agent_finished", agent: "tests", artifactVersion: "tests1" });
    run(command("approve"));
    expect(run({ type: "agent_finished", agent: "implement", artifactVersion: "c0de" })).toEqual([
      { type: "run_agent", agent: "docs", key: "docs-v11" },
      { type: "sync_status" },
    ]);
    expect(run({ type: "agent_finished", agent: "docs", artifactVersion: "d0c5" })).toEqual([
      { type: "run_reviews", key: "reviews-v12" },
      { type: "sync_status" },
    ]);
    const ready = run({ type: "review_verdict", pass: true, failed: [] });
    // The PR is marked ready and the issue told so in one request.
    expect(ready.map((e) => e.type)).toEqual(["mark_pr_ready", "sync_status"]);
    expect(ready[0]).toMatchObject({ announce: { view: "ready_for_review" } });
    const merged = run({ type: "pr_merged", actor: MAINTAINER });
    expect(merged).toContainEqual({ type: "close_issue", reason: "completed" });
    // The merge is announced by GitHub; the status comment shows the feature done.
    expect(merged.map((e) => e.type)).toEqual(["close_issue", "sync_status"]);

    expect(stages).toEqual([
      "drafting",
      "drafting",
      "drafting",
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
      "awaiting_merge",
      "done",
    ]);
    expect(f.approvals).toEqual({ brief: "brief1", spec: "spec1", plan: "plan1", tests: "tests1" });
    expect(f.artifacts).toEqual({ brief: "brief1", spec: "spec1", plan: "plan1", tests: "tests1" });
    expect(approvals).toEqual([
      { type: "record_approval", gate: "brief", approver: "bob", artifactVersion: "brief1" },
      { type: "record_approval", gate: "spec", approver: "bob", artifactVersion: "spec1" },
      { type: "record_approval", gate: "plan", approver: "bob", artifactVersion: "plan1" },
      { type: "record_approval", gate: "tests", approver: "bob", artifactVersion: "tests1" },
    ]);
  });
});

describe("permissions", () => {
  const writeCommands: CommandName[] = ["build", "approve", "revise", "retry", "cancel", "fix"];

  it.each(writeCommands)("/%s is refused for read, triage and none", (name) => {
    for (const permission of ["read", "triage", "none"] as const) {
      const actor = { login: "mallory", permission };
      const event = command(name, "x", actor);
      const result = transition(featureAt("spec_ready"), event);
      expect(result.to).toBe("spec_ready");
      expect(result.effects).toEqual([
        {
          type: "react",
          commentId: (event as { commentId: number }).commentId,
          content: "confused",
        },
        expect.objectContaining({
          type: "reply",
          view: "unauthorized",
          data: expect.objectContaining({ command: name, needed: "write", actor: "mallory" }),
        }),
      ]);
    }
  });

  it.each(["admin", "maintain", "write"] as const)("%s may approve", (permission) => {
    const result = transition(
      featureAt("spec_ready"),
      command("approve", "", { login: "x", permission }),
    );
    expect(result.to).toBe("plan_generating");
  });

  it("an unreadable permission is refused and the reply says it was not verified", () => {
    const result = transition(
      featureAt("spec_ready"),
      command("approve", "", { login: "bob", permission: "unknown" }),
    );
    expect(result.to).toBe("spec_ready");
    expect(replyOf(result.effects)).toMatchObject({
      view: "unauthorized",
      data: { verified: false, permission: "unknown" },
    });
  });

  it.each(["status", "help"] as const)("/%s is open to anyone", (name) => {
    const result = transition(featureAt("plan_ready"), command(name, "", READER));
    expect(result.effects[0]).toMatchObject({ type: "react", content: "eyes" });
    expect(replyOf(result.effects)?.view).toBe(name);
  });

  it("comments from strangers are not sent to the BA; the author's and collaborators' are", () => {
    const f = featureAt("drafting");
    expect(transition(f, { type: "comment", actor: READER, commentId: 5 }).effects).toEqual([]);
    expect(
      transition(f, {
        type: "comment",
        actor: { login: "ALICE", permission: "none" },
        commentId: 5,
      }).effects,
    ).toEqual([
      { type: "react", commentId: 5, content: "eyes" },
      { type: "run_agent", agent: "ba", key: "comment-5", commentId: 5 },
    ]);
    const triage = { login: "tia", permission: "triage" } as const;
    expect(
      ofType(transition(f, { type: "comment", actor: triage, commentId: 6 }).effects, "run_agent"),
    ).toHaveLength(1);
  });
});

describe("approvals", () => {
  it("an approval naming another version is stale and says which is current", () => {
    const result = transition(featureAt("spec_ready"), command("approve", "deadbeef"));
    expect(result.to).toBe("spec_ready");
    expect(replyOf(result.effects)).toMatchObject({
      view: "stale_approval",
      data: { gate: "spec", current: VERSIONS.spec, given: "deadbeef" },
    });
    expect(ofType(result.effects, "record_approval")).toEqual([]);
  });

  it("a version prefix (any case, words after it ignored) approves", () => {
    const prefix = VERSIONS.spec.slice(0, 4).toUpperCase();
    const result = transition(featureAt("spec_ready"), command("approve", `${prefix} looks good`));
    expect(result.to).toBe("plan_generating");
    expect(result.feature.approvals.spec).toBe(VERSIONS.spec);
    expect(ofType(result.effects, "record_approval")).toEqual([
      { type: "record_approval", gate: "spec", approver: "bob", artifactVersion: VERSIONS.spec },
    ]);
  });

  it("the issue author cannot approve their own feature unless allowed", () => {
    const author = { login: "Alice", permission: "admin" } as const;
    const refused = transition(featureAt("tests_ready"), command("approve", "", author));
    expect(refused.to).toBe("tests_ready");
    expect(replyOf(refused.effects)).toMatchObject({
      view: "self_approval",
      data: { gate: "tests" },
    });

    const allowed = transition(
      featureAt("tests_ready", { allowSelfApproval: true }),
      command("approve", "", author),
    );
    expect(allowed.to).toBe("implementing");
  });

  it("checks staleness before self-approval", () => {
    const author = { login: "alice", permission: "write" } as const;
    const result = transition(featureAt("plan_ready"), command("approve", "0000", author));
    expect(replyOf(result.effects)?.view).toBe("stale_approval");
  });

  it("/approve in drafting before the brief exists has nothing to approve", () => {
    const result = transition(featureAt("drafting", { artifacts: {} }), command("approve"));
    expect(result.to).toBe("drafting");
    expect(replyOf(result.effects)).toMatchObject({
      view: "nothing_to_approve",
      data: { gate: "brief" },
    });
  });

  it("/approve at a stage without a gate is not now, with the commands that apply", () => {
    const result = transition(featureAt("implementing"), command("approve"));
    expect(replyOf(result.effects)).toMatchObject({
      view: "not_now",
      data: { stage: "implementing", command: "approve", available: ["cancel", "status", "help"] },
    });
  });

  describe("the practical:approve label is removed whatever the outcome", () => {
    const remove = { type: "remove_label", name: APPROVE_LABEL };
    it.each([
      ["approved", featureAt("spec_ready"), MAINTAINER],
      ["unauthorized", featureAt("spec_ready"), READER],
      ["not_now", featureAt("reviewing"), MAINTAINER],
      ["nothing_to_approve", featureAt("drafting", { artifacts: {} }), MAINTAINER],
      ["self_approval", featureAt("spec_ready"), { login: "alice", permission: "write" }],
      ["not_now", featureAt("done"), MAINTAINER],
    ] as const)("%s", (view, feature, actor) => {
      const result = transition(feature, { type: "approve_label", actor });
      expect(result.effects.at(-1)).toEqual(remove);
      expect(ofType(result.effects, "remove_label")).toHaveLength(1);
      expect(replyOf(result.effects)?.view).toBe(view);
      expect(ofType(result.effects, "react")).toEqual([]);
    });
  });

  it("a label approval records the approver and starts the next agent", () => {
    const result = transition(featureAt("drafting"), { type: "approve_label", actor: MAINTAINER });
    expect(result.to).toBe("spec_generating");
    expect(result.feature.approvals).toEqual({ brief: VERSIONS.brief });
    expect(ofType(result.effects, "run_agent")).toEqual([
      { type: "run_agent", agent: "spec", key: "spec-v7" },
    ]);
    expect(replyOf(result.effects)?.key).toBe("label-v7-approved");
  });
});

describe("agent results", () => {
  it("a new brief in drafting is recorded and reviewed; an unchanged or conversational one only refreshes", () => {
    const f = featureAt("drafting", { artifacts: {} });
    const first = transition(f, { type: "agent_finished", agent: "ba", artifactVersion: "b2" });
    expect(first.feature.artifacts.brief).toBe("b2");
    expect(first.effects).toEqual([
      { type: "run_agent", agent: "alignment_review", key: "alignment-brief-v7", gate: "brief" },
      { type: "sync_status" },
    ]);
    const same = transition(first.feature, {
      type: "agent_finished",
      agent: "ba",
      artifactVersion: "b2",
    });
    expect(same.effects).toEqual([{ type: "sync_status" }]);
    const chat = transition(f, { type: "agent_finished", agent: "ba", artifactVersion: null });
    expect(chat.effects).toEqual([{ type: "sync_status" }]);
    expect(chat.feature).toEqual(f);
  });

  it.each([
    ["spec_generating", "spec", "spec_ready", "spec"],
    ["plan_generating", "plan", "plan_ready", "plan"],
    ["tests_generating", "tests", "tests_ready", "tests"],
  ] as const)(
    "%s + %s → %s records the artifact and runs the gate review",
    (stage, agent, to, gate) => {
      const result = transition(featureAt(stage), {
        type: "agent_finished",
        agent,
        artifactVersion: "new1",
      });
      expect(result.to).toBe(to);
      expect(result.feature.artifacts[gate]).toBe("new1");
      expect(result.effects[0]).toEqual({
        type: "run_agent",
        agent: "alignment_review",
        key: `alignment-${gate}-v7`,
        gate,
      });
    },
  );

  it("a gate agent that finishes without an artifact fails the stage (fail closed)", () => {
    const result = transition(featureAt("plan_generating"), {
      type: "agent_finished",
      agent: "plan",
      artifactVersion: null,
    });
    expect(result.to).toBe("failed");
    expect(result.feature.checkpoint).toBe("plan_generating");
  });

  it("late results after cancel are ignored", () => {
    let f = featureAt("spec_generating");
    f = step(f, command("cancel")).feature;
    expect(f.stage).toBe("cancelled");
    for (const agent of AGENTS) {
      expect(
        transition(f, { type: "agent_finished", agent, artifactVersion: "x" }).effects,
      ).toEqual([]);
      expect(transition(f, { type: "agent_failed", agent, reason: "x" }).effects).toEqual([]);
    }
  });

  it("an agent failure in a working stage fails with a checkpoint and offers /retry", () => {
    const result = transition(featureAt("tests_generating"), {
      type: "agent_failed",
      agent: "tests",
      reason: "Output failed its schema twice",
    });
    expect(result.feature).toMatchObject({
      stage: "failed",
      checkpoint: "tests_generating",
      failureReason: "Output failed its schema twice",
    });
    expect(replyOf(result.effects)).toMatchObject({
      view: "failed",
      key: "v7-failed",
      data: { reason: "Output failed its schema twice", stage: "tests_generating", retry: true },
    });
  });

  it("a BA failure keeps the feature where it is", () => {
    const result = transition(featureAt("drafting"), {
      type: "agent_failed",
      agent: "ba",
      reason: "429",
    });
    expect(result.to).toBe("drafting");
    expect(result.feature).toEqual(featureAt("drafting"));
    expect(replyOf(result.effects)).toMatchObject({
      view: "failed",
      data: { agent: "ba", stage: "drafting", retry: false },
    });
  });

  it("stuck fails a working stage naming the minutes, cancels the job, and is ignored elsewhere", () => {
    const result = transition(featureAt("implementing"), { type: "stuck", minutes: 90 });
    expect(result.to).toBe("failed");
    expect(result.feature.failureReason).toContain("90 minutes");
    expect(result.effects[0]).toEqual({ type: "cancel_jobs" });
    for (const stage of ["drafting", "spec_ready", "awaiting_merge", "failed", "done"] as const) {
      expect(transition(featureAt(stage), { type: "stuck", minutes: 90 }).effects).toEqual([]);
    }
  });
});

describe("the docs stage", () => {
  const implemented: PipelineEvent = {
    type: "agent_finished",
    agent: "implement",
    artifactVersion: "c0de",
  };

  it("comes after the code and before the reviews; `docs: false` goes straight to the reviews", () => {
    const documenting = step(featureAt("implementing"), implemented);
    expect(documenting.feature.stage).toBe("documenting");
    expect(ofType(documenting.effects, "run_agent")).toEqual([
      { type: "run_agent", agent: "docs", key: "docs-v7" },
    ]);
    const reviewing = step(documenting.feature, {
      type: "agent_finished",
      agent: "docs",
      artifactVersion: "d0c5",
    });
    expect(reviewing.feature.stage).toBe("reviewing");
    expect(ofType(reviewing.effects, "run_reviews")).toEqual([
      { type: "run_reviews", key: "reviews-v8" },
    ]);
    // A docs run that changed nothing (no commit, no version) moves on the same way.
    expect(
      transition(featureAt("documenting"), {
        type: "agent_finished",
        agent: "docs",
        artifactVersion: null,
      }).to,
    ).toBe("reviewing");

    const off = transition(featureAt("implementing", { docs: false }), implemented);
    expect(off.to).toBe("reviewing");
    expect(ofType(off.effects, "run_agent")).toEqual([]);
  });

  it("fix rounds do not run the docs again", () => {
    const fixed = transition(featureAt("fixing"), implemented);
    expect(fixed.to).toBe("reviewing");
    expect(ofType(fixed.effects, "run_agent")).toEqual([]);
  });

  it("a docs failure fails the feature at documenting; /retry runs the docs agent again", () => {
    const failed = step(featureAt("documenting"), {
      type: "agent_failed",
      agent: "docs",
      reason: "the docs agent did not finish within 40 turns",
    });
    expect(failed.feature).toMatchObject({
      stage: "failed",
      checkpoint: "documenting",
      failureReason: "the docs agent did not finish within 40 turns",
    });
    expect(replyOf(failed.effects)).toMatchObject({
      view: "failed",
      data: { stage: "documenting", retry: true },
    });
    // The code is committed but not reviewed yet: /retry, not /fix.
    expect(availableCommands(failed.feature)).toEqual(["retry", "cancel", "status", "help"]);

    const retried = step(failed.feature, command("retry"));
    expect(retried.feature).toMatchObject({ stage: "documenting", checkpoint: null });
    expect(ofType(retried.effects, "cancel_jobs")).toHaveLength(1);
    expect(ofType(retried.effects, "run_agent")).toEqual([
      { type: "run_agent", agent: "docs", key: `docs-v${failed.feature.version}` },
    ]);
    // A late result of the failed run, or of another agent, does not move it.
    expect(
      transition(failed.feature, { type: "agent_finished", agent: "docs", artifactVersion: "x" })
        .to,
    ).toBe("failed");
    expect(transition(featureAt("documenting"), implemented).to).toBe("documenting");
  });

  it("/cancel and the stuck sweep stop the docs agent's job", () => {
    const cancelled = transition(featureAt("documenting"), command("cancel"));
    expect(cancelled.to).toBe("cancelled");
    expect(ofType(cancelled.effects, "cancel_jobs")).toHaveLength(1);

    const stuck = transition(featureAt("documenting"), { type: "stuck", minutes: 60 });
    expect(stuck.feature).toMatchObject({ stage: "failed", checkpoint: "documenting" });
    expect(stuck.feature.failureReason).toBe("No progress at `documenting` for 60 minutes.");
    expect(ofType(stuck.effects, "cancel_jobs")).toHaveLength(1);
  });

  it("a docs commit that changes protected files leaves them pending", () => {
    const r = transition(featureAt("documenting"), {
      type: "agent_finished",
      agent: "docs",
      artifactVersion: "d0c5",
      protectedChanges: true,
    });
    expect(r.feature).toMatchObject({ stage: "reviewing", protectedPending: "d0c5" });
  });
});

describe("fix loop", () => {
  it("fixes up to maxFixRounds, then fails; /retry resumes fixing with fresh rounds", () => {
    let f = featureAt("reviewing", { maxFixRounds: 2 });
    const verdict: PipelineEvent = {
      type: "review_verdict",
      pass: false,
      failed: ["security", "code"],
    };

    for (const round of [1, 2]) {
      const r = step(f, verdict);
      f = r.feature;
      expect(f.stage).toBe("fixing");
      expect(f.fixRounds).toBe(round);
      const [job] = ofType(r.effects, "run_agent");
      expect(job).toMatchObject({
        agent: "implement",
        fix: { kind: "reviews", failed: ["security", "code"] },
        instructions: expect.stringContaining("security, code"),
      });
      f = step(f, { type: "agent_finished", agent: "implement", artifactVersion: "c" }).feature;
      expect(f.stage).toBe("reviewing");
    }

    const failed = step(f, verdict);
    f = failed.feature;
    expect(f.stage).toBe("failed");
    expect(f.checkpoint).toBe("fixing");
    expect(f.failureReason).toMatch(/2 fix rounds.*security, code/);
    expect(replyOf(failed.effects)?.view).toBe("failed");

    const retried = step(f, command("retry"));
    expect(retried.feature).toMatchObject({
      stage: "fixing",
      fixRounds: 0,
      checkpoint: null,
      failureReason: null,
    });
    expect(ofType(retried.effects, "run_agent")[0]).toMatchObject({
      agent: "implement",
      key: `implement-fix-v${f.version}`,
      fix: { kind: "retry", reason: expect.stringContaining("security") },
    });
    expect(replyOf(retried.effects)).toMatchObject({ view: "retrying", data: { stage: "fixing" } });
  });

  it("maxFixRounds 0 fails on the first failing verdict", () => {
    const r = transition(featureAt("reviewing", { maxFixRounds: 0 }), {
      type: "review_verdict",
      pass: false,
      failed: ["code"],
    });
    expect(r.to).toBe("failed");
  });

  it("a pass that names failed reviews is a failure", () => {
    const r = transition(featureAt("reviewing"), {
      type: "review_verdict",
      pass: true,
      failed: ["security"],
    });
    expect(r.to).toBe("fixing");
  });

  it.each([
    ["reviewing", "run_reviews"],
    ["spec_generating", "run_agent"],
    ["implementing", "run_agent"],
  ] as const)("/retry from checkpoint %s queues %s", (checkpoint, type) => {
    const r = transition(featureAt("failed", { checkpoint, fixRounds: 2 }), command("retry"));
    expect(r.to).toBe(checkpoint);
    expect(r.feature.fixRounds).toBe(0);
    // The failed run's jobs still running are superseded before the new one starts.
    expect(r.effects[1]?.type).toBe("cancel_jobs");
    expect(r.effects[2]?.type).toBe(type);
  });

  it("fifty /retry in a row queue one job", () => {
    let f = featureAt("failed", { checkpoint: "spec_generating" });
    const jobs: string[] = [];
    for (let i = 0; i < 50; i++) {
      const r = step(f, command("retry"));
      f = r.feature;
      jobs.push(...ofType(r.effects, "run_agent").map((e) => e.key));
    }
    expect(jobs).toEqual(["spec-v7"]);
  });

  it("the same /retry delivered twice to the same feature yields the same job key", () => {
    const f = featureAt("failed", { checkpoint: "plan_generating" });
    const event = command("retry");
    expect(transition(f, event).effects).toEqual(transition(f, event).effects);
  });
});

describe("after the PR is ready", () => {
  it("human requests go to fixing, unbounded, resetting the automatic rounds", () => {
    const f = featureAt("awaiting_merge", { fixRounds: 2, ciFixRounds: 2, maxFixRounds: 2 });
    const byFix = transition(f, command("fix", "Rename the endpoint"));
    expect(byFix.feature).toMatchObject({ stage: "fixing", fixRounds: 0, ciFixRounds: 0 });
    expect(ofType(byFix.effects, "run_agent")[0]).toMatchObject({
      agent: "implement",
      instructions: "Rename the endpoint",
      fix: { kind: "fix_command", by: "bob" },
    });
    const byReview = transition(f, { type: "changes_requested", actor: MAINTAINER, reviewId: 9 });
    expect(ofType(byReview.effects, "run_agent")[0]?.fix).toEqual({
      kind: "changes_requested",
      reviewId: 9,
      by: "bob",
    });
    const byButton = transition(f, { type: "fix_findings", actor: MAINTAINER, checkRunId: 3 });
    expect(ofType(byButton.effects, "run_agent")[0]?.fix).toEqual({
      kind: "fix_findings",
      checkRunId: 3,
      by: "bob",
    });
  });

  it("/fix without text explains the usage", () => {
    const r = transition(featureAt("awaiting_merge"), command("fix", "  "));
    expect(r.to).toBe("awaiting_merge");
    expect(replyOf(r.effects)).toMatchObject({
      view: "not_now",
      data: { usage: "/fix <what to change>" },
    });
  });

  it("/fix while reviews run is not now", () => {
    expect(replyOf(transition(featureAt("reviewing"), command("fix", "x")).effects)?.view).toBe(
      "not_now",
    );
  });

  it("CI failures are fixed a bounded number of times, not reset by passing reviews", () => {
    let f = featureAt("awaiting_merge", { maxCiFixRounds: 2 });
    const ci: PipelineEvent = {
      type: "ci_reported",
      sha: "c0de0077",
      state: "failure",
      failing: ["test"],
    };
    for (const round of [1, 2]) {
      const r = step(f, ci);
      f = r.feature;
      expect(f).toMatchObject({ stage: "fixing", ciFixRounds: round });
      expect(ofType(r.effects, "run_agent")[0]?.fix).toMatchObject({ kind: "ci", sha: "c0de0077" });
      f = step(f, { type: "agent_finished", agent: "implement", artifactVersion: "c" }).feature;
      f = step(f, { type: "review_verdict", pass: true, failed: [] }).feature;
      expect(f).toMatchObject({ stage: "awaiting_merge", ciFixRounds: round });
    }
    const r = step(f, ci);
    expect(r.feature).toMatchObject({ stage: "failed", checkpoint: "fixing" });
    expect(r.feature.failureReason).toContain("CI still failing");
  });

  it("merging from a working stage cancels the running job", () => {
    const r = transition(featureAt("fixing"), { type: "pr_merged", actor: MAINTAINER });
    expect(r.effects.map((e) => e.type)).toEqual(["cancel_jobs", "close_issue", "sync_status"]);
  });
});

describe("/revise", () => {
  it("at a gate restarts from the spec, keeping only the brief and its approval", () => {
    const r = transition(featureAt("tests_ready"), command("revise", "Support pagination."));
    expect(r.to).toBe("spec_generating");
    expect(r.feature.artifacts).toEqual({ brief: VERSIONS.brief });
    expect(r.feature.approvals).toEqual({ brief: VERSIONS.brief });
    expect(ofType(r.effects, "run_agent")).toEqual([
      { type: "run_agent", agent: "spec", key: "spec-v7", instructions: "Support pagination." },
    ]);
  });

  it("in drafting goes to the BA (with or without a brief) and never skips the brief gate", () => {
    for (const artifacts of [{}, { brief: VERSIONS.brief }]) {
      const event = command("revise", "Also export CSV.");
      const r = transition(featureAt("drafting", { artifacts }), event);
      expect(r.to).toBe("drafting");
      expect(ofType(r.effects, "run_agent")).toEqual([
        {
          type: "run_agent",
          agent: "ba",
          key: `comment-${(event as { commentId: number }).commentId}`,
          commentId: (event as { commentId: number }).commentId,
          instructions: "Also export CSV.",
        },
      ]);
    }
  });

  it("without text explains the usage", () => {
    const r = transition(featureAt("spec_ready"), command("revise", ""));
    expect(r.to).toBe("spec_ready");
    expect(replyOf(r.effects)).toMatchObject({
      view: "not_now",
      data: { usage: "/revise <what to change>" },
    });
  });
});

describe("/cancel and /build", () => {
  const active = STAGES.filter((s) => !(TERMINAL_STAGES as readonly Stage[]).includes(s));

  it.each(active)("cancels from %s", (stage) => {
    const r = transition(featureAt(stage), command("cancel"));
    expect(r.to).toBe("cancelled");
    expect(r.effects.map((e) => e.type)).toEqual(["react", "cancel_jobs", "sync_status", "reply"]);
    expect(replyOf(r.effects)?.view).toBe("cancelled");
  });

  it.each(TERMINAL_STAGES)("/cancel in %s is not now", (stage) => {
    expect(replyOf(transition(featureAt(stage), command("cancel")).effects)?.view).toBe("not_now");
  });

  it.each(["cancelled", "abandoned"] as const)(
    "/build after %s restarts clean in drafting",
    (stage) => {
      const r = transition(featureAt(stage, { fixRounds: 2, ciFixRounds: 1 }), command("build"));
      expect(r.feature).toMatchObject({
        stage: "drafting",
        artifacts: {},
        approvals: {},
        fixRounds: 0,
        ciFixRounds: 0,
        checkpoint: null,
      });
      expect(ofType(r.effects, "run_agent")[0]).toMatchObject({ agent: "ba", key: "ba-v7" });
    },
  );

  it("/build on a done feature is not now (open a new issue)", () => {
    expect(replyOf(transition(featureAt("done"), command("build")).effects)?.view).toBe("not_now");
  });
});

describe("keys", () => {
  it("applying the same event twice gives identical effect keys, for every stage and variant", () => {
    for (const stage of STAGES) {
      for (const event of Object.values(VARIANTS)) {
        const keys = (r: { effects: Effect[] }) =>
          r.effects.map((e) => ("key" in e ? e.key : e.type));
        expect(keys(transition(featureAt(stage), event))).toEqual(
          keys(transition(featureAt(stage), event)),
        );
      }
    }
  });

  it("job keys change with the version, so a later transition queues a new job", () => {
    const a = transition(featureAt("spec_ready", { version: 3 }), command("approve"));
    const b = transition(featureAt("spec_ready", { version: 4 }), command("approve"));
    expect(ofType(a.effects, "run_agent")[0]?.key).toBe("plan-v3");
    expect(ofType(b.effects, "run_agent")[0]?.key).toBe("plan-v4");
  });

  it("replies to commands are keyed by the comment, so two /status at one version both answer", () => {
    const f = featureAt("spec_ready");
    const a = replyOf(transition(f, command("status")).effects)?.key;
    const b = replyOf(transition(f, command("status")).effects)?.key;
    expect(a).not.toBe(b);
  });
});

describe("queries", () => {
  it("gateOf and nextStage cover every stage", () => {
    for (const stage of STAGES) {
      const next = nextStage(stage);
      if (next !== null) expect(STAGES).toContain(next);
    }
    for (const gate of GATES) expect(gateOf(GATE_STAGE[gate])).toBe(gate);
    expect(gateOf("implementing")).toBeNull();
    expect(nextStage("tests_ready")).toBe("implementing");
    expect(nextStage("fixing")).toBe("reviewing");
    expect(nextStage("done")).toBeNull();
  });

  it.each([
    ["drafting", {}, ["cancel", "status", "help"]],
    ["drafting", undefined, ["approve", "revise", "cancel", "status", "help"]],
    ["plan_ready", undefined, ["approve", "revise", "cancel", "status", "help"]],
    ["implementing", undefined, ["cancel", "status", "help"]],
    ["awaiting_merge", undefined, ["cancel", "status", "help", "fix"]],
    ["failed", undefined, ["retry", "cancel", "status", "help", "fix"]],
    ["cancelled", undefined, ["build", "status", "help"]],
    ["done", undefined, ["status", "help"]],
  ] as const)("availableCommands(%s)", (stage, artifacts, expected) => {
    const f = featureAt(stage, artifacts === undefined ? {} : { artifacts });
    expect(availableCommands(f)).toEqual(expected);
  });

  it("failed before any code offers no /fix", () => {
    expect(availableCommands(featureAt("failed", { checkpoint: "spec_generating" }))).not.toContain(
      "fix",
    );
  });

  it("/help lists the commands that apply now", () => {
    const r = transition(featureAt("awaiting_merge"), command("help", "", READER));
    expect(replyOf(r.effects)?.data.commands).toEqual(
      availableCommands(featureAt("awaiting_merge")),
    );
  });
});

describe("robustness", () => {
  it("never mutates its input", () => {
    for (const stage of STAGES) {
      for (const event of Object.values(VARIANTS)) {
        const f = deepFreeze(featureAt(stage));
        expect(() => transition(f, deepFreeze(structuredClone(event)))).not.toThrow();
      }
    }
  });

  it("ignores events, commands and checkpoints it does not know (newer producers, corrupt rows)", () => {
    const f = featureAt("spec_ready");
    const unknownEvent = { type: "nope" } as unknown as PipelineEvent;
    expect(transition(f, unknownEvent)).toEqual({
      feature: f,
      effects: [],
      from: "spec_ready",
      to: "spec_ready",
    });
    const unknownCommand = command("status");
    (unknownCommand as { command: { name: string } }).command.name = "deploy";
    expect(transition(f, unknownCommand).effects).toEqual([]);
    const corrupt = featureAt("failed", {
      checkpoint: "spec_ready" as unknown as "spec_generating",
    });
    expect(replyOf(transition(corrupt, command("retry")).effects)?.view).toBe("not_now");
  });

  it("random walks never throw and keep the feature well-formed", () => {
    // A small deterministic PRNG (mulberry32) so failures reproduce.
    let seed = 12345;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const events = Object.values(VARIANTS);
    const extra: PipelineEvent[] = [
      { type: "agent_finished", agent: "spec", artifactVersion: null },
      { type: "review_verdict", pass: false, failed: [] },
      command("approve", "zzzz"),
      command("revise", ""),
      { type: "agent_finished", agent: "ba", artifactVersion: "b9" },
    ];
    const all = [...events, ...extra];
    for (let walk = 0; walk < 200; walk++) {
      let f = featureAt("drafting", { artifacts: {} });
      for (let i = 0; i < 60; i++) {
        const event = all[Math.floor(random() * all.length)];
        if (event === undefined) continue;
        const r = transition(f, event);
        expect(STAGES).toContain(r.feature.stage);
        expect(r.feature.version).toBe(f.version);
        if (r.feature.stage === "failed") expect(r.feature.checkpoint).not.toBeNull();
        expect(r.feature.fixRounds).toBeLessThanOrEqual(r.feature.maxFixRounds);
        for (const e of r.effects) {
          if (e.type === "run_agent" || e.type === "run_reviews" || e.type === "reply") {
            // Unique per transition, or (a BA failure) per kind of failure, edited in place.
            expect(e.key).toMatch(/v\d+|c\d+|comment-\d+|review-\d+|checkrun-\d+|^failed-ba-/);
          }
        }
        f = { ...r.feature, version: f.version + 1 };
      }
    }
  });
});
