import { agentJobId, reviewFlowId } from "../app/job-ids.ts";
import type { Effect, FixSource } from "../core/effects.ts";
import type { JobIntent } from "../ports/queue.ts";

export type RunAgentEffect = Extract<Effect, { type: "run_agent" }>;

/** The data of an `agent` job: which agent, for which feature, and why. No secrets, ever. */
export interface AgentJobData {
  featureId: number;
  agent: RunAgentEffect["agent"];
  key: string;
  gate?: RunAgentEffect["gate"];
  commentId?: number;
  instructions?: string;
  /** Set when the implementer fixes its own code: where the worker reads what to fix. */
  fix?: FixSource;
  /** The feature version the job was started for; a later cancel, sweep or retry supersedes it. */
  version?: number;
}

export interface ReviewJobData {
  featureId: number;
  key: string;
  review?: "security_review" | "code_review" | "alignment_review";
  /** The feature version the reviews were started for (see `AgentJobData.version`). */
  version?: number;
}

export const REVIEWS = ["security_review", "code_review", "alignment_review"] as const;

export function agentIntent(
  featureId: number,
  effect: RunAgentEffect,
  version?: number,
): JobIntent {
  const data: AgentJobData = { featureId, agent: effect.agent, key: effect.key };
  if (version !== undefined) data.version = version;
  if (effect.gate) data.gate = effect.gate;
  if (effect.commentId !== undefined) data.commentId = effect.commentId;
  if (effect.instructions) data.instructions = effect.instructions;
  if (effect.fix) data.fix = effect.fix;
  return {
    queue: "pipeline",
    name: "agent",
    jobId: agentJobId(featureId, effect.agent, effect.key),
    data,
  };
}

/** Three reviews in parallel, then one verdict: a BullMQ flow. */
export function reviewsIntent(featureId: number, key: string, version?: number): JobIntent {
  const prefix = reviewFlowId(featureId, key);
  const base: ReviewJobData = { featureId, key, ...(version !== undefined ? { version } : {}) };
  return {
    queue: "pipeline",
    name: "verdict",
    jobId: `${prefix}-verdict`,
    data: base,
    children: REVIEWS.map((review) => ({
      queue: "pipeline" as const,
      name: "review",
      jobId: `${prefix}-${review}`,
      data: { ...base, review } satisfies ReviewJobData,
    })),
  };
}
