import { describe, expect, it } from "vitest";
import { formatTable, runEval } from "../../../testkit/eval/kit.ts";

describe("the eval kit in fake mode", () => {
  it("runs every agent on each fixture and scores the runs", async () => {
    const scores = await runEval();
    expect(scores.map((s) => s.fixture)).toEqual(["node-cli", "express-api", "ts-lib"]);
    for (const score of scores) {
      expect(score.error).toBeNull();
      expect(score.validStages).toBe(5);
      const [covered, criteria] = score.criteriaCovered.split("/");
      expect(covered).toBe(criteria);
      const [resolved, imports] = score.importsResolved.split("/");
      expect(Number(imports)).toBeGreaterThan(0);
      expect(resolved).toBe(imports);
      const [touched, planned] = score.plannedTouched.split("/");
      expect(touched).toBe(planned);
      const [parsed, written] = score.filesParse.split("/");
      expect(parsed).toBe(written);
      // BA, spec, plan, tests, and the implementer's edit, finish and confirming finish.
      expect(score.turns).toBe(7);
      expect(score.costUsd).toBeGreaterThan(0);
    }
    expect(formatTable(scores)).toMatch(/^case +stages +criteria/);
  }, 60_000);
});
