import { FlowProducer, type JobsOptions, Queue } from "bullmq";
import { Redis } from "ioredis";
import type { JobIntent, JobQueue, QueueName } from "../../ports/queue.ts";

export const QUEUE_NAMES: QueueName[] = ["pipeline", "maintenance"];

/**
 * Retries with backoff for transient failures (the first retry after `backoffMs`, doubling);
 * completed jobs are kept a day for dedupe.
 */
export function jobOptions(backoffMs = 2_000): JobsOptions {
  return {
    attempts: 4,
    backoff: { type: "exponential", delay: backoffMs },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

export const DEFAULT_JOB_OPTIONS: JobsOptions = jobOptions();

/** A producer connection fails fast when Redis is down, so callers keep work in the outbox. */
export function createProducerConnection(redisUrl: string): Redis {
  const connection = new Redis(redisUrl, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
    connectTimeout: 2_000,
  });
  connection.on("error", () => {}); // reported by ping() and enqueue() instead
  return connection;
}

/** Workers block on Redis; BullMQ requires `maxRetriesPerRequest: null` for them. */
export function createWorkerConnection(redisUrl: string): Redis {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  connection.on("error", () => {});
  return connection;
}

/** BullMQ waits for a connection indefinitely; a producer must not (the outbox keeps the work). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const REDIS_TIMEOUT_MS = 3_000;

export class BullMqJobQueue implements JobQueue {
  readonly connection: Redis;
  readonly prefix: string;
  readonly queues: Record<QueueName, Queue>;
  readonly #flows: FlowProducer;
  readonly #jobOptions: JobsOptions;

  constructor(redisUrl: string, prefix: string, options: { backoffMs?: number } = {}) {
    this.connection = createProducerConnection(redisUrl);
    this.prefix = prefix;
    this.#jobOptions = jobOptions(options.backoffMs);
    this.queues = {
      pipeline: new Queue("pipeline", {
        connection: this.connection,
        prefix,
        defaultJobOptions: this.#jobOptions,
      }),
      maintenance: new Queue("maintenance", {
        connection: this.connection,
        prefix,
        defaultJobOptions: this.#jobOptions,
      }),
    };
    for (const queue of Object.values(this.queues)) queue.on("error", () => {});
    this.#flows = new FlowProducer({ connection: this.connection, prefix });
    this.#flows.on("error", () => {});
  }

  enqueue(intent: JobIntent): Promise<void> {
    return within(this.#enqueue(intent), REDIS_TIMEOUT_MS, "an enqueue");
  }

  async #enqueue(intent: JobIntent): Promise<void> {
    if (intent.debounceMs !== undefined) {
      await this.queues[intent.queue].add(intent.name, intent.data, {
        delay: intent.debounceMs,
        deduplication: { id: intent.jobId, keepLastIfActive: true },
      });
      return;
    }
    if (!intent.children?.length) {
      await this.queues[intent.queue].add(intent.name, intent.data, { jobId: intent.jobId });
      return;
    }
    // A flow with a known parent id is added once: BullMQ ignores the duplicate parent,
    // but would add the children again, so look first.
    if (await this.queues[intent.queue].getJob(intent.jobId)) return;
    await this.#flows.add({
      name: intent.name,
      queueName: intent.queue,
      data: intent.data,
      opts: { ...this.#jobOptions, jobId: intent.jobId },
      children: intent.children.map((child) => ({
        name: child.name,
        queueName: child.queue,
        data: child.data,
        // A child that fails for good still lets the parent decide (a failed review is a verdict).
        opts: { ...this.#jobOptions, jobId: child.jobId, ignoreDependencyOnFailure: true },
      })),
    });
  }

  async removeJobs(prefix: string): Promise<number> {
    let removed = 0;
    for (const queue of Object.values(this.queues)) {
      const jobs = await queue.getJobs(["waiting", "delayed", "prioritized", "waiting-children"]);
      for (const job of jobs) {
        if (!job?.id?.startsWith(prefix)) continue;
        try {
          await job.remove();
          removed += 1;
        } catch {
          // Locked by a worker right now: it finishes, and its stale result is ignored.
        }
      }
    }
    return removed;
  }

  async ping(): Promise<void> {
    await within(this.connection.ping(), REDIS_TIMEOUT_MS, "a ping");
  }

  async close(): Promise<void> {
    const closing = Promise.all([
      this.#flows.close(),
      ...Object.values(this.queues).map((q) => q.close()),
    ]);
    await within(closing, REDIS_TIMEOUT_MS, "a close").catch(() => {});
    this.connection.disconnect();
  }
}
