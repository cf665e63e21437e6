import type { z } from "zod";
import type { RepoConfig } from "../config/repo-config.ts";
import type { AgentName } from "../core/feature.ts";
import type { Effort, ModelId } from "../core/models.ts";
import {
  AlignmentOutput,
  BaOutput,
  DocsFinish,
  ImplementFinish,
  PlanOutput,
  ReviewOutput,
  SpecOutput,
  TestsOutput,
  TitleOutput,
} from "./schemas.ts";

/**
 * An agent is data: a prompt file, the tool it answers through, its schema, a model setting.
 *
 * Every agent answers by calling its own tool (`tool_choice: auto`, the tool `strict`, the
 * prompt asking for exactly one call), never through `output_config.format`: the 5.5 models
 * refuse forced tool use, and strict tools give the same schema guarantee as structured outputs
 * while keeping one answer path for agents that also call reading tools in a loop (the
 * implementer today). The zod schema still validates every answer, since strict mode cannot
 * express length limits.
 */
export interface AgentDefinition {
  name: AgentName;
  /** Handlebars template in prompts/. */
  prompt: string;
  /** The output tool the model answers through; its input schema is the output schema. */
  tool: string;
  toolDescription: string;
  schema: z.ZodType;
  model: ModelId;
  /** Output tokens for the answer itself; the thinking room for `effort` is added on top. */
  maxTokens: number;
  /** `output_config.effort`: how deeply the model thinks, chosen by the work. */
  effort: Effort;
  /** `least`: answer at once where the model allows it (a short, mechanical answer). */
  thinking: "adaptive" | "least";
  /** Offered the read-only tools over the branch snapshot (list, view, search). */
  reads?: boolean;
  /**
   * Offered the read and editing tools over a working copy (implementer/loop.ts), and answers
   * through its output tool when it is done: never forced to call it at once.
   */
  edits?: boolean;
}

const define = (d: AgentDefinition) => d;

export const AGENT_DEFINITIONS: Record<AgentName, AgentDefinition> = {
  ba: define({
    name: "ba",
    prompt: "ba.md",
    tool: "submit_ba_reply",
    toolDescription: "Post your reply in the issue, with the brief when it is ready.",
    schema: BaOutput,
    model: "claude-sonnet-5-5",
    maxTokens: 8_000,
    effort: "medium",
    thinking: "adaptive",
  }),
  spec: define({
    name: "spec",
    prompt: "spec.md",
    tool: "submit_spec",
    toolDescription: "Submit the specification.",
    schema: SpecOutput,
    model: "claude-sonnet-5-5",
    maxTokens: 16_000,
    effort: "high",
    thinking: "adaptive",
    reads: true,
  }),
  plan: define({
    name: "plan",
    prompt: "plan.md",
    tool: "submit_plan",
    toolDescription: "Submit the plan and its ordered task list.",
    schema: PlanOutput,
    model: "claude-sonnet-5-5",
    maxTokens: 16_000,
    effort: "high",
    thinking: "adaptive",
    reads: true,
  }),
  tests: define({
    name: "tests",
    prompt: "tests.md",
    tool: "submit_tests",
    toolDescription: "Submit the contract test files.",
    schema: TestsOutput,
    model: "claude-sonnet-5-5",
    maxTokens: 32_000,
    effort: "high",
    thinking: "adaptive",
    reads: true,
  }),
  implement: define({
    name: "implement",
    prompt: "implement.md",
    tool: "finish",
    toolDescription: "Finish: every task is done and every file is written.",
    schema: ImplementFinish,
    model: "claude-sonnet-5-5",
    maxTokens: 32_000,
    effort: "high",
    thinking: "adaptive",
    edits: true,
  }),
  docs: define({
    name: "docs",
    prompt: "docs.md",
    tool: "finish_docs",
    toolDescription:
      "Finish: the docs are written, or nothing in the feature is worth documenting (say why).",
    schema: DocsFinish,
    model: "claude-sonnet-5-5",
    maxTokens: 16_000,
    effort: "medium",
    thinking: "adaptive",
    edits: true,
  }),
  security_review: define({
    name: "security_review",
    prompt: "security-review.md",
    tool: "submit_security_review",
    toolDescription: "Submit the security review.",
    schema: ReviewOutput,
    model: "claude-sonnet-5-5",
    maxTokens: 8_000,
    effort: "high",
    thinking: "adaptive",
    reads: true,
  }),
  code_review: define({
    name: "code_review",
    prompt: "code-review.md",
    tool: "submit_code_review",
    toolDescription: "Submit the code review.",
    schema: ReviewOutput,
    model: "claude-sonnet-5-5",
    maxTokens: 8_000,
    effort: "medium",
    thinking: "adaptive",
    reads: true,
  }),
  alignment_review: define({
    name: "alignment_review",
    prompt: "alignment-review.md",
    tool: "submit_alignment_review",
    toolDescription: "Submit the alignment recommendation.",
    schema: AlignmentOutput,
    model: "claude-haiku-5-5",
    maxTokens: 2_000,
    effort: "low",
    thinking: "adaptive",
    reads: true,
  }),
  title: define({
    name: "title",
    prompt: "title.md",
    tool: "submit_title",
    toolDescription: "Submit the pull request title.",
    schema: TitleOutput,
    model: "claude-haiku-5-5",
    maxTokens: 500,
    effort: "low",
    thinking: "least",
  }),
};

/** The model setting for an agent, with the repository's override applied. */
export function modelSetting(agent: AgentName, config: RepoConfig): ModelSetting {
  const definition = AGENT_DEFINITIONS[agent];
  const override = config.models[agent];
  return {
    model: override?.model ?? definition.model,
    maxTokens: override?.max_tokens ?? definition.maxTokens,
    effort: override?.effort ?? definition.effort,
  };
}

export interface ModelSetting {
  model: ModelId;
  /** Output room for the answer; the request adds the thinking room for `effort`. */
  maxTokens: number;
  effort: Effort;
}
