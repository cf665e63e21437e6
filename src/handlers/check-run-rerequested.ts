import type { Context } from "probot";
import { targetOf } from "../app/advance.ts";
import { ingest } from "../app/ingest.ts";
import { actorOf, featureOfCheckRun, type HandlerDeps } from "./context.ts";

/** GitHub's own "Re-run" of one of the app's check runs: the three reviews run again. */
export function onCheckRunRerequested(deps: HandlerDeps & { appId: number }) {
  return async (context: Context<"check_run.rerequested">) => {
    const { check_run: run, sender } = context.payload;
    if (run.app?.id !== deps.appId) return; // another app's check
    const feature = await featureOfCheckRun(deps, context, run);
    if (!feature) return;
    await ingest(deps, {
      delivery: { id: context.id, name: context.name },
      target: targetOf(feature),
      event: {
        type: "rerun_reviews",
        actor: await actorOf(deps, context, sender.login, true),
        source: `check-run-${run.id}`,
      },
    });
  };
}
