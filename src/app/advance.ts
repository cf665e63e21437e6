import type { AuditEntry, FeatureRecord } from "../adapters/store/features.ts";
import type { IngestWrite } from "../adapters/store/ingest.ts";
import type { Store } from "../adapters/store/store.ts";
import type { Effect, TransitionResult } from "../core/effects.ts";
import type { PipelineEvent } from "../core/events.ts";
import type { Feature } from "../core/feature.ts";
import { transition } from "../core/pipeline.ts";
import { VersionConflictError } from "../errors.ts";
import type { JobIntent } from "../ports/queue.ts";
import { effectsJobId } from "./job-ids.ts";

/** Where a feature (or a reply to an issue without one) lives on GitHub. */
export interface IssueTarget {
  installationId: number;
  owner: string;
  repo: string;
  issueNumber: number;
}

/** The data of an `effects` job: one transition's effects, performed in order. */
export interface EffectsJobData {
  featureId: number | null;
  target: IssueTarget;
  effects: Effect[];
  /** The feature version the transition saved: the agent jobs it starts carry it. */
  version?: number;
}

export function targetOf(feature: FeatureRecord): IssueTarget {
  return {
    installationId: feature.installationId,
    owner: feature.repoOwner,
    repo: feature.repoName,
    issueNumber: feature.issueNumber,
  };
}

export function effectsIntent(jobId: string, data: EffectsJobData): JobIntent {
  return { queue: "pipeline", name: "effects", jobId, data };
}

/** A transition's audit entry: `/approve protected` is its own entry (who approved which commit). */
export function auditEntryOf(result: TransitionResult<Feature>, audit: AuditEntry): AuditEntry {
  const approved = result.effects.find((e) => e.type === "approve_protected");
  return approved
    ? {
        ...audit,
        event: "approve_protected",
        detail: { ...audit.detail, approver: approved.approver, commit: approved.commit },
      }
    : audit;
}

/** The outbox intent carrying a transition's effects, saved as `version`; none without effects. */
export function transitionIntents(
  before: FeatureRecord,
  result: TransitionResult<Feature>,
  version: number,
): JobIntent[] {
  const effects = result.effects.filter((e) => e.type !== "record_approval");
  if (effects.length === 0) return [];
  return [
    effectsIntent(effectsJobId(before.id, version), {
      featureId: before.id,
      target: targetOf(before),
      effects,
      version,
    }),
  ];
}

/** A transition saved on `before` with compare-and-set: its state, audit, approvals and effects. */
export function savedTransition(
  before: FeatureRecord,
  result: TransitionResult<Feature>,
  audit: AuditEntry,
): Pick<IngestWrite, "save" | "outbox"> {
  const next = result.feature;
  return {
    save: {
      featureId: before.id,
      expectedVersion: before.version,
      fromStage: before.stage,
      next: {
        stage: next.stage,
        checkpoint: next.checkpoint,
        fixRounds: next.fixRounds,
        ciFixRounds: next.ciFixRounds,
        artifacts: next.artifacts,
        approvals: next.approvals,
        failureReason: next.failureReason,
        protectedPending: next.protectedPending ?? null,
      },
      audit: auditEntryOf(result, audit),
      approvals: result.effects.flatMap((e) =>
        e.type === "record_approval"
          ? [{ gate: e.gate, approver: e.approver, artifactVersion: e.artifactVersion }]
          : [],
      ),
      // From the moment a cancel, a sweep or a retry is durable, every job started before it is
      // superseded (see jobs/agent/stop.ts).
      stopJobs: result.effects.some((e) => e.type === "cancel_jobs"),
    },
    // The compare-and-set makes the saved version the one after `before`.
    outbox: transitionIntents(before, result, before.version + 1),
  };
}

/** A job started for `jobVersion` is superseded once a later transition stopped the jobs. */
export function isSuperseded(
  feature: Pick<FeatureRecord, "stoppedVersion">,
  jobVersion: number | undefined,
): boolean {
  // Jobs queued before versions were carried have none: they are judged by the pipeline alone.
  return jobVersion !== undefined && feature.stoppedVersion > jobVersion;
}

export function actorOf(event: PipelineEvent): string {
  return "actor" in event ? event.actor.login : "build-practical";
}

/**
 * Applies an event to a stored feature (used by jobs, which hold no lock while an agent
 * runs): load under the row lock, transition, save with compare-and-set; on a conflict, reload
 * and try again. The save is one statement (`save_transition`): four round trips in all.
 */
export async function advance(
  store: Store,
  featureId: number,
  event: PipelineEvent,
  detail: Record<string, unknown> = {},
  options: {
    /** The version an agent job was started for: its result is dropped once superseded. */
    jobVersion?: number | undefined;
  } = {},
): Promise<{ feature: FeatureRecord; effects: Effect[] } | null> {
  const audit = { actor: actorOf(event), event: event.type, detail };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await store.transaction(async (tx) => {
        // Locked from the read to the commit: a job that reads the feature meanwhile (a CI
        // reading whose verdict is being saved) waits for this transition and sees its result.
        const feature = await tx.findFeature(featureId, { forUpdate: true });
        if (!feature) return null;
        // Checked under the row lock, so a cancel cannot slip in between check and save.
        if (isSuperseded(feature, options.jobVersion)) return null;
        const result = transition(feature, event);
        if (result.effects.length === 0 && result.feature === feature)
          return { feature, effects: [] };
        const { save, outbox } = savedTransition(feature, result, audit);
        if (save) await tx.saveTransitionAtOnce(save, outbox);
        return { feature: { ...feature, ...result.feature }, effects: result.effects };
      });
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
  throw new VersionConflictError(`feature ${featureId}: too many concurrent updates`);
}
