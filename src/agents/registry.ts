import type { Tool } from "@anthropic-ai/sdk/resources/messages";
import { z } from "zod";
import type { AgentName } from "../core/feature.ts";
import type { RepoConfig } from "../repo-config.ts";
import {
  AlignmentOutput,
  BaOutput,
  ImplementFinish,
  PlanOutput,
  ReviewOutput,
  SpecOutput,
  TestsOutput,
  TitleOutput,
} from "./schemas.ts";

export type ModelId = "claude-opus-5-5" | "claude-sonnet-5-5" | "claude-haiku-5-5";

/** An agent is data: a prompt file, the tool it must answer through, its schema, a model setting. */
export interface AgentDefinition {
  name: AgentName;
  /** Handlebars template in prompts/. */
  prompt: string;
  /** The output tool the model is made to call; its input schema is the output schema. */
  tool: string;
  toolDescription: string;
  schema: z.ZodType;
  model: ModelId;
  maxTokens: number;
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
  }),
  spec: define({
    name: "spec",
    prompt: "spec.md",
    tool: "submit_spec",
    toolDescription: "Submit the specification.",
    schema: SpecOutput,
    model: "claude-sonnet-5-5",
    maxTokens: 16_000,
  }),
  plan: define({
    name: "plan",
    prompt: "plan.md",
    tool: "submit_plan",
    toolDescription: "Submit the plan and its ordered task list.",
    schema: PlanOutput,
    model: "claude-sonnet-5-5",
    maxTokens: 16_000,
  }),
  tests: define({
    name: "tests",
    prompt: "tests.md",
    tool: "submit_tests",
    toolDescription: "Submit the contract test files.",
    schema: TestsOutput,
    model: "claude-sonnet-5-5",
    maxTokens: 32_000,
  }),
  implement: define({
    name: "implement",
    prompt: "implement.md",
    tool: "finish",
    toolDescription: "Finish: every task is done and every file is written.",
    schema: ImplementFinish,
    model: "claude-sonnet-5-5",
    maxTokens: 32_000,
  }),
  security_review: define({
    name: "security_review",
    prompt: "security-review.md",
    tool: "submit_security_review",
    toolDescription: "Submit the security review.",
    schema: ReviewOutput,
    model: "claude-sonnet-5-5",
    maxTokens: 8_000,
  }),
  code_review: define({
    name: "code_review",
    prompt: "code-review.md",
    tool: "submit_code_review",
    toolDescription: "Submit the code review.",
    schema: ReviewOutput,
    model: "claude-sonnet-5-5",
    maxTokens: 8_000,
  }),
  alignment_review: define({
    name: "alignment_review",
    prompt: "alignment-review.md",
    tool: "submit_alignment_review",
    toolDescription: "Submit the alignment recommendation.",
    schema: AlignmentOutput,
    model: "claude-haiku-5-5",
    maxTokens: 2_000,
  }),
  title: define({
    name: "title",
    prompt: "title.md",
    tool: "submit_title",
    toolDescription: "Submit the pull request title.",
    schema: TitleOutput,
    model: "claude-haiku-5-5",
    maxTokens: 500,
  }),
};

/** The implementer's file tools; their handlers are in implement.ts. */
export const FILE_TOOLS: Tool[] = [
  {
    name: "list_files",
    description: "List repository files under a folder (recursive).",
    input_schema: {
      type: "object",
      properties: { path: { type: "string", description: "Folder, '' for the root." } },
      required: ["path"],
    },
  },
  {
    name: "read_file",
    description: "Read a file of the repository snapshot (with this feature's writes applied).",
    input_schema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
  },
  {
    name: "search_files",
    description: "Search file contents for a literal string; returns path:line matches.",
    input_schema: {
      type: "object",
      properties: {
        query: { type: "string" },
        path: { type: "string", description: "Optional folder to search under." },
      },
      required: ["query"],
    },
  },
  {
    name: "write_file",
    description: "Create or replace a file. Paths are relative to the repository root.",
    input_schema: {
      type: "object",
      properties: { path: { type: "string" }, content: { type: "string" } },
      required: ["path", "content"],
    },
  },
  {
    name: "delete_file",
    description: "Delete a file.",
    input_schema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
  },
];

/**
 * Every tool of every agent, in one stable order. All agents send the same list (and are
 * made to call their own), so tools + governance form one prompt prefix that the API
 * caches across stages instead of once per agent.
 */
export const ALL_TOOLS: Tool[] = [
  ...Object.values(AGENT_DEFINITIONS).map((d) => ({
    name: d.tool,
    description: d.toolDescription,
    input_schema: z.toJSONSchema(d.schema, { target: "draft-2020-12" }) as Tool["input_schema"],
  })),
  ...FILE_TOOLS,
];

/** The model setting for an agent, with the repository's override applied. */
export function modelSetting(
  agent: AgentName,
  config: RepoConfig,
): { model: ModelId; maxTokens: number } {
  const definition = AGENT_DEFINITIONS[agent];
  const override = config.models[agent];
  return {
    model: override?.model ?? definition.model,
    maxTokens: override?.max_tokens ?? definition.maxTokens,
  };
}
