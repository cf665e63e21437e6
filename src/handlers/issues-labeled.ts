import type { Context } from "probot";
import { ingest } from "../app/ingest.ts";
import { readRepoConfig } from "../config/repo-config.ts";
import { APPROVE_LABEL } from "../core/pipeline.ts";
import { actorOf, type HandlerDeps, issueTarget } from "./context.ts";
import { startFromLabel } from "./issues-opened.ts";

/** The trigger label starts a feature; the approve label approves the current gate. */
export function onIssuesLabeled(deps: HandlerDeps) {
  return async (context: Context<"issues.labeled">) => {
    if (context.isBot) return;
    const { issue, label, sender } = context.payload;
    const target = issueTarget(context, issue.number);
    if (!target || !label) return;
    const delivery = { id: context.id, name: context.name };

    if (label.name === APPROVE_LABEL) {
      await ingest(deps, {
        delivery,
        target,
        event: { type: "approve_label", actor: await actorOf(deps, context, sender.login, true) },
      });
      return;
    }

    const repoConfig = await readRepoConfig(deps.github, target);
    if (label.name !== repoConfig.config.trigger_label) return;
    await startFromLabel(deps, context, repoConfig);
  };
}
