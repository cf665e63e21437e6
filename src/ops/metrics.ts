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

  constructor(options: { store: Store; queues: Queue[]; defaultMetrics?: boolean }) {
    const { store, queues } = options;
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry, prefix: "practical_process_" });
    }

    this.webhooksReceived = new Counter({
      name: "practical_webhooks_received_total",
      help: "Webhook deliveries received, by event.",
      labelNames: ["event"],
      registers,
    });
    this.webhooksRejected = new Counter({
      name: "practical_webhooks_rejected_total",
      help: "Webhook deliveries answered with an error (bad signature, malformed, or not recorded).",
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

    new Gauge({
      name: "practical_features",
      help: "Features by stage.",
      labelNames: ["stage"],
      registers,
      async collect() {
        const rows = await store.countFeaturesByStage();
        this.reset();
        for (const row of rows) this.set({ stage: row.stage }, row.count);
      },
    });

    // Totals of every recorded model call, read from agent_runs: they only grow (until the
    // retention sweep removes an uninstalled installation's runs), so they are counters.
    let usage: ReturnType<Store["usageByAgentAndModel"]> | null = null;
    const readUsage = () => {
      usage ??= store.usageByAgentAndModel().finally(() => {
        setTimeout(() => {
          usage = null;
        }, 0);
      });
      return usage;
    };
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

  /** Counts every request to the webhook path when its answer is sent. */
  observeWebhooks(server: Server, path: string): void {
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      if (req.method !== "POST" || (req.url ?? "").split("?")[0] !== path) return;
      const header = req.headers["x-github-event"];
      const event =
        (typeof header === "string" && /^[a-z_]{1,64}$/.test(header) && header) || "unknown";
      res.once("finish", () => {
        this.webhooksReceived.inc({ event });
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
