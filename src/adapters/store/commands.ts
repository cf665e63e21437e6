import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

/** When the artifact an `/approve` would approve was produced. */
export function commandRepository(db: Kysely<Database>) {
  return {
    /**
     * When the gate's current artifact (its content hash or commit SHA) was produced: the newest
     * artifact row of that stage carrying the version. Null when none is recorded.
     */
    async artifactProducedAt(featureId: number, gate: string, version: string) {
      const row = await db
        .selectFrom("artifacts")
        .select("created_at")
        .where("feature_id", "=", featureId)
        .where("stage", "=", gate)
        .where((eb) => eb.or([eb("content_hash", "=", version), eb("commit_sha", "=", version)]))
        .orderBy("id", "desc")
        .limit(1)
        .executeTakeFirst();
      return row ? new Date(row.created_at) : null;
    },
  };
}
