import type { Context } from "probot";
import { targetOf } from "../app/advance.ts";
import { ingest } from "../app/ingest.ts";
import { actorOf, featureOfCommit, type HandlerDeps, repoOf } from "./context.ts";

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
    const feature = await featureOfCommit(
      deps,
      owner,
      repo,
      [suite.head_branch],
      (suite.pull_requests ?? []).map((pr) => pr.number),
    );
    // A re-run of an older head: already superseded.
    if (!feature || feature.headSha !== suite.head_sha) return;
    await ingest(deps, {
      delivery: { id: context.id, name: context.name },
      target: targetOf(feature),
      event: {
        type: "rerun_reviews",
        actor: await actorOf(deps, context, sender.login, true),
        source: `check-suite-${suite.id}`,
      },
    });
  };
}
