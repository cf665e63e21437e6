import { githubStatusOf } from "../../errors.ts";
import type { ReactionContent, RepoRef } from "../../ports/github.ts";
import type { Octokit } from "./client.ts";

// Issues: comments, reactions, labels, closing.

export async function ensureComment(
  octokit: Octokit,
  repo: RepoRef,
  issueNumber: number,
  marker: string,
  body: string,
  options: { knownId?: number | null; firstRun?: boolean; appId: number },
) {
  const { owner, repo: name } = repo;
  let existing: { id: number; body?: string; html_url: string } | undefined;
  if (options.knownId) {
    // Our own comment, by id: edit it in place. Deleted by someone → find or create anew.
    try {
      const { data } = await octokit.rest.issues.updateComment({
        owner,
        repo: name,
        comment_id: options.knownId,
        body,
      });
      return { id: data.id, url: data.html_url };
    } catch (error) {
      if (githubStatusOf(error) !== 404) throw error;
    }
  }
  // A first run cannot have posted it before: no need to page through the comments. Markers
  // are predictable, so only a comment this app made counts: a stranger's comment carrying
  // `<!-- practical:status … -->` is not the status comment. GitHub names the app that made a
  // comment in `performed_via_github_app`.
  // https://docs.github.com/en/rest/issues/comments#list-issue-comments
  if (!existing && !options.firstRun) {
    for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, {
      owner,
      repo: name,
      issue_number: issueNumber,
      per_page: 100,
    })) {
      existing = page.data.find(
        (c) => c.performed_via_github_app?.id === options.appId && c.body?.includes(marker),
      );
      if (existing) break;
    }
  }
  if (existing) {
    if (existing.body !== body) {
      await octokit.rest.issues.updateComment({
        owner,
        repo: name,
        comment_id: existing.id,
        body,
      });
    }
    return { id: existing.id, url: existing.html_url };
  }
  const { data } = await octokit.rest.issues.createComment({
    owner,
    repo: name,
    issue_number: issueNumber,
    body,
  });
  return { id: data.id, url: data.html_url };
}

export async function addReaction(
  octokit: Octokit,
  repo: RepoRef,
  target: { commentId: number } | { issueNumber: number },
  content: ReactionContent,
) {
  const { owner, repo: name } = repo;
  if ("commentId" in target) {
    await octokit.rest.reactions.createForIssueComment({
      owner,
      repo: name,
      comment_id: target.commentId,
      content,
    });
  } else {
    await octokit.rest.reactions.createForIssue({
      owner,
      repo: name,
      issue_number: target.issueNumber,
      content,
    });
  }
}

export async function syncLabels(
  octokit: Octokit,
  repo: RepoRef,
  issueNumber: number,
  add: string,
  removePrefix: string,
  previous?: string,
) {
  const { owner, repo: name } = repo;
  // Knowing the label set last time saves listing the issue's labels.
  const stale =
    previous !== undefined
      ? [previous]
      : (
          await octokit.rest.issues.listLabelsOnIssue({
            owner,
            repo: name,
            issue_number: issueNumber,
            per_page: 100,
          })
        ).data.map((label) => label.name);
  for (const label of stale) {
    if (label !== add && label.startsWith(removePrefix)) {
      await removeLabel(octokit, repo, issueNumber, label);
    }
  }
  if (previous === add) return;
  // Adding a label the issue has is a no-op on GitHub, so no need to look first.
  await octokit.rest.issues.addLabels({
    owner,
    repo: name,
    issue_number: issueNumber,
    labels: [add],
  });
}

export async function removeLabel(
  octokit: Octokit,
  repo: RepoRef,
  issueNumber: number,
  labelName: string,
) {
  try {
    await octokit.rest.issues.removeLabel({
      owner: repo.owner,
      repo: repo.repo,
      issue_number: issueNumber,
      name: labelName,
    });
  } catch (error) {
    if (githubStatusOf(error) !== 404) throw error; // already gone
  }
}

export async function closeIssue(
  octokit: Octokit,
  repo: RepoRef,
  issueNumber: number,
  reason: "completed" | "not_planned",
) {
  await octokit.rest.issues.update({
    owner: repo.owner,
    repo: repo.repo,
    issue_number: issueNumber,
    state: "closed",
    state_reason: reason,
  });
}
