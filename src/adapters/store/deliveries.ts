import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

/** Webhook deliveries already seen, so a redelivery is recognised. */
export function deliveryRepository(db: Kysely<Database>) {
  return {
    /** Which of these delivery ids (guids) ingest has recorded. */
    async recordedDeliveryIds(ids: readonly string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await db.selectFrom("deliveries").select("id").where("id", "in", ids).execute();
      return new Set(rows.map((r) => r.id));
    },
  };
}
