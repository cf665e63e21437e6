import type { FeatureRecord } from "../adapters/store/features.ts";
import type { IngestRead, IngestWrite } from "../adapters/store/ingest.ts";
import type { Store } from "../adapters/store/store.ts";
import type { ParsedRepoConfig } from "../config/repo-config.ts";
import type { Effect } from "../core/effects.ts";
import type { PipelineEvent, ReplyWindow } from "../core/events.ts";
import type { Feature } from "../core/feature.ts";
import { personReplyKey, startFeature, transition } from "../core/pipeline.ts";
import { slugify } from "../core/slug.ts";
import { gateOf } from "../core/stages.ts";
import { IngressUnavailableError, VersionConflictError } from "../errors.ts";
import { actorOf, effectsIntent, type IssueTarget, savedTransition } from "./advance.ts";
import { deliveryEffectsJobId } from "./job-ids.ts";

type StartEvent = Extract<PipelineEvent, { type: "start" }>;

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
}

/** A lost compare-and-set (a job or another delivery saved the feature first) is recomputed. */
const MAX_ATTEMPTS = 5;

/**
 * Records a delivery and its consequence: one read (the issue's feature, and what else the
 * reducer needs), the pure transition, then one statement that dedupes the delivery, saves the
 * feature with compare-and-set and writes the effects to the outbox, in one transaction. The
 * workers relay the outbox to the queue (woken by its notification); if Redis is down the jobs
 * wait in the outbox.
 */
export async function ingest(deps: Ingress, incoming: Incoming): Promise<IngestOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const recording = record(deps.store, incoming);
  // After a timeout the delivery has been answered already: a late failure has nowhere to go.
  recording.catch(() => {});
  try {
    return await Promise.race([
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
}

async function record(store: Store, incoming: Incoming): Promise<IngestOutcome> {
  const { delivery, target, event } = incoming;
  const windowLogin =
    (event.type === "command" || event.type === "start") && event.commentId !== null
      ? event.actor.login
      : null;
  const readOptions = {
    deliveryId: delivery.id,
    windowLogin,
    drawFeatureId: incoming.newFeature !== undefined && startOf(event) !== null,
  };
  const attempt = async (on: Store) => {
    const read = await on.readForIngest(target, readOptions);
    if (read.delivered) return "duplicate";
    return on.ingestDelivery(await consequence(on, incoming, read, windowLogin));
  };
  // Most deliveries meet no contender: one read, one write.
  try {
    return await attempt(store);
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
  }
  // Lost a race (deliveries or a job on one feature at once): the contenders take turns on the
  // feature's row lock, as jobs do, instead of racing again.
  for (let retry = 1; retry < MAX_ATTEMPTS; retry++) {
    try {
      return await store.transaction(async (tx) => {
        await tx.lockForIngest(target, windowLogin);
        return attempt(tx);
      });
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
  throw new VersionConflictError(`issue #${target.issueNumber}: too many concurrent updates`);
}

/** What the delivery writes, computed from what was read. */
async function consequence(
  store: Store,
  incoming: Incoming,
  read: IngestRead,
  windowLogin: string | null,
): Promise<IngestWrite> {
  const { delivery, target } = incoming;
  const replyWindow: ReplyWindow | null =
    windowLogin === null
      ? null
      : read.replyWindow === null
        ? { commentId: (incoming.event as { commentId: number }).commentId, repeated: false }
        : { commentId: read.replyWindow, repeated: true };
  let event: PipelineEvent =
    replyWindow && (incoming.event.type === "command" || incoming.event.type === "start")
      ? { ...incoming.event, replyWindow }
      : incoming.event;
  const windowWrite = (effects: Effect[]): Pick<IngestWrite, "window"> =>
    windowLogin === null
      ? {}
      : {
          window: {
            issue: target,
            login: windowLogin,
            seen: read.replyWindow,
            open: windowOpenedBy(event, effects),
          },
        };
  const source = actedSource(event);
  const feature = read.feature;

  if (feature) {
    event = await withArtifactAge(store, feature, event);
    const result = transition(feature, event);
    const write: IngestWrite = {
      delivery,
      ...windowWrite(result.effects),
      // The signature covers only the body: a captured delivery re-sent under a new delivery id
      // passes the delivery dedupe, but the comment, review or press it carries acted already.
      ...(source ? { acted: { featureId: feature.id, source } } : {}),
      // The issue's own text (no comment id) is recorded once, when the feature starts: a later
      // label event (re-labelled, or labeled/unlabeled delivered out of order) must not add it
      // to the conversation again.
      ...(incoming.message && incoming.message.commentId !== null
        ? { message: messageOf(feature.id, incoming.message, event) }
        : {}),
      outbox: [],
      outcome: "ignored",
    };
    if (result.effects.length === 0 && result.feature === feature) {
      return { ...write, unchanged: { featureId: feature.id, version: feature.version } };
    }
    return {
      ...write,
      ...savedTransition(feature, result, {
        actor: actorOf(event),
        event: event.type,
        detail: { delivery: delivery.id },
      }),
      outcome: "applied",
    };
  }

  const start = startOf(event);
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
      // Refused (no write access): nothing to create, only the refusal to post.
      event = start;
      return {
        delivery,
        ...windowWrite(result.effects),
        outbox: [
          effectsIntent(deliveryEffectsJobId(delivery.id), {
            featureId: null,
            target,
            effects: result.effects,
          }),
        ],
        outcome: "applied",
      };
    }
    const id = read.newFeatureId;
    if (id === null) throw new Error("no feature id was drawn for the new feature");
    const created = newFeatureRecord(id, target, info);
    result.feature.id = id;
    if (problems.length > 0) {
      // First, so the person reads why the defaults apply before the BA's first question.
      result.effects.unshift({
        type: "reply",
        view: "config_invalid",
        key: "config-invalid",
        data: { problems },
      });
    }
    return {
      delivery,
      ...windowWrite([]),
      create: {
        id,
        installation: {
          id: target.installationId,
          accountLogin: info.accountLogin,
          accountType: info.accountType,
        },
        row: {
          repoOwner: target.owner,
          repoName: target.repo,
          issueNumber: target.issueNumber,
          issueTitle: info.issueTitle,
          issueAuthor: info.issueAuthor,
          slug: created.slug,
          stage: created.stage,
          maxFixRounds: config.fix_rounds,
          maxCiFixRounds: config.ci_fix_rounds,
          docs: config.docs,
          allowSelfApproval: config.allow_self_approval,
        },
      },
      ...(source ? { acted: { featureId: id, source } } : {}),
      ...(incoming.message ? { message: messageOf(id, incoming.message, event) } : {}),
      ...savedTransition(created, result, {
        actor: actorOf(event),
        event: "start",
        detail: { delivery: delivery.id },
      }),
      outcome: "applied",
    };
  }

  if (incoming.withoutFeature?.length) {
    const effects = replyOncePerWindow(incoming.withoutFeature, event);
    return {
      delivery,
      ...windowWrite(effects),
      outbox: [
        effectsIntent(deliveryEffectsJobId(delivery.id), { featureId: null, target, effects }),
      ],
      outcome: "applied",
    };
  }
  return { delivery, outbox: [], outcome: "ignored" };
}

/** The start a `/build` command or a label means; null for any other event. */
function startOf(event: PipelineEvent): StartEvent | null {
  if (event.type === "start") return event;
  if (event.type !== "command" || event.command.name !== "build") return null;
  return {
    type: "start",
    actor: event.actor,
    commentId: event.commentId,
    ...(event.replyWindow ? { replyWindow: event.replyWindow } : {}),
  };
}

/** The feature row a start creates, before its first transition is saved on it. */
function newFeatureRecord(id: number, target: IssueTarget, info: NewFeatureInfo): FeatureRecord {
  const { config } = info.repoConfig;
  const now = new Date();
  return {
    id,
    stage: "drafting",
    version: 0,
    checkpoint: null,
    fixRounds: 0,
    ciFixRounds: 0,
    maxFixRounds: config.fix_rounds,
    maxCiFixRounds: config.ci_fix_rounds,
    docs: config.docs,
    artifacts: {},
    approvals: {},
    issueAuthor: info.issueAuthor,
    allowSelfApproval: config.allow_self_approval,
    failureReason: null,
    protectedPending: null,
    installationId: target.installationId,
    repoOwner: target.owner,
    repoName: target.repo,
    issueNumber: target.issueNumber,
    issueTitle: info.issueTitle,
    slug: slugify(info.issueTitle),
    branch: null,
    prNumber: null,
    statusCommentId: null,
    headSha: null,
    tasks: [],
    statusDigest: null,
    createdAt: now,
    stageEnteredAt: now,
    stoppedVersion: 0,
    language: null,
  };
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

/** The comment whose reply window this event opens: the reply it gives is keyed by it. */
function windowOpenedBy(event: PipelineEvent, effects: Effect[]): number | null {
  if (event.type !== "command" && event.type !== "start") return null;
  const window = event.replyWindow;
  if (!window || window.repeated) return null;
  const key = personReplyKey(event.actor.login, window);
  return effects.some((e) => e.type === "reply" && e.key === key) ? window.commentId : null;
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
  store: Store,
  feature: Feature,
  event: PipelineEvent,
): Promise<PipelineEvent> {
  if (event.type !== "command" || event.command.name !== "approve" || !event.writtenAt) {
    return event;
  }
  const gate = gateOf(feature.stage);
  const version = gate ? feature.artifacts[gate] : undefined;
  if (!gate || !version) return event;
  const producedAt = await store.artifactProducedAt(feature.id, gate, version);
  const written = Date.parse(event.writtenAt);
  if (!producedAt || Number.isNaN(written)) return event;
  // GitHub's timestamps are whole seconds: a comment in the artifact's own second counts as after.
  const producedSecond = Math.floor(producedAt.getTime() / 1000) * 1000;
  return written < producedSecond ? { ...event, predatesArtifact: true } : event;
}

function messageOf(
  featureId: number,
  message: NonNullable<Incoming["message"]>,
  event: PipelineEvent,
): NonNullable<IngestWrite["message"]> {
  // The permission the event's actor was checked with, kept so the BA can tell who it hears.
  const actor = "actor" in event && event.actor.login === message.author ? event.actor : null;
  return {
    featureId,
    githubCommentId: message.commentId,
    author: message.author,
    authorPermission: actor?.permission ?? null,
    body: message.body.slice(0, MAX_MESSAGE_CHARS),
  };
}
