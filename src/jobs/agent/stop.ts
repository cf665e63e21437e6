// Stop means stop: a job started for feature version N is superseded once a later transition
// stopped the feature's jobs (`/cancel`, the stuck sweep, `/retry`, a merge or close while
// working; `features.stopped_version`, saved in the same transaction as that state).
//
// The job learns it by polling its feature's row, not by a Redis pub/sub message from the
// `cancel_jobs` effect: the row is the source of truth and is written atomically with the
// cancel, so no message can be lost (a worker reconnecting, a cancel performed before the job
// subscribed, an effects job that has not run yet), and it costs one indexed read every few
// seconds per running job. The poll aborts an AbortSignal that goes into every model call and
// the tool loop; before each step that touches GitHub or the feature the job checks again, so a
// result finished between two polls is discarded too.

import { isSuperseded } from "../../app/advance.ts";
import { JobSupersededError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import type { JobDeps } from "../deps.ts";

export interface StopWatch {
  /** Aborted (with a JobSupersededError) once the job is superseded. */
  signal: AbortSignal;
  /** Throws JobSupersededError when the job is superseded; call just before acting. */
  ensureCurrent(what: string): Promise<void>;
  close(): void;
}

export function watchForStop(
  deps: Pick<JobDeps, "store" | "config">,
  featureId: number,
  version: number | undefined,
): StopWatch {
  const controller = new AbortController();
  const stopped = (what: string) =>
    new JobSupersededError(
      `feature ${featureId}: a later cancel, sweep or retry superseded this job (started for version ${version}); ${what} discarded`,
    );
  const check = async (what: string): Promise<boolean> => {
    if (controller.signal.aborted) return true;
    const feature = await deps.store.findFeature(featureId);
    if (feature && !isSuperseded(feature, version)) return false;
    controller.abort(stopped(what));
    return true;
  };
  let timer: NodeJS.Timeout | undefined;
  if (version !== undefined) {
    let polling = false;
    timer = setInterval(() => {
      if (polling) return;
      polling = true;
      check("its work").then(
        () => {
          polling = false;
        },
        () => {
          polling = false; // the database is briefly unreachable: the next poll asks again
        },
      );
    }, deps.config.jobStopPollMs);
    timer.unref();
  }
  return {
    signal: controller.signal,
    async ensureCurrent(what) {
      if (version === undefined) return;
      if (await check(what)) {
        throw controller.signal.reason instanceof JobSupersededError
          ? controller.signal.reason
          : stopped(what);
      }
    },
    close() {
      if (timer) clearInterval(timer);
    },
  };
}

/** True (after logging it) when `error` means the job was stopped, not that it failed. */
export function wasStopped(
  log: Logger,
  stop: StopWatch,
  error: unknown,
  job: { id?: string | undefined; featureId: number },
): boolean {
  if (!(error instanceof JobSupersededError) && !stop.signal.aborted) return false;
  const reason = error instanceof Error ? error.message : String(error);
  log.info(
    { jobId: job.id, featureId: job.featureId, reason },
    "job stopped: superseded by a cancel, sweep or retry; its result is discarded",
  );
  return true;
}
