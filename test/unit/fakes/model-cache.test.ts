// The model fake's prompt cache counts as the API does: one cache per model, an entry living
// five minutes from its last use.

import { describe, expect, it } from "vitest";
import { PromptCache, promptUnits } from "../../../testkit/fakes/model/cache.ts";

const body = {
  system: [{ type: "text", text: "Rules. ".repeat(600), cache_control: { type: "ephemeral" } }],
  messages: [{ role: "user", content: "Write the spec." }],
};

describe("the model fake's prompt cache", () => {
  it("keeps one cache per model: a prefix written by one is not read by another", () => {
    const cache = new PromptCache(() => 0);
    const units = promptUnits(body);
    expect(cache.account("sonnet", units, 512).cache_creation_input_tokens).toBeGreaterThan(0);
    expect(cache.account("haiku", units, 512).cache_read_input_tokens).toBe(0);
    expect(cache.account("sonnet", units, 512).cache_read_input_tokens).toBeGreaterThan(0);
  });

  it("forgets an entry five minutes after its last use, each hit starting the five minutes again", () => {
    let now = 0;
    const cache = new PromptCache(() => now);
    const units = promptUnits(body);
    cache.account("sonnet", units, 512);
    now = 4 * 60_000;
    expect(cache.account("sonnet", units, 512).cache_read_input_tokens).toBeGreaterThan(0);
    now += 4 * 60_000; // 8 minutes after the write, 4 after the hit
    expect(cache.account("sonnet", units, 512).cache_read_input_tokens).toBeGreaterThan(0);
    now += 5 * 60_000 + 1;
    const late = cache.account("sonnet", units, 512);
    expect(late.cache_read_input_tokens).toBe(0);
    expect(late.cache_creation_input_tokens).toBeGreaterThan(0);
  });
});
