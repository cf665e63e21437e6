// Guards at the ingress: a captured command re-sent under a new delivery id, an approval written
// before its artifact, bodies over GitHub's payload cap, a forged flood farming metric series,
// /metrics on a public address without a token, and a stranger's repeated commands.

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { start } from "../../src/main/runtime.ts";
import { WEBHOOK_EVENTS } from "../../src/ops/metrics.ts";
import { MAX_WEBHOOK_BYTES } from "../../src/web/body-limit.ts";
import { DEMO_ANSWER, DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import { signWebhook } from "../../testkit/fakes/github/index.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { killAll, spawnApp } from "../../testkit/processes.ts";
import { freePort, sleep, waitFor } from "../../testkit/services.ts";
import { type Harness, MAINTAINER, OWNER, REPO } from "../../testkit/stack.ts";
import { measured, refused, settle, startReliabilityHarness } from "./support/suite.ts";

const FILE = "ingress-guards";
const STRANGER = "eve";
let h: Harness;
let d: Journey;

beforeAll(async () => {
  h = await startReliabilityHarness({ files: DEMO_REPO_FILES });
  d = journey(h, { maintainer: true });
  h.github.setPermission(OWNER, REPO, STRANGER, "read");
  scriptDemoFeature(h.model);
});
afterAll(async () => {
  await killAll();
  if (h) await settle(FILE, h);
  await h?.stop();
});

const comment = (number: number, body: string, author = MAINTAINER) =>
  h.github.comment({ owner: OWNER, repo: REPO, number, author, body });

/** Non-GET requests to the GitHub fake that changed something. */
const writes = () => h.github.ledger.length;

describe("each command acts once", () => {
  it(
    "a captured /approve for the brief, re-sent under a new delivery id, does not approve the spec",
    () =>
      measured(FILE, "Replayed commands ignored (new delivery id)", "all", async () => {
        const issue = await d.open("Replayed approval");
        await waitFor("the BA's question", () =>
          h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
        );
        await d.say(issue, DEMO_ANSWER);
        await waitFor("the brief", async () => (await d.feature(issue))?.artifacts.brief);
        const approve = comment(issue, "/approve");
        expect((await h.send(approve)).status).toBe(200);
        await d.waitStage(issue, "spec_ready");

        // The same body, signed the same way (the signature covers only the body), new delivery ids.
        const replays = Array.from({ length: 5 }, () => ({ ...approve, id: randomUUID() }));
        for (const replay of replays) expect((await h.send(replay)).status).toBe(200);
        await sleep(1_000);
        const f = await d.feature(issue);
        expect(f?.stage).toBe("spec_ready");
        expect(f?.approvals.spec).toBeUndefined();
        const approvals = await h.db.db
          .selectFrom("approvals")
          .select("gate")
          .where("feature_id", "=", f?.id ?? 0)
          .execute();
        expect(approvals.map((a) => a.gate)).toEqual(["brief"]);
        return `${replays.length} / ${replays.length}`;
      }),
    60_000,
  );

  it(
    "an /approve written before the spec existed is refused with a reply saying to approve again",
    () =>
      refused(FILE, "/approve written before the artifact it would approve", async () => {
        const issue = await d.openAndApproveBrief("Late approval");
        const f = await d.waitStage(issue, "spec_ready");
        // Delivered now, written (created_at) before the spec was produced: GitHub delays and
        // redelivers, so the order of arrival is not the order of writing.
        const late = comment(issue, "/approve");
        late.payload.comment.created_at = new Date(Date.now() - 10 * 60_000).toISOString();
        expect((await h.send(late)).status).toBe(200);
        await waitFor("the refusal", () =>
          d
            .botComments(issue)
            .some((c) => c.body.includes(`key=c${late.payload.comment.id}-stale_approval`)),
        );
        const reply = d
          .botComments(issue)
          .find((c) => c.body.includes(`key=c${late.payload.comment.id}-stale_approval`));
        expect(reply?.body).toMatch(/written before the current version of the \*\*spec\*\*/);
        expect(reply?.body).toMatch(/approve it again/);
        expect((await d.feature(issue))?.stage).toBe("spec_ready");
        expect((await d.feature(issue))?.approvals.spec).toBeUndefined();
        expect(f.artifacts.spec).toBeDefined();
        // Written now, it approves.
        await d.say(issue, "/approve");
        await d.waitStage(issue, "plan_ready");
        return "message";
      }),
    60_000,
  );
});

/** Peak and current resident memory of a process, in bytes (Linux /proc). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: kb("VmRSS") * 1024, peak: kb("VmHWM") * 1024 };
}

/**
 * POSTs `total` bytes of JSON-ish filler with a wrong signature, 1 MB at a time, declaring the
 * length or chunked; resolves with the status once answered (the server may close early).
 */
/**
 * POSTs `total` bytes over a raw socket and resolves with the status line's code. The server
 * answers 413 and resets the connection while the body is still coming: the answer is read
 * from the bytes received, whatever the write that fails afterwards says.
 */
function postHuge(url: string, total: number, declareLength: boolean): Promise<number> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = "";
    let done = false;
    const finish = (status: number | Error) => {
      if (done) return;
      done = true;
      socket.destroy();
      if (status instanceof Error) reject(status);
      else resolve(status);
    };
    socket.on("data", (data) => {
      received += data.toString("latin1");
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
      if (status) finish(Number(status));
    });
    socket.on("error", (error) => {
      // A reset after the answer arrived is the server refusing the rest, as it should.
      setTimeout(() => finish(error), 500);
    });
    socket.on("close", () => setTimeout(() => finish(new Error("closed without an answer")), 500));
    const head = [
      `POST ${pathname} HTTP/1.1`,
      `Host: ${hostname}:${port}`,
      "Content-Type: application/json",
      "X-GitHub-Event: issues",
      `X-GitHub-Delivery: ${randomUUID()}`,
      `X-Hub-Signature-256: sha256=${"0".repeat(64)}`,
      declareLength ? `Content-Length: ${total}` : "Transfer-Encoding: chunked",
      "",
      "",
    ].join("\r\n");
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const framed = declareLength
      ? chunk
      : Buffer.concat([
          Buffer.from(`${chunk.length.toString(16)}\r\n`),
          chunk,
          Buffer.from("\r\n"),
        ]);
    let sent = 0;
    const pump = () => {
      while (sent < total && !done && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(framed)) {
          socket.once("drain", pump);
          return;
        }
      }
      if (sent >= total && !declareLength && !socket.destroyed) socket.write("0\r\n\r\n");
    };
    socket.once("connect", () => {
      socket.write(head);
      // A declared length is refused on the headers alone: give the answer a moment to arrive
      // before the body starts (a client racing it may see the reset first).
      if (declareLength) setTimeout(pump, 300);
      else pump();
    });
  });
}

describe("bounded bodies", () => {
  const MB = 1024 * 1024;
  for (const declareLength of [true, false]) {
    const how = declareLength ? "with Content-Length" : "chunked";
    it(
      `a 256 MB body (${how}) with a bad signature is refused with 413 before it is buffered`,
      () =>
        measured(
          FILE,
          `Oversized body (256 MB, ${how}): status, web process memory growth`,
          "413, < 64 MB",
          async () => {
            const port = await freePort();
            const web = spawnApp("web", { ...h.env, PORT: String(port), LOG_LEVEL: "warn" });
            const url = `http://127.0.0.1:${port}`;
            await waitFor(
              "the web process",
              async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok,
              20_000,
            );
            const pid = web.child.pid ?? 0;
            const before = memoryOf(pid);
            const status = await postHuge(`${url}/api/github/webhooks`, 256 * MB, declareLength);
            await sleep(200);
            const after = memoryOf(pid);
            const growth = Math.max(0, after.peak - before.rss);
            await web.kill();
            expect(status, `answered ${status}, grew ${Math.round(growth / MB)} MB`).toBe(413);
            expect(growth).toBeLessThan(64 * MB);
            return `${status}, +${Math.round(growth / MB)} MB (${Math.round(before.rss / MB)} → peak ${Math.round(after.peak / MB)} MB)`;
          },
        ),
      60_000,
    );
  }

  it("a body just under the cap still reaches the signature check", async () => {
    const body = `{"pad":"${" ".repeat(MAX_WEBHOOK_BYTES - 20)}"}`;
    const response = await fetch(h.webhookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "issues",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": signWebhook("another-secret-of-at-least-32-chars", body),
      },
      body,
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/signature/i);
  });
});

/** The Prometheus text of the in-process app (loopback, no token needed). */
async function scrape(): Promise<string> {
  const response = await fetch(`${h.appUrl}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

describe("metrics", () => {
  it(
    "2,000 forged requests with invented event names add no series",
    () =>
      measured(
        FILE,
        "Webhook metric series after 2,000 forged requests",
        `≤ ${WEBHOOK_EVENTS.size + 1} event labels`,
        async () => {
          const body = JSON.stringify({ action: "opened" });
          const forged = Array.from(
            { length: 2_000 },
            (_, i) => () =>
              fetch(h.webhookUrl, {
                method: "POST",
                headers: {
                  "content-type": "application/json",
                  // Letters only: names a header check for [a-z_] would let through.
                  "x-github-event": `forged_${[...String(i)].map((c) => "abcdefghij"[Number(c)]).join("")}`,
                  "x-github-delivery": randomUUID(),
                  "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
                },
                body,
              }).then((r) => r.arrayBuffer()),
          );
          for (let i = 0; i < forged.length; i += 50) {
            await Promise.all(forged.slice(i, i + 50).map((send) => send()));
          }
          const text = await scrape();
          const series = text
            .split("\n")
            .filter((line) => /^practical_webhooks_(received|rejected)_total\{/.test(line));
          const events = new Set(series.map((line) => /event="([^"]*)"/.exec(line)?.[1]));
          expect([...events].filter((e) => e?.startsWith("forged_"))).toHaveLength(0);
          expect(events.size).toBeLessThanOrEqual(WEBHOOK_EVENTS.size + 1);
          // Forged requests are not deliveries: none counted as received.
          expect(text).not.toMatch(/practical_webhooks_received_total\{event="other"\}/);
          return `${series.length} series, ${events.size} event labels`;
        },
      ),
    120_000,
  );

  it("the database aggregates are read once per TTL, not on every scrape", async () => {
    const calls = (text: string) =>
      text
        .split("\n")
        .filter((line) => line.startsWith("practical_model_calls_total{"))
        .reduce((n, line) => n + Number(line.split(" ").pop()), 0);
    const first = calls(await scrape());
    await sql`insert into agent_runs (agent, model, outcome) values ('ba', 'claude-test', 'ok')`.execute(
      h.db.db,
    );
    // A second scrape within the TTL reads no table: the new run is not in it yet.
    expect(calls(await scrape())).toBe(first);
  });

  it("/metrics on an address beyond loopback without METRICS_TOKEN: the app refuses to start", () =>
    refused(FILE, "HOST=0.0.0.0 without METRICS_TOKEN", async () => {
      const port = await freePort();
      await expect(
        start({ web: true, worker: false }, { ...h.env, HOST: "0.0.0.0", PORT: String(port) }),
      ).rejects.toThrow(/METRICS_TOKEN: is required when HOST \(0\.0\.0\.0\)/);
      const app = await start(
        { web: true, worker: false },
        { ...h.env, HOST: "0.0.0.0", PORT: String(port), METRICS_TOKEN: "m".repeat(32) },
      );
      await app?.stop();
      return "message";
    }));
});

describe("spam is answered once", () => {
  const settleWrites = async () => {
    let last = -1;
    await waitFor(
      "GitHub writes to stop",
      async () => {
        const now = writes();
        const still = now === last;
        last = now;
        await sleep(700);
        return still;
      },
      30_000,
    );
  };

  it(
    "thirty /approve from a stranger on a feature: one reaction and one reply",
    () =>
      measured(FILE, "GitHub writes for 30 /approve from a stranger", "≤ 2", async () => {
        const issue = await d.open("Stranger danger");
        await waitFor("the BA's question", () =>
          h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
        );
        await settleWrites();
        const before = writes();
        const spam = Array.from({ length: 30 }, () => comment(issue, "/approve", STRANGER));
        const answers = await Promise.all(spam.map((w) => h.send(w)));
        expect(answers.every((a) => a.status === 200)).toBe(true);
        await waitFor("the refusal", () =>
          d.botComments(issue).some((c) => c.body.includes("key=person-eve-")),
        );
        await settleWrites();
        const made = writes() - before;
        const refusals = d.botComments(issue).filter((c) => c.body.includes("key=person-eve-"));
        expect(refusals).toHaveLength(1);
        expect(made, `${made} writes`).toBeLessThanOrEqual(2);
        // A /help in the same window edits that one reply in place.
        await d.say(issue, "/help", STRANGER);
        await waitFor("the reply edited to help", () =>
          d
            .botComments(issue)
            .some((c) => c.body.includes("key=person-eve-") && /\/status/.test(c.body)),
        );
        expect(d.botComments(issue).filter((c) => c.body.includes("key=person-eve-"))).toHaveLength(
          1,
        );
        return String(made);
      }),
    60_000,
  );

  it(
    "thirty /approve from a stranger on an issue without a feature: one reply",
    () =>
      measured(
        FILE,
        "GitHub writes for 30 /approve from a stranger, no feature",
        "≤ 2",
        async () => {
          const opened = h.github.openIssue({
            owner: OWNER,
            repo: REPO,
            author: STRANGER,
            title: "No feature here",
            body: "b",
          });
          await h.send(opened);
          const issue = opened.payload.issue.number;
          await settleWrites();
          const before = writes();
          const spam = Array.from({ length: 30 }, () => comment(issue, "/approve", STRANGER));
          for (const w of spam) expect((await h.send(w)).status).toBe(200);
          await waitFor("the reply", () =>
            d.botComments(issue).some((c) => c.body.includes("key=person-eve-")),
          );
          await settleWrites();
          const made = writes() - before;
          expect(d.botComments(issue)).toHaveLength(1);
          expect(made, `${made} writes`).toBeLessThanOrEqual(2);
          return String(made);
        },
      ),
    60_000,
  );
});
