// What each model accepts and costs, in one table: read by the request builder, the cost code
// and the repository-config check. Each fact names the page it comes from; re-read a model's
// "What's new" page before adding a model or changing a row.
//
// Sources (platform.claude.com/docs/en/…):
//   models/opus-5-5/whats-new-opus-5-5      — thinking always on ("disabled" and "enabled" with
//     budget_tokens → 400), forced tool use → 400, default effort medium, 512-token minimum
//     cacheable prompt, prices ($4 / $20, cache writes $5, reads $0.20).
//   models/sonnet-5-5/whats-new-sonnet-5-5  — forced tool use → 400, "disabled" → 400 (the
//     lowest setting is "between_tools", accepted at low, medium and high effort only), default
//     effort high, 512-token minimum cacheable prompt.
//   models/sonnet-5-5/migration-guide       — prefill → 400; cache reads $0.10.
//   models/haiku-5-5/whats-new-haiku-5-5 and migration-guide — manual thinking budgets → 400,
//     assistant prefill → 400, forced tool use accepted (but then no thinking), "disabled"
//     accepted at high effort or below, default effort medium; prices in two tiers by prompt
//     size (up to 100,000 tokens: $0.10 / $0.50; above: $0.50 / $2.50).
//   models/*/overview                       — 1M-token context, 128K output tokens.
//   build-with-claude/thinking              — thinking tokens are billed as output tokens and
//     count toward max_tokens.
//   build-with-claude/structured-outputs    — strict tools on the Claude API for 4.5 and later.

export type ModelId = "claude-opus-5-5" | "claude-sonnet-5-5" | "claude-haiku-5-5";

/** `output_config.effort`: how deeply an adaptive-thinking model thinks. */
export const EFFORTS = ["low", "medium", "high", "xhigh", "max"] as const;
export type Effort = (typeof EFFORTS)[number];

/** The `thinking` setting sent with a request. */
export type ThinkingSetting =
  | { type: "adaptive" }
  | { type: "between_tools" }
  | { type: "disabled" };

export interface ModelPrice {
  /** USD per million uncached input tokens. */
  input: number;
  /** USD per million output tokens (thinking included). */
  output: number;
  /** USD per million tokens written to the 5-minute cache; default 1.25 × input. */
  cacheWrite?: number;
  /** USD per million tokens read from the cache; default 0.1 × input. */
  cacheRead?: number;
  /** A dearer tier for prompts (input, cache reads and writes together) above `above` tokens. */
  longPrompt?: { above: number } & Omit<ModelPrice, "longPrompt">;
}

export interface ModelCapabilities {
  id: ModelId;
  /** `tool_choice` `any` / `tool` is accepted. */
  forcedToolUse: boolean;
  /**
   * The least thinking the model accepts, and the highest effort it is accepted at; above
   * that effort, or where the model cannot think less, the request sends adaptive thinking.
   */
  lowestThinking: { setting: ThinkingSetting; upToEffort: Effort } | null;
  defaultEffort: Effort;
  /** `strict: true` on tool definitions (grammar-constrained tool input). */
  strictTools: boolean;
  /** A prompt shorter than this many tokens is not cached, whatever its breakpoints. */
  minCacheableTokens: number;
  maxOutputTokens: number;
  contextWindow: number;
  price: ModelPrice;
}

export const MODELS: Readonly<Record<ModelId, ModelCapabilities>> = Object.freeze({
  "claude-opus-5-5": {
    id: "claude-opus-5-5",
    forcedToolUse: false,
    lowestThinking: null,
    defaultEffort: "medium",
    strictTools: true,
    minCacheableTokens: 512,
    maxOutputTokens: 128_000,
    contextWindow: 1_000_000,
    price: { input: 4, output: 20, cacheWrite: 5, cacheRead: 0.2 },
  },
  "claude-sonnet-5-5": {
    id: "claude-sonnet-5-5",
    forcedToolUse: false,
    lowestThinking: { setting: { type: "between_tools" }, upToEffort: "high" },
    defaultEffort: "high",
    strictTools: true,
    minCacheableTokens: 512,
    maxOutputTokens: 128_000,
    contextWindow: 1_000_000,
    price: { input: 2, output: 10, cacheWrite: 2.5, cacheRead: 0.1 },
  },
  "claude-haiku-5-5": {
    id: "claude-haiku-5-5",
    forcedToolUse: true,
    lowestThinking: { setting: { type: "disabled" }, upToEffort: "high" },
    defaultEffort: "medium",
    strictTools: true,
    // Not stated on Haiku 5.5's pages; 512 like its siblings (the fake assumes the same).
    minCacheableTokens: 512,
    maxOutputTokens: 128_000,
    contextWindow: 1_000_000,
    price: {
      input: 0.1,
      output: 0.5,
      cacheWrite: 0.125,
      cacheRead: 0.01,
      longPrompt: { above: 100_000, input: 0.5, output: 2.5, cacheWrite: 0.625, cacheRead: 0.05 },
    },
  },
});

export const MODEL_IDS = Object.keys(MODELS) as ModelId[];

/** Ids people may still have in a config file, with what happened to them. */
export const RETIRED_MODELS: Readonly<Record<string, string>> = Object.freeze({
  "claude-sonnet-4-5": "retired on 30 November 2026",
});

export function isModelId(id: string): id is ModelId {
  return Object.hasOwn(MODELS, id);
}

const effortRank = (effort: Effort) => EFFORTS.indexOf(effort);

/** The thinking setting for an agent that wants to think as much as `effort` asks, or as little as the model allows. */
export function thinkingFor(
  model: ModelCapabilities,
  effort: Effort,
  wants: "adaptive" | "least",
): ThinkingSetting {
  const lowest = model.lowestThinking;
  if (wants === "least" && lowest && effortRank(effort) <= effortRank(lowest.upToEffort)) {
    return lowest.setting;
  }
  return { type: "adaptive" };
}

/** Output tokens reserved for thinking at each effort: thinking counts toward max_tokens. */
export const THINKING_ROOM: Readonly<Record<Effort, number>> = Object.freeze({
  low: 2_000,
  medium: 8_000,
  high: 16_000,
  xhigh: 32_000,
  max: 64_000,
});
