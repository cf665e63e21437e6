import { DelayedError, type Job, UnrecoverableError, Worker } from "bullmq";
import { GitHubApiError, isPermanent, toGitHubApiError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import type { QueueName } from "../../ports/queue.ts";
import { createWorkerConnection } from "./bullmq.ts";

/** One processor per job name; it receives the job and returns its result. */
export type JobProcessor = (job: Job) => Promise<unknown>;
export type JobProcessors = Record<string, JobProcessor>;

export interface WorkerOptions {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  /** How long a job stays locked to a worker without a heartbeat; a killed worker's job is retried after it. */
  lockDurationMs: number;
  log: Logger;
  processors: Record<QueueName, JobProcessors>;
  /** Told how each run of a job ended and how long it took (metrics). */
  observe?: (run: {
    queue: string;
    name: string;
    outcome: "completed" | "failed";
    seconds: number;
  }) => void;
  /** Called once when a job has failed for good (attempts exhausted, unrecoverable, or stalled too often). */
  onFinalFailure?: (job: Job, error: Error) => Promise<void>;
}

export interface RunningWorkers {
  workers: Worker[];
  /** Finishes active jobs (up to `graceMs`), then releases what is left and disconnects. */
  close(graceMs?: number): Promise<void>;
}

/** A job told to wait by GitHub more often than this fails its attempt as usual. */
const MAX_RATE_LIMIT_WAITS = 5;
/** Longest wait honoured at once (the primary limit resets hourly). */
const MAX_RATE_LIMIT_WAIT_MS = 60 * 60_000;

/**
 * How long GitHub asked us to wait, when `error` is its rate limit: `retry-after` (secondary
 * limits, 429), else the primary limit's reset time, else a minute for a secondary limit
 * without a header, as GitHub's documentation asks. Null for any other error.
 */
export function rateLimitWaitMs(error: unknown, now = Date.now()): number | null {
  const e = toGitHubApiError(error);
  if (!(e instanceof GitHubApiError) || (e.status !== 403 && e.status !== 429)) return null;
  const headers = e.response?.headers ?? {};
  const retryAfter = Number(headers["retry-after"]);
  let wait: number | null = null;
  if (headers["retry-after"] !== undefined && Number.isFinite(retryAfter)) {
    wait = Math.max(1, retryAfter) * 1_000;
  } else if (String(headers["x-ratelimit-remaining"]) === "0") {
    const reset = Number(headers["x-ratelimit-reset"]);
    wait = Number.isFinite(reset) ? reset * 1_000 - now : 60_000;
  } else if (e.status === 429 || /rate limit/i.test(e.message ?? "")) {
    wait = 60_000;
  }
  return wait === null ? null : Math.min(Math.max(wait, 1_000), MAX_RATE_LIMIT_WAIT_MS);
}

/** Errors a retry cannot fix (bad input, 4xx): a `PermanentError` (see `isPermanent`) or BullMQ's own. */
function isUnrecoverable(error: unknown): boolean {
  return error instanceof UnrecoverableError || isPermanent(error);
}

export function startWorkers(options: WorkerOptions): RunningWorkers {
  const connections: ReturnType<typeof createWorkerConnection>[] = [];
  const workers = (Object.keys(options.processors) as QueueName[]).map((queueName) => {
    const processors = options.processors[queueName];
    const connection = createWorkerConnection(options.redisUrl);
    connections.push(connection);
    const worker = new Worker(
      queueName,
      async (job, token) => {
        const processor = processors[job.name];
        if (!processor) throw new UnrecoverableError(`no processor for job ${job.name}`);
        const featureId = (job.data as { featureId?: unknown } | null)?.featureId;
        const log = options.log.child({
          jobId: job.id,
          job: job.name,
          queue: queueName,
          ...(typeof featureId === "number" ? { featureId } : {}),
        });
        const started = performance.now();
        const observe = (outcome: "completed" | "failed") =>
          options.observe?.({
            queue: queueName,
            name: job.name,
            outcome,
            seconds: (performance.now() - started) / 1000,
          });
        try {
          const result = await processor(job);
          log.debug({ ms: Math.round(performance.now() - started) }, "job done");
          observe("completed");
          return result;
        } catch (error) {
          // GitHub's rate limit: wait as told, without spending one of the job's attempts.
          const wait = rateLimitWaitMs(error);
          const waits = job.attemptsStarted - job.attemptsMade;
          if (wait !== null && token && waits <= MAX_RATE_LIMIT_WAITS) {
            log.warn({ waitMs: wait }, "GitHub rate limit: the job waits as told");
            await job.moveToDelayed(Date.now() + wait, token);
            throw new DelayedError();
          }
          observe("failed");
          const message = error instanceof Error ? error.message : String(error);
          log.warn({ reason: message, attempt: job.attemptsMade + 1 }, "job failed");
          if (isUnrecoverable(error) && !(error instanceof UnrecoverableError)) {
            // BullMQ needs its own class to stop retrying; the cause keeps what really failed.
            throw Object.assign(new UnrecoverableError(message), { cause: error });
          }
          throw error;
        }
      },
      {
        connection,
        prefix: options.prefix,
        concurrency: options.concurrency,
        lockDuration: options.lockDurationMs,
        stalledInterval: options.lockDurationMs,
        maxStalledCount: 1,
      },
    );
    worker.on("error", (error) => options.log.warn({ reason: error.message }, "worker error"));
    worker.on("failed", (job, error) => {
      if (!job || !options.onFinalFailure) return;
      const attempts = job.opts.attempts ?? 1;
      const final =
        isUnrecoverable(error) || job.attemptsMade >= attempts || /stalled/i.test(error.message);
      if (!final) return;
      options
        .onFinalFailure(job, error)
        .catch((e: unknown) =>
          options.log.error(
            { reason: String(e), jobId: job.id },
            "could not record a job's final failure",
          ),
        );
    });
    return worker;
  });

  return {
    workers,
    async close(graceMs = 20_000) {
      const graceful = Promise.all(workers.map((w) => w.close()));
      const timeout = new Promise<"timeout">((r) =>
        setTimeout(() => r("timeout"), graceMs).unref(),
      );
      if ((await Promise.race([graceful, timeout])) === "timeout") {
        // Force: active jobs are released and retried by another worker after their lock expires.
        await Promise.all(workers.map((w) => w.close(true)));
      }
      // BullMQ leaves connections it was given open; without this the process would not exit.
      for (const connection of connections) connection.disconnect();
    },
  };
}
