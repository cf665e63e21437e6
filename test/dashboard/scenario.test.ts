// A full scenario against the app run as `npm start` runs it (its own process, JSON logs on
// stdout): an admin pastes a canary model key on the dashboard, a feature's BA conversation and
// first gate run on it, and afterwards the logs, the job data in Redis, every database column
// and everything written to GitHub are searched for the canary. /metrics is read before and after.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectPath } from "../../src/project-root.ts";
import { deliver } from "../../testkit/fakes/github/index.ts";
import { byTool } from "../../testkit/fakes/model/index.ts";
import { freePort, REDIS_URL, waitFor } from "../../testkit/services.ts";
import {
  type Harness,
  INSTALLATION_ID,
  OWNER,
  REPO,
  startHarness,
  WEBHOOK_SECRET,
} from "../../testkit/stack.ts";
import { parsePrometheus } from "./prometheus.ts";
import { ADMIN, type Client, seedGitHub, signIn } from "./support.ts";

const CANARY = `sk-ant-api03-CANARY-${randomBytes(24).toString("hex")}`;
const METRICS_TOKEN = randomBytes(24).toString("hex");

let h: Harness;
let app: ChildProcess;
let appUrl: string;
let output = "";
let admin: Client;

const BRIEF = {
  title: "Health endpoint",
  problem: "Operators cannot tell whether the service is up.",
  users: "Operators and load balancers.",
  scope: ["GET /health answers 200 with {status:'ok'}"],
  outOfScope: ["Deep dependency checks"],
  acceptanceCriteria: [{ id: "AC-1", text: 'GET /health returns 200 and JSON {"status":"ok"}' }],
  constraints: ["No new dependencies"],
  openQuestions: [],
};

beforeAll(async () => {
  // The fakes, the database and the queue prefix; the app itself runs in a child process.
  h = await startHarness({
    web: false,
    worker: false,
    modelKeys: [CANARY],
    files: {
      "README.md": "# hello-app\n",
      "src/index.js": "console.log('hi');\n",
      // mona opens the issue and approves its brief herself.
      ".github/practical.yml": "allow_self_approval: true\n",
    },
  });
  seedGitHub(h);
  h.github.setPermission(OWNER, REPO, "mona", "write");
  const port = await freePort();
  appUrl = `http://127.0.0.1:${port}`;
  h.github.addCallbackUrl(`${appUrl}/auth/callback`);
  app = spawn(process.execPath, ["src/main/all.ts"], {
    cwd: projectPath(),
    env: {
      ...h.env,
      PORT: String(port),
      PUBLIC_URL: appUrl,
      // Only the installation's own key (the canary) can reach the model.
      ANTHROPIC_API_KEY: "",
      LOG_LEVEL: "trace",
      LOG_FORMAT: "json",
      METRICS_TOKEN,
      // Each scrape reads PostgreSQL afresh: the test compares two scrapes seconds apart.
      METRICS_CACHE_SECONDS: "0",
      OPERATOR_ORG: OWNER,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  app.stdout?.on("data", (chunk) => {
    output += String(chunk);
  });
  app.stderr?.on("data", (chunk) => {
    output += String(chunk);
  });
  await waitFor(
    "the app to answer /healthz",
    async () => (await fetch(`${appUrl}/healthz`)).ok,
    20_000,
  );
  admin = await signIn(h, ADMIN, appUrl);
}, 40_000);

afterAll(async () => {
  if (app && app.exitCode === null) {
    app.kill("SIGTERM");
    await new Promise((resolve) => app.once("exit", resolve));
  }
  await h?.stop();
});

async function scrape() {
  const response = await fetch(`${appUrl}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  return parsePrometheus(await response.text());
}

const send = (
  webhook: { id: string; name: string; payload: unknown },
  headers?: Record<string, string>,
) =>
  deliver(webhook, {
    url: `${appUrl}/api/github/webhooks`,
    secret: WEBHOOK_SECRET,
    ...(headers ? { headers } : {}),
  });

describe("a scenario with an installation's own key", () => {
  it("/metrics needs the bearer token when one is configured", async () => {
    expect((await fetch(`${appUrl}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${appUrl}/metrics`, {
      headers: { authorization: `Bearer ${"x".repeat(METRICS_TOKEN.length)}` },
    });
    expect(wrong.status).toBe(401);
  });

  it("runs on the pasted key; the counters move; the canary is nowhere", async () => {
    const before = await scrape();
    expect(before.types.get("practical_webhooks_received_total")).toBe("counter");
    expect(before.types.get("practical_job_duration_seconds")).toBe("histogram");
    expect(before.types.get("practical_features")).toBe("gauge");

    // The admin pastes the key on the dashboard.
    const settings = `/installations/${INSTALLATION_ID}/settings`;
    const csrf = await admin.csrf(settings);
    expect((await admin.post(`${settings}/key`, { _csrf: csrf, key: CANARY })).status).toBe(303);

    let turn = 0;
    h.model.respond(byTool("submit_ba_reply"), () => {
      turn += 1;
      return {
        toolUse: {
          name: "submit_ba_reply",
          input:
            turn === 1
              ? { reply: "Who calls it?", brief: null }
              : { reply: "Here is the brief.", brief: BRIEF },
        },
      };
    });
    h.model.respond(byTool("submit_spec"), () => ({
      toolUse: {
        name: "submit_spec",
        input: {
          markdown: '# Health endpoint\n\n- GET /health answers 200 with `{"status":"ok"}`.\n',
          summary: "One endpoint for load balancers.",
        },
      },
    }));
    h.model.respond(byTool("submit_title"), () => ({
      toolUse: { name: "submit_title", input: { title: "feat: add a health endpoint" } },
    }));
    h.model.respond(byTool("submit_alignment_review"), () => ({
      toolUse: {
        name: "submit_alignment_review",
        input: {
          recommendation: "APPROVE",
          reasons: ["Matches the request."],
          summary: "Aligned.",
        },
      },
    }));

    // A forged delivery is rejected and counted.
    const forged = await send(
      h.github.openIssue({ owner: OWNER, repo: REPO, author: "eve", title: "x", body: "x" }),
      { "x-hub-signature-256": `sha256=${"0".repeat(64)}` },
    );
    expect(forged.status).toBeGreaterThanOrEqual(400);

    expect(
      (
        await send(
          h.github.openIssue({
            owner: OWNER,
            repo: REPO,
            author: "mona",
            title: "Add a health endpoint",
            body: "We need /health.",
            labels: ["practical"],
          }),
        )
      ).status,
    ).toBeLessThan(300);
    // Issue #1 was the forged one's number in the fake; ours is #2.
    const issue = 2;
    const bot = () => h.github.comments(OWNER, REPO, issue).filter((c) => c.authorType === "Bot");
    await waitFor("the BA's first reply", () =>
      bot().some((c) => c.body.includes("Who calls it?")),
    );
    await send(
      h.github.comment({
        owner: OWNER,
        repo: REPO,
        number: issue,
        author: "mona",
        body: "Load balancers.",
      }),
    );
    const ours = () => h.db.store.findFeatureByIssue(OWNER, REPO, issue);
    await waitFor("the brief", async () => (await ours())?.artifacts.brief);
    await send(
      h.github.comment({
        owner: OWNER,
        repo: REPO,
        number: issue,
        author: "mona",
        body: "/approve",
      }),
    );
    await waitFor("the brief's approval", async () => (await ours())?.stage !== "drafting");
    // The spec and its gate review (the stage after is other tests' concern).
    await waitFor("the spec", async () => (await ours())?.stage !== "spec_generating", 20_000);
    // Whatever the later stages do, let the queue settle before looking.
    const queue = h.pipelineQueue();
    await waitFor(
      "the queue to settle",
      async () => {
        const counts = await queue.getJobCounts("active", "waiting", "delayed");
        return (counts.active ?? 0) + (counts.waiting ?? 0) + (counts.delayed ?? 0) === 0;
      },
      20_000,
    ).catch(() => undefined);

    // Every model call went out with the installation's key, and there were some.
    const calls = h.model.requests.filter((r) => r.path === "/v1/messages");
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(calls.map((r) => r.keyLastFour))).toEqual(new Set([CANARY.slice(-4)]));

    // The dashboard shows the conversation and the runs.
    const current = await ours();
    const page = await admin.page(`/installations/${INSTALLATION_ID}/features/${current?.id}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain("Who calls it?");
    expect(page.html).toContain("claude-");
    expect(page.html).not.toContain(CANARY);

    const after = await scrape();
    // Three verified deliveries; the forged one is counted as rejected, never as received.
    expect(after.value("practical_webhooks_received_total")).toBeGreaterThanOrEqual(
      before.value("practical_webhooks_received_total") + 3,
    );
    expect(
      after.value("practical_webhooks_received_total", { event: "issue_comment" }),
    ).toBeGreaterThanOrEqual(2);
    expect(after.value("practical_webhooks_rejected_total", { event: "issues" })).toBe(
      before.value("practical_webhooks_rejected_total", { event: "issues" }) + 1,
    );
    expect(after.value("practical_jobs_total", { outcome: "completed" })).toBeGreaterThan(
      before.value("practical_jobs_total", { outcome: "completed" }),
    );
    expect(after.value("practical_job_duration_seconds_count")).toBeGreaterThan(0);
    // The BA's whole prompt sits before a cache breakpoint: it is written to the cache, not
    // billed as uncached input.
    const baTokens = (kind: string) =>
      after.value("practical_model_tokens_total", { agent: "ba", kind });
    expect(baTokens("input") + baTokens("cache_write") + baTokens("cache_read")).toBeGreaterThan(0);
    expect(baTokens("output")).toBeGreaterThan(0);
    expect(after.value("practical_model_cost_usd_total")).toBeGreaterThan(0);
    expect(after.value("practical_model_calls_total", { agent: "ba" })).toBeGreaterThanOrEqual(2);
    expect(after.value("practical_features")).toBe(1);
    expect(
      after.value("practical_queue_jobs", { queue: "pipeline", state: "completed" }),
    ).toBeGreaterThan(0);

    // Stop the app so its logs are complete.
    app.kill("SIGTERM");
    await new Promise((resolve) => app.once("exit", resolve));

    // Logs: structured JSON, carrying delivery, feature and job ids; never the key.
    const lines = output.split("\n").filter((l) => l.trim());
    expect(lines.length).toBeGreaterThan(20);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.some((r) => typeof r.deliveryId === "string")).toBe(true);
    expect(
      records.some((r) => typeof r.jobId === "string" && typeof r.featureId === "number"),
    ).toBe(true);
    const hits: string[] = [];
    const scan = (where: string, text: string) => {
      for (const form of forms(CANARY)) if (text.includes(form)) hits.push(where);
    };
    scan("logs", output);
    // Nor the session cookie, nor the user's GitHub token.
    const session = decodeURIComponent(admin.cookies.get("bp_session") ?? "");
    expect(session.length).toBeGreaterThan(20);
    expect(output).not.toContain(session.slice(2).split(".")[0]);

    // Job data: every key BullMQ keeps under this run's prefix.
    scan("redis", await dumpRedis(h.prefix));

    // Every column of every table.
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(h.db.db);
    expect(tables.rows.map((t) => t.table_name)).toContain("installations");
    let database = "";
    for (const { table_name } of tables.rows) {
      const rows = await sql<{
        t: string;
      }>`select t::text as t from ${sql.table(table_name)} t`.execute(h.db.db);
      for (const { t } of rows.rows) {
        scan(`table ${table_name}`, t);
        database += t;
      }
    }
    // The scans see real content: the hint, the conversation, the job ids.
    expect(database).toContain(CANARY.slice(-4));
    expect(database).toContain("Load balancers.");
    expect(output).toContain("dashboard: model key saved");
    // The stored ciphertext is there, and is not the key.
    const stored = await h.db.store.findInstallation(INSTALLATION_ID);
    expect(stored?.model_key_hint).toBe(CANARY.slice(-4));
    scan("ciphertext", (stored?.model_key_ciphertext ?? Buffer.alloc(0)).toString("latin1"));

    // Everything the app wrote to GitHub.
    scan("github", JSON.stringify(h.github.ledger));

    expect(hits).toEqual([]);
  }, 60_000);
});

/** The key as text, hex and base64: a leak in any of these forms counts. */
function forms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  return [secret, bytes.toString("hex"), bytes.toString("base64"), secret.slice(0, -4)];
}

async function dumpRedis(prefix: string): Promise<string> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const parts: string[] = [];
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        parts.push(key);
        if (type === "string") parts.push((await redis.get(key)) ?? "");
        else if (type === "hash") parts.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === "list") parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
        else if (type === "set") parts.push(JSON.stringify(await redis.smembers(key)));
        else if (type === "zset") parts.push(JSON.stringify(await redis.zrange(key, 0, -1)));
        else if (type === "stream") parts.push(JSON.stringify(await redis.xrange(key, "-", "+")));
      }
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  expect(parts.length).toBeGreaterThan(0);
  return parts.join("\n");
}
