import type Anthropic from "@anthropic-ai/sdk";
import type { OutBlock } from "./reply.ts";

export interface SseEvent {
  event: string;
  data: unknown;
}

/** `event: …\ndata: …\n\n`, the API's framing. */
export function frame({ event, data }: SseEvent): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Tool input JSON in several partial pieces; the API starts with an empty one. */
function jsonChunks(json: string): string[] {
  const size = Math.max(1, Math.min(16, Math.ceil(json.length / 3)));
  return ["", ...chunks(json, size)];
}

function startBlock(block: OutBlock): Anthropic.RawContentBlockStartEvent["content_block"] {
  switch (block.type) {
    case "text":
      return { type: "text", text: "", citations: null };
    case "tool_use":
      return {
        type: "tool_use",
        id: block.id,
        name: block.name,
        input: {},
        caller: { type: "direct" },
      };
    case "thinking":
      return { type: "thinking", thinking: "", signature: "" };
    case "redacted_thinking":
      return { type: "redacted_thinking", data: block.data };
  }
}

function deltas(block: OutBlock): Anthropic.RawContentBlockDelta[] {
  switch (block.type) {
    case "text":
      return chunks(block.text, 24).map((text) => ({ type: "text_delta", text }));
    case "tool_use":
      return jsonChunks(block.json).map((partial_json) => ({
        type: "input_json_delta",
        partial_json,
      }));
    case "thinking":
      return [
        ...chunks(block.thinking, 24).map(
          (thinking): Anthropic.RawContentBlockDelta => ({ type: "thinking_delta", thinking }),
        ),
        { type: "signature_delta", signature: block.signature },
      ];
    case "redacted_thinking":
      return [];
  }
}

/**
 * The event sequence the API streams for `message`: message_start (empty content, output_tokens
 * so far), per block content_block_start / content_block_delta… / content_block_stop (a `ping`
 * after the first block start), message_delta (stop reason and cumulative usage), message_stop.
 */
export function messageEvents(message: Anthropic.Message, blocks: OutBlock[]): SseEvent[] {
  const usage = message.usage;
  const start: Anthropic.RawMessageStartEvent = {
    type: "message_start",
    message: {
      ...message,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      stop_details: null,
      usage: { ...usage, output_tokens: Math.min(1, usage.output_tokens) },
    },
  };
  const events: SseEvent[] = [{ event: "message_start", data: start }];
  const ping: SseEvent = { event: "ping", data: { type: "ping" } };
  if (blocks.length === 0) events.push(ping);
  for (const [index, block] of blocks.entries()) {
    const blockStart: Anthropic.RawContentBlockStartEvent = {
      type: "content_block_start",
      index,
      content_block: startBlock(block),
    };
    events.push({ event: "content_block_start", data: blockStart });
    if (index === 0) events.push(ping);
    for (const delta of deltas(block)) {
      const event: Anthropic.RawContentBlockDeltaEvent = {
        type: "content_block_delta",
        index,
        delta,
      };
      events.push({ event: "content_block_delta", data: event });
    }
    const stop: Anthropic.RawContentBlockStopEvent = { type: "content_block_stop", index };
    events.push({ event: "content_block_stop", data: stop });
  }
  const delta: Anthropic.RawMessageDeltaEvent = {
    type: "message_delta",
    delta: {
      stop_reason: message.stop_reason,
      stop_sequence: message.stop_sequence,
      stop_details: message.stop_details,
      container: null,
    },
    usage: {
      input_tokens: usage.input_tokens,
      cache_creation_input_tokens: usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens,
      output_tokens: usage.output_tokens,
      output_tokens_details: null,
      server_tool_use: null,
    },
  };
  events.push({ event: "message_delta", data: delta });
  const stop: Anthropic.RawMessageStopEvent = { type: "message_stop" };
  events.push({ event: "message_stop", data: stop });
  return events;
}
