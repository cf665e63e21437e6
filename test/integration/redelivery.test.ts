// A delivery GitHub made while the app was down is asked for again when a worker starts, and is
// processed once; a later scan asks for nothing.
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Runtime, start } from "../../src/main/runtime.ts";
import { REDELIVERY_JOB } from "../../src/ops/redelivery.ts";
import { DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import { REDIS_URL, waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO, startHarness, WEBHOOK_SECRET } from "../../testkit/stack.ts";

let h: Harness;
let app: Runtime | null = null;
let maintenance: Queue;

beforeAll(async () => {
  // Neither role yet: the app's port is closed.
  h = await startHarness({ web: false, worker: false, files: DEMO_REPO_FILES });
  scriptDemoFeature(h.model);
  // The trigger label starts a feature only for someone with write access.
  h.github.setPermission(OWNER, REPO, "mona", "write");
  h.github.setWebhookConfig({ url: h.webhookUrl, secret: WEBHOOK_SECRET, contentType: "json" });
  maintenance = new Queue("maintenance", { connection: { url: REDIS_URL }, prefix: h.prefix });
});
afterAll(async () => {
  await maintenance?.close();
  await app?.stop();
  await h?.stop();
});

const questions = (issue: number) =>
  h.github.comments(OWNER, REPO, issue).filter((c) => c.body.includes("Two questions"));

/** Runs one scan on the maintenance queue and returns its result. */
async function scan(id: string): Promise<{ redelivered: number }> {
  const job = await maintenance.add(REDELIVERY_JOB, {}, { jobId: id });
  return waitFor(
    `scan ${id}`,
    async () => {
      const state = await job.getState();
      if (state === "failed") throw new Error("the scan failed");
      if (state !== "completed") return null;
      return (await maintenance.getJob(id))?.returnvalue as { redelivered: number };
    },
    15_000,
  );
}

describe("lost deliveries", () => {
  it("a delivery made while the app was down is processed exactly once after it starts", async () => {
    const opened = h.github.openIssue({
      owner: OWNER,
      repo: REPO,
      author: "mona",
      title: "Add a health endpoint",
      body: "Please.",
      labels: ["practical"],
    });
    const issue = opened.payload.issue.number;
    const lost = await h.github.sendWebhook(opened);
    expect(lost).toMatchObject({ status: "failed to connect", statusCode: 0, redelivery: false });

    app = await start({ web: true, worker: true }, h.env);
    if (!app) throw new Error("the app did not start");
    await waitFor("the BA's question", () => questions(issue).length > 0, 20_000);
    await h.github.settleDeliveries();
    const attempts = h.github.hookDeliveries.filter((d) => d.guid === opened.id);
    expect(attempts.map((d) => [d.redelivery, d.status])).toEqual([
      [false, "failed to connect"],
      [true, "OK"],
    ]);
    const recorded = await h.db.db
      .selectFrom("deliveries")
      .select("id")
      .where("id", "=", opened.id)
      .execute();
    expect(recorded).toHaveLength(1);
    const metric = await app.metrics.registry.getSingleMetricAsString(
      "practical_deliveries_redelivered_total",
    );
    expect(metric).toContain('practical_deliveries_redelivered_total{event="issues"} 1');

    // A second scan finds nothing to ask for, and the reply stays single.
    expect(await scan("second-scan")).toEqual({ redelivered: 0 });
    await h.github.settleDeliveries();
    expect(h.github.hookDeliveries).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 500));
    expect(questions(issue)).toHaveLength(1);
    expect(h.github.violations).toEqual([]);
  });

  it("a delivery answered with an error before reaching the app is asked for again; one it accepted is not", async () => {
    const accepted = h.github.openIssue({
      owner: OWNER,
      repo: REPO,
      author: "mona",
      title: "Accepted at once",
      body: "Please.",
    });
    expect((await h.github.sendWebhook(accepted)).status).toBe("OK");
    // A delivery to a wrong path (the app never saw it): GitHub records the 404 as a failure.
    const comment = h.github.comment({
      owner: OWNER,
      repo: REPO,
      number: 1,
      author: "mona",
      body: "/status",
    });
    h.github.setWebhookConfig({ url: `${h.github.url}/no-such-path` });
    const refused = await h.github.sendWebhook(comment);
    expect(refused.statusCode).toBe(404);
    h.github.setWebhookConfig({ url: h.webhookUrl });

    expect(await scan("third-scan")).toEqual({ redelivered: 1 });
    await h.github.settleDeliveries();
    const last = h.github.hookDeliveries.at(-1);
    expect(last).toMatchObject({ guid: comment.id, redelivery: true, status: "OK" });
    expect(await scan("fourth-scan")).toEqual({ redelivered: 0 });
  });
});
