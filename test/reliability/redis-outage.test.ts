// Redis, the queue, goes away: killed while a job is running (and started again with its
// append-only file, as production runs it), and down when webhooks arrive. Jobs survive or are
// re-enqueued from the outbox; no delivery is acknowledged and then lost.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import { byTool, toolsOffered } from "../../testkit/fakes/model/index.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { sleep, waitFor } from "../../testkit/services.ts";
import { type Harness, MAINTAINER, OWNER, REPO } from "../../testkit/stack.ts";
import { duplicateSideEffects } from "./support/audit.ts";
import { type PrivateRedis, startPrivateRedis } from "./support/redis-server.ts";
import { injected, settle, startReliabilityHarness } from "./support/suite.ts";

const FILE = "redis-outage";
let redis: PrivateRedis;
let h: Harness;
let d: Journey;
let slowSpec = false;

beforeAll(async () => {
  redis = await startPrivateRedis();
  h = await startReliabilityHarness({ files: DEMO_REPO_FILES, env: { REDIS_URL: redis.url } });
  d = journey(h, { maintainer: true });
  h.model.respond((request) => slowSpec && byTool("submit_spec")(request), {
    toolUse: {
      name: "submit_spec",
      input: {
        markdown: "# Specification\n\n- **FR-001** GET /health answers 200.\n",
        summary: "One requirement.",
      },
    },
    delayMs: 2_000,
  });
  scriptDemoFeature(h.model);
});
afterAll(async () => {
  if (h) await settle(FILE, h, { redisUrl: redis.url, timeoutMs: 15_000 });
  await h?.stop();
  await redis?.close();
});

const pendingOutbox = async () =>
  (await h.db.db.selectFrom("outbox").select("job_id").where("enqueued_at", "is", null).execute())
    .length;

describe("Redis outages", () => {
  let issue = 0;

  it("Redis killed and restarted while the spec job is running: the journey goes on, each effect once", () =>
    injected(FILE, "Redis restarted mid-journey (job running)", async () => {
      slowSpec = true;
      const calls = () =>
        h.model.requests.filter((r) => toolsOffered(r.body).includes("submit_spec")).length;
      issue = await d.openAndApproveBrief();
      await waitFor("the spec job inside its model call", () => calls() === 1, 20_000);
      await redis.kill();
      await sleep(1_500);
      await redis.start();
      slowSpec = false;
      const f = await d.waitStage(issue, "spec_ready", 40_000);
      expect(
        h.github
          .branchCommits(OWNER, REPO, f.branch ?? "")
          .filter((c) => c.message.startsWith("docs: brief and specification")),
      ).toHaveLength(1);
      expect(duplicateSideEffects(h.github)).toEqual([]);
    }));

  it("Redis down when /approve arrives: acknowledged, kept in the outbox, run once Redis is back", () =>
    injected(FILE, "Redis down when a webhook arrives", async () => {
      await redis.kill();
      const approve = h.github.comment({
        owner: OWNER,
        repo: REPO,
        number: issue,
        author: MAINTAINER,
        body: "/approve",
      });
      const response = await h.send(approve);
      // Either kept (2xx and in the outbox) or refused so GitHub redelivers (5xx): never lost.
      if (response.status === 200) {
        expect(await pendingOutbox()).toBeGreaterThan(0);
      } else {
        expect(response.status).toBeGreaterThanOrEqual(500);
      }
      expect(await d.stageOf(issue)).toBe("plan_generating");
      await sleep(2_000); // the relay keeps trying meanwhile
      await redis.start();
      if (response.status !== 200) expect((await h.send(approve)).status).toBe(200);
      await d.waitStage(issue, "plan_ready", 40_000);
      // Everything kept while Redis was down has been relayed.
      await waitFor("the outbox to drain", async () => (await pendingOutbox()) === 0);
      const approvals = await h.db.store.listApprovals((await d.feature(issue))?.id ?? 0);
      expect(approvals.filter((a) => a.gate === "spec")).toHaveLength(1);
    }));

  it("Redis restarted right after an approval, jobs queued and running: the journey completes", () =>
    injected(FILE, "Redis restarted right after an approval", async () => {
      await d.say(issue, "/approve");
      await redis.kill();
      await sleep(500);
      await redis.start();
      await d.waitStage(issue, "tests_ready", 40_000);
      await d.say(issue, "/approve");
      await d.merge(issue);
      expect(duplicateSideEffects(h.github)).toEqual([]);
    }));
});
