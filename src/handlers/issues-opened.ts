import type { Context } from "probot";
import { ingest } from "../ingest.ts";
import { type HandlerDeps, issueTarget, newFeatureInfo, readRepoConfig } from "./context.ts";

/** An issue opened with the trigger label starts a feature. */
export function onIssuesOpened(deps: HandlerDeps) {
  return async (context: Context<"issues.opened">) => {
    if (context.isBot) return;
    const { issue, sender } = context.payload;
    const target = issueTarget(context, issue.number);
    const labels = (issue.labels ?? []).map((label) => label.name);
    if (!target || labels.length === 0) return;
    const repoConfig = await readRepoConfig(context);
    if (!labels.includes(repoConfig.config.trigger_label)) return;
    await ingest(deps, {
      delivery: { id: context.id, name: context.name },
      target,
      // Only people with triage access or more can label an issue, so no permission check.
      event: {
        type: "start",
        actor: { login: sender.login, permission: "write" },
        commentId: null,
      },
      newFeature: newFeatureInfo(context, issue, repoConfig),
      message: {
        commentId: null,
        author: issue.user?.login ?? sender.login,
        body: issueText(issue),
      },
    });
  };
}

export function issueText(issue: { title: string; body?: string | null }): string {
  return `# ${issue.title}\n\n${issue.body ?? ""}`.trim();
}
