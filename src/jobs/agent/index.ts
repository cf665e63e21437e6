import type { Job } from "bullmq";
import { PermanentError } from "../../errors.ts";
import { isFirstRun } from "../deps.ts";
import type { AgentJobData } from "../intents.ts";
import { baReply } from "./ba.ts";
import { type AgentJob, type AgentJobDeps, openAgentJob } from "./context.ts";
import { documentFeature } from "./docs.ts";
import { gateReview } from "./gate-review.ts";
import { implement } from "./implement.ts";
import { writeStageArtifact } from "./stage.ts";
import { wasStopped, watchForStop } from "./stop.ts";

export type { AgentJobDeps };

/** Runs one agent for one feature and feeds its result back into the pipeline. */
export async function runAgentJob(deps: AgentJobDeps, job: Job<AgentJobData>): Promise<void> {
  const stop = watchForStop(deps, job.data.featureId, job.data.version);
  try {
    // Superseded while it waited in the queue: not even started.
    await stop.ensureCurrent("the job");
    const opened = await openAgentJob(deps, job.data, job.id ?? "", isFirstRun(job), stop);
    if (!opened) return;
    await runAgent(opened);
  } catch (error) {
    // Stopped, not failed: nothing is applied, and /retry's new run is left alone.
    if (wasStopped(deps.log, stop, error, { id: job.id, featureId: job.data.featureId })) return;
    throw error;
  } finally {
    stop.close();
  }
  await deps.relay.kick();
}

async function runAgent(opened: AgentJob): Promise<void> {
  switch (opened.data.agent) {
    case "ba":
      await baReply(opened);
      break;
    case "alignment_review":
      await gateReview(opened);
      break;
    case "spec":
    case "plan":
    case "tests":
      await writeStageArtifact(opened);
      break;
    case "implement":
      await implement(opened);
      break;
    case "docs":
      await documentFeature(opened);
      break;
    default:
      throw new PermanentError(`the ${opened.data.agent} agent does not run as its own job`);
  }
}
