import type { Effect } from "../core/effects.ts";
import type { PipelineEvent, ReplyWindow } from "../core/events.ts";
import type { Feature } from "../core/feature.ts";
import { personReplyKey, startFeature, transition } from "../core/pipeline.ts";
import { slugify } from "../core/slug.ts";
import { gateOf } from "../core/stages.ts";

type StartEvent = Extract<PipelineEvent, { type: "start" }>;

import type { Store } from "../adapters/store/store.ts";
import type { ParsedRepoConfig } from "../config/repo-config.ts";
import { IngressUnavailableError } from "../errors.ts";
import { actorOf, effectsIntent, type IssueTarget, saveTransition } from "./advance.ts";
import { deliveryEffectsJobId } from "./job-ids.ts";
import type { OutboxRelay } from "./outbox-relay.ts";

export interface NewFeatureInfo {
  issueTitle: string;
  issueAuthor: string;
  accountLogin: string;
  accountType: string;
  repoConfig: ParsedRepoConfig;
}

export interface Incoming {
  delivery: { id: string; name: string };
  target: IssueTarget;
  event: PipelineEvent;
  /** Given when this event may start a feature on an issue that has none. */
  newFeature?: NewFeatureInfo;
  /** Effects to perform when the issue has no feature (e.g. "nothing to approve here"). */
  withoutFeature?: Effect[];
  /** A human message for the conversation, kept when the issue has (or gets) a feature. */
  message?: { commentId: number | null; author: string; body: string };
}

/**
 * Probot answers 202 after 9 s whether or not the handler finished: a database that does not
 * answer must end in a 5xx before that, so GitHub keeps the delivery for redelivery. (A
 * transaction that still commits afterwards is harmless: the redelivery is a duplicate.)
 */
const RECORD_TIMEOUT_MS = 5_000;

/** Bodies beyond this are cut when stored: GitHub's own limit is 65,536 characters. */
const MAX_MESSAGE_CHARS = 65_536;

export type IngestOutcome = "duplicate" | "ignored" | "applied";

export interface Ingress {
  store: Store;
  relay: OutboxRelay;
}

/**
 * Records a delivery and its consequence in one transaction: dedupe by delivery id, then
 * transition (or start) the issue's feature and write the effects to the outbox. The
 * relay moves them to the queue afterwards; if Redis is down they wait in the outbox.
 */
export async function ingest(deps: Ingress, incoming: Incoming): Promise<IngestOutcome> {
  let outcome: IngestOutcome;
  let timer: NodeJS.Timeout | undefined;
  const recording = deps.store.transaction((tx) => record(tx, incoming));
  // After a timeout the delivery has been answered already: a late failure has nowhere to go.
  recording.catch(() => {});
  try {
    outcome = await Promise.race([
      recording,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the database did not answer within ${RECORD_TIMEOUT_MS} ms`)),
          RECORD_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new IngressUnavailableError(`could not record the event (${reason})`);
  } finally {
    clearTimeout(timer);
  }
  if (outcome === "applied") void deps.relay.kick();
  return outcome;
}

async function record(tx: Store, incoming: Incoming): Promise<IngestOutcome> {
  const { delivery, target } = incoming;
  if (!(await tx.recordDelivery(delivery.id, delivery.name))) return "duplicate";

  const feature = await tx.findFeatureByIssue(target.owner, target.repo, target.issueNumber, {
    forUpdate: true,
  });
  const replyWindow = await replyWindowOf(tx, target, incoming.event);
  let event: PipelineEvent =
    replyWindow && (incoming.event.type === "command" || incoming.event.type === "start")
      ? { ...incoming.event, replyWindow }
      : incoming.event;
  const source = actedSource(event);

  if (feature) {
    // The signature covers only the body: a captured delivery re-sent under a new delivery id
    // passes the delivery dedupe, but the comment, review or press it carries acted already.
    if (source && !(await tx.recordActedSource(feature.id, source))) return "duplicate";
    event = await withArtifactAge(tx, feature, event);
    // The issue's own text (no comment id) is recorded once, when the feature starts: a later
    // label event (re-labelled, or labeled/unlabeled delivered out of order) must not add it
    // to the conversation again.
    if (incoming.message?.commentId !== null) {
      await recordMessage(tx, feature.id, incoming.message, event);
    }
    const result = transition(feature, event);
    await openWindowIfUsed(tx, target, event, result.effects);
    if (result.effects.length === 0 && result.feature === feature) return "ignored";
    await saveTransition(tx, feature, result, {
      actor: actorOf(event),
      event: event.type,
      detail: { delivery: delivery.id },
    });
    return "applied";
  }

  const start: StartEvent | null =
    event.type === "start"
      ? event
      : event.type === "command" && event.command.name === "build"
        ? {
            type: "start",
            actor: event.actor,
            commentId: event.commentId,
            ...(event.replyWindow ? { replyWindow: event.replyWindow } : {}),
          }
        : null;
  if (incoming.newFeature && start) {
    const info = incoming.newFeature;
    const { config, problems } = info.repoConfig;
    const init = {
      issueAuthor: info.issueAuthor,
      maxFixRounds: config.fix_rounds,
      allowSelfApproval: config.allow_self_approval,
    };
    const result = startFeature({ id: 0, ...init }, start);
    if (result.feature === null) {
      await openWindowIfUsed(tx, target, start, result.effects);
      // Refused (no write access): nothing to create, only the refusal to post.
      await tx.addToOutbox([
        effectsIntent(deliveryEffectsJobId(delivery.id), {
          featureId: null,
          target,
          effects: result.effects,
        }),
      ]);
      return "applied";
    }
    await tx.ensureInstallation(target.installationId, info.accountLogin, info.accountType);
    const created = await tx.createFeature({
      installation_id: target.installationId,
      repo_owner: target.owner,
      repo_name: target.repo,
      issue_number: target.issueNumber,
      issue_title: info.issueTitle,
      issue_author: info.issueAuthor,
      slug: slugify(info.issueTitle),
      stage: "drafting",
      max_fix_rounds: config.fix_rounds,
      max_ci_fix_rounds: config.ci_fix_rounds,
      docs: config.docs,
      allow_self_approval: config.allow_self_approval,
    });
    if (!created) return "ignored"; // a concurrent delivery created it first
    if (source) await tx.recordActedSource(created.id, source);
    await recordMessage(tx, created.id, incoming.message, event);
    result.feature.id = created.id;
    if (problems.length > 0) {
      // First, so the person reads why the defaults apply before the BA's first question.
      result.effects.unshift({
        type: "reply",
        view: "config_invalid",
        key: "config-invalid",
        data: { problems },
      });
    }
    await saveTransition(tx, created, result, {
      actor: actorOf(event),
      event: "start",
      detail: { delivery: delivery.id },
    });
    return "applied";
  }

  if (incoming.withoutFeature?.length) {
    const effects = replyOncePerWindow(incoming.withoutFeature, event);
    await openWindowIfUsed(tx, target, event, effects);
    await tx.addToOutbox([
      effectsIntent(deliveryEffectsJobId(delivery.id), { featureId: null, target, effects }),
    ]);
    return "applied";
  }
  return "ignored";
}

/** What an event acts on, recognised again whatever delivery carries it; null for none. */
function actedSource(event: PipelineEvent): string | null {
  switch (event.type) {
    case "command":
    case "comment":
      return `comment-${event.commentId}`;
    case "start":
      return event.commentId === null ? null : `comment-${event.commentId}`;
    case "changes_requested":
      return `review-${event.reviewId}`;
    // A press carries no id of its own: one per check run, button and person. A new review
    // round makes new check runs, so a later press is on another check run.
    case "fix_findings":
      return `check-run-${event.checkRunId}-fix-${event.actor.login.toLowerCase()}`;
    case "rerun_reviews":
      return event.source.startsWith("check-run-")
        ? `${event.source}-rerun-${event.actor.login.toLowerCase()}`
        : null;
    default:
      return null;
  }
}

/** A command's comment's reply window: the one open for its author, or one this comment opens. */
async function replyWindowOf(
  tx: Store,
  target: IssueTarget,
  event: PipelineEvent,
): Promise<ReplyWindow | null> {
  if ((event.type !== "command" && event.type !== "start") || event.commentId === null) return null;
  const opened = await tx.replyWindow(target, event.actor.login);
  return opened === null
    ? { commentId: event.commentId, repeated: false }
    : { commentId: opened, repeated: true };
}

/** Records the window as opened when this comment opened it and a reply was given in it. */
async function openWindowIfUsed(
  tx: Store,
  target: IssueTarget,
  event: PipelineEvent,
  effects: Effect[],
): Promise<void> {
  if (event.type !== "command" && event.type !== "start") return;
  const window = event.replyWindow;
  if (!window || window.repeated) return;
  const key = personReplyKey(event.actor.login, window);
  if (effects.some((e) => e.type === "reply" && e.key === key)) {
    await tx.openReplyWindow(target, event.actor.login, window.commentId);
  }
}

/** "No feature here" answered like a refusal: one reply per person per window, edited in place. */
function replyOncePerWindow(effects: Effect[], event: PipelineEvent): Effect[] {
  const window = event.type === "command" ? event.replyWindow : undefined;
  if (event.type !== "command" || !window) return effects;
  const key = personReplyKey(event.actor.login, window);
  return effects.flatMap((effect): Effect[] => {
    if (effect.type === "react") return window.repeated ? [] : [effect];
    if (effect.type === "reply") return [{ ...effect, key, shared: true }];
    return [effect];
  });
}

/**
 * Marks an `/approve` whose comment was written before the artifact it would approve was
 * produced: it was meant for something else (or nothing), and is refused.
 */
async function withArtifactAge(
  tx: Store,
  feature: Feature,
  event: PipelineEvent,
): Promise<PipelineEvent> {
  if (event.type !== "command" || event.command.name !== "approve" || !event.writtenAt) {
    return event;
  }
  const gate = gateOf(feature.stage);
  const version = gate ? feature.artifacts[gate] : undefined;
  if (!gate || !version) return event;
  const producedAt = await tx.artifactProducedAt(feature.id, gate, version);
  const written = Date.parse(event.writtenAt);
  if (!producedAt || Number.isNaN(written)) return event;
  // GitHub's timestamps are whole seconds: a comment in the artifact's own second counts as after.
  const producedSecond = Math.floor(producedAt.getTime() / 1000) * 1000;
  return written < producedSecond ? { ...event, predatesArtifact: true } : event;
}

async function recordMessage(
  tx: Store,
  featureId: number,
  message: Incoming["message"],
  event: PipelineEvent,
) {
  if (!message) return;
  // The permission the event's actor was checked with, kept so the BA can tell who it hears.
  const actor = "actor" in event && event.actor.login === message.author ? event.actor : null;
  await tx.recordMessage({
    featureId,
    githubCommentId: message.commentId,
    role: "user",
    author: message.author,
    authorPermission: actor?.permission ?? null,
    body: message.body.slice(0, MAX_MESSAGE_CHARS),
  });
}
