import type { Context } from "probot";
import { targetOf } from "../app/advance.ts";
import { ingest } from "../app/ingest.ts";
import { type HandlerDeps, repoOf } from "./context.ts";

/** The repository's own CI failing on the PR head is read and fixed, within a bound. */
export function onCheckSuiteCompleted(deps: HandlerDeps & { appId: number }) {
  return async (context: Context<"check_suite.completed">) => {
    const suite = context.payload.check_suite;
    if (suite.app?.id === deps.appId) return; // our own reviews have their own loop
    if (suite.conclusion !== "failure" && suite.conclusion !== "timed_out") return;
    const { owner, repo } = repoOf(context);
    for (const pr of suite.pull_requests ?? []) {
      if (pr.head.sha !== suite.head_sha) continue; // an older head: already superseded
      const feature = await deps.store.findFeatureByPullRequest(owner, repo, pr.number);
      if (!feature) continue;
      await ingest(deps, {
        delivery: { id: context.id, name: context.name },
        target: targetOf(feature),
        event: { type: "ci_failed", checkSuiteId: suite.id },
      });
    }
  };
}
