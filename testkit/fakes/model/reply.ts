import { randomBytes } from "node:crypto";
import type Anthropic from "@anthropic-ai/sdk";
import { partialParse } from "@anthropic-ai/sdk/_vendor/partial-json-parser/parser";
import { tokensOf } from "./cache.ts";
import type {
  ContentReply,
  FaultReply,
  HangReply,
  ModelRequest,
  Reply,
  StreamErrorReply,
  TextReply,
  ToolUseReply,
} from "./types.ts";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `prefix` + 24 base62 characters, like `msg_01…`, `toolu_01…`, `req_01…`. */
export function newId(prefix: string): string {
  const bytes = randomBytes(22);
  let out = `${prefix}01`;
  for (const byte of bytes) out += BASE62[byte % 62];
  return out;
}

/** A generated output block; `json` is the tool input as emitted (cut when truncated). */
export type OutBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: unknown; json: string }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "redacted_thinking"; data: string };

export interface Output {
  blocks: OutBlock[];
  stopReason: Anthropic.StopReason;
  stopSequence: string | null;
  outputTokens: number;
}

export type ContentLikeReply = TextReply | ToolUseReply | ContentReply;

export const isHang = (reply: Reply): reply is HangReply => "hang" in reply && reply.hang === true;
export const isFault = (reply: Reply): reply is FaultReply =>
  "status" in reply && typeof reply.status === "number";
export const isStreamError = (reply: Reply): reply is StreamErrorReply => "streamError" in reply;
export const isContentLike = (reply: Reply): reply is ContentLikeReply =>
  "content" in reply || "toolUse" in reply || "text" in reply;

function blockChars(block: OutBlock): number {
  switch (block.type) {
    case "text":
      return block.text.length;
    case "tool_use":
      return block.json.length;
    case "thinking":
      return block.thinking.length;
    case "redacted_thinking":
      return 0;
  }
}

function toolBlock(call: { name: string; input: Record<string, unknown>; id?: string }): OutBlock {
  return {
    type: "tool_use",
    id: call.id ?? newId("toolu_"),
    name: call.name,
    input: call.input,
    json: JSON.stringify(call.input),
  };
}

function parsePartial(json: string): unknown {
  try {
    const value = partialParse(json);
    return typeof value === "object" && value !== null ? value : {};
  } catch {
    return {};
  }
}

/**
 * Keeps the first `limit` output characters. A cut tool input keeps its cut JSON (which no longer
 * parses) and, for the non-streaming body, the SDK's own partial parse of it.
 */
function truncate(blocks: OutBlock[], limit: number): OutBlock[] {
  const kept: OutBlock[] = [];
  let left = Math.max(0, limit);
  for (const block of blocks) {
    const chars = blockChars(block);
    if (chars <= left) {
      kept.push(block);
      left -= chars;
      continue;
    }
    if (block.type === "text") kept.push({ ...block, text: block.text.slice(0, left) });
    else if (block.type === "thinking")
      kept.push({ ...block, thinking: block.thinking.slice(0, left) });
    else if (block.type === "tool_use") {
      const json = block.json.slice(0, left);
      kept.push({ ...block, json, input: parsePartial(json) });
    }
    break;
  }
  return kept;
}

function replyBlocks(reply: ContentLikeReply): OutBlock[] {
  if ("content" in reply) {
    return reply.content.map((block): OutBlock => {
      switch (block.type) {
        case "text":
          return { type: "text", text: block.text };
        case "tool_use":
          return toolBlock(block);
        case "redacted_thinking":
          return { type: "redacted_thinking", data: block.data ?? "" };
        default:
          // The signature is issued (and bound) by the fake's thinking ledger.
          return { type: "thinking", thinking: block.thinking, signature: block.signature ?? "" };
      }
    });
  }
  if ("toolUse" in reply) {
    const calls = Array.isArray(reply.toolUse) ? reply.toolUse : [reply.toolUse];
    const text: OutBlock[] = reply.text ? [{ type: "text", text: reply.text }] : [];
    return [...text, ...calls.map(toolBlock)];
  }
  return [{ type: "text", text: reply.text }];
}

function defaultStopReason(reply: ContentLikeReply, blocks: OutBlock[]): Anthropic.StopReason {
  if ("toolUse" in reply) return "tool_use";
  if (reply.stopReason) return reply.stopReason;
  return blocks.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn";
}

/** Thinking the fake adds before a reply that has none of its own: its text and hidden tokens. */
export interface AddedThinking {
  text: string;
  /** Tokens spent thinking beyond the shown text (billed as output, counted in max_tokens). */
  tokens: number;
}

/**
 * Turns a content reply into output blocks, applying stop sequences, truncateAt and max_tokens;
 * `thinking` (when the request thinks) opens the reply and its tokens count toward max_tokens.
 */
export function buildOutput(
  reply: ContentLikeReply,
  request: ModelRequest,
  thinking: AddedThinking | null = null,
): Output {
  let blocks = replyBlocks(reply);
  const hidden =
    thinking && !blocks.some((b) => b.type === "thinking" || b.type === "redacted_thinking")
      ? thinking
      : null;
  if (hidden) blocks = [{ type: "thinking", thinking: hidden.text, signature: "" }, ...blocks];
  const hiddenTokens = hidden?.tokens ?? 0;
  let stopReason = defaultStopReason(reply, blocks);
  const stopSequences = request.body.stop_sequences ?? [];
  let stopSequence: string | null = null;

  if (stopReason === "stop_sequence") {
    stopSequence = stopSequences[0] ?? null;
  } else if (stopReason === "end_turn" && stopSequences.length > 0) {
    // The model stops at the first stop sequence it would have written.
    for (const [i, block] of blocks.entries()) {
      if (block.type !== "text") continue;
      let at = -1;
      for (const seq of stopSequences) {
        const found = block.text.indexOf(seq);
        if (found >= 0 && (at < 0 || found < at)) {
          at = found;
          stopSequence = seq;
        }
      }
      if (at >= 0) {
        blocks = [...blocks.slice(0, i), { type: "text", text: block.text.slice(0, at) }];
        stopReason = "stop_sequence";
        break;
      }
    }
  }

  if (reply.truncateAt !== undefined) {
    const total = blocks.reduce((sum, b) => sum + blockChars(b), 0);
    blocks = truncate(blocks, reply.truncateAt);
    const last = blocks.at(-1);
    if (reply.truncateAt >= total && last?.type === "tool_use" && last.json.length > 0) {
      // Nothing was cut: still leave the tool input unfinished, as a real cut-off would.
      const json = last.json.slice(0, -1);
      blocks[blocks.length - 1] = { ...last, json, input: parsePartial(json) };
    }
    stopReason = "max_tokens";
    stopSequence = null;
  }

  const maxTokens = request.body.max_tokens;
  let chars = blocks.reduce((sum, b) => sum + blockChars(b), 0);
  if (hiddenTokens + tokensOf(chars) > maxTokens) {
    blocks = truncate(blocks, Math.max(0, maxTokens - hiddenTokens) * 4);
    chars = blocks.reduce((sum, b) => sum + blockChars(b), 0);
    stopReason = "max_tokens";
    stopSequence = null;
  }
  return {
    blocks,
    stopReason,
    stopSequence,
    outputTokens: Math.min(maxTokens, hiddenTokens + tokensOf(chars)),
  };
}

/** The response body's content blocks. */
export function contentOf(blocks: OutBlock[]): Anthropic.ContentBlock[] {
  return blocks.map((block): Anthropic.ContentBlock => {
    switch (block.type) {
      case "text":
        return { type: "text", text: block.text, citations: null };
      case "tool_use":
        return {
          type: "tool_use",
          id: block.id,
          name: block.name,
          input: block.input,
          caller: { type: "direct" },
        };
      case "redacted_thinking":
        return { type: "redacted_thinking", data: block.data };
      default:
        return { type: "thinking", thinking: block.thinking, signature: block.signature };
    }
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A minimal value satisfying a JSON schema's required structure. */
export function sampleFromSchema(schema: unknown): unknown {
  if (!isRecord(schema)) return null;
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ("default" in schema) return schema.default;
  const type = Array.isArray(schema.type)
    ? schema.type.find((t) => t !== "null")
    : (schema.type ?? (isRecord(schema.properties) ? "object" : undefined));
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      const properties = isRecord(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required) ? schema.required : [];
      for (const name of required) {
        if (typeof name === "string") out[name] = sampleFromSchema(properties[name]);
      }
      return out;
    }
    case "string":
      return "";
    case "number":
    case "integer":
      return typeof schema.minimum === "number" ? schema.minimum : 0;
    case "boolean":
      return false;
    case "array":
      return [];
    default:
      return null;
  }
}

/**
 * The reply when nothing is scripted: a forced tool, or the only tool offered, gets a minimal
 * call; anything else a text.
 */
export function defaultReply(request: ModelRequest): Reply {
  const choice = request.toolChoice;
  const tools = (request.body.tools ?? []) as unknown as Array<Record<string, unknown>>;
  const custom = tools.filter((t) => t.type === undefined || t.type === "custom");
  const forced =
    choice?.type === "tool"
      ? choice.name
      : choice?.type === "any" || (choice?.type !== "none" && custom.length === 1)
        ? (custom[0]?.name as string | undefined)
        : undefined;
  if (forced) {
    const tool = tools.find((t) => t.name === forced);
    const input = sampleFromSchema(tool?.input_schema);
    return { toolUse: { name: forced, input: isRecord(input) ? input : {} } };
  }
  return { text: "OK." };
}
