// Workers killed with SIGKILL at the worst moments: after the model answered and before the
// commit, and on every attempt of one job. Workers run as child processes (`npm run
// start:worker`), talking to GitHub through a proxy that can hold a request mid-job.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import { byTool, toolsOffered } from "../../testkit/fakes/model/index.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { type AppProcess, killAll, logRecords, spawnApp } from "../../testkit/processes.ts";
import { sleep, waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO } from "../../testkit/stack.ts";
import { duplicateSideEffects } from "./support/audit.ts";
import { type HttpHoldProxy, startHttpHoldProxy } from "./support/proxies.ts";
import { injected, settle, startReliabilityHarness } from "./support/suite.ts";

const FILE = "worker-crash";
let h: Harness;
let d: Journey;
let proxy: HttpHoldProxy;
let hangPlan = false;

beforeAll(async () => {
  h = await startReliabilityHarness({
    worker: false,
    files: DEMO_REPO_FILES,
    // A killed worker's job is taken over after one second.
    env: { WORKER_LOCK_MS: "1000" },
  });
  proxy = await startHttpHoldProxy(h.github.host);
  d = journey(h, { maintainer: true });
  // Registered first, so it wins over the script while switched on.
  h.model.respond((request) => hangPlan && byTool("submit_plan")(request), { hang: true });
  scriptDemoFeature(h.model);
});
afterAll(async () => {
  if (h) await settle(FILE, h);
  await killAll();
  await proxy?.close();
  await h?.stop();
});

function worker(): AppProcess {
  return spawnApp("worker", { ...h.env, GHE_HOST: proxy.host, LOG_LEVEL: "info" });
}

const requestsFor = (tool: string) =>
  h.model.requests.filter((r) => toolsOffered(r.body).includes(tool)).length;

describe("a worker killed mid-job", () => {
  let issue = 0;
  let current: AppProcess;

  it("after the model answered and before the commit: the next worker commits once, without asking the model again", () =>
    injected(FILE, "SIGKILL after the model call, before the commit", async () => {
      current = worker();
      // The spec job's commit (one GraphQL mutation) is held: the model has answered.
      const held = proxy.holdNext((r) => r.method === "POST" && r.path.endsWith("/graphql"));
      issue = await d.openAndApproveBrief();
      await held;
      const f = await d.feature(issue);
      const runs = await h.db.db
        .selectFrom("agent_runs")
        .select(["agent", "outcome"])
        .where("feature_id", "=", f?.id ?? 0)
        .where("agent", "=", "spec")
        .execute();
      expect(runs).toEqual([{ agent: "spec", outcome: "ok" }]);
      await current.kill();

      current = worker();
      await d.waitStage(issue, "spec_ready", 30_000);
      await sleep(1_000);
      expect(requestsFor("submit_spec")).toBe(1);
      const branch = (await d.feature(issue))?.branch ?? "";
      const specCommits = h.github
        .branchCommits(OWNER, REPO, branch)
        .filter((c) => c.message.startsWith("docs: brief and specification"));
      expect(specCommits).toHaveLength(1);
      expect(h.github.pulls(OWNER, REPO)).toHaveLength(1);
      expect(duplicateSideEffects(h.github)).toEqual([]);
    }));

  it("on every attempt of one job: the feature fails with one comment offering /retry, and /retry resumes it", () =>
    injected(FILE, "SIGKILL on every attempt of one job", async () => {
      hangPlan = true;
      await d.say(issue, "/approve");
      for (let attempt = 1; attempt <= 2; attempt++) {
        await waitFor(
          `plan attempt ${attempt} inside the model call`,
          () => requestsFor("submit_plan") >= attempt,
          20_000,
        );
        await current.kill();
        current = worker();
      }
      // The worker that finds the job stalled a second time fails it for good.
      const failed = await d.waitStage(issue, "failed", 30_000);
      expect(failed.checkpoint).toBe("plan_generating");
      expect(failed.failureReason).toMatch(/stalled/i);
      await waitFor("the failure comment", () =>
        d.botComments(issue).some((c) => c.body.includes("/retry")),
      );
      await sleep(1_000);
      const offers = d.botComments(issue).filter((c) => c.body.includes("say `/retry`"));
      expect(offers).toHaveLength(1);
      const logged = logRecords(current.lines).filter((r) => r.msg === "job failed for good");
      expect(logged.map((r) => r.reason)).toEqual([expect.stringMatching(/stalled/i)]);

      hangPlan = false;
      await d.say(issue, "/retry");
      await d.waitStage(issue, "plan_ready", 30_000);
      await d.say(issue, "/approve");
      await d.waitStage(issue, "tests_ready", 20_000);
      await d.say(issue, "/approve");
      await d.merge(issue);
      const ready = await d.waitStage(issue, "done");
      const ours = h.github
        .branchCommits(OWNER, REPO, ready.branch ?? "")
        .filter((c) => c.message.includes("Practical-Step:"));
      // The three stages, the plan's three tasks and the docs: each once.
      expect(ours).toHaveLength(7);
      expect(duplicateSideEffects(h.github)).toEqual([]);
    }));
});
