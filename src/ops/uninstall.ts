import type { Store } from "../adapters/store/store.ts";
import { featureJobPrefix } from "../app/job-ids.ts";
import { transition } from "../core/pipeline.ts";
import type { Logger } from "../log.ts";
import type { JobQueue } from "../ports/queue.ts";

/**
 * The app was uninstalled: in one transaction the stored model key is deleted, the installation
 * is marked deleted, its unfinished features are cancelled (with an audit entry) and their
 * pending outbox intents dropped. Then their queued jobs are removed; a job already running finds
 * its feature cancelled. Everything else stays until the retention sweep.
 */
export async function uninstallInstallation(
  deps: { store: Store; queue?: JobQueue | undefined; log: Logger },
  installationId: number,
): Promise<{ cancelled: number[]; removedJobs: number }> {
  const cancelled = await deps.store.transaction(async (tx) => {
    await tx.markUninstalled(installationId);
    const ids: number[] = [];
    for (const feature of await tx.lockUnfinishedFeatures(installationId)) {
      const result = transition(feature, { type: "uninstalled" });
      if (result.feature === feature) continue;
      await tx.saveFeature(result.feature, feature.version, feature.stage, {
        actor: "github",
        event: "installation_deleted",
        detail: { reason: "the app was uninstalled" },
      });
      await tx.dropPendingOutbox(featureJobPrefix(feature.id));
      // Its only effect, cancel_jobs, is carried out below, after the commit.
      ids.push(feature.id);
    }
    return ids;
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
