import { describe, expect, it } from "vitest";
import { WorkingCopy } from "../../../src/agents/implementer/working-copy.ts";
import { trimLog } from "../../../src/core/ci-log.ts";
import { DEFAULT_PATH_POLICY } from "../../../src/core/paths.ts";
import { transition } from "../../../src/core/pipeline.ts";
import { featureAt } from "../core/pipeline-fixtures.ts";

describe("the approved contract tests are read-only to the implementer", () => {
  const snapshot = {
    sha: "a".repeat(40),
    files: new Map([
      ["test/health.test.js", "assert(ok)\n"],
      ["src/health.js", "x\n"],
    ]),
  };
  const copy = () =>
    new WorkingCopy(snapshot, DEFAULT_PATH_POLICY, [], { readOnly: ["test/health.test.js"] });

  it("refuses a write or a delete of a contract test with a tool error saying why", async () => {
    const c = copy();
    for (const outcome of [
      await c.execute("str_replace", {
        path: "test/health.test.js",
        old_str: "assert(ok)",
        new_str: "skip()",
      }),
      await c.execute("create", { path: "./TEST/Health.test.js", content: "skip()\n" }),
      await c.execute("insert", { path: "test/health.test.js", insert_line: 0, text: "skip()" }),
      await c.execute("delete", { path: "test/health.test.js" }),
    ]) {
      expect(outcome.isError).toBe(true);
      expect(outcome.text).toMatch(/contract tests approved at the tests gate.*\/revise/);
    }
    expect(c.changes()).toEqual([]);
    const code = await c.execute("str_replace", {
      path: "src/health.js",
      old_str: "x",
      new_str: "y",
    });
    expect(code.isError).toBe(false);
  });
});

describe("a CI job log trimmed to what a fix needs", () => {
  it("keeps failing tests, assertions and the repository's stack frames; drops setup and foreign frames", async () => {
    const log = [
      ...Array.from({ length: 2000 }, (_, i) => `2025-01-01T00:00:00.0000000Z npm http fetch ${i}`),
      "2025-01-01T00:00:01.0000000Z \u001b[31m✖ healthReport counts uptime\u001b[0m",
      "2025-01-01T00:00:01.0000000Z   AssertionError: expected 3 to equal 2",
      "2025-01-01T00:00:01.0000000Z       at healthReport (src/health.js:12:9)",
      "2025-01-01T00:00:01.0000000Z       at run (node_modules/mocha/lib/runner.js:1:1)",
      "2025-01-01T00:00:02.0000000Z ##[error]Process completed with exit code 1.",
    ].join("\n");
    const trimmed = trimLog(log, 2_000);
    expect(trimmed).toContain("✖ healthReport counts uptime");
    expect(trimmed).toContain("AssertionError: expected 3 to equal 2");
    expect(trimmed).toContain("at healthReport (src/health.js:12:9)");
    expect(trimmed).not.toContain("node_modules/mocha");
    expect(trimmed).not.toContain("npm http fetch");
    expect(trimmed).not.toContain("\u001b[");
    expect(trimmed.length).toBeLessThanOrEqual(2_100);
  });
});

describe("red CI on the head", () => {
  const red = {
    sha: "c0de",
    state: "failure" as const,
    failing: ["test"],
    detail: "test: failure",
  };

  it("starts fix rounds up to ci_fix_rounds, then fails quoting the last failure", async () => {
    const within = transition(featureAt("awaiting_ci", { ciFixRounds: 2, maxCiFixRounds: 3 }), {
      type: "ci_reported",
      ...red,
    });
    expect(within.to).toBe("fixing");
    expect(within.effects[0]).toMatchObject({ fix: { kind: "ci", sha: "c0de" } });
    const past = transition(featureAt("awaiting_merge", { ciFixRounds: 3, maxCiFixRounds: 3 }), {
      type: "ci_reported",
      ...red,
    });
    expect(past.to).toBe("failed");
    expect(past.feature.failureReason).toBe(
      'CI still failing after 3 automatic fix rounds: test. Last failure: "test: failure"',
    );
    expect(past.effects).toContainEqual(
      expect.objectContaining({
        type: "reply",
        view: "failed",
        data: expect.objectContaining({ retry: true }),
      }),
    );
  });

  it("a pending head after passing reviews waits for CI; green or none then makes it ready", async () => {
    const waiting = transition(featureAt("reviewing"), {
      type: "review_verdict",
      pass: true,
      failed: [],
      ci: { sha: "c0de", state: "pending", failing: [] },
    });
    expect(waiting.to).toBe("awaiting_ci");
    expect(waiting.effects.map((e) => e.type)).not.toContain("mark_pr_ready");
    for (const state of ["success", "none"] as const) {
      const ready = transition(waiting.feature, {
        type: "ci_reported",
        sha: "c0de",
        state,
        failing: [],
      });
      expect(ready.to).toBe("awaiting_merge");
      expect(ready.effects.map((e) => e.type)).toContain("mark_pr_ready");
    }
  });
});
