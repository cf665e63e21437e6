import type { Kysely } from "kysely";
import {
  type IngestRead,
  type IngestReadOptions,
  type IngestWrite,
  type IngestWriteOutcome,
  ingestDeliveries,
  readManyForIngest,
} from "./ingest.ts";
import type { Database } from "./schema.ts";

/** More would make the first of a batch wait for the last; a batch this size is one round trip. */
const MAX_BATCH = 32;

/**
 * Group commit. Under load, most of a delivery's cost was its two round trips to PostgreSQL
 * (the socket write of each query, and a commit with its fsync for each write), on cores
 * PostgreSQL shares with the web process. While one call is under way, the calls that arrive
 * wait for it and then go together as one: one query, one commit for all of them. A call that
 * finds nothing under way is sent at once, so a delivery alone waits for nothing.
 *
 * `send` answers each item, in order, with its result or the error that failed it alone;
 * rejecting fails the whole batch.
 */
export class GroupCommit<Item, Result> {
  readonly #send: (items: Item[]) => Promise<(Result | Error)[]>;
  readonly #waiting: {
    item: Item;
    resolve: (result: Result) => void;
    reject: (error: unknown) => void;
  }[] = [];
  #sending = false;

  constructor(send: (items: Item[]) => Promise<(Result | Error)[]>) {
    this.#send = send;
  }

  run(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      if (!this.#sending) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#sending = true;
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, MAX_BATCH);
      try {
        const results = await this.#send(batch.map((waiting) => waiting.item));
        batch.forEach((waiting, i) => {
          const result = results[i] as Result | Error;
          if (result instanceof Error) waiting.reject(result);
          else waiting.resolve(result);
        });
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    this.#sending = false;
  }
}

/**
 * The web role's ingest read and write over the pool, each grouped with those of the other
 * deliveries under way (one read query, one write statement and commit per group). Inside a
 * transaction (the retry of a lost compare-and-set) they go alone.
 *
 * Two deliveries on one issue may share a group: the second was computed on the feature before
 * the first's write, so its compare-and-set fails inside the group (nothing of it kept, the
 * others kept) and it is computed again alone, as for any lost race.
 */
export function groupedIngest(db: Kysely<Database>) {
  const reads = new GroupCommit<
    { issue: { owner: string; repo: string; issueNumber: number }; options: IngestReadOptions },
    IngestRead
  >((requests) => readManyForIngest(db, requests));
  const writes = new GroupCommit<IngestWrite, IngestWriteOutcome>((items) =>
    ingestDeliveries(db, items),
  );
  return {
    readForIngest: (
      issue: { owner: string; repo: string; issueNumber: number },
      options: IngestReadOptions,
    ): Promise<IngestRead> => reads.run({ issue, options }),
    ingestDelivery: (write: IngestWrite): Promise<IngestWriteOutcome> => writes.run(write),
  };
}
