import type { Context } from "probot";
import { targetOf } from "../app/advance.ts";
import { ingest } from "../app/ingest.ts";
import { actorOf, type HandlerDeps, repoOf } from "./context.ts";

/** A human review that requests changes sends its comments to the implementer. */
export function onPullRequestReviewSubmitted(deps: HandlerDeps) {
  return async (context: Context<"pull_request_review.submitted">) => {
    if (context.isBot) return;
    const { review, pull_request: pr } = context.payload;
    if (review.state !== "changes_requested") return;
    const { owner, repo } = repoOf(context);
    const feature = await deps.store.findFeatureByPullRequest(owner, repo, pr.number);
    if (!feature) return;
    await ingest(deps, {
      delivery: { id: context.id, name: context.name },
      target: targetOf(feature),
      event: {
        type: "changes_requested",
        // Only reviewers with write access send the code back to the implementer.
        actor: await actorOf(deps, context, review.user?.login ?? "ghost", true),
        reviewId: review.id,
      },
    });
  };
}
