/*
 * Thinking blocks as the 5.5 models bind them (platform.claude.com/docs/en/build-with-claude/
 * thinking#preserving-thinking-blocks and thinking-troubleshooting; the "thinking blocks are tied
 * to the model and the conversation" sections of the 5.5 "What's new" pages):
 *   - each block's signature is bound to the model that wrote it and to everything before it
 *     (system, tools, earlier messages; cache_control markers excluded). Replayed after a change
 *     to that prefix → 400 "bound to a different conversation". Replayed to another model → the
 *     API drops it silently.
 *   - a block must come back unchanged: an altered or unknown signature → 400 "Invalid
 *     `signature`"; changed text → 400 "cannot be modified" (text placed in an omitted block's
 *     empty field is ignored); in the latest assistant message, "you can't rearrange, edit, or
 *     partially drop them. This includes redacted_thinking blocks."
 */
import { createHash, randomBytes } from "node:crypto";
import { type ApiErrorSpec, invalid } from "./api-error.ts";

interface Issued {
  model: string;
  prefix: string;
  text: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A value with cache_control removed and string contents as one text block, keys sorted. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    if (key === "cache_control") continue;
    const inner = value[key];
    out[key] =
      key === "content" && typeof inner === "string"
        ? [{ text: inner, type: "text" }]
        : canonical(inner);
  }
  return out;
}

function prefixHash(body: Record<string, unknown>, messageCount: number): string {
  const messages = Array.isArray(body.messages) ? body.messages.slice(0, messageCount) : [];
  const system =
    typeof body.system === "string" ? [{ text: body.system, type: "text" }] : body.system;
  return createHash("sha256")
    .update(
      JSON.stringify(canonical({ system: system ?? null, tools: body.tools ?? null, messages })),
    )
    .digest("hex");
}

export class ThinkingLedger {
  readonly #issued = new Map<string, Issued>();
  /** tool_use id → the signatures of the thinking blocks of the reply that made it. */
  readonly #byToolUse = new Map<string, string[]>();

  /** A signature (or a scripted one) for a block the model writes now, in reply to `body`. */
  issue(body: Record<string, unknown>, text: string, scripted?: string): string {
    const signature = scripted || randomBytes(32).toString("base64");
    const messages = Array.isArray(body.messages) ? body.messages.length : 0;
    this.#issued.set(signature, {
      model: String(body.model),
      prefix: prefixHash(body, messages),
      text,
    });
    return signature;
  }

  /** Remembers which thinking blocks came with which tool calls. */
  link(toolUseIds: string[], signatures: string[]): void {
    for (const id of toolUseIds) this.#byToolUse.set(id, signatures);
  }

  /**
   * Checks every replayed thinking block of a request. Returns an error, or the body with the
   * blocks another model wrote removed (as the API drops them).
   */
  check(
    body: Record<string, unknown>,
  ): { error: ApiErrorSpec } | { body: Record<string, unknown> } {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const model = String(body.model);
    let dropped = false;
    const kept = messages.map((message, m) => {
      if (!isRecord(message) || message.role !== "assistant" || !Array.isArray(message.content)) {
        return message;
      }
      const content: unknown[] = [];
      for (const [b, block] of message.content.entries()) {
        if (!isRecord(block) || (block.type !== "thinking" && block.type !== "redacted_thinking")) {
          content.push(block);
          continue;
        }
        const where = `messages.${m}.content.${b}`;
        const signature = String(block.type === "thinking" ? block.signature : block.data);
        const issued = this.#issued.get(signature);
        if (!issued)
          return { error: invalid(`${where}: Invalid \`signature\` in \`thinking\` block`) };
        if (issued.model !== model) {
          dropped = true;
          continue;
        }
        if (issued.prefix !== prefixHash(body, m)) {
          return {
            error: invalid(
              `${where}: Invalid \`signature\` in \`thinking\` block. The block is bound to a different conversation. Remove the block, or set \`thinking.block_binding.prefix_mismatch_behavior\` to "drop_block".`,
            ),
          };
        }
        if (block.type === "thinking" && issued.text !== "" && block.thinking !== issued.text) {
          return { error: invalid(`${where}: ${MODIFIED}`) };
        }
        content.push(block);
      }
      return { ...message, content };
    });
    const failed = kept.find((k) => isRecord(k) && "error" in k);
    if (failed) return failed as { error: ApiErrorSpec };

    const latest = messages.findLastIndex((x) => isRecord(x) && x.role === "assistant");
    const turn = messages[latest];
    if (isRecord(turn) && Array.isArray(turn.content)) {
      const present = turn.content.flatMap((block) =>
        isRecord(block) && block.type === "thinking"
          ? [String(block.signature)]
          : isRecord(block) && block.type === "redacted_thinking"
            ? [String(block.data)]
            : [],
      );
      for (const block of turn.content) {
        if (!isRecord(block) || block.type !== "tool_use") continue;
        const expected = this.#byToolUse.get(String(block.id)) ?? [];
        const inOrder = present.filter((s) => expected.includes(s));
        if (
          expected.some((s) => this.#issued.get(s)?.model === model) &&
          inOrder.join() !== expected.join()
        ) {
          return { error: invalid(`messages.${latest}: ${MODIFIED}`) };
        }
      }
    }
    return { body: dropped ? { ...body, messages: kept } : body };
  }

  clear(): void {
    this.#issued.clear();
    this.#byToolUse.clear();
  }
}

const MODIFIED =
  "`thinking` or `redacted_thinking` blocks in the latest assistant message cannot be modified. These blocks must remain as they were in the original response.";
