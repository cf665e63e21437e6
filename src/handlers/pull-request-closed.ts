import type { Context } from "probot";
import { targetOf } from "../app/advance.ts";
import { ingest } from "../app/ingest.ts";
import { type HandlerDeps, repoOf } from "./context.ts";

/** Merging the feature's PR finishes it; closing it unmerged abandons it. */
export function onPullRequestClosed(deps: HandlerDeps) {
  return async (context: Context<"pull_request.closed">) => {
    const { pull_request: pr, sender } = context.payload;
    const { owner, repo } = repoOf(context);
    const feature = await deps.store.findFeatureByPullRequest(owner, repo, pr.number);
    if (!feature) return;
    const actor = { login: sender.login, permission: "read" as const };
    await ingest(deps, {
      delivery: { id: context.id, name: context.name },
      target: targetOf(feature),
      event: pr.merged ? { type: "pr_merged", actor } : { type: "pr_closed", actor },
    });
  };
}
