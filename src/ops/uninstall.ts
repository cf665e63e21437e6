import { type Kysely, sql } from "kysely";
import type { Database } from "../adapters/store/schema.ts";
import { featureJobPrefix } from "../app/job-ids.ts";
import { TERMINAL_STAGES } from "../core/feature.ts";
import type { Logger } from "../log.ts";
import type { JobQueue } from "../ports/queue.ts";

/**
 * The app was uninstalled: in one transaction the stored model key is deleted, the installation
 * is marked deleted, its unfinished features are cancelled (with an audit entry) and their
 * pending outbox intents dropped. Then their queued jobs are removed; a job already running finds
 * its feature cancelled. Everything else stays until the retention sweep.
 */
export async function uninstallInstallation(
  deps: { db: Kysely<Database>; queue?: JobQueue | undefined; log: Logger },
  installationId: number,
): Promise<{ cancelled: number[]; removedJobs: number }> {
  const cancelled = await deps.db.transaction().execute(async (trx) => {
    await trx
      .updateTable("installations")
      .set({
        deleted_at: sql<Date>`now()`,
        model_key_ciphertext: null,
        model_key_version: null,
        model_key_hint: null,
      })
      .where("id", "=", installationId)
      .execute();
    const features = await trx
      .selectFrom("features")
      .select(["id", "stage"])
      .where("installation_id", "=", installationId)
      .where("stage", "not in", [...TERMINAL_STAGES])
      .forUpdate()
      .execute();
    if (features.length > 0) {
      const ids = features.map((f) => f.id);
      await trx
        .updateTable("features")
        .set({
          stage: "cancelled",
          version: sql<number>`version + 1`,
          checkpoint: null,
          updated_at: sql<Date>`now()`,
          stage_entered_at: sql<Date>`now()`,
        })
        .where("id", "in", ids)
        .execute();
      await trx
        .insertInto("feature_events")
        .values(
          features.map((f) => ({
            feature_id: f.id,
            actor: "github",
            event: "installation_deleted",
            from_stage: f.stage,
            to_stage: "cancelled",
            detail: JSON.stringify({ reason: "the app was uninstalled" }),
          })),
        )
        .execute();
      for (const id of ids) {
        await trx
          .deleteFrom("outbox")
          .where("enqueued_at", "is", null)
          .where("job_id", "like", `${featureJobPrefix(id)}%`)
          .execute();
      }
    }
    return features.map((f) => f.id);
  });

  let removedJobs = 0;
  if (deps.queue) {
    for (const id of cancelled) {
      try {
        removedJobs += await deps.queue.removeJobs(featureJobPrefix(id));
      } catch (error) {
        deps.log.warn(
          { featureId: id, reason: error instanceof Error ? error.message : String(error) },
          "uninstall: could not remove queued jobs; they will find the feature cancelled",
        );
      }
    }
  }
  deps.log.info(
    { installationId, cancelledFeatures: cancelled.length, removedJobs },
    "installation deleted: model key deleted, work cancelled",
  );
  return { cancelled, removedJobs };
}
