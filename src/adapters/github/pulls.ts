import type { PullRequestRef, PullRequestRequest, RepoRef } from "../../ports/github.ts";
import type { Octokit } from "./client.ts";
import { is422 } from "./errors.ts";
import { ensureComment } from "./issues.ts";

// Pull requests: the feature's PR, its readiness and its reviews.

export async function ensurePullRequest(
  octokit: Octokit,
  repo: RepoRef,
  request: PullRequestRequest,
): Promise<PullRequestRef> {
  const { owner, repo: name } = repo;
  if (request.knownNumber) {
    const { data } = await octokit.rest.pulls.update({
      owner,
      repo: name,
      pull_number: request.knownNumber,
      body: request.body,
    });
    // Closed since (the feature started over): a new one is opened below.
    if (data.state === "open") {
      return { number: data.number, url: data.html_url, headSha: data.head.sha, created: false };
    }
  }
  const find = async () => {
    const { data } = await octokit.rest.pulls.list({
      owner,
      repo: name,
      state: "open",
      head: `${owner}:${request.head}`,
      per_page: 100,
    });
    return data.find((p) => p.base.ref === request.base) ?? data[0];
  };
  let existing = request.newBranch ? undefined : await find();
  if (!existing) {
    try {
      const { data } = await createPullRequest(octokit, repo, request);
      return { number: data.number, url: data.html_url, headSha: data.head.sha, created: true };
    } catch (error) {
      if (!is422(error, "a pull request already exists")) throw error;
      existing = await find();
      if (!existing) throw error;
    }
  }
  if ((existing.body ?? "") === request.body) {
    return {
      number: existing.number,
      url: existing.html_url,
      headSha: existing.head.sha,
      created: false,
    };
  }
  const { data } = await octokit.rest.pulls.update({
    owner,
    repo: name,
    pull_number: existing.number,
    body: request.body,
  });
  return { number: data.number, url: data.html_url, headSha: data.head.sha, created: false };
}

/** A draft pull request; ready when the repository's plan has no drafts. */
async function createPullRequest(octokit: Octokit, repo: RepoRef, request: PullRequestRequest) {
  const create = (draft: boolean) =>
    octokit.rest.pulls.create({
      owner: repo.owner,
      repo: repo.repo,
      head: request.head,
      base: request.base,
      title: request.title,
      body: request.body,
      draft,
    });
  try {
    return await create(true);
  } catch (error) {
    if (!is422(error, "draft pull requests are not supported")) throw error;
    return create(false);
  }
}

/**
 * Out of draft, and with `announce` the issue comment that says so: one GraphQL query for the
 * node ids, then one request with both mutations (`markPullRequestReadyForReview` and
 * `addComment`, run in order), where REST would read the PR, post the comment and still need
 * GraphQL for the draft flag. A request with mutations counts once against GitHub's
 * content-creation limit, whatever it holds.
 * https://docs.github.com/en/graphql/reference/mutations#markpullrequestreadyforreview
 * https://docs.github.com/en/graphql/reference/mutations#addcomment
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#calculating-points-for-the-secondary-rate-limit
 */
export async function markPullRequestReady(
  octokit: Octokit,
  repo: RepoRef,
  prNumber: number,
  announce?: {
    issueNumber: number;
    marker: string;
    body: string;
    firstRun: boolean;
    appId: number;
  },
) {
  // A run after a failed one may have done either part: the comment is looked for by its
  // marker (ensureComment) and only a draft is marked.
  const together = announce?.firstRun === true;
  const { repository } = await octokit.graphql<{
    repository: { pullRequest: { id: string; isDraft: boolean }; issue?: { id: string } };
  }>(
    `query($owner: String!, $name: String!, $pr: Int!${together ? ", $issue: Int!" : ""}) {
      repository(owner: $owner, name: $name) {
        pullRequest(number: $pr) { id isDraft }
        ${together ? "issue(number: $issue) { id }" : ""}
      }
    }`,
    {
      owner: repo.owner,
      name: repo.repo,
      pr: prNumber,
      ...(together ? { issue: announce.issueNumber } : {}),
    },
  );
  const { pullRequest, issue } = repository;
  const mark = pullRequest.isDraft;
  const comment = together && issue;
  if (mark || comment) {
    await octokit.graphql(
      `mutation(${[mark ? "$pr: ID!" : "", comment ? "$issue: ID!, $body: String!" : ""].filter(Boolean).join(", ")}) {
        ${mark ? "ready: markPullRequestReadyForReview(input: { pullRequestId: $pr }) { clientMutationId }" : ""}
        ${comment ? "comment: addComment(input: { subjectId: $issue, body: $body }) { clientMutationId }" : ""}
      }`,
      {
        ...(mark ? { pr: pullRequest.id } : {}),
        ...(comment ? { issue: issue.id, body: announce.body } : {}),
      },
    );
  }
  if (announce && !together) {
    await ensureComment(octokit, repo, announce.issueNumber, announce.marker, announce.body, {
      firstRun: false,
      appId: announce.appId,
    });
  }
}

export async function readReview(
  octokit: Octokit,
  repo: RepoRef,
  prNumber: number,
  reviewId: number,
) {
  const { owner, repo: name } = repo;
  const { data: review } = await octokit.rest.pulls.getReview({
    owner,
    repo: name,
    pull_number: prNumber,
    review_id: reviewId,
  });
  const comments = await octokit.paginate(octokit.rest.pulls.listCommentsForReview, {
    owner,
    repo: name,
    pull_number: prNumber,
    review_id: reviewId,
    per_page: 100,
  });
  return {
    body: review.body ?? "",
    comments: comments.map((c) => ({
      path: c.path,
      line: c.line ?? c.original_line ?? null,
      body: c.body,
    })),
  };
}
