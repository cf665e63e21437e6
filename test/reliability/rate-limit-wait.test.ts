// How long a job waits when GitHub says slow down: the rule behind the 403/429 scenarios of
// github-faults.test.ts, for the headers GitHub can send.

import { describe, expect, it } from "vitest";
import { rateLimitWaitMs } from "../../src/adapters/queue/worker.ts";

const githubError = (status: number, headers: Record<string, string>, message = "") =>
  Object.assign(new Error(message), { status, response: { headers } });

describe("rateLimitWaitMs", () => {
  const now = Date.parse("2026-11-21T12:00:00Z");

  it("honours retry-after on a secondary rate limit (403) and on 429", () => {
    expect(
      rateLimitWaitMs(githubError(403, { "retry-after": "30" }, "secondary rate limit"), now),
    ).toBe(30_000);
    expect(rateLimitWaitMs(githubError(429, { "retry-after": "3" }), now)).toBe(3_000);
  });

  it("waits for the primary limit's reset when it is used up", () => {
    const reset = String(now / 1000 + 120);
    const error = githubError(
      403,
      { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset },
      "API rate limit exceeded",
    );
    expect(rateLimitWaitMs(error, now)).toBe(120_000);
  });

  it("waits a minute on a secondary limit without retry-after, as GitHub asks", () => {
    const error = githubError(403, {}, "You have exceeded a secondary rate limit.");
    expect(rateLimitWaitMs(error, now)).toBe(60_000);
  });

  it("never waits less than a second or more than an hour", () => {
    expect(rateLimitWaitMs(githubError(429, { "retry-after": "0" }), now)).toBe(1_000);
    expect(rateLimitWaitMs(githubError(429, { "retry-after": "86400" }), now)).toBe(3_600_000);
  });

  it("leaves other errors alone: a plain 403, a 404, a 5xx, a model error", () => {
    expect(
      rateLimitWaitMs(githubError(403, {}, "Resource not accessible by integration"), now),
    ).toBeNull();
    expect(rateLimitWaitMs(githubError(404, { "retry-after": "3" }), now)).toBeNull();
    expect(rateLimitWaitMs(githubError(502, { "retry-after": "3" }), now)).toBeNull();
    expect(
      rateLimitWaitMs(new Error("the model API is rate limited (429), even after retries"), now),
    ).toBeNull();
  });
});
