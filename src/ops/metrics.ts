import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Queue } from "bullmq";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Store } from "../adapters/store/store.ts";

export interface JobObservation {
  queue: string;
  name: string;
  outcome: "completed" | "failed";
  seconds: number;
}

/**
 * The webhook events the app subscribes to (app.yml). A metric label takes only these values
 * (any other name is counted as "other"), so a sender cannot add series by inventing names.
 */
export const WEBHOOK_EVENTS: ReadonlySet<string> = new Set([
  "issues",
  "issue_comment",
  "pull_request",
  "pull_request_review",
  "check_run",
  "check_suite",
  "installation",
  "installation_repositories",
  "ping",
]);

/** The label for an event name: itself when the app subscribes to it, else "other". */
export function eventLabel(name: unknown): string {
  return typeof name === "string" && WEBHOOK_EVENTS.has(name) ? name : "other";
}

/** Between scrapes the database aggregates are reused for this long: a scrape reads no table. */
export const AGGREGATES_TTL_MS = 30_000;

/**
 * Prometheus metrics of one process. Webhook and job counters count what this process saw;
 * queue depth, model usage and features by stage are read from Redis and Postgres at scrape
 * time, so every web replica reports the same totals.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly webhooksReceived: Counter<"event">;
  readonly webhooksRejected: Counter<"event" | "status">;
  readonly jobs: Counter<"queue" | "name" | "outcome">;
  readonly jobDuration: Histogram<"queue" | "name" | "outcome">;
  readonly deliveriesRedelivered: Counter<"event">;

  constructor(options: {
    store: Store;
    queues: Queue[];
    defaultMetrics?: boolean;
    aggregatesTtlMs?: number;
  }) {
    const { store, queues } = options;
    const ttl = options.aggregatesTtlMs ?? AGGREGATES_TTL_MS;
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry, prefix: "practical_process_" });
    }

    this.webhooksReceived = new Counter({
      name: "practical_webhooks_received_total",
      help: "Webhook deliveries received with a valid signature, by event (subscribed events, else other).",
      labelNames: ["event"],
      registers,
    });
    this.webhooksRejected = new Counter({
      name: "practical_webhooks_rejected_total",
      help: "Webhook requests answered with an error (bad signature, malformed, too large, or not recorded), by claimed event (subscribed events, else other).",
      labelNames: ["event", "status"],
      registers,
    });
    this.jobs = new Counter({
      name: "practical_jobs_total",
      help: "Jobs run by this process's workers, by queue, job name and outcome.",
      labelNames: ["queue", "name", "outcome"],
      registers,
    });
    this.jobDuration = new Histogram({
      name: "practical_job_duration_seconds",
      help: "How long jobs ran, by queue, job name and outcome.",
      labelNames: ["queue", "name", "outcome"],
      buckets: [0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });

    this.deliveriesRedelivered = new Counter({
      name: "practical_deliveries_redelivered_total",
      help: "Lost webhook deliveries GitHub was asked to deliver again (by this process), by event.",
      labelNames: ["event"],
      registers,
    });

    new Gauge({
      name: "practical_queue_jobs",
      help: "Jobs in each queue by state (read from Redis at scrape time).",
      labelNames: ["queue", "state"],
      registers,
      async collect() {
        this.reset();
        await Promise.all(
          queues.map(async (queue) => {
            const counts = await queue.getJobCounts(
              "waiting",
              "active",
              "delayed",
              "failed",
              "completed",
              "waiting-children",
              "prioritized",
            );
            for (const [state, n] of Object.entries(counts)) {
              this.set({ queue: queue.name, state }, n);
            }
          }),
        );
      },
    });

    const featuresByStage = cachedFor(ttl, () => store.countFeaturesByStage());
    new Gauge({
      name: "practical_features",
      help: `Features by stage (read from PostgreSQL at most every ${ttl / 1000} s).`,
      labelNames: ["stage"],
      registers,
      async collect() {
        const rows = await featuresByStage();
        this.reset();
        for (const row of rows) this.set({ stage: row.stage }, row.count);
      },
    });

    // Totals of every recorded model call, read from agent_runs: they only grow (until the
    // retention sweep removes an uninstalled installation's runs), so they are counters. One
    // read serves the three counters and every scrape within the TTL.
    const readUsage = cachedFor(ttl, () => store.usageByAgentAndModel());
    new Counter({
      name: "practical_model_tokens_total",
      help: "Model tokens by agent, model and kind (input, output, cache_read, cache_write).",
      labelNames: ["agent", "model", "kind"],
      registers,
      async collect() {
        const rows = await readUsage();
        this.reset();
        for (const row of rows) {
          for (const kind of ["input", "output", "cache_read", "cache_write"] as const) {
            this.inc({ agent: row.agent, model: row.model, kind }, Number(row[kind] ?? 0));
          }
        }
      },
    });
    new Counter({
      name: "practical_model_cost_usd_total",
      help: "Model cost in USD by agent and model.",
      labelNames: ["agent", "model"],
      registers,
      async collect() {
        const rows = await readUsage();
        this.reset();
        for (const row of rows) {
          this.inc({ agent: row.agent, model: row.model }, Number(row.cost ?? 0));
        }
      },
    });
    new Counter({
      name: "practical_model_calls_total",
      help: "Model calls by agent and model.",
      labelNames: ["agent", "model"],
      registers,
      async collect() {
        const rows = await readUsage();
        this.reset();
        for (const row of rows) this.inc({ agent: row.agent, model: row.model }, Number(row.calls));
      },
    });
  }

  /** A delivery whose signature was verified: only these are counted as received. */
  countDelivery = (name: string): void => {
    this.webhooksReceived.inc({ event: eventLabel(name) });
  };

  /**
   * Counts the requests to the webhook path answered with an error, when the answer is sent.
   * The event is only what the request claims, so it is labelled from the allow-list.
   */
  observeWebhooks(server: Server, path: string): void {
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      if (req.method !== "POST" || (req.url ?? "").split("?")[0] !== path) return;
      const event = eventLabel(req.headers["x-github-event"]);
      res.once("finish", () => {
        if (res.statusCode >= 400) {
          this.webhooksRejected.inc({ event, status: String(res.statusCode) });
        }
      });
    });
  }

  observeJob = (job: JobObservation): void => {
    const labels = { queue: job.queue, name: job.name, outcome: job.outcome };
    this.jobs.inc(labels);
    this.jobDuration.observe(labels, job.seconds);
  };

  /** A server of its own for a workers-only process: GET /metrics (and /healthz). */
  listen(port: number, host: string, token: string | undefined): Promise<Server> {
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method === "GET" && path === "/metrics") {
        void this.serve(req, res, token);
      } else if (req.method === "GET" && path === "/healthz") {
        res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      } else {
        res.writeHead(404).end();
      }
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve(server));
    });
  }

  /** GET /metrics: Prometheus text; with a token configured, only for `Authorization: Bearer <token>`. */
  async serve(req: IncomingMessage, res: ServerResponse, token: string | undefined): Promise<void> {
    if (token && !bearerMatches(req.headers.authorization, token)) {
      res
        .writeHead(401, {
          "content-type": "text/plain; charset=utf-8",
          "www-authenticate": 'Bearer realm="metrics"',
        })
        .end("A bearer token is required.\n");
      return;
    }
    try {
      const body = await this.registry.metrics();
      res
        .writeHead(200, {
          "content-type": this.registry.contentType,
          "cache-control": "no-store",
        })
        .end(body);
    } catch {
      res
        .writeHead(503, { "content-type": "text/plain; charset=utf-8" })
        .end("Metrics are unavailable: the database or Redis did not answer.\n");
    }
  }
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `read` at most once per `ttlMs`: callers within that time share the last answer (or the read
 * under way). A failed read is not kept.
 */
function cachedFor<T>(ttlMs: number, read: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | null = null;
  return () => {
    const now = Date.now();
    if (last && now - last.at < ttlMs) return last.value;
    const value = read();
    const entry = { at: now, value };
    last = entry;
    value.catch(() => {
      if (last === entry) last = null;
    });
    return value;
  };
}
