import { Queue } from "bullmq";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BullMqJobQueue } from "../../src/adapters/queue/bullmq.ts";
import { OutboxRelay } from "../../src/app/outbox-relay.ts";
import { VersionConflictError } from "../../src/errors.ts";
import {
  createQueuePrefix,
  createTestDatabase,
  deleteQueuePrefix,
  REDIS_URL,
  type TestDatabase,
} from "../../testkit/services.ts";

let t: TestDatabase;
const prefix = createQueuePrefix();

beforeAll(async () => {
  t = await createTestDatabase();
  await t.store.ensureInstallation(1, "octo-org");
});
afterAll(async () => {
  await t.drop();
  await deleteQueuePrefix(prefix);
});

async function newFeature(issueNumber: number) {
  const created = await t.store.createFeature({
    installation_id: 1,
    repo_owner: "octo-org",
    repo_name: "app",
    issue_number: issueNumber,
    issue_title: "Add a health endpoint",
    issue_author: "mona",
    slug: "add-a-health-endpoint",
    stage: "drafting",
  });
  if (!created) throw new Error("not created");
  return created;
}

describe("store", () => {
  it("creates one feature per issue", async () => {
    await newFeature(1);
    await expect(newFeature(1)).rejects.toThrow("not created");
  });

  it("saves with compare-and-set: a stale version is refused", async () => {
    const feature = await newFeature(2);
    const next = { ...feature, stage: "spec_generating" as const };
    const version = await t.store.saveFeature(next, feature.version, feature.stage, {
      actor: "mona",
      event: "command",
    });
    expect(version).toBe(feature.version + 1);
    await expect(
      t.store.saveFeature(next, feature.version, feature.stage, {
        actor: "hubot",
        event: "command",
      }),
    ).rejects.toBeInstanceOf(VersionConflictError);
    const events = await t.db
      .selectFrom("feature_events")
      .selectAll()
      .where("feature_id", "=", feature.id)
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: "mona",
      from_stage: "drafting",
      to_stage: "spec_generating",
    });
  });

  it("records a delivery once: a redelivery writes nothing", async () => {
    const write = {
      delivery: { id: "d-1", name: "check_suite" },
      outbox: [{ queue: "pipeline" as const, name: "effects", jobId: "d-d-1", data: {} }],
      outcome: "applied" as const,
    };
    expect(await t.store.ingestDelivery(write)).toBe("applied");
    await t.db.deleteFrom("outbox").where("job_id", "=", "d-d-1").execute();
    expect(await t.store.ingestDelivery(write)).toBe("duplicate");
    const rows = await t.db.selectFrom("outbox").where("job_id", "=", "d-d-1").execute();
    expect(rows).toEqual([]);
  });
});

describe("outbox relay", () => {
  it("moves each intent to BullMQ once, even when relayed twice or written twice", async () => {
    const queue = new BullMqJobQueue(REDIS_URL, prefix);
    const relay = new OutboxRelay(t.store, queue, pino({ level: "silent" }));
    const intent = { queue: "pipeline" as const, name: "effects", jobId: "f1-v1", data: { n: 1 } };
    await t.store.addToOutbox([intent]);
    await t.store.addToOutbox([intent]);
    await relay.kick();
    // A second relay of the same row (e.g. a crash before it was marked) is still one job.
    await t.db.updateTable("outbox").set({ enqueued_at: null }).execute();
    await relay.kick();
    const pipeline = new Queue("pipeline", { connection: { url: REDIS_URL }, prefix });
    expect(await pipeline.getJobCounts("waiting")).toEqual({ waiting: 1 });
    expect((await pipeline.getJob("f1-v1"))?.data).toEqual({ n: 1 });
    await pipeline.close();
    await queue.close();
  });

  it("keeps intents in the outbox while Redis is unreachable, and relays them later", async () => {
    const down = new BullMqJobQueue("redis://127.0.0.1:1", prefix);
    const relay = new OutboxRelay(t.store, down, pino({ level: "silent" }));
    await t.store.addToOutbox([{ queue: "pipeline", name: "effects", jobId: "f1-v2", data: {} }]);
    expect(await relay.kick()).toBe(0);
    const pending = await t.db
      .selectFrom("outbox")
      .select("job_id")
      .where("enqueued_at", "is", null)
      .execute();
    expect(pending.map((r) => r.job_id)).toEqual(["f1-v2"]);
    await down.close();

    const up = new BullMqJobQueue(REDIS_URL, prefix);
    expect(await new OutboxRelay(t.store, up, pino({ level: "silent" })).kick()).toBe(1);
    await up.close();
  });
});
