import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

/** Which of these delivery ids (guids) ingest has recorded. */
export async function recordedDeliveryIds(
  db: Kysely<Database>,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom("deliveries").select("id").where("id", "in", ids).execute();
  return new Set(rows.map((r) => r.id));
}
