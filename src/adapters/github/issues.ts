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

/**
 * Moves the stage label in one write: "Set labels for an issue" replaces the whole list, so the
 * issue's labels are read first and every label but the stale stage one is sent back. A read
 * and a write (6 points of GitHub's secondary limit, no content created) against a remove and
 * an add (two writes, 10 points, the add counted as content); the same two calls either way.
 * A label someone adds in the milliseconds between the read and the write would be lost; the
 * next move reads it again.
 * https://docs.github.com/en/rest/issues/labels#set-labels-for-an-issue
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#calculating-points-for-the-secondary-rate-limit
 */
export async function syncLabels(
  octokit: Octokit,
  repo: RepoRef,
  issueNumber: number,
  add: string,
  removePrefix: string,
  previous?: string,
) {
  const { owner, repo: name } = repo;
  // An issue has at most 100 labels: one page holds them all.
  const { data } = await octokit.rest.issues.listLabelsOnIssue({
    owner,
    repo: name,
    issue_number: issueNumber,
    per_page: 100,
  });
  const current = data.map((label) => label.name);
  // Knowing the label set last time, only that label goes; otherwise every stage label.
  const stale = (label: string) =>
    label !== add && (previous !== undefined ? label === previous : label.startsWith(removePrefix));
  const labels = current.filter((label) => !stale(label));
  if (!labels.includes(add)) labels.push(add);
  if (labels.length === current.length && current.includes(add)) return;
  await octokit.rest.issues.setLabels({ owner, repo: name, issue_number: issueNumber, labels });
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
