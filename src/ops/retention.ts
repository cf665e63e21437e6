import type { Store } from "../adapters/store/store.ts";
import type { Logger } from "../log.ts";

/**
 * Runs the retention purge (what an uninstalled installation left, once `retentionDays` have
 * passed) and drops expired dashboard sessions, now and then hourly.
 */
export function startRetentionSweep(options: {
  store: Store;
  retentionDays: number;
  log: Logger;
  everyMs?: number;
}): { stop(): void } {
  const sessions = options.store.sessions([]);
  const run = async () => {
    try {
      const purged = await options.store.purgeUninstalled(options.retentionDays);
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
