import type { Context } from "probot";
import { targetOf } from "../app/advance.ts";
import { ingest } from "../app/ingest.ts";
import { FIX_FINDINGS_ACTION, RERUN_REVIEW_ACTION } from "../core/commands.ts";
import { actorOf, featureOfCheckRun, type HandlerDeps } from "./context.ts";

/** The "Fix findings" and "Re-run review" buttons on one of our check runs. */
export function onCheckRunRequestedAction(deps: HandlerDeps) {
  return async (context: Context<"check_run.requested_action">) => {
    const { check_run: run, requested_action: action, sender } = context.payload;
    const identifier = action?.identifier;
    if (identifier !== FIX_FINDINGS_ACTION && identifier !== RERUN_REVIEW_ACTION) return;
    const feature = await featureOfCheckRun(deps, context, run);
    if (!feature) return;
    const actor = await actorOf(deps, context, sender.login, true);
    await ingest(deps, {
      delivery: { id: context.id, name: context.name },
      target: targetOf(feature),
      event:
        identifier === FIX_FINDINGS_ACTION
          ? { type: "fix_findings", actor, checkRunId: run.id }
          : { type: "rerun_reviews", actor, source: `check-run-${run.id}` },
    });
  };
}
