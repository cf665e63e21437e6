import { type Kysely, sql } from "kysely";
import type { JobIntent } from "../../ports/queue.ts";
import type { Database } from "./schema.ts";

/** Job intents written with the state they follow from, enqueued by the relay afterwards. */
export function outboxRepository(db: Kysely<Database>) {
  return {
    /** Writes job intents; an intent whose job id exists already is dropped. */
    async addToOutbox(intents: JobIntent[]) {
      if (intents.length === 0) return;
      await db
        .insertInto("outbox")
        .values(
          intents.map((i) => ({
            queue: i.queue,
            job_name: i.name,
            job_id: i.jobId,
            data: JSON.stringify(i.data),
            children: i.children ? JSON.stringify(i.children) : null,
          })),
        )
        .onConflict((oc) => oc.column("job_id").doNothing())
        .execute();
    },

    /** Pending intents, locked so that concurrent relays take different rows. */
    async lockPendingOutbox(limit: number) {
      return db
        .selectFrom("outbox")
        .selectAll()
        .where("enqueued_at", "is", null)
        .orderBy("id")
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
    },

    async markOutboxEnqueued(ids: number[]) {
      if (ids.length === 0) return;
      await db
        .updateTable("outbox")
        .set({ enqueued_at: sql<Date>`now()` })
        .where("id", "in", ids)
        .execute();
    },

    /** Drops the pending intents whose job id starts with `jobIdPrefix` (none is enqueued). */
    async dropPendingOutbox(jobIdPrefix: string) {
      await db
        .deleteFrom("outbox")
        .where("enqueued_at", "is", null)
        .where("job_id", "like", `${jobIdPrefix}%`)
        .execute();
    },
  };
}
