import type { Context } from "probot";
import { targetOf } from "../app/advance.ts";
import { ingestCiWebhook } from "../app/ci-webhook.ts";
import { featureOfCommit, type HandlerDeps, repoOf } from "./context.ts";

/** Another app's check suite finished on a commit: the feature reads that commit's CI again. */
export function onCheckSuiteCompleted(deps: HandlerDeps & { appId: number }) {
  return async (context: Context<"check_suite.completed">) => {
    const suite = context.payload.check_suite;
    if (suite.app?.id === deps.appId) return; // our own reviews have their own loop
    const { owner, repo } = repoOf(context);
    const feature = await featureOfCommit(
      deps,
      owner,
      repo,
      [suite.head_branch],
      (suite.pull_requests ?? []).map((pr) => pr.number),
    );
    if (!feature) return;
    await ingestCiWebhook(
      deps,
      { id: context.id, name: context.name },
      { id: feature.id, target: targetOf(feature) },
      suite.head_sha,
    );
  };
}
