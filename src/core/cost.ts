// The cost of a call, from the model table's list prices (USD per million tokens); operators
// override them by passing their own table. Cache writes cost 1.25× input (the 5-minute cache)
// and cache reads 0.1× input unless a model says otherwise.

import { MODELS, type ModelPrice } from "./models.ts";

export type { ModelPrice };
export type PriceTable = Readonly<Record<string, ModelPrice>>;

export const DEFAULT_PRICES: PriceTable = Object.freeze(
  Object.fromEntries(Object.values(MODELS).map((m) => [m.id, m.price])),
);

export const CACHE_WRITE_MULTIPLIER = 1.25;
export const CACHE_READ_MULTIPLIER = 0.1;

export interface Usage {
  /** Uncached input tokens. */
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export const ZERO_USAGE: Readonly<Usage> = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
});

/** The share of prompt tokens served from the cache, as the API counts them (0 with none). */
export function cacheShare(usage: Usage): number {
  const prompt = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  return prompt > 0 ? usage.cacheReadTokens / prompt : 0;
}

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  };
}

/**
 * The price of a model id: an exact entry, else the longest entry the id extends with a
 * `-suffix` (dated snapshots like `claude-sonnet-5-5-20260115`, or `-latest`). Null if unknown.
 */
export function findPrice(model: string, prices: PriceTable = DEFAULT_PRICES): ModelPrice | null {
  const exact = Object.hasOwn(prices, model) ? prices[model] : undefined;
  if (exact !== undefined) return exact;
  let best: string | null = null;
  for (const name of Object.keys(prices)) {
    if (model.startsWith(`${name}-`) && (best === null || name.length > best.length)) best = name;
  }
  return best === null ? null : (prices[best] ?? null);
}

/**
 * Cost in USD of one call, or null when the model has no price: the caller records the tokens
 * and shows the cost as unknown rather than failing a finished model call over bookkeeping.
 */
export function costOf(
  usage: Usage,
  model: string,
  prices: PriceTable = DEFAULT_PRICES,
): number | null {
  const listed = findPrice(model, prices);
  if (listed === null) return null;
  const promptTokens = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  // A long-prompt tier prices every token of the call, output included.
  const price =
    listed.longPrompt && promptTokens > listed.longPrompt.above ? listed.longPrompt : listed;
  const cacheWrite = price.cacheWrite ?? price.input * CACHE_WRITE_MULTIPLIER;
  const cacheRead = price.cacheRead ?? price.input * CACHE_READ_MULTIPLIER;
  const micro =
    usage.inputTokens * price.input +
    usage.outputTokens * price.output +
    usage.cacheWriteTokens * cacheWrite +
    usage.cacheReadTokens * cacheRead;
  return micro / 1_000_000;
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * `$1,234.57`, `$0.43`; amounts under a cent keep four decimals (`$0.0042`) so cheap calls do not
 * all read `$0.00`; below that `<$0.0001`. Null or non-finite (unknown price) reads `unknown`.
 */
export function formatUsd(amount: number | null): string {
  if (amount === null || !Number.isFinite(amount)) return "unknown";
  if (amount === 0) return "$0.00";
  const sign = amount < 0 ? "-" : "";
  const abs = Math.abs(amount);
  if (abs < 0.0001) return `${sign}<$0.0001`;
  if (abs < 0.01) return `${sign}$${abs.toFixed(4)}`;
  const [whole = "0", cents = "00"] = abs.toFixed(2).split(".");
  return `${sign}$${groupThousands(whole)}.${cents}`;
}
