import type { Effect } from "../core/effects.ts";
import type { PipelineEvent } from "../core/events.ts";
import { startFeature, transition } from "../core/pipeline.ts";
import { slugify } from "../core/slug.ts";

type StartEvent = Extract<PipelineEvent, { type: "start" }>;

import type { Store } from "../adapters/store/store.ts";
import { IngressUnavailableError } from "../errors.ts";
import type { ParsedRepoConfig } from "../repo-config.ts";
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
  const { delivery, target, event } = incoming;
  if (!(await tx.recordDelivery(delivery.id, delivery.name))) return "duplicate";

  const feature = await tx.findFeatureByIssue(target.owner, target.repo, target.issueNumber, {
    forUpdate: true,
  });

  if (feature) {
    // The issue's own text (no comment id) is recorded once, when the feature starts: a later
    // label event (re-labelled, or labeled/unlabeled delivered out of order) must not add it
    // to the conversation again.
    if (incoming.message?.commentId !== null) {
      await recordMessage(tx, feature.id, incoming.message);
    }
    const result = transition(feature, event);
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
        ? { type: "start", actor: event.actor, commentId: event.commentId }
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
      allow_self_approval: config.allow_self_approval,
    });
    if (!created) return "ignored"; // a concurrent delivery created it first
    await recordMessage(tx, created.id, incoming.message);
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
    await tx.addToOutbox([
      effectsIntent(deliveryEffectsJobId(delivery.id), {
        featureId: null,
        target,
        effects: incoming.withoutFeature,
      }),
    ]);
    return "applied";
  }
  return "ignored";
}

async function recordMessage(tx: Store, featureId: number, message: Incoming["message"]) {
  if (!message) return;
  await tx.recordMessage({
    featureId,
    githubCommentId: message.commentId,
    role: "user",
    author: message.author,
    body: message.body.slice(0, MAX_MESSAGE_CHARS),
  });
}
