import type { Context } from "probot";
import { targetOf } from "../app/advance.ts";
import { ingest } from "../app/ingest.ts";
import { actorOf, type HandlerDeps, repoOf } from "./context.ts";

/**
 * GitHub's "Re-run all checks" on our suite. It sends `check_suite.rerequested`, not one
 * `check_run.rerequested` per run, and creates no new runs itself: the app must.
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#check_suite
 */
export function onCheckSuiteRerequested(deps: HandlerDeps & { appId: number }) {
  return async (context: Context<"check_suite.rerequested">) => {
    const { check_suite: suite, sender } = context.payload;
    if (suite.app?.id !== deps.appId) return; // another app's suite
    const { owner, repo } = repoOf(context);
    for (const pr of suite.pull_requests ?? []) {
      if (pr.head.sha !== suite.head_sha) continue; // an older head: already superseded
      const feature = await deps.store.findFeatureByPullRequest(owner, repo, pr.number);
      if (!feature) continue;
      await ingest(deps, {
        delivery: { id: context.id, name: context.name },
        target: targetOf(feature),
        event: {
          type: "rerun_reviews",
          actor: await actorOf(deps, context, sender.login, true),
          source: `check-suite-${suite.id}`,
        },
      });
    }
  };
}
