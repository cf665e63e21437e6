// The implementer's conversation upkeep. Turns are only ever appended: the 5.5 models bind each
// thinking block to everything before it, so an edited earlier turn would make the API refuse
// the request ("What's new in Claude Sonnet 5.5": thinking blocks are tied to the model and the
// conversation). A conversation that grows too long starts over instead, from the task and a
// summary of the work so far, which the code writes (not the model).

import type {
  MessageParam,
  TextBlockParam,
  ToolResultBlockParam,
} from "@anthropic-ai/sdk/resources/messages";
import type { FileChange } from "../../ports/github.ts";

/** Past this size (characters of JSON, roughly a quarter as many tokens) the conversation starts over. */
export const FRESH_AT_CHARS = 400_000;
/** Characters of each latest tool result carried into a fresh conversation. */
const CARRIED_RESULT_CHARS = 4_000;

export function toolResult(
  toolUseId: string,
  text: string,
  isError: boolean,
): ToolResultBlockParam {
  return {
    type: "tool_result",
    tool_use_id: toolUseId,
    content: text,
    ...(isError ? { is_error: true } : {}),
  };
}

/** Adds text to the user turn being built, or starts one. */
export function appendUserText(messages: MessageParam[], text: string): void {
  const last = messages.at(-1);
  const block: TextBlockParam = { type: "text", text };
  if (last === undefined || last.role !== "user") {
    messages.push({ role: "user", content: [block] });
    return;
  }
  last.content =
    typeof last.content === "string"
      ? [{ type: "text", text: last.content }, block]
      : [...last.content, block];
}

/**
 * The conversation to send next: as it is while it fits, else a fresh one holding the task, the
 * files changed so far and the results of the latest tool calls (which would otherwise be lost).
 */
export function nextConversation(
  messages: MessageParam[],
  task: TextBlockParam[],
  changesSoFar: () => FileChange[],
): MessageParam[] {
  if (JSON.stringify(messages).length <= FRESH_AT_CHARS) return messages;
  const changes = changesSoFar();
  const last = messages.at(-1);
  const latest =
    last?.role === "user" && typeof last.content !== "string"
      ? last.content.flatMap((block) => {
          if (block.type === "text") return [block.text];
          if (block.type !== "tool_result") return [];
          const text = typeof block.content === "string" ? block.content : "";
          return [
            `${block.is_error ? "Error: " : ""}${text.length > CARRIED_RESULT_CHARS ? `${text.slice(0, CARRIED_RESULT_CHARS)}\n[… cut; call the tool again for the rest]` : text}`,
          ];
        })
      : [];
  const changed =
    changes.length === 0
      ? "No file has been changed yet."
      : changes
          .map(
            (c) =>
              `- ${c.path}: ${c.content === null ? "deleted" : `${c.content.length} characters`}`,
          )
          .join("\n");
  const progress = [
    "## Progress so far",
    "This conversation started over because it grew too long. The working copy keeps every change you made; view a file again to see its current content.",
    "Files changed so far:",
    changed,
    ...(latest.length > 0 ? ["Results of your latest tool calls:", ...latest] : []),
    "Continue the work.",
  ].join("\n\n");
  return [
    {
      role: "user",
      content: [...task, { type: "text", text: progress }],
    },
  ];
}
