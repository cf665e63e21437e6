import type { Context } from "probot";
import { targetOf } from "../advance.ts";
import { ingest } from "../ingest.ts";
import { actorOf, type HandlerDeps, repoOf } from "./context.ts";

export const FIX_FINDINGS_ACTION = "fix_findings";

/** The "Fix findings" button on one of our check runs. */
export function onCheckRunRequestedAction(deps: HandlerDeps) {
  return async (context: Context<"check_run.requested_action">) => {
    const { check_run: run, requested_action: action, sender } = context.payload;
    if (action?.identifier !== FIX_FINDINGS_ACTION) return;
    const { owner, repo } = repoOf(context);
    const prNumber = run.pull_requests?.[0]?.number;
    if (prNumber === undefined) return;
    const feature = await deps.store.findFeatureByPullRequest(owner, repo, prNumber);
    if (!feature) return;
    await ingest(deps, {
      delivery: { id: context.id, name: context.name },
      target: targetOf(feature),
      event: {
        type: "fix_findings",
        actor: await actorOf(deps, context, sender.login, true),
        checkRunId: run.id,
      },
    });
  };
}
