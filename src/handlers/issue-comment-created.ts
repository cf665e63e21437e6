import type { Context } from "probot";
import { targetOf } from "../app/advance.ts";
import { ingest } from "../app/ingest.ts";
import { readRepoConfig } from "../config/repo-config.ts";
import { parseCommands } from "../core/commands.ts";
import type { Effect } from "../core/effects.ts";
import type { PipelineEvent } from "../core/events.ts";
import { actorOf, type HandlerDeps, issueTarget, newFeatureInfo } from "./context.ts";

/**
 * A new human comment: the first command in it, or else conversation for the BA agent.
 * On a PR, commands act on the PR's feature; plain PR comments are code review, not ours.
 */
export function onIssueCommentCreated(deps: HandlerDeps) {
  return async (context: Context<"issue_comment.created">) => {
    if (context.isBot) return;
    const { comment, issue } = context.payload;
    const author = comment.user?.login;
    if (!author) return;
    const [command] = parseCommands(comment.body);
    const isPullRequest = Boolean(issue.pull_request);
    if (isPullRequest && !command) return;

    const base = issueTarget(context, issue.number);
    if (!base) return;
    let target = base;
    if (isPullRequest) {
      const feature = await deps.store.findFeatureByPullRequest(
        base.owner,
        base.repo,
        issue.number,
      );
      if (!feature) return;
      target = targetOf(feature);
    }

    const delivery = { id: context.id, name: context.name };
    const message = isPullRequest
      ? undefined
      : { commentId: comment.id, author: author, body: comment.body };

    if (!command) {
      // The BA answers the issue's author and collaborators (triage or more), not every passer-by.
      const isIssueAuthor = author === issue.user?.login;
      const actor = await actorOf(deps, context, author, !isIssueAuthor);
      await ingest(deps, {
        delivery,
        target,
        message,
        event: { type: "comment", actor, commentId: comment.id },
      });
      return;
    }

    const actor = await actorOf(
      deps,
      context,
      author,
      command.name !== "help" && command.name !== "status",
    );
    const event: PipelineEvent = {
      type: "command",
      command,
      actor,
      commentId: comment.id,
      writtenAt: comment.created_at,
    };
    const noFeature: Effect[] = [
      { type: "react", commentId: comment.id, content: "confused" },
      { type: "reply", view: "no_feature", key: `c${comment.id}`, data: { command: command.name } },
    ];

    if (command.name === "build" && !isPullRequest) {
      const repoConfig = await readRepoConfig(deps.github, target);
      await ingest(deps, {
        delivery,
        target,
        message,
        event,
        newFeature: newFeatureInfo(context, issue, repoConfig),
      });
      return;
    }
    await ingest(deps, { delivery, target, message, event, withoutFeature: noFeature });
  };
}
