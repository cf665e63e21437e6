import type { Job } from "bullmq";
import { PermanentError } from "../../errors.ts";
import { isFirstRun } from "../deps.ts";
import type { AgentJobData } from "../intents.ts";
import { baReply } from "./ba.ts";
import { type AgentJobDeps, openAgentJob } from "./context.ts";
import { gateReview } from "./gate-review.ts";
import { implement } from "./implement.ts";
import { writeStageArtifact } from "./stage.ts";

export type { AgentJobDeps };

/** Runs one agent for one feature and feeds its result back into the pipeline. */
export async function runAgentJob(deps: AgentJobDeps, job: Job<AgentJobData>): Promise<void> {
  const opened = await openAgentJob(deps, job.data, job.id ?? "", isFirstRun(job));
  if (!opened) return;
  switch (job.data.agent) {
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
    default:
      throw new PermanentError(`the ${job.data.agent} agent does not run as its own job`);
  }
  await deps.relay.kick();
}
