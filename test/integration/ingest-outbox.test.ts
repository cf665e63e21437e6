// The web role's write in one round trip, and the workers draining the outbox: woken by the
// commit's notification, by the slow poll when none arrives, and never enqueueing a row twice
// when several drain at once. Real PostgreSQL and Redis.

import { Queue } from "bullmq";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BullMqJobQueue } from "../../src/adapters/queue/bullmq.ts";
import { OutboxListener } from "../../src/adapters/store/outbox-listener.ts";
import type { Database } from "../../src/adapters/store/schema.ts";
import { createStore, type Store } from "../../src/adapters/store/store.ts";
import { type Incoming, ingest } from "../../src/app/ingest.ts";
import { OutboxRelay } from "../../src/app/outbox-relay.ts";
import { parseRepoConfig } from "../../src/config/repo-config.ts";
import type { JobIntent } from "../../src/ports/queue.ts";
import {
  createQueuePrefix,
  createTestDatabase,
  deleteQueuePrefix,
  REDIS_URL,
  sleep,
  type TestDatabase,
  waitFor,
} from "../../testkit/services.ts";

const silent = pino({ level: "silent" });
const target = { installationId: 1, owner: "octo-org", repo: "app", issueNumber: 1 };
const mona = { login: "mona", permission: "write" as const };

let t: TestDatabase;
let counted: Kysely<Database>;
let queries: string[] = [];
const stops: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  // A store over its own pool whose every query is counted: one query is one round trip.
  counted = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: t.url, max: 4 }) }),
    log: (event) => {
      queries.push(event.query.sql);
    },
  });
});
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});
afterAll(async () => {
  await counted.destroy();
  await t.drop();
});

let issues = 0;
/** A labelled issue: its feature is started, in conversation with the BA. */
async function startedFeature(store: Store) {
  issues += 1;
  const issue = { ...target, issueNumber: issues };
  const outcome = await ingest(
    { store },
    {
      delivery: { id: `start-${issues}-${Date.now()}`, name: "issues" },
      target: issue,
      event: { type: "start", actor: mona, commentId: null },
      newFeature: {
        issueTitle: "Add a health endpoint",
        issueAuthor: "mona",
        accountLogin: "octo-org",
        accountType: "Organization",
        repoConfig: parseRepoConfig(null),
      },
      message: { commentId: null, author: "mona", body: "# Add a health endpoint" },
    },
  );
  expect(outcome).toBe("applied");
  const feature = await store.findFeatureByIssue(issue.owner, issue.repo, issue.issueNumber);
  if (!feature) throw new Error("no feature");
  return { issue, feature };
}

let comments = 1_000;
function commentOn(issue: typeof target, delivery = `c-${++comments}`): Incoming {
  comments += 1;
  return {
    delivery: { id: delivery, name: "issue_comment" },
    target: issue,
    event: { type: "comment", actor: mona, commentId: comments },
    message: { commentId: comments, author: "mona", body: "It must answer within 50 ms." },
  };
}

const outboxOf = (featureId: number) =>
  t.db
    .selectFrom("outbox")
    .select(["job_id", "data"])
    .where("job_id", "like", `f${featureId}-%`)
    .orderBy("id")
    .execute();

describe("ingest", () => {
  it("writes a delivery, its transition and its outbox row in one round trip after one read", async () => {
    const store = createStore(counted);
    const { issue, feature } = await startedFeature(store);
    const before = await outboxOf(feature.id);

    queries = [];
    expect(await ingest({ store }, commentOn(issue, "one-trip"))).toBe("applied");
    expect(queries).toHaveLength(2);
    expect(queries[1]).toContain("ingest_deliveries");

    const after = await t.store.findFeature(feature.id);
    expect(after?.version).toBe(feature.version + 1);
    expect((await outboxOf(feature.id)).map((r) => r.job_id)).toEqual([
      ...before.map((r) => r.job_id),
      `f${feature.id}-v${feature.version + 1}`,
    ]);
    const messages = await t.store.listMessages(feature.id);
    expect(messages.at(-1)?.body).toBe("It must answer within 50 ms.");

    // A redelivery: one read, nothing written.
    queries = [];
    expect(await ingest({ store }, commentOn(issue, "one-trip"))).toBe("duplicate");
    expect(queries).toHaveLength(1);
    expect((await t.store.findFeature(feature.id))?.version).toBe(feature.version + 1);
  });

  it("recomputes after a lost compare-and-set, keeping nothing of the lost attempt", async () => {
    const { issue, feature } = await startedFeature(t.store);
    let raced = false;
    // Between the read and the write, a job saves the feature (the version moves on).
    const racing: Store = {
      ...t.store,
      readForIngest: async (...args) => {
        const read = await t.store.readForIngest(...args);
        if (!raced && read.feature) {
          raced = true;
          await t.store.saveFeature(read.feature, read.feature.version, read.feature.stage, {
            actor: "build-practical",
            event: "agent_finished",
          });
        }
        return read;
      },
    };
    expect(await ingest({ store: racing }, commentOn(issue, "raced"))).toBe("applied");
    expect(raced).toBe(true);
    const saved = await t.store.findFeature(feature.id);
    // The job's save, then the delivery's, computed again on the job's version.
    expect(saved?.version).toBe(feature.version + 2);
    const jobIds = (await outboxOf(feature.id)).map((r) => r.job_id);
    expect(jobIds).toContain(`f${feature.id}-v${feature.version + 2}`);
    expect(jobIds).not.toContain(`f${feature.id}-v${feature.version + 1}`);
    const deliveries = await t.db
      .selectFrom("deliveries")
      .select("id")
      .where("id", "=", "raced")
      .execute();
    expect(deliveries).toHaveLength(1);
    const messages = await t.store.listMessages(feature.id);
    expect(messages.filter((m) => m.body === "It must answer within 50 ms.")).toHaveLength(1);
  });

  it("applies every one of many deliveries on one feature at once, each once", async () => {
    const { issue, feature } = await startedFeature(t.store);
    const deliveries = Array.from({ length: 20 }, () => commentOn(issue));
    const outcomes = await Promise.all(deliveries.map((d) => ingest({ store: t.store }, d)));
    expect(outcomes.every((o) => o === "applied")).toBe(true);
    expect((await t.store.findFeature(feature.id))?.version).toBe(feature.version + 20);
    const messages = await t.store.listMessages(feature.id);
    expect(messages.filter((m) => m.github_comment_id !== null)).toHaveLength(20);
  });
});

/** A relay over a queue of its own prefix, and the job ids it enqueued. */
function relayOn(prefix: string, options: { enqueueDelayMs?: number } = {}) {
  const queue = new BullMqJobQueue(REDIS_URL, prefix);
  const enqueued: string[] = [];
  const relay = new OutboxRelay(
    t.store,
    {
      ...queue,
      enqueue: async (intent: JobIntent) => {
        if (options.enqueueDelayMs) await sleep(options.enqueueDelayMs);
        await queue.enqueue(intent);
        enqueued.push(intent.jobId);
      },
    } as unknown as BullMqJobQueue,
    silent,
  );
  stops.push(async () => {
    await relay.stop();
    await queue.close();
  });
  return { relay, enqueued };
}

function listen(relay: OutboxRelay) {
  const listener = new OutboxListener(t.url, () => void relay.kick(), silent);
  stops.push(() => listener.stop());
  return listener;
}

async function pipelineJob(prefix: string, jobId: string) {
  const pipeline = new Queue("pipeline", { connection: { url: REDIS_URL }, prefix });
  try {
    return await pipeline.getJob(jobId);
  } finally {
    await pipeline.close();
  }
}

const ciDelivery = (id: string, jobIds: string[]) =>
  t.store.ingestDelivery({
    delivery: { id, name: "check_suite" },
    outbox: jobIds.map((jobId) => ({
      queue: "pipeline",
      name: "effects",
      jobId,
      data: { featureId: null, target, effects: [] },
    })),
    outcome: "applied",
  });

describe("the workers' outbox relay", () => {
  it("is woken by the notification of the commit", async () => {
    const prefix = createQueuePrefix();
    stops.push(() => deleteQueuePrefix(prefix));
    const { relay, enqueued } = relayOn(prefix);
    const listener = listen(relay);
    await listener.start();
    expect(listener.listening).toBe(true);
    await sleep(100); // the catch-up relay on listening has run

    // No poll runs: only the notification can wake the relay.
    const written = performance.now();
    expect(await ciDelivery("notified", ["d-notified"])).toBe("applied");
    await waitFor("the job in the queue", () => enqueued.includes("d-notified"), 5_000);
    const latencyMs = performance.now() - written;
    expect(latencyMs).toBeLessThan(2_000);
    expect((await pipelineJob(prefix, "d-notified"))?.name).toBe("effects");
  });

  it("falls back to the slow poll when no notification arrives", async () => {
    const prefix = createQueuePrefix();
    stops.push(() => deleteQueuePrefix(prefix));
    // Not listening: the notification of this commit reaches nobody.
    const { relay, enqueued } = relayOn(prefix);
    expect(await ciDelivery("unheard", ["d-unheard"])).toBe("applied");
    await sleep(300);
    expect(enqueued).toEqual([]);
    relay.start(200);
    await waitFor("the poll's relay", () => enqueued.includes("d-unheard"), 5_000);
    expect((await pipelineJob(prefix, "d-unheard"))?.name).toBe("effects");
  });

  it("listens again after losing its connection, and catches up on what it missed", async () => {
    const prefix = createQueuePrefix();
    stops.push(() => deleteQueuePrefix(prefix));
    const { relay, enqueued } = relayOn(prefix);
    const listener = new OutboxListener(t.url, () => void relay.kick(), silent, 100);
    stops.push(() => listener.stop());
    await listener.start();
    // PostgreSQL ends the listening connection (a restart, a failover).
    await pg_terminate_listeners();
    await waitFor("the listener to notice", () => !listener.listening, 5_000);
    expect(await ciDelivery("missed", ["d-missed"])).toBe("applied");
    await waitFor("the listener back", () => listener.listening, 5_000);
    await waitFor("the missed job relayed", () => enqueued.includes("d-missed"), 5_000);
    expect(await ciDelivery("heard", ["d-heard"])).toBe("applied");
    await waitFor("the next job relayed", () => enqueued.includes("d-heard"), 5_000);
  });

  it("never enqueues a row twice when several workers drain at once", async () => {
    const prefix = createQueuePrefix();
    stops.push(() => deleteQueuePrefix(prefix));
    // Two workers, each with its own listener, relay and queue connection.
    const a = relayOn(prefix, { enqueueDelayMs: 1 });
    const b = relayOn(prefix, { enqueueDelayMs: 1 });
    await Promise.all([listen(a.relay).start(), listen(b.relay).start()]);
    await sleep(100);

    const jobIds = Array.from({ length: 300 }, (_, i) => `d-many-${i}`);
    // One commit, one notification, both workers woken.
    expect(await ciDelivery("many", jobIds)).toBe("applied");
    const many = (ids: string[]) => ids.filter((id) => id.startsWith("d-many-"));
    await waitFor(
      "every row relayed",
      () => many(a.enqueued).length + many(b.enqueued).length >= 300,
      20_000,
    );
    await sleep(300);

    // Both took part, neither took a row the other took, and every row was taken.
    expect(many(a.enqueued).length).toBeGreaterThan(0);
    expect(many(b.enqueued).length).toBeGreaterThan(0);
    expect(a.enqueued.filter((id) => b.enqueued.includes(id))).toEqual([]);
    expect([...many(a.enqueued), ...many(b.enqueued)].sort()).toEqual([...jobIds].sort());
    const pending = await t.db
      .selectFrom("outbox")
      .select("job_id")
      .where("enqueued_at", "is", null)
      .where("job_id", "like", "d-many-%")
      .execute();
    expect(pending).toEqual([]);
  });
});

/** Ends every connection that LISTENs on this test's database, as a server restart would. */
async function pg_terminate_listeners() {
  const admin = new pg.Client({ connectionString: t.url });
  await admin.connect();
  try {
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`,
    );
  } finally {
    await admin.end();
  }
}
