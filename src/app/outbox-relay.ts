import type { Logger } from "pino";
import type { Store } from "../adapters/store/store.ts";
import type { JobIntent, JobQueue, QueueName } from "../ports/queue.ts";

const BATCH = 100;

/**
 * Moves job intents from the outbox (written with the state change) to the queue. Any
 * process may run one: rows are locked with SKIP LOCKED, and job ids are deterministic,
 * so a row relayed twice is still one job. When the queue is down, rows stay pending.
 */
export class OutboxRelay {
  readonly #store: Store;
  readonly #queue: JobQueue;
  readonly #log: Logger;
  #running: Promise<number> | null = null;
  #again = false;
  #timer: NodeJS.Timeout | null = null;
  #lastError: string | null = null;

  constructor(store: Store, queue: JobQueue, log: Logger) {
    this.#store = store;
    this.#queue = queue;
    this.#log = log;
  }

  /** Relays now; calls made while a relay runs coalesce into one more pass. */
  kick(): Promise<number> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#drain().finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        void this.kick();
      }
    });
    return this.#running;
  }

  start(intervalMs = 1_000): void {
    this.#timer ??= setInterval(() => void this.kick(), intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  async #drain(): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const moved = await this.relayBatch();
        total += moved;
        if (moved < BATCH) break;
      }
      if (this.#lastError) this.#log.info("outbox relay recovered");
      this.#lastError = null;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.#lastError) {
        this.#log.warn({ reason: message }, "outbox relay paused: jobs stay in the outbox");
      }
      this.#lastError = message;
    }
    return total;
  }

  /** One locked batch; throws (and rolls back) when the queue is unreachable. */
  relayBatch(): Promise<number> {
    return this.#store.transaction(async (tx) => {
      const rows = await tx.lockPendingOutbox(BATCH);
      for (const row of rows) {
        await this.#queue.enqueue({
          queue: row.queue as QueueName,
          name: row.job_name,
          jobId: row.job_id,
          data: row.data,
          ...(row.children ? { children: row.children as JobIntent["children"] } : {}),
        });
      }
      await tx.markOutboxEnqueued(rows.map((r) => r.id));
      return rows.length;
    });
  }
}
