/*
 * Request validation for POST /v1/messages (and count_tokens), limited to what matters to a
 * client: the messages the API would answer with 400/404 for. Messages imitate the API's
 * pydantic-style wording ("max_tokens: Field required").
 */

import { type ApiErrorSpec, invalid } from "./api-error.ts";
import { checkModelRules, type ModelRules } from "./rules.ts";

export type { ApiErrorSpec };

export interface ModelSpec {
  id: string;
  displayName: string;
  line: "opus" | "sonnet" | "haiku";
  /** Upper bound accepted for max_tokens. */
  maxOutputTokens: number;
  /** What the model refuses (rules.ts). */
  rules: ModelRules;
}

/** Body fields of MessageCreateParamsBase in @anthropic-ai/sdk 1.12.0 (API 2026-10-21). */
const MESSAGE_FIELDS = new Set([
  "max_tokens",
  "messages",
  "model",
  "cache_control",
  "container",
  "diagnostics",
  "inference_geo",
  "metadata",
  "output_config",
  "service_tier",
  "speed",
  "stop_sequences",
  "stream",
  "system",
  "thinking",
  "tool_choice",
  "tools",
]);
const COUNT_TOKENS_FIELDS = new Set([
  "messages",
  "model",
  "cache_control",
  "output_config",
  "speed",
  "system",
  "thinking",
  "tool_choice",
  "tools",
]);
/** Sampling parameters removed from this API version. */
const REMOVED_FIELDS = ["temperature", "top_p", "top_k"];
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;
const MAX_BREAKPOINTS = 4;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCacheControl(value: unknown): boolean {
  return (
    isRecord(value) &&
    value.type === "ephemeral" &&
    (value.ttl === undefined || value.ttl === "5m" || value.ttl === "1h")
  );
}

function checkCacheControl(path: string, block: Record<string, unknown>): ApiErrorSpec | null {
  const cc = block.cache_control;
  if (cc === undefined || cc === null) return null;
  return isCacheControl(cc)
    ? null
    : invalid(`${path}.cache_control: Input should be a valid cache control`);
}

function checkTextBlock(path: string, block: Record<string, unknown>): ApiErrorSpec | null {
  if (typeof block.text !== "string") return invalid(`${path}.text: Field required`);
  if (block.text.length === 0) return invalid("messages: text content blocks must be non-empty");
  return null;
}

function checkBlock(path: string, block: unknown): ApiErrorSpec | null {
  if (!isRecord(block)) return invalid(`${path}: Input should be a valid dictionary`);
  if (typeof block.type !== "string") return invalid(`${path}.type: Field required`);
  const cc = checkCacheControl(path, block);
  if (cc) return cc;
  switch (block.type) {
    case "text":
      return checkTextBlock(path, block);
    case "tool_use":
      if (typeof block.id !== "string") return invalid(`${path}.id: Field required`);
      if (typeof block.name !== "string") return invalid(`${path}.name: Field required`);
      if (!isRecord(block.input))
        return invalid(`${path}.input: Input should be a valid dictionary`);
      return null;
    case "tool_result": {
      if (typeof block.tool_use_id !== "string")
        return invalid(`${path}.tool_use_id: Field required`);
      const content = block.content;
      if (content === undefined || typeof content === "string") return null;
      if (!Array.isArray(content)) {
        return invalid(`${path}.content: Input should be a valid string or list`);
      }
      for (const [k, inner] of content.entries()) {
        const error = checkBlock(`${path}.content.${k}`, inner);
        if (error) return error;
      }
      return null;
    }
    default:
      return null;
  }
}

interface Turn {
  role: string;
  /** Index of the first message of the (merged) turn. */
  index: number;
  blocks: Array<{ block: Record<string, unknown>; path: string }>;
}

function checkMessages(messages: unknown, strictAlternation: boolean): ApiErrorSpec | null {
  if (messages === undefined) return invalid("messages: Field required");
  if (!Array.isArray(messages)) return invalid("messages: Input should be a valid list");
  if (messages.length === 0) return invalid("messages: at least one message is required");

  const turns: Turn[] = [];
  for (const [i, message] of messages.entries()) {
    const path = `messages.${i}`;
    if (!isRecord(message)) return invalid(`${path}: Input should be a valid dictionary`);
    const { role, content } = message;
    if (role !== "user" && role !== "assistant" && role !== "system") {
      return invalid(`${path}.role: Input should be 'user', 'assistant' or 'system'`);
    }
    if (content === undefined) return invalid(`${path}.content: Field required`);
    const blocks: Turn["blocks"] = [];
    if (typeof content === "string") {
      if (content.length === 0 && !(role === "assistant" && i === messages.length - 1)) {
        return invalid(`${path}: ${role} messages must have non-empty content`);
      }
      blocks.push({ block: { type: "text", text: content }, path: `${path}.content` });
    } else if (Array.isArray(content)) {
      if (content.length === 0)
        return invalid(`${path}: ${role} messages must have non-empty content`);
      for (const [j, block] of content.entries()) {
        const error = checkBlock(`${path}.content.${j}`, block);
        if (error) return error;
        blocks.push({ block: block as Record<string, unknown>, path: `${path}.content.${j}` });
      }
    } else {
      return invalid(`${path}.content: Input should be a valid string or list`);
    }
    if (role === "system") {
      if (blocks.some(({ block }) => block.type !== "text")) {
        return invalid(`${path}.content: system messages may only contain text blocks`);
      }
      continue;
    }
    const previous = turns.at(-1);
    if (previous && previous.role === role) {
      // The API merges consecutive same-role messages into one turn.
      if (strictAlternation) {
        return invalid(`${path}: roles must alternate between "user" and "assistant"`);
      }
      previous.blocks.push(...blocks);
    } else {
      turns.push({ role, index: i, blocks });
    }
  }

  const first = turns[0];
  if (!first) return invalid("messages: at least one user message is required");
  if (first.role !== "user")
    return invalid(`messages.${first.index}: first message must use the "user" role`);

  for (const [t, turn] of turns.entries()) {
    if (turn.role === "assistant") {
      const ids = turn.blocks.flatMap(({ block }) =>
        block.type === "tool_use" ? [block.id as string] : [],
      );
      if (ids.length === 0) continue;
      const next = turns[t + 1];
      const answered = new Set(
        (next?.blocks ?? []).flatMap(({ block }) =>
          block.type === "tool_result" ? [block.tool_use_id as string] : [],
        ),
      );
      const missing = ids.filter((id) => !answered.has(id));
      if (missing.length > 0) {
        return invalid(
          `messages.${next?.index ?? turn.index}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
        );
      }
      continue;
    }
    // user turn: every tool_result must answer a tool_use of the previous assistant turn,
    // and tool_result blocks come before any other content.
    const previous = turns[t - 1];
    const offered = new Set(
      (previous?.blocks ?? []).flatMap(({ block }) =>
        block.type === "tool_use" ? [block.id as string] : [],
      ),
    );
    let seenOther = false;
    for (const { block, path } of turn.blocks) {
      if (block.type !== "tool_result") {
        seenOther = true;
        continue;
      }
      if (!offered.has(block.tool_use_id as string)) {
        return invalid(
          `${path}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
        );
      }
      if (seenOther) {
        return invalid(
          `${path}: \`tool_result\` blocks must come first in the user message content, before any other content.`,
        );
      }
    }
  }
  return null;
}

function checkSystem(system: unknown): ApiErrorSpec | null {
  if (system === undefined || typeof system === "string") return null;
  if (!Array.isArray(system)) return invalid("system: Input should be a valid string or list");
  for (const [i, block] of system.entries()) {
    const path = `system.${i}`;
    if (!isRecord(block) || block.type !== "text")
      return invalid(`${path}.type: Input should be 'text'`);
    const error = checkCacheControl(path, block) ?? checkTextBlock(path, block);
    if (error) return error;
  }
  return null;
}

function checkTools(tools: unknown): { error: ApiErrorSpec | null; names: string[] } {
  const names: string[] = [];
  if (tools === undefined) return { error: null, names };
  if (!Array.isArray(tools))
    return { error: invalid("tools: Input should be a valid list"), names };
  for (const [i, tool] of tools.entries()) {
    const path = `tools.${i}`;
    if (!isRecord(tool))
      return { error: invalid(`${path}: Input should be a valid dictionary`), names };
    const cc = checkCacheControl(path, tool);
    if (cc) return { error: cc, names };
    const custom = tool.type === undefined || tool.type === null || tool.type === "custom";
    if (typeof tool.name !== "string")
      return { error: invalid(`${path}.name: Field required`), names };
    if (custom) {
      if (!TOOL_NAME.test(tool.name)) {
        return {
          error: invalid(`${path}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`),
          names,
        };
      }
      if (tool.input_schema === undefined) {
        return { error: invalid(`${path}.input_schema: Field required`), names };
      }
      if (!isRecord(tool.input_schema) || tool.input_schema.type !== "object") {
        return { error: invalid(`${path}.input_schema.type: Input should be 'object'`), names };
      }
    }
    if (names.includes(tool.name))
      return { error: invalid("tools: Tool names must be unique."), names };
    names.push(tool.name);
  }
  return { error: null, names };
}

function checkToolChoice(choice: unknown, toolNames: string[]): ApiErrorSpec | null {
  if (choice === undefined) return null;
  if (!isRecord(choice)) return invalid("tool_choice: Input should be a valid dictionary");
  switch (choice.type) {
    case "auto":
    case "none":
      return null;
    case "any":
      return toolNames.length > 0
        ? null
        : invalid("tool_choice: `tool_choice` may only be specified while providing tools.");
    case "tool":
      if (typeof choice.name !== "string") return invalid("tool_choice.tool.name: Field required");
      return toolNames.includes(choice.name)
        ? null
        : invalid(`tool_choice: Tool '${choice.name}' not found in provided tools`);
    default:
      return invalid("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
  }
}

function countBreakpoints(body: Record<string, unknown>): number {
  let count = body.cache_control ? 1 : 0;
  const visit = (block: unknown) => {
    if (isRecord(block) && block.cache_control) count++;
  };
  if (Array.isArray(body.tools)) body.tools.forEach(visit);
  if (Array.isArray(body.system)) body.system.forEach(visit);
  if (Array.isArray(body.messages)) {
    for (const message of body.messages) {
      if (isRecord(message) && Array.isArray(message.content)) message.content.forEach(visit);
    }
  }
  return count;
}

export interface ValidateOptions {
  models: Map<string, ModelSpec>;
  strictAlternation: boolean;
  /** count_tokens takes no max_tokens/stream. */
  countTokens: boolean;
  /** `?beta=true` requests may carry beta-only fields. */
  beta: boolean;
}

export function validateMessagesBody(body: unknown, options: ValidateOptions): ApiErrorSpec | null {
  if (!isRecord(body)) return invalid("Input should be a valid dictionary");
  for (const field of REMOVED_FIELDS) {
    if (field in body) return invalid(`${field}: Extra inputs are not permitted`);
  }
  if (!options.beta) {
    const allowed = options.countTokens ? COUNT_TOKENS_FIELDS : MESSAGE_FIELDS;
    for (const field of Object.keys(body)) {
      if (!allowed.has(field)) return invalid(`${field}: Extra inputs are not permitted`);
    }
  }
  if (body.model === undefined) return invalid("model: Field required");
  if (typeof body.model !== "string") return invalid("model: Input should be a valid string");

  let maxOutput = 0;
  if (!options.countTokens) {
    const maxTokens = body.max_tokens;
    if (maxTokens === undefined) return invalid("max_tokens: Field required");
    if (typeof maxTokens !== "number" || !Number.isInteger(maxTokens)) {
      return invalid("max_tokens: Input should be a valid integer");
    }
    if (maxTokens < 0) return invalid("max_tokens: Input should be greater than or equal to 0");
    maxOutput = maxTokens;
    if (body.stream !== undefined && typeof body.stream !== "boolean") {
      return invalid("stream: Input should be a valid boolean");
    }
    if (body.stop_sequences !== undefined) {
      if (
        !Array.isArray(body.stop_sequences) ||
        body.stop_sequences.some((s) => typeof s !== "string" || s.trim() === "")
      ) {
        return invalid("stop_sequences: each stop sequence must be a non-empty string");
      }
    }
  }

  const error = checkMessages(body.messages, options.strictAlternation) ?? checkSystem(body.system);
  if (error) return error;
  const tools = checkTools(body.tools);
  if (tools.error) return tools.error;
  const choice = checkToolChoice(body.tool_choice, tools.names);
  if (choice) return choice;
  if (body.cache_control !== undefined && body.cache_control !== null) {
    if (!isCacheControl(body.cache_control)) {
      return invalid("cache_control: Input should be a valid cache control");
    }
  }
  const breakpoints = countBreakpoints(body);
  if (breakpoints > MAX_BREAKPOINTS) {
    return invalid(
      `A maximum of ${MAX_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints}.`,
    );
  }

  const model = options.models.get(body.model);
  if (!model) return { status: 404, type: "not_found_error", message: `model: ${body.model}` };
  if (maxOutput > model.maxOutputTokens) {
    return invalid(
      `max_tokens: ${maxOutput} > ${model.maxOutputTokens}, which is the maximum allowed number of output tokens for ${model.id}`,
    );
  }
  return checkModelRules(body, model.rules, options.countTokens);
}
