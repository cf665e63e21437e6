// The web process when PostgreSQL is down (a 5xx, so GitHub can redeliver; never a 2xx for an
// event it could not record), and the web process only recording the work (the workers, told
// by the commit's notification, enqueue it).

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingest } from "../../src/app/ingest.ts";
import { parseRepoConfig } from "../../src/config/repo-config.ts";
import { type Runtime, start } from "../../src/main/runtime.ts";
import { DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import { deliver } from "../../testkit/fakes/github/index.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { freePort, sleep, waitFor } from "../../testkit/services.ts";
import {
  type Harness,
  INSTALLATION_ID,
  MAINTAINER,
  OWNER,
  REPO,
  WEBHOOK_SECRET,
} from "../../testkit/stack.ts";
import { startTcpProxy, type TcpProxy, throughProxy } from "./support/proxies.ts";
import { injected, settle, startReliabilityHarness } from "./support/suite.ts";

const FILE = "ingress-outage";
let h: Harness;
let d: Journey;
let postgres: TcpProxy;
let web: Runtime | null = null;
let webUrl = "";

beforeAll(async () => {
  // The harness runs the workers; a second web process reaches Postgres through a proxy.
  h = await startReliabilityHarness({ web: false, files: DEMO_REPO_FILES });
  d = journey(h, { maintainer: true });
  scriptDemoFeature(h.model);
  const db = new URL(h.db.url);
  postgres = await startTcpProxy({ host: db.hostname, port: Number(db.port || 5432) });
  const port = await freePort();
  web = await start(
    { web: true, worker: false },
    { ...h.env, PORT: String(port), DATABASE_URL: throughProxy(h.db.url, postgres) },
  );
  webUrl = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  postgres?.restore();
  if (h) await settle(FILE, h);
  await web?.stop();
  await postgres?.close();
  await h?.stop();
});

const send = (webhook: { id: string; name: string; payload: unknown }) =>
  deliver(webhook, { url: `${webUrl}/api/github/webhooks`, secret: WEBHOOK_SECRET });

const deliveries = async () =>
  Number(
    (
      await h.db.db
        .selectFrom("deliveries")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe("ingress outages", () => {
  it("Postgres down when an issue is opened: 503 naming the cause, nothing kept; the redelivery starts the feature once", () =>
    injected(FILE, "Postgres down at ingress", async () => {
      const opened = h.github.openIssue({
        owner: OWNER,
        repo: REPO,
        author: MAINTAINER,
        title: "Add a health endpoint",
        body: "Please.",
        labels: ["practical"],
      });
      const issue = opened.payload.issue.number;
      const before = await deliveries();
      postgres.cut();
      const refused = await send(opened);
      expect(refused.status).toBe(503);
      expect(await refused.text()).toMatch(/could not record the event/);
      const ready = await fetch(`${webUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ unavailable: ["postgres"] });
      expect(await deliveries()).toBe(before);

      postgres.restore();
      // GitHub's redelivery keeps the delivery id.
      const accepted = await send(opened);
      expect(accepted.status).toBe(200);
      await waitFor("the BA's question", () =>
        h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
      );
      expect((await send(opened)).status).toBe(200);
      await sleep(1_000);
      expect(await deliveries()).toBe(before + 1);
      expect(
        h.github.comments(OWNER, REPO, issue).filter((c) => c.body.includes("Two questions")),
      ).toHaveLength(1);
    }));

  it(
    "Postgres not answering at all (a partition): a 5xx within GitHub's 10 seconds, never a 2xx",
    () =>
      injected(FILE, "Postgres unresponsive at ingress", async () => {
        const opened = h.github.openIssue({
          owner: OWNER,
          repo: REPO,
          author: MAINTAINER,
          title: "Partition",
          body: "Please.",
          labels: ["practical"],
        });
        const issue = opened.payload.issue.number;
        postgres.blackhole();
        const started = Date.now();
        const refused = await send(opened);
        const seconds = (Date.now() - started) / 1000;
        postgres.restore();
        expect(refused.status).toBeGreaterThanOrEqual(500);
        expect(seconds).toBeLessThan(10);
        // Whether or not the stalled transaction committed in the end, the redelivery starts the
        // feature exactly once.
        expect((await send(opened)).status).toBe(200);
        await waitFor("the BA's question", () =>
          h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
        );
        await sleep(1_000);
        expect(
          h.github.comments(OWNER, REPO, issue).filter((c) => c.body.includes("Two questions")),
        ).toHaveLength(1);
      }),
    30_000,
  );

  it("the web role only records the work: a worker, notified by the commit, enqueues it once", () =>
    injected(FILE, "the outbox written by ingest alone", async () => {
      const opened = h.github.openIssue({
        owner: OWNER,
        repo: REPO,
        author: MAINTAINER,
        title: "Crash after commit",
        body: "Please.",
      });
      const issue = opened.payload.issue.number;
      // What the web process does for a labelled issue, outside the app's processes: its commit
      // is all that tells the workers (as if the web process died right after it).
      const outcome = await ingest(
        { store: h.db.store },
        {
          delivery: { id: randomUUID(), name: "issues" },
          target: { installationId: INSTALLATION_ID, owner: OWNER, repo: REPO, issueNumber: issue },
          event: {
            type: "start",
            actor: { login: MAINTAINER, permission: "write" },
            commentId: null,
          },
          newFeature: {
            issueTitle: "Crash after commit",
            issueAuthor: MAINTAINER,
            accountLogin: OWNER,
            accountType: "Organization",
            repoConfig: parseRepoConfig(null),
          },
          message: { commentId: null, author: MAINTAINER, body: "# Crash after commit\n\nPlease." },
        },
      );
      expect(outcome).toBe("applied");
      const f = await d.feature(issue);
      const row = await h.db.db
        .selectFrom("outbox")
        .selectAll()
        .where("job_id", "like", `f${f?.id}-%`)
        .executeTakeFirstOrThrow();
      // The workers' relay, woken by the outbox's notification, moves it to the queue.
      await waitFor(
        "the BA's question",
        () => h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
        15_000,
      );
      const relayed = await h.db.db
        .selectFrom("outbox")
        .select("enqueued_at")
        .where("id", "=", row.id)
        .executeTakeFirstOrThrow();
      expect(relayed.enqueued_at).not.toBeNull();
      await sleep(1_000);
      expect(
        h.github.comments(OWNER, REPO, issue).filter((c) => c.body.includes("Two questions")),
      ).toHaveLength(1);
    }));
});
