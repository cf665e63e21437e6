import type { Context } from "probot";
import { targetOf } from "../app/advance.ts";
import { ingestCiWebhook } from "../app/ci-webhook.ts";
import { featureOfCommit, type HandlerDeps, repoOf } from "./context.ts";

/**
 * A commit status changed (CI that reports statuses rather than check runs). GitHub lists the
 * branches whose head is the commit (up to ten).
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#status
 */
export function onStatus(deps: HandlerDeps) {
  return async (context: Context<"status">) => {
    const { sha, branches, state } = context.payload;
    if (state === "pending") return; // the reading after it finishes says everything
    const { owner, repo } = repoOf(context);
    const feature = await featureOfCommit(
      deps,
      owner,
      repo,
      branches.map((b) => b.name),
      [],
    );
    if (!feature) return;
    await ingestCiWebhook(
      deps,
      { id: context.id, name: context.name },
      { id: feature.id, target: targetOf(feature) },
      sha,
    );
  };
}
