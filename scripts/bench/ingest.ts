// Webhook ingest: signed `issue_comment.created` deliveries against the app's web process (real
// PostgreSQL and Redis) and against a bare Probot app that only acknowledges, both as child
// processes on loopback, measured in alternating rounds in the same run.

import { Agent, request } from "node:http";
import { join } from "node:path";
import { sql } from "kysely";
import { createDatabase } from "../../src/adapters/store/database.ts";
import { signWebhook } from "../../testkit/fakes/github/index.ts";
import { type Acting, openIssue } from "../../testkit/journey.ts";
import { waitListening, waitLog } from "../../testkit/processes.ts";
import { freePort, type ServiceUrls } from "../../testkit/services.ts";
import { MAINTAINER, OWNER, REPO, startDemoStack } from "../../testkit/stack.ts";

interface Delivery {
  body: string;
  headers: Record<string, string>;
}

export interface LatencyStats {
  deliveries: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
}

export interface IngestResult {
  concurrency: number;
  rounds: number;
  perRound: number;
  /** Under load: `concurrency` deliveries in flight. */
  app: LatencyStats;
  bare: LatencyStats;
  /** One delivery at a time. */
  appUnloaded: LatencyStats;
  bareUnloaded: LatencyStats;
  /** app deliveries/s ÷ bare deliveries/s. */
  throughputRatio: number;
  /** Deliveries the app recorded in its database (each one a transaction). */
  recorded: number;
  issues: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function stats(latencies: number[], elapsedMs: number, errors: number): LatencyStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    deliveries: latencies.length,
    perSecond: elapsedMs > 0 ? (latencies.length * 1000) / elapsedMs : 0,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? 0,
    errors,
  };
}

/** Sends the deliveries with `concurrency` in flight over keep-alive connections. */
async function fire(
  url: URL,
  deliveries: Delivery[],
  concurrency: number,
): Promise<{ latencies: number[]; elapsedMs: number; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const one = (delivery: Delivery) =>
    new Promise<void>((done) => {
      const started = performance.now();
      const req = request(
        url,
        {
          method: "POST",
          agent,
          headers: { ...delivery.headers, "content-length": Buffer.byteLength(delivery.body) },
        },
        (res) => {
          res.resume();
          res.once("end", () => {
            latencies.push(performance.now() - started);
            if ((res.statusCode ?? 0) >= 300) errors++;
            done();
          });
        },
      );
      req.once("error", () => {
        errors++;
        done();
      });
      req.end(delivery.body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const delivery = deliveries[next++];
        if (!delivery) return;
        await one(delivery);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { latencies, elapsedMs, errors };
}

export async function benchIngest(options: {
  services: ServiceUrls;
  logDir: string;
  logLevel: string;
  concurrency: number;
  rounds: number;
  perRound: number;
  unloaded: number;
  issues: number;
  progress: (text: string) => void;
  /** Set: the web and bare Probot processes write CPU profiles (`--cpu-prof`) under it. */
  profileDir?: string;
}): Promise<IngestResult> {
  const stack = await startDemoStack({
    services: options.services,
    run: "bench",
    model: { kind: "scripted" },
    env: { LOG_LEVEL: options.logLevel, LOG_FORMAT: "json" },
  });
  const barePort = await freePort();
  const profiled = (name: string) =>
    options.profileDir
      ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${join(options.profileDir, name)}` }
      : {};
  const web = stack.spawnApp("web", {
    logFile: join(options.logDir, "ingest-web.log"),
    env: profiled("web"),
  });
  const bare = stack.spawnApp("web", {
    name: "bare Probot",
    script: "scripts/bench/bare-probot.ts",
    env: { PORT: String(barePort), ...profiled("bare-probot") },
    logFile: join(options.logDir, "ingest-bare-probot.log"),
  });
  const db = createDatabase(stack.db.url, { max: 1 });
  try {
    const appUrl = new URL(stack.webhookUrl);
    const bareUrl = new URL(`http://127.0.0.1:${barePort}/api/github/webhooks`);
    await Promise.all([
      waitListening(web, `http://127.0.0.1:${stack.port}/healthz`),
      waitListening(bare, `http://127.0.0.1:${barePort}/`),
    ]);

    // Features in conversation (no worker runs here: the BA jobs wait in Redis).
    const person: Acting = {
      github: stack.github,
      send: stack.send,
      owner: OWNER,
      repo: REPO,
      login: MAINTAINER,
    };
    const issues: number[] = [];
    for (let i = 0; i < options.issues; i++) {
      issues.push(
        await openIssue(person, { title: `Conversation ${i + 1}`, body: "Let us talk." }),
      );
    }

    let made = 0;
    const make = (n: number): Delivery[] =>
      Array.from({ length: n }, () => {
        const number = issues[made % issues.length] ?? 1;
        made++;
        const webhook = stack.github.comment({
          owner: OWNER,
          repo: REPO,
          number,
          author: MAINTAINER,
          body: `One more detail (${made}): the endpoint must answer within 50 ms.`,
        });
        const body = JSON.stringify(webhook.payload);
        return {
          body,
          headers: {
            "content-type": "application/json",
            "user-agent": "GitHub-Hookshot/bench",
            "x-github-event": webhook.name,
            "x-github-delivery": webhook.id,
            "x-github-hook-id": "1",
            "x-hub-signature-256": signWebhook(stack.webhookSecret, body),
          },
        };
      });

    const measure = async (url: URL, n: number, concurrency: number) =>
      fire(url, make(n), concurrency);

    // Warm-up: JIT, connection pools, prepared plans.
    options.progress("ingest: warming up");
    await measure(appUrl, 300, options.concurrency);
    await measure(bareUrl, 300, options.concurrency);

    const loaded = {
      app: { latencies: [] as number[], elapsedMs: 0, errors: 0 },
      bare: { latencies: [] as number[], elapsedMs: 0, errors: 0 },
    };
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? (["app", "bare"] as const) : (["bare", "app"] as const);
      for (const target of order) {
        const result = await measure(
          target === "app" ? appUrl : bareUrl,
          options.perRound,
          options.concurrency,
        );
        const into = loaded[target];
        into.latencies.push(...result.latencies);
        into.elapsedMs += result.elapsedMs;
        into.errors += result.errors;
      }
      options.progress(`ingest: round ${round + 1}/${options.rounds} done`);
    }

    const unloaded = {
      app: { latencies: [] as number[], elapsedMs: 0, errors: 0 },
      bare: { latencies: [] as number[], elapsedMs: 0, errors: 0 },
    };
    const chunk = Math.ceil(options.unloaded / 4);
    for (let round = 0; round < 4; round++) {
      const order = round % 2 === 0 ? (["app", "bare"] as const) : (["bare", "app"] as const);
      for (const target of order) {
        const result = await measure(target === "app" ? appUrl : bareUrl, chunk, 1);
        const into = unloaded[target];
        into.latencies.push(...result.latencies);
        into.elapsedMs += result.elapsedMs;
        into.errors += result.errors;
      }
    }

    const recorded = Number(
      (
        await sql<{
          n: number;
        }>`SELECT count(*)::int AS n FROM deliveries WHERE event = 'issue_comment'`.execute(db)
      ).rows[0]?.n ?? 0,
    );
    const app = stats(loaded.app.latencies, loaded.app.elapsedMs, loaded.app.errors);
    const bareStats = stats(loaded.bare.latencies, loaded.bare.elapsedMs, loaded.bare.errors);
    return {
      concurrency: options.concurrency,
      rounds: options.rounds,
      perRound: options.perRound,
      app,
      bare: bareStats,
      appUnloaded: stats(unloaded.app.latencies, unloaded.app.elapsedMs, unloaded.app.errors),
      bareUnloaded: stats(unloaded.bare.latencies, unloaded.bare.elapsedMs, unloaded.bare.errors),
      throughputRatio: bareStats.perSecond > 0 ? app.perSecond / bareStats.perSecond : 0,
      recorded,
      issues: issues.length,
    };
  } finally {
    await db.destroy().catch(() => {});
    await Promise.all([web.stop(), bare.stop()]);
    await stack.stop().catch(() => {});
  }
}

export interface JobStartResult {
  samples: number;
  /** From sending a delivery to its job starting in a worker process (BullMQ's `processedOn`). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * How soon a delivery's job starts: the web and worker roles as separate processes (as in
 * production), `/status` comments on an issue without a feature sent one at a time; each one's
 * reply job (`d-<delivery>`) is started by the worker. Latency is from sending the request to
 * the job's `processedOn` (both this machine's clock).
 */
export async function benchJobStart(options: {
  services: ServiceUrls;
  logDir: string;
  logLevel: string;
  samples: number;
  progress: (text: string) => void;
}): Promise<JobStartResult> {
  const stack = await startDemoStack({
    services: options.services,
    run: "bench",
    model: { kind: "scripted" },
    env: { LOG_LEVEL: options.logLevel, LOG_FORMAT: "json" },
  });
  const web = stack.spawnApp("web", { logFile: join(options.logDir, "job-start-web.log") });
  const worker = stack.spawnApp("worker");
  const queue = stack.pipelineQueue();
  try {
    await Promise.all([
      waitListening(web, `http://127.0.0.1:${stack.port}/healthz`),
      waitLog(worker, "workers started"),
    ]);
    const opened = stack.github.openIssue({
      owner: OWNER,
      repo: REPO,
      author: MAINTAINER,
      title: "Not for the app",
    });
    const number = (opened.payload as { issue: { number: number } }).issue.number;
    options.progress("job start: measuring");
    const latencies: number[] = [];
    for (let i = 0; i < options.samples; i++) {
      const webhook = stack.github.comment({
        owner: OWNER,
        repo: REPO,
        number,
        author: MAINTAINER,
        body: "/status",
      });
      const sentAt = Date.now();
      const response = await stack.send(webhook);
      if (!response.ok) throw new Error(`the app answered ${response.status}`);
      const jobId = `d-${webhook.id}`;
      const until = Date.now() + 10_000;
      for (;;) {
        const job = await queue.getJob(jobId);
        if (job?.processedOn) {
          latencies.push(job.processedOn - sentAt);
          break;
        }
        if (Date.now() > until) throw new Error(`job ${jobId} did not start within 10 s`);
        await new Promise((r) => setTimeout(r, 2));
      }
      // Apart, so that each delivery meets an idle worker.
      await new Promise((r) => setTimeout(r, 50));
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      samples: sorted.length,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.at(-1) ?? 0,
    };
  } finally {
    await Promise.all([web.stop(), worker.stop()]);
    await stack.stop().catch(() => {});
  }
}
