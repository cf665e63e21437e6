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
  };
}
