import type { Probot, ProbotOctokit } from "probot";
import type { GitHubPort, ReactionContent, RepoRef } from "../../ports/github.ts";

type Octokit = InstanceType<typeof ProbotOctokit>;

function statusOf(error: unknown): number | undefined {
  return (error as { status?: number }).status;
}

/** The GitHub port over Probot's installation-authenticated Octokit. */
export class OctokitGitHub implements GitHubPort {
  readonly #probot: Probot;

  constructor(probot: Probot) {
    this.#probot = probot;
  }

  /** Installation tokens are cached by Probot (59 minutes). */
  octokit(repo: RepoRef): Promise<Octokit> {
    return this.#probot.auth(repo.installationId) as Promise<Octokit>;
  }

  async ensureComment(
    repo: RepoRef,
    issueNumber: number,
    marker: string,
    body: string,
    options: { knownId?: number | null } = {},
  ) {
    const octokit = await this.octokit(repo);
    const { owner, repo: name } = repo;
    let existing: { id: number; body?: string; html_url: string } | undefined;
    if (options.knownId) {
      try {
        const { data } = await octokit.rest.issues.getComment({
          owner,
          repo: name,
          comment_id: options.knownId,
        });
        if (data.body?.includes(marker)) existing = data;
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    }
    if (!existing) {
      for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, {
        owner,
        repo: name,
        issue_number: issueNumber,
        per_page: 100,
      })) {
        existing = page.data.find((c) => c.body?.includes(marker));
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

  async addReaction(
    repo: RepoRef,
    target: { commentId: number } | { issueNumber: number },
    content: ReactionContent,
  ) {
    const octokit = await this.octokit(repo);
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

  async syncLabels(repo: RepoRef, issueNumber: number, add: string, removePrefix: string) {
    const octokit = await this.octokit(repo);
    const { owner, repo: name } = repo;
    const { data: current } = await octokit.rest.issues.listLabelsOnIssue({
      owner,
      repo: name,
      issue_number: issueNumber,
      per_page: 100,
    });
    for (const label of current) {
      if (label.name !== add && label.name.startsWith(removePrefix)) {
        await this.removeLabel(repo, issueNumber, label.name);
      }
    }
    if (!current.some((l) => l.name === add)) {
      await octokit.rest.issues.addLabels({
        owner,
        repo: name,
        issue_number: issueNumber,
        labels: [add],
      });
    }
  }

  async removeLabel(repo: RepoRef, issueNumber: number, labelName: string) {
    const octokit = await this.octokit(repo);
    try {
      await octokit.rest.issues.removeLabel({
        owner: repo.owner,
        repo: repo.repo,
        issue_number: issueNumber,
        name: labelName,
      });
    } catch (error) {
      if (statusOf(error) !== 404) throw error; // already gone
    }
  }

  async closeIssue(repo: RepoRef, issueNumber: number, reason: "completed" | "not_planned") {
    const octokit = await this.octokit(repo);
    await octokit.rest.issues.update({
      owner: repo.owner,
      repo: repo.repo,
      issue_number: issueNumber,
      state: "closed",
      state_reason: reason,
    });
  }

  async readFile(repo: RepoRef, path: string, ref?: string) {
    const octokit = await this.octokit(repo);
    try {
      const { data } = await octokit.rest.repos.getContent({
        owner: repo.owner,
        repo: repo.repo,
        path,
        ...(ref ? { ref } : {}),
      });
      if (Array.isArray(data) || data.type !== "file" || !("content" in data)) return null;
      return Buffer.from(data.content, "base64").toString("utf8");
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
  }

  async getDefaultBranch(repo: RepoRef) {
    const octokit = await this.octokit(repo);
    const { data } = await octokit.rest.repos.get({ owner: repo.owner, repo: repo.repo });
    return data.default_branch;
  }

  async markPullRequestReady(repo: RepoRef, prNumber: number) {
    const octokit = await this.octokit(repo);
    const { data: pr } = await octokit.rest.pulls.get({
      owner: repo.owner,
      repo: repo.repo,
      pull_number: prNumber,
    });
    if (!pr.draft) return;
    await octokit.graphql(
      "mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { number } } }",
      { id: pr.node_id },
    );
  }
}
