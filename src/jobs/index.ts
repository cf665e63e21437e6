import { randomBytes } from "node:crypto";
import { type Job, UnrecoverableError } from "bullmq";
import type { JobProcessors } from "../adapters/queue/worker.ts";
import { advance } from "../app/advance.ts";
import type { AgentName } from "../core/feature.ts";
import { reasonForPeople } from "../errors.ts";
import type { QueueName } from "../ports/queue.ts";
import { type AgentJobDeps, runAgentJob } from "./agent/index.ts";
import { type CiJobData, runCiCheck } from "./ci.ts";
import type { JobDeps } from "./deps.ts";
import { performEffects } from "./effects.ts";
import type { AgentJobData, ReviewJobData } from "./intents.ts";
import { runReview, runVerdict } from "./reviews.ts";
import { syncStatus } from "./status.ts";
import { sweepStuckFeatures } from "./sweep.ts";

export const SWEEP_SCHEDULER_ID = "sweep-stuck";

/** The processors of each queue, by job name. */
export function createJobProcessors(deps: AgentJobDeps): Record<QueueName, JobProcessors> {
  return {
    pipeline: {
      effects: (job) => performEffects(deps, job),
      agent: (job) => runAgentJob(deps, job),
      status: async (job) => {
        const feature = await deps.store.findFeature((job.data as { featureId: number }).featureId);
        if (feature) await syncStatus(deps, feature);
      },
      review: (job) => runReview(deps, job),
      verdict: (job) => runVerdict(deps, job),
      ci: (job) => runCiCheck(deps, job.data as CiJobData),
    },
    maintenance: {
      sweep: () => sweepStuckFeatures(deps),
    },
  };
}

/**
 * A job that failed for good fails its feature, with the reason, so nothing fails silently. An
 * unexpected error reaches people as a plain sentence with a reference; the log line with the
 * same reference carries the error and its stack.
 */
export async function onFinalFailure(deps: JobDeps, job: Job, failure: Error): Promise<void> {
  const data = job.data as Partial<AgentJobData & ReviewJobData>;
  const error =
    failure instanceof UnrecoverableError && failure.cause instanceof Error
      ? failure.cause
      : failure;
  const reference = randomBytes(4).toString("hex");
  const reason = /stalled/i.test(error.message)
    ? "the worker running it stopped twice (stalled): it may have run out of memory or been restarted"
    : reasonForPeople(error, reference);
  deps.log.error(
    { jobId: job.id, job: job.name, reference, reason: error.message, err: error },
    "job failed for good",
  );
  if (typeof data.featureId !== "number") return;
  const agent: AgentName | undefined =
    job.name === "agent"
      ? data.agent
      : job.name === "verdict" || job.name === "review"
        ? (data.review ?? "security_review")
        : undefined;
  if (!agent) return;
  // A superseded job's failure is not the new run's: dropped like its results.
  await advance(
    deps.store,
    data.featureId,
    { type: "agent_failed", agent, reason },
    {},
    { jobVersion: data.version },
  );
  await deps.relay.kick();
}
