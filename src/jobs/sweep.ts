import { sql } from "kysely";
import { advance } from "../app/advance.ts";
import { WORKING_STAGES } from "../core/feature.ts";
import type { JobDeps } from "./deps.ts";

/** Fails features that stayed in a working stage past the limit; the issue hears why. */
export async function sweepStuckFeatures(deps: JobDeps): Promise<{ failed: number[] }> {
  const minutes = deps.config.stuckAfterMinutes;
  const stuck = await deps.store.db
    .selectFrom("features")
    .select(["id"])
    .where("stage", "in", [...WORKING_STAGES])
    .where("stage_entered_at", "<", sql<Date>`now() - make_interval(mins => ${minutes})`)
    .execute();
  const failed: number[] = [];
  for (const { id } of stuck) {
    const result = await advance(deps.store, id, { type: "stuck", minutes });
    if (result?.effects.length) failed.push(id);
  }
  if (failed.length) void deps.relay.kick();
  return { failed };
}
