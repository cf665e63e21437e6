import pg from "pg";
import type { Logger } from "../../log.ts";

/** The channel every insert into the outbox notifies on commit (migrations/0010). */
export const OUTBOX_CHANNEL = "practical_outbox";

/**
 * A connection of its own (LISTEN holds it: a pooled one would stop listening when returned)
 * that calls `wake` on every notification of the outbox channel, and once each time it starts
 * listening, since what was notified while it was not is lost. A lost connection is opened again
 * after `retryMs`; meanwhile the relay's slow poll still moves the outbox.
 */
export class OutboxListener {
  readonly #databaseUrl: string;
  readonly #wake: () => void;
  readonly #log: Logger;
  readonly #retryMs: number;
  #client: pg.Client | null = null;
  #retry: NodeJS.Timeout | null = null;
  #stopped = false;
  #listening = false;
  /** Said once per outage: PostgreSQL down must not fill the log with a line a second. */
  #lostSaid = false;

  constructor(databaseUrl: string, wake: () => void, log: Logger, retryMs = 1_000) {
    this.#databaseUrl = databaseUrl;
    this.#wake = wake;
    this.#log = log;
    this.#retryMs = retryMs;
  }

  /** True while notifications arrive (a test waits for it). */
  get listening(): boolean {
    return this.#listening;
  }

  /** Connects and listens; a failure is logged and retried, never thrown. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    const client = this.#client;
    this.#client = null;
    this.#listening = false;
    await client?.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#databaseUrl,
      connectionTimeoutMillis: 5_000,
    });
    this.#client = client;
    const lost = (reason: string) => {
      if (this.#client !== client) return;
      this.#client = null;
      this.#listening = false;
      client.end().catch(() => {});
      if (this.#stopped) return;
      if (!this.#lostSaid) {
        this.#log.warn({ reason }, "outbox notifications lost: listening again soon");
        this.#lostSaid = true;
      }
      this.#retry = setTimeout(() => {
        this.#retry = null;
        void this.#connect();
      }, this.#retryMs);
      this.#retry.unref();
    };
    client.on("error", (error) => lost(error.message));
    client.on("end", () => lost("the connection ended"));
    client.on("notification", (message) => {
      if (message.channel === OUTBOX_CHANNEL) this.#wake();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    } catch (error) {
      lost(error instanceof Error ? error.message : String(error));
      return;
    }
    if (this.#client !== client) return;
    this.#listening = true;
    if (this.#lostSaid) this.#log.info("outbox notifications heard again");
    this.#lostSaid = false;
    this.#wake();
  }
}
