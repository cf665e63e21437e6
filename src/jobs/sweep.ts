import { advance } from "../app/advance.ts";
import type { JobDeps } from "./deps.ts";

/** Fails features that stayed in a working stage past the limit; the issue hears why. */
export async function sweepStuckFeatures(deps: JobDeps): Promise<{ failed: number[] }> {
  const minutes = deps.config.stuckAfterMinutes;
  const stuck = await deps.store.findStuckFeatures(minutes);
  const failed: number[] = [];
  for (const id of stuck) {
    const result = await advance(deps.store, id, { type: "stuck", minutes });
    if (result?.effects.length) failed.push(id);
  }
  if (failed.length) void deps.relay.kick();
  return { failed };
}
