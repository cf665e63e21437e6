import type { Context } from "probot";
import { ingest } from "../app/ingest.ts";
import { type ParsedRepoConfig, readRepoConfig } from "../config/repo-config.ts";
import { actorOf, type HandlerDeps, issueTarget, newFeatureInfo } from "./context.ts";

/** An issue opened with the trigger label starts a feature. */
export function onIssuesOpened(deps: HandlerDeps) {
  return async (context: Context<"issues.opened">) => {
    if (context.isBot) return;
    const { issue } = context.payload;
    const target = issueTarget(context, issue.number);
    const labels = (issue.labels ?? []).map((label) => label.name);
    if (!target || labels.length === 0) return;
    const repoConfig = await readRepoConfig(deps.github, target);
    if (!labels.includes(repoConfig.config.trigger_label)) return;
    await startFromLabel(deps, context, repoConfig);
  };
}

/**
 * Starts a feature for a labelled issue. Issue forms and templates add their labels for any
 * author, so the label is no proof: the one who set it needs write access (the core decides).
 */
export async function startFromLabel(
  deps: HandlerDeps,
  context: Context<"issues.opened" | "issues.labeled">,
  repoConfig: ParsedRepoConfig,
) {
  const { issue, sender } = context.payload;
  const target = issueTarget(context, issue.number);
  if (!target) return;
  await ingest(deps, {
    delivery: { id: context.id, name: context.name },
    target,
    event: {
      type: "start",
      actor: await actorOf(deps, context, sender.login, true),
      commentId: null,
    },
    newFeature: newFeatureInfo(context, issue, repoConfig),
    message: { commentId: null, author: issue.user?.login ?? sender.login, body: issueText(issue) },
  });
}

export function issueText(issue: { title: string; body?: string | null }): string {
  return `# ${issue.title}\n\n${issue.body ?? ""}`.trim();
}
