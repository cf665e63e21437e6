import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

/** Webhook deliveries already seen, so a redelivery is recognised. */
export function deliveryRepository(db: Kysely<Database>) {
  return {
    /** True the first time a delivery id is seen; false for a redelivery. */
    async recordDelivery(id: string, event: string): Promise<boolean> {
      const inserted = await db
        .insertInto("deliveries")
        .values({ id, event })
        .onConflict((oc) => oc.column("id").doNothing())
        .returning("id")
        .executeTakeFirst();
      return inserted !== undefined;
    },
    /** Which of these delivery ids (guids) ingest has recorded. */
    async recordedDeliveryIds(ids: readonly string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await db.selectFrom("deliveries").select("id").where("id", "in", ids).execute();
      return new Set(rows.map((r) => r.id));
    },
  };
}
