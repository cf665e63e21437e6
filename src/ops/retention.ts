import { type Kysely, sql } from "kysely";
import type { Database } from "../adapters/store/schema.ts";
import { SessionStore } from "../adapters/store/sessions.ts";
import type { Logger } from "../log.ts";

/**
 * Deletes what an uninstalled installation left once `retentionDays` have passed: its features
 * (with their conversation, artifacts, approvals, runs and audit trail) and then its row.
 */
export async function purgeUninstalled(
  db: Kysely<Database>,
  retentionDays: number,
): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    const due = await trx
      .selectFrom("installations")
      .select("id")
      .where("deleted_at", "is not", null)
      .where("deleted_at", "<", sql<Date>`now() - make_interval(days => ${retentionDays})`)
      .execute();
    const ids = due.map((r) => r.id);
    if (ids.length === 0) return [];
    await trx.deleteFrom("agent_runs").where("installation_id", "in", ids).execute();
    await trx.deleteFrom("features").where("installation_id", "in", ids).execute();
    await trx.deleteFrom("installations").where("id", "in", ids).execute();
    return ids;
  });
}

/** Runs the retention purge and drops expired dashboard sessions, now and then hourly. */
export function startRetentionSweep(options: {
  db: Kysely<Database>;
  retentionDays: number;
  log: Logger;
  everyMs?: number;
}): { stop(): void } {
  const sessions = new SessionStore(options.db, []);
  const run = async () => {
    try {
      const purged = await purgeUninstalled(options.db, options.retentionDays);
      if (purged.length) {
        options.log.info({ installations: purged }, "retention: uninstalled installations purged");
      }
      await sessions.deleteExpired();
    } catch (error) {
      options.log.warn(
        { reason: error instanceof Error ? error.message : String(error) },
        "retention sweep failed; it runs again later",
      );
    }
  };
  const first = setTimeout(run, 5_000);
  first.unref();
  const timer = setInterval(run, options.everyMs ?? 3_600_000);
  timer.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
