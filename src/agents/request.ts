// Builds the Messages API request for one agent call from the model table, so no request
// carries a setting its model refuses: no forced tool on models that refuse it, thinking only in
// the modes the model accepts, effort per agent, output room that includes the thinking, and
// no sampling parameters or prefill (the conversation always ends with a user turn).

import type { ContentBlockParam, MessageParam } from "@anthropic-ai/sdk/resources/messages";
import type { AgentName } from "../core/feature.ts";
import { MODELS, THINKING_ROOM, thinkingFor } from "../core/models.ts";
import type { ModelRequest } from "../ports/model.ts";
import { GOVERNANCE } from "./prompts.ts";
import { AGENT_DEFINITIONS, type ModelSetting } from "./registry.ts";
import { toolsOf } from "./tools.ts";

export function buildRequest(
  agent: AgentName,
  setting: ModelSetting,
  messages: MessageParam[],
  answerTokens = setting.maxTokens,
): ModelRequest {
  const model = MODELS[setting.model];
  const definition = AGENT_DEFINITIONS[agent];
  const thinking = thinkingFor(model, setting.effort, definition.thinking);
  // A model that accepts a forced tool answers without thinking when forced, so only an agent
  // that does not think anyway is forced; every other call leaves the choice to the model.
  const forced = model.forcedToolUse && thinking.type === "disabled" && !definition.edits;
  return {
    model: setting.model,
    max_tokens: outputRoom(agent, setting, answerTokens),
    thinking,
    output_config: { effort: setting.effort },
    tools: toolsOf(agent, model.strictTools),
    tool_choice: forced ? { type: "tool", name: definition.tool } : { type: "auto" },
    // tools → system → messages is the API's prefix order: the governance text is cached per
    // agent and model.
    system: [{ type: "text", text: GOVERNANCE, cache_control: { type: "ephemeral" } }],
    messages: withBreakpoints(messages),
  };
}

/** `max_tokens` for a call: the answer's room plus the thinking room of the effort, up to the model's limit. */
export function outputRoom(agent: AgentName, setting: ModelSetting, answerTokens: number): number {
  const model = MODELS[setting.model];
  const thinking = thinkingFor(model, setting.effort, AGENT_DEFINITIONS[agent].thinking);
  const thinkingRoom = thinking.type === "disabled" ? 0 : THINKING_ROOM[setting.effort];
  return Math.min(model.maxOutputTokens, answerTokens + thinkingRoom);
}

/** The most output room a call may be given, thinking included. */
export const maxOutputTokens = (setting: ModelSetting) => MODELS[setting.model].maxOutputTokens;

/**
 * Cache breakpoints, within the API's four (build-with-claude/prompt-caching: "You can define
 * up to 4 cache breakpoints"): the system prompt; the end of the shared documents (brief, spec,
 * plan, tests, repository overview), the first block of the first user turn when the prompt
 * has its documents apart, which a retry, a fix round or a review of a new head sends again
 * unchanged; the end of the first user turn (the whole rendered prompt, which a correction or
 * a tool loop sends again); and the newest user turn, so each turn of a tool loop reads the
 * turns before it from the cache. The stored messages stay unmarked.
 */
function withBreakpoints(messages: MessageParam[]): MessageParam[] {
  const first = messages.findIndex((m) => m.role === "user");
  const marks = new Map<number, Set<number>>();
  const mark = (i: number, block: number) => {
    const set = marks.get(i) ?? new Set<number>();
    set.add(block);
    marks.set(i, set);
  };
  const firstContent = messages[first]?.content;
  if (Array.isArray(firstContent) && firstContent.length > 1) mark(first, 0);
  mark(first, -1);
  mark(messages.length - 1, -1);
  return messages.map((message, i) => {
    const wanted = marks.get(i);
    if (wanted === undefined || message.role !== "user") return message;
    const blocks: ContentBlockParam[] =
      typeof message.content === "string"
        ? [{ type: "text", text: message.content }]
        : [...message.content];
    let changed = false;
    for (const at of wanted) {
      const index = at < 0 ? blocks.length + at : at;
      const block = blocks[index];
      if (block === undefined || (block.type !== "text" && block.type !== "tool_result")) continue;
      blocks[index] = { ...block, cache_control: { type: "ephemeral" } };
      changed = true;
    }
    return changed ? { role: "user", content: blocks } : message;
  });
}
