// Deliveries recorded in groups (src/adapters/store/ingest-batch.ts, migration 0013): many at
// once, some redelivered, some on one issue, each recorded exactly once; a conflict in one
// element of a group undoes that element only. Real PostgreSQL.

import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type IngestWrite,
  ingestDeliveries,
  readManyForIngest,
} from "../../src/adapters/store/ingest.ts";
import { GroupCommit } from "../../src/adapters/store/ingest-batch.ts";
import type { Database } from "../../src/adapters/store/schema.ts";
import { createStore, type Store } from "../../src/adapters/store/store.ts";
import { type Incoming, ingest } from "../../src/app/ingest.ts";
import { parseRepoConfig } from "../../src/config/repo-config.ts";
import { VersionConflictError } from "../../src/errors.ts";
import { createTestDatabase, type TestDatabase } from "../../testkit/services.ts";

const mona = { login: "mona", permission: "write" as const };
const issueOf = (issueNumber: number) => ({
  installationId: 1,
  owner: "octo-org",
  repo: "batched",
  issueNumber,
});

let t: TestDatabase;
let counted: Kysely<Database>;
let queries: string[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  // Its own pool, every query counted: a group is one query.
  counted = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: t.url, max: 10 }) }),
    log: (event) => {
      queries.push(event.query.sql);
    },
  });
});
afterAll(async () => {
  await counted.destroy();
  await t.drop();
});

async function startedFeature(store: Store, issueNumber: number) {
  const issue = issueOf(issueNumber);
  const outcome = await ingest(
    { store },
    {
      delivery: { id: `start-${issueNumber}`, name: "issues" },
      target: issue,
      event: { type: "start", actor: mona, commentId: null },
      newFeature: {
        issueTitle: `Feature ${issueNumber}`,
        issueAuthor: "mona",
        accountLogin: "octo-org",
        accountType: "Organization",
        repoConfig: parseRepoConfig(null),
      },
      message: { commentId: null, author: "mona", body: `# Feature ${issueNumber}` },
    },
  );
  expect(outcome).toBe("applied");
  const feature = await store.findFeatureByIssue(issue.owner, issue.repo, issueNumber);
  if (!feature) throw new Error("no feature");
  return feature;
}

function commentOn(issueNumber: number, commentId: number): Incoming {
  return {
    delivery: { id: `comment-${commentId}`, name: "issue_comment" },
    target: issueOf(issueNumber),
    event: { type: "comment", actor: mona, commentId },
    message: { commentId, author: "mona", body: `Detail ${commentId}` },
  };
}

describe("deliveries recorded in groups", () => {
  it("records each of many concurrent deliveries once, redeliveries and one issue's alike", async () => {
    const store = createStore(counted);
    const issues = [101, 102, 103, 104, 105, 106];
    const before = new Map<number, { id: number; version: number }>();
    for (const issue of issues) before.set(issue, await startedFeature(store, issue));

    // 60 comments: 10 on each issue, several on one issue in flight at once; every fourth is
    // delivered twice, at the same time.
    const comments = Array.from({ length: 60 }, (_, i) => ({
      issue: issues[i % issues.length] as number,
      commentId: 5_000 + i,
    }));
    const sent = comments.flatMap((c, i) => {
      const incoming = commentOn(c.issue, c.commentId);
      return i % 4 === 0 ? [incoming, incoming] : [incoming];
    });
    queries = [];
    const outcomes = await Promise.all(sent.map((incoming) => ingest({ store }, incoming)));

    // Fewer writes than deliveries: they went in groups.
    const groupWrites = queries.filter((q) => q.includes("ingest_deliveries")).length;
    expect(groupWrites).toBeGreaterThan(0);
    expect(groupWrites).toBeLessThan(sent.length);

    const byDelivery = new Map<string, string[]>();
    sent.forEach((incoming, i) => {
      const id = incoming.delivery.id;
      byDelivery.set(id, [...(byDelivery.get(id) ?? []), outcomes[i] as string]);
    });
    for (const [id, seen] of byDelivery) {
      // Once applied; a redelivery at the same time is a duplicate.
      expect({ id, seen: [...seen].sort() }).toEqual({
        id,
        seen: seen.length === 2 ? ["applied", "duplicate"] : ["applied"],
      });
    }

    const recorded = await t.db
      .selectFrom("deliveries")
      .select("id")
      .where("id", "like", "comment-%")
      .execute();
    expect(recorded.map((r) => r.id).sort()).toEqual([...byDelivery.keys()].sort());

    for (const issue of issues) {
      const start = before.get(issue);
      if (!start) throw new Error("no feature");
      const mine = comments.filter((c) => c.issue === issue);
      // Every comment on the issue saved once, one after the other (compare-and-set).
      const feature = await t.store.findFeature(start.id);
      expect(feature?.version).toBe(start.version + mine.length);
      const messages = await t.store.listMessages(start.id);
      expect(
        messages
          .filter((m) => m.github_comment_id !== null)
          .map((m) => m.github_comment_id)
          .sort(),
      ).toEqual(mine.map((c) => c.commentId).sort());
      const events = await t.db
        .selectFrom("feature_events")
        .select("id")
        .where("feature_id", "=", start.id)
        .where("event", "=", "comment")
        .execute();
      expect(events).toHaveLength(mine.length);
    }
  });

  it("keeps the other elements of a group when one conflicts, and reports the conflict", async () => {
    const feature = await startedFeature(t.store, 201);
    const other = await startedFeature(t.store, 202);
    const write = (
      id: string,
      on: { id: number; stage: string },
      expectedVersion: number,
    ): IngestWrite => ({
      delivery: { id, name: "issue_comment" },
      save: {
        featureId: on.id,
        expectedVersion,
        fromStage: on.stage,
        next: {
          stage: on.stage,
          checkpoint: null,
          fixRounds: 0,
          ciFixRounds: 0,
          artifacts: {},
          approvals: {},
          failureReason: null,
        },
        audit: { actor: "mona", event: "comment", detail: { delivery: id } },
        approvals: [],
        stopJobs: false,
      },
      outbox: [
        { queue: "pipeline", name: "effects", jobId: `job-${id}`, data: { featureId: on.id } },
      ],
      outcome: "applied",
    });

    const results = await ingestDeliveries(t.db, [
      write("first", feature, feature.version),
      // Computed on the same version as the first, which saved before it: a conflict.
      write("second", feature, feature.version),
      // Stale from the start.
      write("stale", other, other.version - 1),
      write("third", other, other.version),
      // The first one again in the same group.
      write("first", feature, feature.version + 1),
    ]);
    expect(results[0]).toBe("applied");
    expect(results[1]).toBeInstanceOf(VersionConflictError);
    expect(results[2]).toBeInstanceOf(VersionConflictError);
    expect(results[3]).toBe("applied");
    expect(results[4]).toBe("duplicate");

    // The applied ones committed; nothing of the conflicted ones was kept.
    expect((await t.store.findFeature(feature.id))?.version).toBe(feature.version + 1);
    expect((await t.store.findFeature(other.id))?.version).toBe(other.version + 1);
    const deliveries = await t.db
      .selectFrom("deliveries")
      .select("id")
      .where("id", "in", ["first", "second", "stale", "third"])
      .execute();
    expect(deliveries.map((d) => d.id).sort()).toEqual(["first", "third"]);
    const jobs = await t.db
      .selectFrom("outbox")
      .select("job_id")
      .where("job_id", "like", "job-%")
      .execute();
    expect(jobs.map((j) => j.job_id).sort()).toEqual(["job-first", "job-third"]);
  });

  it("fails one element alone on an error other than a conflict", async () => {
    const results = await ingestDeliveries(t.db, [
      {
        delivery: { id: "no-such-feature", name: "issue_comment" },
        // A message for a feature that does not exist: a foreign key violation.
        message: {
          featureId: 999_999,
          githubCommentId: 1,
          author: "mona",
          authorPermission: null,
          body: "hello",
        },
        outbox: [],
        outcome: "applied",
      },
      { delivery: { id: "fine", name: "issue_comment" }, outbox: [], outcome: "ignored" },
    ]);
    expect(results[0]).toBeInstanceOf(Error);
    expect(results[0]).not.toBeInstanceOf(VersionConflictError);
    expect((results[0] as Error & { code?: string }).code).toBe("23503");
    expect(results[1]).toBe("ignored");
    const rows = await t.db
      .selectFrom("deliveries")
      .select("id")
      .where("id", "in", ["no-such-feature", "fine"])
      .execute();
    expect(rows.map((r) => r.id)).toEqual(["fine"]);
  });
});

describe("the ingest read (migration 0015)", () => {
  it("returns each issue's feature as findFeature does, every column, with its reply window", async () => {
    const store = createStore(counted);
    const feature = await startedFeature(store, 301);
    await t.store.updateFeatureLinks(feature.id, {
      branch: "practical/301-feature",
      prNumber: 17,
      statusCommentId: 9_000_000_001,
      headSha: "a".repeat(40),
      tasks: [{ id: "T1", title: "First", done: true, files: ["src/a.ts"] }],
      statusDigest: "digest",
    });
    await t.store.updateFeatureLanguage(feature.id, "de");
    await ingest(
      { store },
      {
        ...commentOn(301, 30_101),
        event: {
          type: "command",
          actor: mona,
          commentId: 30_101,
          command: { name: "help", argument: "" },
        },
      },
    );

    const [withFeature, without] = await readManyForIngest(counted, [
      {
        issue: issueOf(301),
        options: { deliveryId: "comment-30101", windowLogin: "Mona", drawFeatureId: true },
      },
      {
        issue: issueOf(302),
        options: { deliveryId: "never-seen", windowLogin: null, drawFeatureId: true },
      },
    ]);
    expect(withFeature).toEqual({
      delivered: true,
      feature: await t.store.findFeature(feature.id),
      replyWindow: 30_101,
      newFeatureId: null,
    });
    expect(without?.delivered).toBe(false);
    expect(without?.feature).toBeNull();
    expect(without?.replyWindow).toBeNull();
    expect(without?.newFeatureId).toBeGreaterThan(feature.id);
  });
});

describe("GroupCommit", () => {
  it("sends a call at once when idle, and the calls that arrive meanwhile together", async () => {
    const sent: number[][] = [];
    let release: () => void = () => {};
    const group = new GroupCommit<number, number>(async (items) => {
      sent.push(items);
      if (sent.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items.map((n) => (n === 13 ? new Error("unlucky") : n * 2));
    });
    const first = group.run(1);
    expect(sent).toEqual([[1]]);
    const later = Array.from({ length: 40 }, (_, i) => group.run(i + 2));
    for (const call of later) call.catch(() => {});
    expect(sent).toHaveLength(1);
    release();
    expect(await first).toBe(2);
    const settled = await Promise.allSettled(later);
    // At most 32 in a group: 40 waiting go as 32 and 8.
    expect(sent.slice(1).map((items) => items.length)).toEqual([32, 8]);
    expect(settled[0]).toEqual({ status: "fulfilled", value: 4 });
    expect(settled[11]).toMatchObject({ status: "rejected", reason: new Error("unlucky") });
    expect(settled[12]).toEqual({ status: "fulfilled", value: 28 });
  });

  it("fails every call of a group whose send fails, and goes on with the next", async () => {
    let calls = 0;
    let release: () => void = () => {};
    const group = new GroupCommit<number, number>(async (items) => {
      calls++;
      if (calls === 1) {
        await new Promise<void>((resolve) => (release = resolve));
        return items;
      }
      if (calls === 2) throw new Error("connection lost");
      return items;
    });
    const first = group.run(1);
    const failing = [group.run(2), group.run(3)];
    for (const call of failing) call.catch(() => {});
    release();
    expect(await first).toBe(1);
    await expect(failing[0]).rejects.toThrow("connection lost");
    await expect(failing[1]).rejects.toThrow("connection lost");
    expect(await group.run(4)).toBe(4);
  });
});
