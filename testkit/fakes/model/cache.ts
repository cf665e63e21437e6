import { createHash } from "node:crypto";

/*
 * Token counting and prompt caching, modelled on the API's documented behaviour.
 *
 * Token rule. The prompt is flattened into "units", in the API's prefix order
 * tools → system → messages:
 *   - each tool definition: JSON.stringify(tool without cache_control)
 *   - top-level `system`: a string is one unit; an array gives one unit per text block
 *   - each message content block (a string content counts as one text block), role `system`
 *     messages included, in order
 * A text block counts its `text` characters; every other block counts the characters of
 * JSON.stringify(block without cache_control). A prefix of k units is
 * ceil(chars of those k units / 4) tokens, so the whole prompt is ceil(total chars / 4) and the
 * three usage fields always add up to it. Output tokens are ceil(output chars / 4), where output
 * chars are the text characters plus the tool input JSON characters (plus thinking text).
 *
 * Caching, as documented (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching):
 * the prefix runs tools → system → messages, an entry lives 5 minutes unless `ttl: "1h"`, each
 * hit refreshes it, and a cache belongs to one model (a prefix written by one model is never
 * read by another), so the cache share is counted per model.
 * A breakpoint is a unit with `cache_control` (tools, system blocks, message blocks),
 * or the last unit when the request has a top-level `cache_control`. Entries are keyed by
 * (model, api key, hash of the whole prefix up to and including the unit). For each request:
 *   - read: the longest prefix, ending at a breakpoint or at one of the 19 units before it (the
 *     API's ~20-block lookback), that has a live entry → cache_read_input_tokens; that entry's
 *     TTL is refreshed;
 *   - write: every breakpoint beyond the read point whose prefix is at least the model's
 *     minimum cacheable prompt (512 tokens on the 5.5 models) gets an entry; tokens from the read point up to the
 *     last written breakpoint → cache_creation_input_tokens (split by TTL 5m/1h);
 *   - the rest of the prompt → input_tokens.
 * Prefixes shorter than the minimum are neither written nor read, like the API.
 */

export type CacheTtl = "5m" | "1h";

export interface PromptUnit {
  /** Serialized identity of the unit (role or section, plus content without cache_control). */
  key: string;
  chars: number;
  breakpoint: CacheTtl | null;
}

export interface CacheAccount {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  ephemeral_5m_input_tokens: number;
  ephemeral_1h_input_tokens: number;
  /** The request had at least one breakpoint. */
  hadBreakpoint: boolean;
}

export const tokensOf = (chars: number): number => Math.ceil(chars / 4);

const LOOKBACK_UNITS = 20;
const TTL_MS: Record<CacheTtl, number> = { "5m": 5 * 60_000, "1h": 60 * 60_000 };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function ttlOf(cacheControl: unknown): CacheTtl | null {
  if (!isRecord(cacheControl) || cacheControl.type !== "ephemeral") return null;
  return cacheControl.ttl === "1h" ? "1h" : "5m";
}

function withoutCacheControl(block: unknown): unknown {
  if (!isRecord(block) || !("cache_control" in block)) return block;
  const { cache_control: _ignored, ...rest } = block;
  return rest;
}

function blockUnit(section: string, block: unknown): PromptUnit {
  const bare = withoutCacheControl(block);
  const json = JSON.stringify(bare) ?? "";
  const chars =
    isRecord(bare) && bare.type === "text" && typeof bare.text === "string"
      ? bare.text.length
      : json.length;
  return {
    key: `${section}\u0000${json}`,
    chars,
    breakpoint: isRecord(block) ? ttlOf(block.cache_control) : null,
  };
}

/** Flattens a (validated) messages or count_tokens body into prompt units. */
export function promptUnits(body: Record<string, unknown>): PromptUnit[] {
  const units: PromptUnit[] = [];
  if (Array.isArray(body.tools)) {
    for (const tool of body.tools) units.push(blockUnit("tool", tool));
  }
  if (typeof body.system === "string") {
    units.push(blockUnit("system", { type: "text", text: body.system }));
  } else if (Array.isArray(body.system)) {
    for (const block of body.system) units.push(blockUnit("system", block));
  }
  if (Array.isArray(body.messages)) {
    for (const message of body.messages) {
      if (!isRecord(message)) continue;
      const role = String(message.role);
      const content = message.content;
      if (typeof content === "string") {
        units.push(blockUnit(role, { type: "text", text: content }));
      } else if (Array.isArray(content)) {
        for (const block of content) units.push(blockUnit(role, block));
      }
    }
  }
  const automatic = ttlOf(body.cache_control);
  const last = units.at(-1);
  if (automatic && last && !last.breakpoint) last.breakpoint = automatic;
  return units;
}

export function countPromptTokens(units: PromptUnit[]): number {
  return tokensOf(units.reduce((sum, unit) => sum + unit.chars, 0));
}

interface Entry {
  expiresAt: number;
  ttlMs: number;
}

export class PromptCache {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /**
   * Reads and writes the cache for one request and returns its usage split. `scope` keeps
   * caches apart (model and key: a cache is per model); `minTokens` is the model's minimum.
   */
  account(scope: string, units: PromptUnit[], minTokens: number): CacheAccount {
    const now = this.#now();
    const prefixTokens: number[] = [];
    const keys: string[] = [];
    let chars = 0;
    let hash = "";
    for (const unit of units) {
      chars += unit.chars;
      prefixTokens.push(tokensOf(chars));
      hash = createHash("sha256").update(hash).update("\n").update(unit.key).digest("hex");
      keys.push(`${scope}\u0000${hash}`);
    }
    const total = tokensOf(chars);
    const breakpoints = units.flatMap((unit, i) => (unit.breakpoint ? [i] : []));

    let readAt = -1;
    for (const b of breakpoints) {
      for (let j = b; j >= Math.max(0, b - (LOOKBACK_UNITS - 1)) && j > readAt; j--) {
        if (this.#live(keys[j] as string, now)) {
          readAt = j;
          break;
        }
      }
    }
    let covered = 0;
    if (readAt >= 0) {
      const entry = this.#entries.get(keys[readAt] as string) as Entry;
      entry.expiresAt = now + entry.ttlMs;
      covered = prefixTokens[readAt] as number;
    }
    const read = covered;

    const written: Record<CacheTtl, number> = { "5m": 0, "1h": 0 };
    for (const b of breakpoints) {
      const tokens = prefixTokens[b] as number;
      if (b <= readAt || tokens < minTokens) continue;
      const ttl = units[b]?.breakpoint ?? "5m";
      this.#entries.set(keys[b] as string, { expiresAt: now + TTL_MS[ttl], ttlMs: TTL_MS[ttl] });
      written[ttl] += tokens - covered;
      covered = tokens;
    }

    return {
      input_tokens: total - covered,
      cache_creation_input_tokens: written["5m"] + written["1h"],
      cache_read_input_tokens: read,
      ephemeral_5m_input_tokens: written["5m"],
      ephemeral_1h_input_tokens: written["1h"],
      hadBreakpoint: breakpoints.length > 0,
    };
  }

  size(): number {
    const now = this.#now();
    let live = 0;
    for (const key of this.#entries.keys()) if (this.#live(key, now)) live++;
    return live;
  }

  clear(): void {
    this.#entries.clear();
  }

  #live(key: string, now: number): boolean {
    const entry = this.#entries.get(key);
    if (!entry) return false;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return false;
    }
    return true;
  }
}
