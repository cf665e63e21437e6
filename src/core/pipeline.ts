// The pipeline state machine (DESIGN §2): one pure, total function from (feature, event) to
// (feature, effects). No I/O, no clock, never throws. Handlers persist the result with a
// compare-and-set on `version` and only then perform the effects.
//
// Conventions:
// - `version` is never changed here; the store increments it on save. Effect keys that must be
//   unique per transition embed `v<version>` (jobs, replies to machine events) or the triggering
//   comment id (`c<id>-<view>`, `comment-<id>`), so applying the same event to the same feature
//   twice yields the same keys and the performers dedupe the second run.
// - Effect order: react, state effects (record_approval, cancel_jobs, run_*, mark_pr_ready,
//   close_issue), sync_status, reply, remove_label.

import { approvesProtected, type Command, type CommandName } from "./commands.ts";
import type { Effect, FixSource, ReplyEffect, ReplyView, TransitionResult } from "./effects.ts";
import type { CiReport, PipelineEvent, ReplyWindow } from "./events.ts";
import type { Actor, AgentName, Feature, Gate, WorkingStage } from "./feature.ts";
import { slugify } from "./slug.ts";
import {
  agentOf,
  availableCommands,
  CONVERSE_PERMISSIONS,
  canHumanFix,
  gateOf,
  hasWriteAccess,
  isTerminal,
  isWorkingStage,
  nextStage,
  REVIEW_AGENTS,
  sameLogin,
  WRITE_COMMANDS,
} from "./stages.ts";

/** The label that approves the current gate; the app removes it after every use. */
export const APPROVE_LABEL = "practical:approve";

type ReplyData = Extract<Effect, { type: "reply" }>["data"];

/**
 * The key of a person's one reply on an issue within a reply window (refusals, "no feature
 * here", /help): later answers in the window edit that comment in place.
 */
export function personReplyKey(login: string, window: ReplyWindow): string {
  return `person-${login.toLowerCase()}-c${window.commentId}`;
}
type StartEvent = Extract<PipelineEvent, { type: "start" }>;

export interface StartInit {
  id: number;
  issueAuthor: string;
  maxFixRounds: number;
  allowSelfApproval: boolean;
}

/**
 * `startFeature` refuses actors without write access (starting a feature spends the
 * installation's model budget): then there is no feature to save, only the refusal to post.
 */
export type StartResult =
  | TransitionResult<Feature>
  | { feature: null; effects: Effect[]; from: null; to: null };

// ---------------------------------------------------------------------------------------------
// Starting.

/**
 * A new feature in `drafting` for a start event (trigger label or `/build` on an issue without a
 * feature). The actor needs write access like `/build`: the label can be set by issue forms for
 * anyone, and starting spends the model budget. A maintainer can always start it for them.
 * The new feature has version 0; the store decides the first saved version.
 */
export function startFeature(init: StartInit, event: StartEvent): StartResult {
  if (!hasWriteAccess(event.actor.permission)) {
    return {
      feature: null,
      effects: unauthorizedEffects(
        "build",
        event.actor,
        event.commentId,
        startKey(event, 0),
        event.replyWindow,
      ),
      from: null,
      to: null,
    };
  }
  const feature: Feature = {
    id: init.id,
    stage: "drafting",
    version: 0,
    checkpoint: null,
    fixRounds: 0,
    maxFixRounds: init.maxFixRounds,
    ciFixRounds: 0,
    artifacts: {},
    approvals: {},
    issueAuthor: init.issueAuthor,
    allowSelfApproval: init.allowSelfApproval,
    failureReason: null,
  };
  const effects: Effect[] = [
    // commentId null (label start): react on the issue itself.
    { type: "react", commentId: event.commentId, content: "eyes" },
    runBa("ba-start", event.commentId),
    { type: "sync_status" },
  ];
  return { feature, effects, from: "drafting", to: "drafting" };
}

function startKey(event: StartEvent, version: number): (view: ReplyView) => string {
  return (view) =>
    event.commentId !== null ? `c${event.commentId}-${view}` : `start-v${version}-${view}`;
}

// ---------------------------------------------------------------------------------------------
// The transition.

export function transition(feature: Feature, event: PipelineEvent): TransitionResult<Feature> {
  switch (event.type) {
    case "start":
      return onStart(feature, event);
    case "command":
      return onCommand(feature, event.command, event.actor, event.commentId, event);
    case "approve_label":
      return onApproveLabel(feature, event.actor);
    case "comment":
      return onComment(feature, event.actor, event.commentId);
    case "agent_finished":
      return withProtected(
        feature,
        event,
        onAgentFinished(feature, event.agent, event.artifactVersion),
      );
    case "agent_failed":
      return onAgentFailed(feature, event.agent, event.reason);
    case "review_verdict":
      return onReviewVerdict(feature, event.pass, event.failed, event.ci);
    case "changes_requested":
      return onHumanFixRequest(
        feature,
        event.actor,
        { kind: "changes_requested", reviewId: event.reviewId, by: event.actor.login },
        `Address the changes requested by @${event.actor.login} in review ${event.reviewId}.`,
        `review-${event.reviewId}`,
      );
    case "fix_findings":
      return onHumanFixRequest(
        feature,
        event.actor,
        { kind: "fix_findings", checkRunId: event.checkRunId, by: event.actor.login },
        `Fix the findings of check run ${event.checkRunId}.`,
        `checkrun-${event.checkRunId}-v${feature.version}`,
      );
    case "rerun_reviews":
      return onRerunReviews(feature, event.actor, event.source);
    case "ci_reported":
      return onCiReported(feature, event);
    case "pr_merged":
      return onPrMerged(feature);
    case "pr_closed":
      return onPrClosed(feature);
    case "stuck":
      return onStuck(feature, event.minutes);
    case "uninstalled":
      return onUninstalled(feature);
    default: {
      // Unknown event at run time (a newer producer, a corrupt outbox row): ignore it.
      const ignored: never = event;
      void ignored;
      return same(feature);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Result helpers.

function result(before: Feature, after: Feature, effects: Effect[]): TransitionResult<Feature> {
  return { feature: after, effects, from: before.stage, to: after.stage };
}

function same(feature: Feature, effects: Effect[] = []): TransitionResult<Feature> {
  return result(feature, feature, effects);
}

function reply(
  view: ReplyView,
  key: string,
  data: ReplyData,
  options: { shared?: true } = {},
): ReplyEffect {
  return { type: "reply", view, key, data, ...options };
}

function runBa(key: string, commentId: number | null, instructions?: string): Effect {
  const effect: Extract<Effect, { type: "run_agent" }> = { type: "run_agent", agent: "ba", key };
  if (commentId !== null) effect.commentId = commentId;
  if (instructions !== undefined) effect.instructions = instructions;
  return effect;
}

/** The job that does the work of a working stage the feature has just entered. */
function enterWorkingStage(
  f: Feature,
  stage: WorkingStage,
  fix: { source: FixSource; instructions: string } | null,
): Effect {
  const v = f.version;
  switch (stage) {
    case "spec_generating":
      return { type: "run_agent", agent: "spec", key: `spec-v${v}` };
    case "plan_generating":
      return { type: "run_agent", agent: "plan", key: `plan-v${v}` };
    case "tests_generating":
      return { type: "run_agent", agent: "tests", key: `tests-v${v}` };
    case "implementing":
      return { type: "run_agent", agent: "implement", key: `implement-v${v}` };
    case "documenting":
      return { type: "run_agent", agent: "docs", key: `docs-v${v}` };
    case "reviewing":
      return { type: "run_reviews", key: `reviews-v${v}` };
    case "fixing":
      return {
        type: "run_agent",
        agent: "implement",
        key: `implement-fix-v${v}`,
        instructions: fix?.instructions ?? "Fix the findings of the last review round.",
        fix: fix?.source ?? { kind: "retry", reason: f.failureReason ?? "" },
      };
  }
}

function alignmentReview(f: Feature, gate: Gate): Effect {
  return {
    type: "run_agent",
    agent: "alignment_review",
    key: `alignment-${gate}-v${f.version}`,
    gate,
  };
}

/** Stop as failed; `/retry` resumes from `checkpoint`. */
function fail(
  f: Feature,
  checkpoint: WorkingStage,
  reason: string,
  before: Effect[] = [],
): TransitionResult<Feature> {
  const after: Feature = { ...f, stage: "failed", checkpoint, failureReason: reason };
  return result(f, after, [
    ...before,
    { type: "sync_status" },
    reply("failed", `v${f.version}-failed`, {
      reason,
      stage: checkpoint,
      retry: true,
    }),
  ]);
}

function unauthorizedEffects(
  command: CommandName,
  actor: Actor,
  commentId: number | null,
  key: (view: ReplyView) => string,
  window?: ReplyWindow,
): Effect[] {
  if (command === "build" && commentId === null) {
    // The trigger label: issue forms and templates set it for any author, so it proves nothing.
    // `opened` and `labeled` both bring it: one shared note for the two deliveries.
    return [
      reply(
        "label_start_refused",
        key("label_start_refused"),
        { actor: actor.login },
        { shared: true },
      ),
    ];
  }
  const verified = actor.permission !== "unknown";
  const data: ReplyData = {
    command,
    needed: "write",
    actor: actor.login,
    permission: actor.permission,
    verified,
  };
  if (window && commentId !== null) return personReply(actor, window, "unauthorized", data);
  return [
    { type: "react", commentId, content: "confused" },
    reply("unauthorized", key("unauthorized"), data),
  ];
}

/**
 * The one reply a person gets per reply window: the first command reacts and posts it, later
 * ones edit it in place (no write when it reads the same) and get no reaction.
 */
function personReply(
  actor: Actor,
  window: ReplyWindow,
  view: ReplyView,
  data: ReplyData,
  content: "confused" | "eyes" = "confused",
): Effect[] {
  const answer = reply(view, personReplyKey(actor.login, window), data, { shared: true });
  return window.repeated
    ? [answer]
    : [{ type: "react", commentId: window.commentId, content }, answer];
}

function notNowData(f: Feature, command: CommandName, extra: ReplyData = {}): ReplyData {
  return {
    stage: f.stage,
    command,
    available: availableCommands(f),
    ...extra,
  };
}

function statusData(f: Feature): ReplyData {
  const data: ReplyData = {
    stage: f.stage,
    available: availableCommands(f),
    fixRounds: f.fixRounds,
    maxFixRounds: f.maxFixRounds,
    ciFixRounds: f.ciFixRounds,
  };
  if (f.checkpoint !== null) data.checkpoint = f.checkpoint;
  if (f.failureReason !== null) data.failureReason = f.failureReason;
  return data;
}

/** A human can ask for code fixes once there is code on the PR. */
// ---------------------------------------------------------------------------------------------
// Human events.

/** Reply keys: by comment id for commands, by version for the label. */
type KeyOf = (view: ReplyView) => string;

function onStart(f: Feature, event: StartEvent): TransitionResult<Feature> {
  const key = startKey(event, f.version);
  if (!hasWriteAccess(event.actor.permission)) {
    return same(
      f,
      unauthorizedEffects("build", event.actor, event.commentId, key, event.replyWindow),
    );
  }
  if (f.stage === "cancelled" || f.stage === "abandoned") {
    return restart(f, event.commentId);
  }
  // The trigger label on a feature that already exists: nothing to do. `/build` gets an answer.
  if (event.commentId === null) return same(f);
  return same(f, [
    { type: "react", commentId: event.commentId, content: "eyes" },
    reply("not_now", key("not_now"), notNowData(f, "build")),
  ]);
}

/** Start over in drafting after cancel or a closed PR; old artifacts and approvals no longer count. */
function restart(f: Feature, commentId: number | null): TransitionResult<Feature> {
  const after: Feature = {
    ...f,
    stage: "drafting",
    checkpoint: null,
    fixRounds: 0,
    ciFixRounds: 0,
    artifacts: {},
    approvals: {},
    failureReason: null,
  };
  return result(f, after, [
    { type: "react", commentId, content: "eyes" },
    runBa(`ba-v${f.version}`, commentId),
    { type: "sync_status" },
  ]);
}

function onCommand(
  f: Feature,
  command: Command,
  actor: Actor,
  commentId: number,
  event?: Extract<PipelineEvent, { type: "command" }>,
): TransitionResult<Feature> {
  const name = command.name;
  const key = (view: ReplyView): string => `c${commentId}-${view}`;
  if (WRITE_COMMANDS.has(name) && !hasWriteAccess(actor.permission)) {
    return same(f, unauthorizedEffects(name, actor, commentId, key, event?.replyWindow));
  }
  // Every command we act on (even to say "not now") is acknowledged with 👀.
  const eyes: Effect = { type: "react", commentId, content: "eyes" };
  const notNow = (extra?: ReplyData): TransitionResult<Feature> =>
    same(f, [eyes, reply("not_now", key("not_now"), notNowData(f, name, extra))]);
  const text = command.argument.trim();

  switch (name) {
    case "status":
      return same(f, [eyes, reply("status", key("status"), statusData(f))]);
    case "help": {
      const data = {
        stage: f.stage,
        commands: availableCommands(f),
      };
      if (event?.replyWindow)
        return same(f, personReply(actor, event.replyWindow, "help", data, "eyes"));
      return same(f, [eyes, reply("help", key("help"), data)]);
    }
    case "approve":
      if (approvesProtected(command)) return approveProtected(f, actor, key, eyes);
      if (event?.predatesArtifact && gateOf(f.stage) !== null) {
        const gate = gateOf(f.stage) as Gate;
        return same(f, [
          eyes,
          reply("stale_approval", key("stale_approval"), {
            gate,
            current: f.artifacts[gate] ?? "",
            given: "",
            writtenBefore: true,
          }),
        ]);
      }
      return approve(f, command.argument, actor, key, [eyes]);
    case "revise": {
      const usage = { usage: "/revise <what to change>" };
      if (f.stage === "drafting") {
        // In drafting the brief is not approved yet, so /revise amends it through the BA (with or
        // without a brief); it never skips the brief gate. The new brief needs /approve again.
        if (text === "") return notNow(usage);
        return same(f, [eyes, runBa(`comment-${commentId}`, commentId, text)]);
      }
      if (gateOf(f.stage) === null) return notNow();
      if (text === "") return notNow(usage);
      // Restart from the spec; the brief and its approval stay, everything downstream goes.
      const after: Feature = {
        ...f,
        stage: "spec_generating",
        artifacts: keepBrief(f.artifacts),
        approvals: keepBrief(f.approvals),
      };
      return result(f, after, [
        eyes,
        { type: "run_agent", agent: "spec", key: `spec-v${f.version}`, instructions: text },
        { type: "sync_status" },
      ]);
    }
    case "retry": {
      // (A checkpoint that is not a working stage can only come from a corrupt row.)
      if (f.stage !== "failed" || f.checkpoint === null || !isWorkingStage(f.checkpoint)) {
        return notNow();
      }
      const checkpoint = f.checkpoint;
      const after: Feature = {
        ...f,
        stage: checkpoint,
        checkpoint: null,
        failureReason: null,
        fixRounds: 0,
        ciFixRounds: 0,
      };
      const fix =
        checkpoint === "fixing"
          ? {
              source: { kind: "retry", reason: f.failureReason ?? "" } as const,
              instructions: `Resume fixing after this failure: ${f.failureReason ?? "unknown"}`,
            }
          : null;
      return result(f, after, [
        eyes,
        // A job of the failed run that is still running (a sibling review, a BA reply) is
        // superseded: the new run starts clean.
        { type: "cancel_jobs" },
        enterWorkingStage(f, checkpoint, fix),
        { type: "sync_status" },
        reply("retrying", key("retrying"), {
          stage: checkpoint,
        }),
      ]);
    }
    case "cancel": {
      if (isTerminal(f.stage)) return notNow();
      const after: Feature = { ...f, stage: "cancelled" };
      return result(f, after, [
        eyes,
        { type: "cancel_jobs" },
        { type: "sync_status" },
        reply("cancelled", key("cancelled"), { stage: f.stage, by: actor.login }),
      ]);
    }
    case "build":
      if (f.stage === "cancelled" || f.stage === "abandoned") return restart(f, commentId);
      // Active features are already building; a done feature is merged (open a new issue).
      return notNow();
    case "fix": {
      if (!canHumanFix(f)) return notNow();
      if (text === "") return notNow({ usage: "/fix <what to change>" });
      return humanFix(f, { kind: "fix_command", commentId, by: actor.login }, text, [eyes]);
    }
    default:
      // A command name from a newer parser: ignore rather than guess.
      return same(f);
  }
}

function keepBrief(record: Partial<Record<Gate, string>>): Partial<Record<Gate, string>> {
  return record.brief === undefined ? {} : { brief: record.brief };
}

function onApproveLabel(f: Feature, actor: Actor): TransitionResult<Feature> {
  const removeLabel: Effect = { type: "remove_label", name: APPROVE_LABEL };
  const key = (view: ReplyView): string => `label-v${f.version}-${view}`;
  if (!hasWriteAccess(actor.permission)) {
    // No comment to react to: the reply alone answers.
    const [, answer] = unauthorizedEffects("approve", actor, null, key);
    return same(f, answer === undefined ? [removeLabel] : [answer, removeLabel]);
  }
  const res = approve(f, "", actor, key, []);
  return { ...res, effects: [...res.effects, removeLabel] };
}

function approve(
  f: Feature,
  argument: string,
  actor: Actor,
  key: KeyOf,
  before: Effect[],
): TransitionResult<Feature> {
  const gate = gateOf(f.stage);
  if (gate === null) {
    return same(f, [...before, reply("not_now", key("not_now"), notNowData(f, "approve"))]);
  }
  const current = f.artifacts[gate];
  if (current === undefined) {
    return same(f, [
      ...before,
      reply("nothing_to_approve", key("nothing_to_approve"), {
        gate,
        stage: f.stage,
      }),
    ]);
  }
  // An argument is a version prefix: "/approve 3f2a9c1" approves only that version, so an
  // approval written while the artifact changed underneath does not count for the new one.
  const given = argument.trim().split(/\s+/)[0] ?? "";
  if (given !== "" && !current.toLowerCase().startsWith(given.toLowerCase())) {
    return same(f, [
      ...before,
      reply("stale_approval", key("stale_approval"), {
        gate,
        current,
        given,
        writtenBefore: false,
      }),
    ]);
  }
  if (!f.allowSelfApproval && sameLogin(actor.login, f.issueAuthor)) {
    return same(f, [
      ...before,
      reply("self_approval", key("self_approval"), { gate, actor: actor.login }),
    ]);
  }
  const next = nextStage(f.stage);
  if (next === null || !isWorkingStage(next)) return same(f, before); // unreachable for gates
  const after: Feature = { ...f, stage: next, approvals: { ...f.approvals, [gate]: current } };
  // A /approve comment is acknowledged by a 👍 on it and the status comment's update (one write
  // fewer than a reply); a label has nothing to react to, so it gets the reply.
  const onComment = before.some((e) => e.type === "react");
  return result(f, after, [
    ...before.map((e): Effect => (e.type === "react" ? { ...e, content: "+1" } : e)),
    { type: "record_approval", gate, approver: actor.login, artifactVersion: current },
    enterWorkingStage(f, next, null),
    { type: "sync_status" },
    ...(onComment
      ? []
      : [
          reply("approved", key("approved"), {
            gate,
            version: current,
            approver: actor.login,
            next,
          }),
        ]),
  ]);
}

/**
 * Conversation for the BA, in any non-terminal stage. Only the issue author and collaborators
 * (triage or more) are answered: on a public repository anyone can comment, and each reply
 * costs a model call. Others are ignored without a reply, which would only add noise.
 */
function onComment(f: Feature, actor: Actor, commentId: number): TransitionResult<Feature> {
  if (isTerminal(f.stage)) return same(f);
  if (!sameLogin(actor.login, f.issueAuthor) && !CONVERSE_PERMISSIONS.has(actor.permission)) {
    return same(f);
  }
  return same(f, [
    { type: "react", commentId, content: "eyes" },
    runBa(`comment-${commentId}`, commentId),
  ]);
}

/**
 * A PR review requesting changes, or the "Fix findings" button: human requests for another
 * implement round, accepted once there is code (awaiting_merge, or failed after the code was
 * written). They need write access and are not bounded by maxFixRounds; they reset both
 * automatic round counters.
 */
function onHumanFixRequest(
  f: Feature,
  actor: Actor,
  source: FixSource,
  instructions: string,
  keyPrefix: string,
): TransitionResult<Feature> {
  if (isTerminal(f.stage)) return same(f);
  const key = (view: ReplyView): string => `${keyPrefix}-${view}`;
  if (!hasWriteAccess(actor.permission)) {
    // Anyone may review a public PR: such a review stays for the maintainers to act on (/fix),
    // without a bot telling a community reviewer off. The button does get an answer.
    if (source.kind === "changes_requested") return same(f);
    const [, answer] = unauthorizedEffects("fix", actor, null, key);
    return same(f, answer === undefined ? [] : [answer]);
  }
  if (!canHumanFix(f)) {
    return same(f, [reply("not_now", key("not_now"), notNowData(f, "fix"))]);
  }
  return humanFix(f, source, instructions, []);
}

/**
 * The three reviews again on the current head, without a fix round: once there is code, like a
 * human fix request (a review that flaked, a model that was down, a push by a person).
 */
function onRerunReviews(f: Feature, actor: Actor, source: string): TransitionResult<Feature> {
  if (isTerminal(f.stage)) return same(f);
  const key = (view: ReplyView): string => `rerun-${source}-v${f.version}-${view}`;
  if (!hasWriteAccess(actor.permission)) {
    const [, answer] = unauthorizedEffects("fix", actor, null, key);
    return same(f, answer === undefined ? [] : [answer]);
  }
  if (!canHumanFix(f)) {
    return same(f, [reply("not_now", key("not_now"), notNowData(f, "fix"))]);
  }
  const after: Feature = { ...f, stage: "reviewing", checkpoint: null, failureReason: null };
  return result(f, after, [enterWorkingStage(f, "reviewing", null), { type: "sync_status" }]);
}

function humanFix(
  f: Feature,
  source: FixSource,
  instructions: string,
  before: Effect[],
): TransitionResult<Feature> {
  const after: Feature = {
    ...f,
    stage: "fixing",
    checkpoint: null,
    failureReason: null,
    fixRounds: 0,
    ciFixRounds: 0,
  };
  return result(f, after, [
    ...before,
    enterWorkingStage(f, "fixing", { source, instructions }),
    { type: "sync_status" },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Machine events. Anything that does not fit the current stage is a late or stale result
// (after a cancel, a retry, a revise) and is ignored without effects.

function onAgentFinished(
  f: Feature,
  agent: AgentName,
  artifactVersion: string | null,
): TransitionResult<Feature> {
  const stage = f.stage;
  if (isTerminal(stage)) return same(f);

  if (agent === "ba") {
    // A new brief in drafting: record it and have the alignment reviewer look at it. After
    // drafting the BA only converses (a changed brief goes through /revise), so a version is
    // ignored there. A conversational reply (null) only refreshes the status (token use).
    if (stage === "drafting" && artifactVersion !== null && artifactVersion !== f.artifacts.brief) {
      const after: Feature = { ...f, artifacts: { ...f.artifacts, brief: artifactVersion } };
      return result(f, after, [alignmentReview(f, "brief"), { type: "sync_status" }]);
    }
    return same(f, [{ type: "sync_status" }]);
  }
  if (agent === "alignment_review" || agent === "title") {
    return same(f, [{ type: "sync_status" }]);
  }
  if (agent === "security_review" || agent === "code_review") {
    return same(f, stage === "reviewing" ? [{ type: "sync_status" }] : []);
  }
  if (!isWorkingStage(stage) || agentOf(stage) !== agent) return same(f);

  if (stage === "implementing" && f.docs !== false) {
    // The code is committed: the docs agent documents it before the reviews read both.
    const after: Feature = { ...f, stage: "documenting" };
    return result(f, after, [enterWorkingStage(f, "documenting", null), { type: "sync_status" }]);
  }
  if (stage === "implementing" || stage === "documenting" || stage === "fixing") {
    // A fix round changes the code the docs describe only in detail: it goes straight back to
    // the reviews, which read the docs with the code.
    const after: Feature = { ...f, stage: "reviewing" };
    return result(f, after, [enterWorkingStage(f, "reviewing", null), { type: "sync_status" }]);
  }
  // spec/plan/tests: the artifact is committed and waits at its gate.
  const next = nextStage(stage);
  const gate = next === null ? null : gateOf(next);
  if (next === null || gate === null) return same(f); // unreachable
  if (artifactVersion === null) {
    return fail(f, stage, `The ${agent} agent finished without producing an artifact.`);
  }
  const after: Feature = {
    ...f,
    stage: next,
    artifacts: { ...f.artifacts, [gate]: artifactVersion },
  };
  return result(f, after, [alignmentReview(f, gate), { type: "sync_status" }]);
}

function onAgentFailed(f: Feature, agent: AgentName, reason: string): TransitionResult<Feature> {
  const stage = f.stage;
  if (isTerminal(stage) || stage === "failed") return same(f);

  if (agent === "ba") {
    // A failed BA reply must not lose the feature: stay where we are and say so; commenting
    // again queues a new reply. The status shows the failed call's cost too.
    return same(f, [
      { type: "sync_status" },
      // One comment per kind of failure, edited rather than repeated: a flood of comments
      // after the budget is spent gets one notice, not one each.
      reply(
        "failed",
        `failed-ba-${slugify(reason)}`,
        { agent, reason, stage, retry: false },
        { shared: true },
      ),
    ]);
  }
  if (agent === "title") return same(f);
  if (agent === "alignment_review" && gateOf(stage) !== null) {
    // The gate review is advisory; humans may approve without it.
    return same(f, [
      { type: "sync_status" },
      reply("failed", `v${f.version}-failed-alignment`, {
        agent,
        reason,
        stage,
        retry: false,
      }),
    ]);
  }
  if (!isWorkingStage(stage)) return same(f);
  const belongs = stage === "reviewing" ? REVIEW_AGENTS.has(agent) : agentOf(stage) === agent;
  if (!belongs) return same(f);
  return fail(f, stage, reason);
}

function onReviewVerdict(
  f: Feature,
  pass: boolean,
  failed: string[],
  ci: CiReport | undefined,
): TransitionResult<Feature> {
  if (f.stage !== "reviewing") return same(f);
  // Fail closed: a "pass" that names failed reviews is a failure.
  if (pass && failed.length === 0) {
    // The PR is ready only on a green head (or a repository without CI): a red result that came
    // in during the reviews is acted on now, a pending one is waited for.
    if (ci?.state === "failure") return ciFix(f, ci);
    if (ci?.state === "pending") {
      return result(f, { ...f, stage: "awaiting_ci" }, [{ type: "sync_status" }]);
    }
    return ready(f);
  }
  const names = failed.length > 0 ? failed : ["unknown"];
  const list = names.join(", ");
  if (f.fixRounds < f.maxFixRounds) {
    const after: Feature = { ...f, stage: "fixing", fixRounds: f.fixRounds + 1 };
    return result(f, after, [
      enterWorkingStage(f, "fixing", {
        source: { kind: "reviews", failed: names },
        instructions: `Fix the findings of the failed reviews: ${list}.`,
      }),
      { type: "sync_status" },
    ]);
  }
  const rounds = `${f.fixRounds} fix round${f.fixRounds === 1 ? "" : "s"}`;
  return fail(f, "fixing", `Reviews still failing after ${rounds}: ${list}.`);
}

/** The head's CI reached a result: the PR waits for it, and a red head is fixed within a bound. */
function onCiReported(f: Feature, ci: CiReport): TransitionResult<Feature> {
  switch (f.stage) {
    case "tests_ready":
      // Contract tests that pass before any code exists may not test the new behaviour: the
      // alignment reviewer looks at them again with that warning.
      return ci.state === "success"
        ? same(f, [
            {
              type: "run_agent",
              agent: "alignment_review",
              key: `alignment-tests-ci-v${f.version}`,
              gate: "tests",
            },
            { type: "sync_status" },
          ])
        : same(f);
    case "awaiting_ci":
      if (ci.state === "failure") return ciFix(f, ci);
      return ci.state === "pending" ? same(f) : ready(f);
    case "awaiting_merge":
      return ci.state === "failure" ? ciFix(f, ci) : same(f);
    default:
      // Reviewing: the result is recorded and the verdict reads it. Elsewhere it is stale.
      return same(f);
  }
}

const DEFAULT_MAX_CI_FIX_ROUNDS = 3;

function ciFix(f: Feature, ci: CiReport): TransitionResult<Feature> {
  const names = ci.failing.length > 0 ? ci.failing.join(", ") : "unknown checks";
  const max = f.maxCiFixRounds ?? DEFAULT_MAX_CI_FIX_ROUNDS;
  if (f.ciFixRounds < max) {
    const after: Feature = { ...f, stage: "fixing", ciFixRounds: f.ciFixRounds + 1 };
    const task = ci.task ? ` (task ${ci.task})` : "";
    return result(f, after, [
      enterWorkingStage(f, "fixing", {
        source: { kind: "ci", sha: ci.sha, ...(ci.task ? { task: ci.task } : {}) },
        instructions: `The repository's CI failed on commit ${ci.sha.slice(0, 7)}${task}: ${names}. Read the failures and fix the code; the approved contract tests stay as they are.`,
      }),
      { type: "sync_status" },
    ]);
  }
  const rounds = `${f.ciFixRounds} automatic fix round${f.ciFixRounds === 1 ? "" : "s"}`;
  const quoted = ci.detail ? ` Last failure: "${ci.detail}"` : "";
  return fail(f, "fixing", `CI still failing after ${rounds}: ${names}.${quoted}`);
}

/** Reviews passed and CI is green (or absent): the PR is ready, unless protected files wait. */
function ready(f: Feature): TransitionResult<Feature> {
  const after: Feature = { ...f, stage: "awaiting_merge" };
  if (f.protectedPending) {
    // Protected files changed: the PR stays a draft until a person says /approve protected.
    return result(f, after, [
      { type: "sync_status" },
      reply("protected_pending", `v${f.version}-protected_pending`, {
        commit: f.protectedPending,
      }),
    ]);
  }
  return result(f, after, [
    {
      type: "mark_pr_ready",
      announce: reply("ready_for_review", `v${f.version}-ready_for_review`, {
        fixRounds: f.fixRounds,
      }),
    },
    { type: "sync_status" },
  ]);
}

function onPrMerged(f: Feature): TransitionResult<Feature> {
  if (isTerminal(f.stage)) return same(f);
  const after: Feature = { ...f, stage: "done" };
  // A merge while an agent works (a human merged early) discards that work.
  const stop: Effect[] = isWorkingStage(f.stage) ? [{ type: "cancel_jobs" }] : [];
  return result(f, after, [
    ...stop,
    { type: "close_issue", reason: "completed" },
    // No closing comment: the merge itself notified the people on the pull request and the
    // issue, and the status comment shows the stage and the whole feature's cost.
    { type: "sync_status" },
  ]);
}

function onPrClosed(f: Feature): TransitionResult<Feature> {
  if (isTerminal(f.stage)) return same(f);
  const after: Feature = { ...f, stage: "abandoned" };
  return result(f, after, [
    { type: "cancel_jobs" },
    { type: "sync_status" },
    reply("abandoned", `v${f.version}-abandoned`, { stage: f.stage }),
  ]);
}

function onUninstalled(f: Feature): TransitionResult<Feature> {
  if (isTerminal(f.stage)) return same(f);
  return result(f, { ...f, stage: "cancelled" }, [{ type: "cancel_jobs" }]);
}

function onStuck(f: Feature, minutes: number): TransitionResult<Feature> {
  if (!isWorkingStage(f.stage)) return same(f);
  const reason = `No progress at \`${f.stage}\` for ${minutes} minutes.`;
  // The job is given up on: tell it to discard its result so a late finish cannot race /retry.
  return fail(f, f.stage, reason, [{ type: "cancel_jobs" }]);
}

// ---------------------------------------------------------------------------------------------
// Protected files.

/** A commit that changed protected files marks them pending (the agent's own stage only). */
function withProtected(
  f: Feature,
  event: Extract<PipelineEvent, { type: "agent_finished" }>,
  res: TransitionResult<Feature>,
): TransitionResult<Feature> {
  if (!event.protectedChanges || event.artifactVersion === null || res.feature === f) return res;
  if (!isWorkingStage(f.stage) || agentOf(f.stage) !== event.agent) return res;
  return { ...res, feature: { ...res.feature, protectedPending: event.artifactVersion } };
}

/**
 * `/approve protected` by a person with write access (the caller checked): the pending
 * protected files are approved, and a PR that only waited for this is marked ready.
 */
function approveProtected(
  f: Feature,
  actor: Actor,
  key: KeyOf,
  eyes: Effect,
): TransitionResult<Feature> {
  const pending = f.protectedPending;
  if (isTerminal(f.stage) || !pending) {
    return same(f, [
      eyes,
      reply("nothing_to_approve", key("nothing_to_approve"), {
        gate: "protected",
        stage: f.stage,
      }),
    ]);
  }
  if (!f.allowSelfApproval && sameLogin(actor.login, f.issueAuthor)) {
    return same(f, [
      eyes,
      reply("self_approval", key("self_approval"), { gate: "protected", actor: actor.login }),
    ]);
  }
  const after: Feature = { ...f, protectedPending: null };
  const ready: Effect[] = f.stage === "awaiting_merge" ? [{ type: "mark_pr_ready" }] : [];
  return result(f, after, [
    eyes,
    { type: "approve_protected", approver: actor.login, commit: pending },
    ...ready,
    { type: "sync_status" },
    reply("protected_approved", key("protected_approved"), {
      approver: actor.login,
      commit: pending,
      ready: ready.length > 0,
    }),
  ]);
}
