import { describe, expect, it } from "vitest";
import {
  addUsage,
  costOf,
  DEFAULT_PRICES,
  findPrice,
  formatUsd,
  type Usage,
  ZERO_USAGE,
} from "../../../src/core/cost.ts";

const usage = (over: Partial<Usage>): Usage => ({ ...ZERO_USAGE, ...over });
const M = 1_000_000;

describe("costOf", () => {
  // The models' pages: per million tokens, input / output / 5-minute cache write / cache read.
  it.each([
    ["claude-opus-5-5", 4, 20, 5, 0.2],
    ["claude-sonnet-5-5", 2, 10, 2.5, 0.1],
    ["claude-haiku-5-5", 0.1, 0.5, 0.125, 0.01],
  ])(
    "%s costs $%s in / $%s out / $%s cache write / $%s cache read per million",
    (model, input, output, write, read) => {
      const K = 50_000; // under Haiku's long-prompt tier
      const perMillion = (u: Partial<Usage>) => ((costOf(usage(u), model) ?? Number.NaN) * M) / K;
      expect(perMillion({ inputTokens: K })).toBeCloseTo(input, 10);
      expect(perMillion({ outputTokens: K })).toBeCloseTo(output, 10);
      expect(perMillion({ cacheWriteTokens: K })).toBeCloseTo(write, 10);
      expect(perMillion({ cacheReadTokens: K })).toBeCloseTo(read, 10);
    },
  );

  it("prices a Haiku prompt above 100,000 tokens at the long-prompt tier, output included", () => {
    const long = usage({ inputTokens: 60_000, cacheReadTokens: 50_000, outputTokens: 1_000 });
    // 60k × $0.50 + 50k × $0.05 + 1k × $2.50 = 30,000 + 2,500 + 2,500 µ$
    expect(costOf(long, "claude-haiku-5-5")).toBeCloseTo(0.035, 12);
    const short = usage({ inputTokens: 60_000, cacheReadTokens: 40_000, outputTokens: 1_000 });
    // 60k × $0.10 + 40k × $0.01 + 1k × $0.50 = 6,000 + 400 + 500 µ$
    expect(costOf(short, "claude-haiku-5-5")).toBeCloseTo(0.0069, 12);
  });

  it("adds all four parts", () => {
    const u = {
      inputTokens: 1000,
      outputTokens: 500,
      cacheReadTokens: 20_000,
      cacheWriteTokens: 4000,
    };
    // 1000×2 + 500×10 + 20000×0.1 + 4000×2.5 = 2000 + 5000 + 2000 + 10000 = 19000 µ$
    expect(costOf(u, "claude-sonnet-5-5")).toBeCloseTo(0.019, 12);
  });

  it("is zero for no tokens", () => {
    expect(costOf(ZERO_USAGE, "claude-opus-5-5")).toBe(0);
  });

  it("prices dated snapshots and aliases by their base model", () => {
    expect(findPrice("claude-sonnet-5-5-20260115")).toBe(DEFAULT_PRICES["claude-sonnet-5-5"]);
    expect(findPrice("claude-haiku-5-5-latest")).toBe(DEFAULT_PRICES["claude-haiku-5-5"]);
    expect(findPrice("claude-sonnet-5")).toBeNull();
    expect(findPrice("claude-sonnet-5-50")).toBeNull();
  });

  it("returns null for an unknown model, and for prototype names", () => {
    expect(costOf(usage({ inputTokens: 10 }), "gpt-9")).toBeNull();
    expect(costOf(usage({ inputTokens: 10 }), "constructor")).toBeNull();
    expect(costOf(usage({ inputTokens: 10 }), "toString")).toBeNull();
  });

  it("uses a custom table, with explicit cache prices", () => {
    const prices = { "my-model": { input: 1, output: 2, cacheRead: 0.5, cacheWrite: 3 } };
    expect(
      costOf(usage({ cacheReadTokens: M, cacheWriteTokens: M }), "my-model", prices),
    ).toBeCloseTo(3.5, 10);
    expect(costOf(usage({ inputTokens: M }), "claude-opus-5-5", prices)).toBeNull();
  });
});

describe("addUsage", () => {
  it("adds field by field", () => {
    expect(
      addUsage(
        { inputTokens: 1, outputTokens: 2, cacheReadTokens: 3, cacheWriteTokens: 4 },
        { inputTokens: 10, outputTokens: 20, cacheReadTokens: 30, cacheWriteTokens: 40 },
      ),
    ).toEqual({ inputTokens: 11, outputTokens: 22, cacheReadTokens: 33, cacheWriteTokens: 44 });
  });
});

describe("formatUsd", () => {
  it.each([
    [0, "$0.00"],
    [0.00004, "<$0.0001"],
    [0.0042, "$0.0042"],
    [0.01, "$0.01"],
    [0.4349, "$0.43"],
    [12.5, "$12.50"],
    [1234.567, "$1,234.57"],
    [1234567.891, "$1,234,567.89"],
    [-3.2, "-$3.20"],
    [null, "unknown"],
    [Number.NaN, "unknown"],
    [Number.POSITIVE_INFINITY, "unknown"],
  ])("%s → %s", (amount, text) => {
    expect(formatUsd(amount)).toBe(text);
  });
});
