// A long implementer job against the installation's monthly budget: the budget is checked
// before every model call, not only when a job starts, so a 40-turn tool loop stops in the
// middle with a clear message instead of running past the budget.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import { byPromptIncludes, type Reply } from "../../testkit/fakes/model/index.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { waitFor } from "../../testkit/services.ts";
import type { Harness } from "../../testkit/stack.ts";
import { refused, settle, startReliabilityHarness } from "./support/suite.ts";

const FILE = "budgets";
let h: Harness;
let d: Journey;

/** An implementer that reads forever and never finishes (the loop allows 40 turns). */
const endless = (): Reply => ({
  toolUse: { name: "view", input: { path: "README.md" } },
});

beforeAll(async () => {
  h = await startReliabilityHarness({ files: DEMO_REPO_FILES });
  d = journey(h, { maintainer: true });
  h.model.respond(byPromptIncludes("# Agent: implementer"), endless);
  scriptDemoFeature(h.model);
});
afterAll(async () => {
  if (h) await settle(FILE, h);
  await h?.stop();
});

const implementerCalls = () =>
  h.model.requests.filter((r) => JSON.stringify(r.body ?? "").includes("# Agent: implementer"))
    .length;

describe("the monthly budget", () => {
  it("stops a long implementer job in the middle, with a clear message", () =>
    refused(FILE, "implementer job running past the monthly budget", async () => {
      const issue = await d.openAndApproveBrief("Budget");
      for (const stage of ["spec_ready", "plan_ready"] as const) {
        await d.waitStage(issue, stage);
        await d.say(issue, "/approve");
      }
      const f = await d.waitStage(issue, "tests_ready");
      // Room for a few implementer calls on top of what the month has spent so far (each call is
      // estimated at about $0.13 before it is made, and costs the fake's usage after).
      const runs = await h.db.db
        .selectFrom("agent_runs")
        .select(["cost_usd"])
        .where("installation_id", "=", f.installationId)
        .execute();
      const spent = runs.reduce((sum, r) => sum + Number(r.cost_usd), 0);
      const monthly = Number((spent + 0.16).toFixed(4));
      await h.db.store.dashboard.saveSettings(f.installationId, {
        models: {},
        budget_monthly_usd: monthly,
        budget_feature_usd: 1_000,
      });
      await d.say(issue, "/approve");
      const failed = await d.waitStage(issue, "failed", 60_000);
      expect(failed.failureReason).toMatch(/monthly budget of \$[\d.]+ would be exceeded/);
      const calls = implementerCalls();
      expect(calls).toBeGreaterThan(1);
      expect(calls).toBeLessThan(40);
      await waitFor("the failure comment naming the budget", () =>
        d.botComments(issue).some((c) => c.body.includes("monthly budget")),
      );
      return "message";
    }));
});
