import type { Context } from "probot";
import { targetOf } from "../app/advance.ts";
import { ingestCiWebhook } from "../app/ci-webhook.ts";
import { featureOfCommit, type HandlerDeps, repoOf } from "./context.ts";

/** Another app's check run finished (one job of a workflow): the commit's CI is read again. */
export function onCheckRunCompleted(deps: HandlerDeps & { appId: number }) {
  return async (context: Context<"check_run.completed">) => {
    const run = context.payload.check_run;
    if (run.app?.id === deps.appId) return;
    const { owner, repo } = repoOf(context);
    const feature = await featureOfCommit(
      deps,
      owner,
      repo,
      [run.check_suite?.head_branch ?? null],
      (run.pull_requests ?? []).map((pr) => pr.number),
    );
    if (!feature) return;
    await ingestCiWebhook(
      deps,
      { id: context.id, name: context.name },
      { id: feature.id, target: targetOf(feature) },
      run.head_sha,
    );
  };
}
