// GitHub-shaped JSON for the fake's records (REST responses and webhook payloads share them).
import type { FileChange, GitStore } from "./git.ts";
import type {
  AppRec,
  CheckRunRec,
  CheckSuiteRec,
  CommentRec,
  FakeState,
  InstallationRec,
  IssueRec,
  LabelRec,
  PullRec,
  ReactionRec,
  RepoRec,
  ReviewCommentRec,
  ReviewRec,
  UserRec,
} from "./state.ts";
import { nodeId } from "./state.ts";

type Json = Record<string, unknown>;

export interface Urls {
  /** e.g. http://127.0.0.1:1234/api/v3 */
  api: string;
  /** e.g. http://127.0.0.1:1234 */
  web: string;
}

const REACTION_KEYS = [
  "+1",
  "-1",
  "laugh",
  "confused",
  "heart",
  "hooray",
  "eyes",
  "rocket",
] as const;

export class Shapes {
  readonly state: FakeState;
  readonly urls: Urls;

  constructor(state: FakeState, urls: Urls) {
    this.state = state;
    this.urls = urls;
  }

  user(user: UserRec): Json {
    const api = `${this.urls.api}/users/${encodeURIComponent(user.login)}`;
    return {
      login: user.login,
      id: user.id,
      node_id: user.nodeId,
      avatar_url: `${this.urls.web}/avatars/u/${user.id}?v=4`,
      gravatar_id: "",
      url: api,
      html_url: `${this.urls.web}/${user.type === "Bot" ? `apps/${user.login.replace(/\[bot\]$/, "")}` : user.login}`,
      followers_url: `${api}/followers`,
      following_url: `${api}/following{/other_user}`,
      gists_url: `${api}/gists{/gist_id}`,
      starred_url: `${api}/starred{/owner}{/repo}`,
      subscriptions_url: `${api}/subscriptions`,
      organizations_url: `${api}/orgs`,
      repos_url: `${api}/repos`,
      events_url: `${api}/events{/privacy}`,
      received_events_url: `${api}/received_events`,
      type: user.type,
      user_view_type: "public",
      site_admin: false,
    };
  }

  app(app: AppRec): Json {
    return {
      id: app.id,
      slug: app.slug,
      client_id: `Iv1.${app.id.toString(16).padStart(16, "0")}`,
      node_id: app.nodeId,
      owner: this.user(app.owner),
      name: app.name,
      description: "",
      external_url: `${this.urls.web}/apps/${app.slug}`,
      html_url: `${this.urls.web}/apps/${app.slug}`,
      created_at: app.createdAt,
      updated_at: app.createdAt,
      permissions: app.permissions,
      events: app.events,
      installations_count: [...this.state.installations.values()].filter((i) => i.app === app)
        .length,
    };
  }

  installation(installation: InstallationRec): Json {
    const app = installation.app;
    return {
      id: installation.id,
      account: this.user(installation.account),
      repository_selection: "selected",
      access_tokens_url: `${this.urls.api}/app/installations/${installation.id}/access_tokens`,
      repositories_url: `${this.urls.api}/installation/repositories`,
      html_url: `${this.urls.web}/settings/installations/${installation.id}`,
      app_id: app.id,
      client_id: `Iv1.${app.id.toString(16).padStart(16, "0")}`,
      app_slug: app.slug,
      target_id: installation.account.id,
      target_type: installation.account.type === "Organization" ? "Organization" : "User",
      permissions: installation.granted?.permissions ?? app.permissions,
      events: installation.granted?.events ?? app.events,
      created_at: installation.createdAt,
      updated_at: installation.createdAt,
      single_file_name: null,
      has_multiple_single_files: false,
      single_file_paths: [],
      suspended_by: null,
      suspended_at: null,
    };
  }

  repo(repo: RepoRec): Json {
    const full = `${repo.owner.login}/${repo.name}`;
    const api = `${this.urls.api}/repos/${full}`;
    const html = `${this.urls.web}/${full}`;
    const host = new URL(this.urls.web).host;
    const openIssues = [...repo.issues.values()].filter((i) => i.state === "open").length;
    return {
      id: repo.id,
      node_id: repo.nodeId,
      name: repo.name,
      full_name: full,
      private: false,
      owner: this.user(repo.owner),
      html_url: html,
      description: repo.description,
      fork: false,
      url: api,
      forks_url: `${api}/forks`,
      keys_url: `${api}/keys{/key_id}`,
      collaborators_url: `${api}/collaborators{/collaborator}`,
      teams_url: `${api}/teams`,
      hooks_url: `${api}/hooks`,
      issue_events_url: `${api}/issues/events{/number}`,
      events_url: `${api}/events`,
      assignees_url: `${api}/assignees{/user}`,
      branches_url: `${api}/branches{/branch}`,
      tags_url: `${api}/tags`,
      blobs_url: `${api}/git/blobs{/sha}`,
      git_tags_url: `${api}/git/tags{/sha}`,
      git_refs_url: `${api}/git/refs{/sha}`,
      trees_url: `${api}/git/trees{/sha}`,
      statuses_url: `${api}/statuses/{sha}`,
      languages_url: `${api}/languages`,
      stargazers_url: `${api}/stargazers`,
      contributors_url: `${api}/contributors`,
      subscribers_url: `${api}/subscribers`,
      subscription_url: `${api}/subscription`,
      commits_url: `${api}/commits{/sha}`,
      git_commits_url: `${api}/git/commits{/sha}`,
      comments_url: `${api}/comments{/number}`,
      issue_comment_url: `${api}/issues/comments{/number}`,
      contents_url: `${api}/contents/{+path}`,
      compare_url: `${api}/compare/{base}...{head}`,
      merges_url: `${api}/merges`,
      archive_url: `${api}/{archive_format}{/ref}`,
      downloads_url: `${api}/downloads`,
      issues_url: `${api}/issues{/number}`,
      pulls_url: `${api}/pulls{/number}`,
      milestones_url: `${api}/milestones{/number}`,
      notifications_url: `${api}/notifications{?since,all,participating}`,
      labels_url: `${api}/labels{/name}`,
      releases_url: `${api}/releases{/id}`,
      deployments_url: `${api}/deployments`,
      created_at: repo.createdAt,
      updated_at: repo.updatedAt,
      pushed_at: repo.pushedAt,
      git_url: `git://${host}/${full}.git`,
      ssh_url: `git@${host}:${full}.git`,
      clone_url: `${html}.git`,
      svn_url: html,
      homepage: null,
      size: 1,
      stargazers_count: 0,
      watchers_count: 0,
      language: null,
      has_issues: true,
      has_projects: true,
      has_downloads: true,
      has_wiki: true,
      has_pages: false,
      has_discussions: false,
      forks_count: 0,
      mirror_url: null,
      archived: false,
      disabled: false,
      open_issues_count: openIssues,
      license: null,
      allow_forking: true,
      is_template: false,
      web_commit_signoff_required: false,
      topics: [],
      visibility: "public",
      forks: 0,
      open_issues: openIssues,
      watchers: 0,
      default_branch: repo.defaultBranch,
      network_count: 0,
      subscribers_count: 0,
      permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
      allow_squash_merge: true,
      allow_merge_commit: true,
      allow_rebase_merge: true,
      allow_auto_merge: false,
      delete_branch_on_merge: false,
      allow_update_branch: false,
    };
  }

  label(repo: RepoRec, label: LabelRec): Json {
    return {
      id: label.id,
      node_id: label.nodeId,
      url: `${this.urls.api}/repos/${repo.owner.login}/${repo.name}/labels/${encodeURIComponent(label.name)}`,
      name: label.name,
      description: label.description,
      color: label.color,
      default: label.default,
    };
  }

  reactionRollup(url: string, reactions: ReactionRec[]): Json {
    const rollup: Json = { url, total_count: reactions.length };
    for (const key of REACTION_KEYS)
      rollup[key] = reactions.filter((r) => r.content === key).length;
    return rollup;
  }

  reaction(reaction: ReactionRec): Json {
    return {
      id: reaction.id,
      node_id: reaction.nodeId,
      user: this.user(reaction.user),
      content: reaction.content,
      created_at: reaction.createdAt,
    };
  }

  private repoApi(repo: RepoRec): string {
    return `${this.urls.api}/repos/${repo.owner.login}/${repo.name}`;
  }

  private repoHtml(repo: RepoRec): string {
    return `${this.urls.web}/${repo.owner.login}/${repo.name}`;
  }

  issue(issue: IssueRec): Json {
    const repo = issue.repo;
    const api = `${this.repoApi(repo)}/issues/${issue.number}`;
    const html = `${this.repoHtml(repo)}/${issue.pull ? "pull" : "issues"}/${issue.number}`;
    const json: Json = {
      url: api,
      repository_url: this.repoApi(repo),
      labels_url: `${api}/labels{/name}`,
      comments_url: `${api}/comments`,
      events_url: `${api}/events`,
      html_url: html,
      id: issue.id,
      node_id: issue.nodeId,
      number: issue.number,
      title: issue.title,
      user: this.user(issue.user),
      labels: issue.labels.map((l) => this.label(repo, l)),
      state: issue.state,
      locked: issue.locked,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: issue.comments.length,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      author_association: this.state.authorAssociation(repo, issue.user),
      type: null,
      active_lock_reason: null,
      sub_issues_summary: { total: 0, completed: 0, percent_completed: 0 },
      issue_dependencies_summary: {
        blocked_by: 0,
        total_blocked_by: 0,
        blocking: 0,
        total_blocking: 0,
      },
      body: issue.body,
      closed_by: issue.closedBy ? this.user(issue.closedBy) : null,
      reactions: this.reactionRollup(`${api}/reactions`, issue.reactions),
      timeline_url: `${api}/timeline`,
      performed_via_github_app: issue.viaApp ? this.app(issue.viaApp) : null,
      state_reason: issue.stateReason,
    };
    if (issue.pull) {
      json.draft = issue.pull.draft;
      json.pull_request = {
        url: `${this.repoApi(repo)}/pulls/${issue.number}`,
        html_url: html,
        diff_url: `${html}.diff`,
        patch_url: `${html}.patch`,
        merged_at: issue.pull.mergedAt,
      };
    }
    return json;
  }

  comment(comment: CommentRec): Json {
    const repo = comment.repo;
    const issue = repo.issues.get(comment.issueNumber);
    const api = `${this.repoApi(repo)}/issues/comments/${comment.id}`;
    return {
      url: api,
      html_url: `${this.repoHtml(repo)}/${issue?.pull ? "pull" : "issues"}/${comment.issueNumber}#issuecomment-${comment.id}`,
      issue_url: `${this.repoApi(repo)}/issues/${comment.issueNumber}`,
      id: comment.id,
      node_id: comment.nodeId,
      user: this.user(comment.user),
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      author_association: this.state.authorAssociation(repo, comment.user),
      body: comment.body,
      reactions: this.reactionRollup(`${api}/reactions`, comment.reactions),
      // The app whose installation token made the comment; null for people.
      // https://docs.github.com/en/rest/issues/comments#list-issue-comments
      performed_via_github_app: comment.viaApp ? this.app(comment.viaApp) : null,
    };
  }

  private branchEnd(repo: RepoRec, ref: string, sha: string): Json {
    return {
      label: `${repo.owner.login}:${ref}`,
      ref,
      sha,
      user: this.user(repo.owner),
      repo: this.repo(repo),
    };
  }

  pullStats(issue: IssueRec & { pull: PullRec }): { commits: number; changes: FileChange[] } {
    const { repo, pull } = issue;
    const git = repo.git;
    const head = pull.merged
      ? pull.headSha
      : (this.state.branchSha(repo, pull.headRef) ?? pull.headSha);
    const base = pull.merged
      ? pull.baseSha
      : (this.state.branchSha(repo, pull.baseRef) ?? pull.baseSha);
    const mergeBase = git.mergeBase(base, head);
    const commits = git.commitsBetween(mergeBase ?? base, head).length;
    const baseTree = mergeBase ? git.readCommit(mergeBase).tree : undefined;
    return { commits, changes: git.diffTrees(baseTree, git.readCommit(head).tree) };
  }

  /** False when merging would conflict (file-level three-way merge). */
  mergeable(issue: IssueRec & { pull: PullRec }): boolean {
    const { repo, pull } = issue;
    const head = this.state.branchSha(repo, pull.headRef);
    const base = this.state.branchSha(repo, pull.baseRef);
    if (!head || !base) return false;
    const git = repo.git;
    const mergeBase = git.mergeBase(base, head);
    try {
      git.mergeTrees(
        mergeBase ? git.readCommit(mergeBase).tree : undefined,
        git.readCommit(base).tree,
        git.readCommit(head).tree,
      );
      return true;
    } catch {
      return false;
    }
  }

  pull(issue: IssueRec & { pull: PullRec }): Json {
    const { repo, pull } = issue;
    const api = `${this.repoApi(repo)}/pulls/${issue.number}`;
    const html = `${this.repoHtml(repo)}/pull/${issue.number}`;
    const issueApi = `${this.repoApi(repo)}/issues/${issue.number}`;
    const headSha =
      issue.state === "open"
        ? (this.state.branchSha(repo, pull.headRef) ?? pull.headSha)
        : pull.headSha;
    const baseSha =
      issue.state === "open"
        ? (this.state.branchSha(repo, pull.baseRef) ?? pull.baseSha)
        : pull.baseSha;
    const stats = this.pullStats(issue);
    const statuses = `${this.repoApi(repo)}/statuses/${headSha}`;
    return {
      url: api,
      id: pull.id,
      node_id: pull.nodeId,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: issueApi,
      number: issue.number,
      state: issue.state,
      locked: issue.locked,
      title: issue.title,
      user: this.user(issue.user),
      body: issue.body,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      merged_at: pull.mergedAt,
      merge_commit_sha: pull.mergeCommitSha,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      labels: issue.labels.map((l) => this.label(repo, l)),
      milestone: null,
      draft: pull.draft,
      commits_url: `${api}/commits`,
      review_comments_url: `${api}/comments`,
      review_comment_url: `${this.repoApi(repo)}/pulls/comments{/number}`,
      comments_url: `${issueApi}/comments`,
      statuses_url: statuses,
      head: this.branchEnd(repo, pull.headRef, headSha),
      base: this.branchEnd(repo, pull.baseRef, baseSha),
      _links: {
        self: { href: api },
        html: { href: html },
        issue: { href: issueApi },
        comments: { href: `${issueApi}/comments` },
        review_comments: { href: `${api}/comments` },
        review_comment: { href: `${this.repoApi(repo)}/pulls/comments{/number}` },
        commits: { href: `${api}/commits` },
        statuses: { href: statuses },
      },
      author_association: this.state.authorAssociation(repo, issue.user),
      auto_merge: null,
      active_lock_reason: null,
      merged: pull.merged,
      mergeable: issue.state === "open" ? this.mergeable(issue) : null,
      rebaseable: issue.state === "open" ? true : null,
      mergeable_state:
        issue.state !== "open"
          ? "unknown"
          : pull.draft
            ? "draft"
            : this.mergeable(issue)
              ? "clean"
              : "dirty",
      merged_by: pull.mergedBy ? this.user(pull.mergedBy) : null,
      comments: issue.comments.length,
      review_comments: pull.reviewComments.length,
      maintainer_can_modify: pull.maintainerCanModify,
      commits: stats.commits,
      additions: stats.changes.reduce((n, c) => n + c.additions, 0),
      deletions: stats.changes.reduce((n, c) => n + c.deletions, 0),
      changed_files: stats.changes.length,
    };
  }

  review(issue: IssueRec & { pull: PullRec }, review: ReviewRec, webhook = false): Json {
    const api = `${this.repoApi(issue.repo)}/pulls/${issue.number}`;
    const html = `${this.repoHtml(issue.repo)}/pull/${issue.number}#pullrequestreview-${review.id}`;
    return {
      id: review.id,
      node_id: review.nodeId,
      user: this.user(review.user),
      body: review.body,
      state: webhook ? review.state.toLowerCase() : review.state,
      html_url: html,
      pull_request_url: api,
      author_association: this.state.authorAssociation(issue.repo, review.user),
      _links: { html: { href: html }, pull_request: { href: api } },
      submitted_at: review.submittedAt,
      commit_id: review.commitId,
    };
  }

  reviewComment(issue: IssueRec & { pull: PullRec }, comment: ReviewCommentRec): Json {
    const repoApi = this.repoApi(issue.repo);
    const api = `${repoApi}/pulls/comments/${comment.id}`;
    const html = `${this.repoHtml(issue.repo)}/pull/${issue.number}#discussion_r${comment.id}`;
    const pullApi = `${repoApi}/pulls/${issue.number}`;
    return {
      url: api,
      pull_request_review_id: comment.reviewId,
      id: comment.id,
      node_id: comment.nodeId,
      diff_hunk: `@@ -${comment.line},1 +${comment.line},1 @@`,
      path: comment.path,
      position: comment.line,
      original_position: comment.line,
      commit_id: comment.commitId,
      original_commit_id: comment.commitId,
      user: this.user(comment.user),
      body: comment.body,
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      html_url: html,
      pull_request_url: pullApi,
      author_association: this.state.authorAssociation(issue.repo, comment.user),
      _links: { self: { href: api }, html: { href: html }, pull_request: { href: pullApi } },
      reactions: this.reactionRollup(`${api}/reactions`, []),
      start_line: null,
      original_start_line: null,
      start_side: null,
      line: comment.line,
      original_line: comment.line,
      side: "RIGHT",
      subject_type: "line",
    };
  }

  private suitePulls(repo: RepoRec, headSha: string): Json[] {
    const result: Json[] = [];
    for (const issue of repo.issues.values()) {
      const pull = issue.pull;
      if (!pull || issue.state !== "open") continue;
      const head = this.state.branchSha(repo, pull.headRef) ?? pull.headSha;
      if (head !== headSha) continue;
      const end = (ref: string, sha: string) => ({
        ref,
        sha,
        repo: { id: repo.id, url: this.repoApi(repo), name: repo.name },
      });
      result.push({
        url: `${this.repoApi(repo)}/pulls/${issue.number}`,
        id: pull.id,
        number: issue.number,
        head: end(pull.headRef, head),
        base: end(pull.baseRef, this.state.branchSha(repo, pull.baseRef) ?? pull.baseSha),
      });
    }
    return result;
  }

  checkSuite(suite: CheckSuiteRec, options: { withRepository?: boolean } = {}): Json {
    const { status, conclusion } = this.state.suiteStatus(suite);
    const api = `${this.repoApi(suite.repo)}/check-suites/${suite.id}`;
    const runs = this.state.suiteRuns(suite);
    const commit = suite.repo.git.readCommit(suite.headSha);
    const json: Json = {
      id: suite.id,
      node_id: suite.nodeId,
      head_branch: suite.headBranch,
      head_sha: suite.headSha,
      status,
      conclusion,
      url: api,
      before: commit.parents[0] ?? "0000000000000000000000000000000000000000",
      after: suite.headSha,
      pull_requests: this.suitePulls(suite.repo, suite.headSha),
      app: this.app(suite.app),
      created_at: suite.createdAt,
      updated_at: suite.updatedAt,
      rerequestable: true,
      runs_rerequestable: true,
      latest_check_runs_count: runs.length,
      check_runs_url: `${api}/check-runs`,
      head_commit: {
        id: suite.headSha,
        tree_id: commit.tree,
        message: commit.message,
        timestamp: commit.committer.date,
        author: { name: commit.author.name, email: commit.author.email },
        committer: { name: commit.committer.name, email: commit.committer.email },
      },
    };
    if (options.withRepository !== false) json.repository = this.repo(suite.repo);
    return json;
  }

  checkRun(run: CheckRunRec): Json {
    const api = `${this.repoApi(run.repo)}/check-runs/${run.id}`;
    return {
      id: run.id,
      name: run.name,
      node_id: run.nodeId,
      head_sha: run.headSha,
      external_id: run.externalId,
      url: api,
      html_url: `${this.repoHtml(run.repo)}/runs/${run.id}`,
      details_url: run.detailsUrl ?? `${this.urls.web}/apps/${run.app.slug}`,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.startedAt,
      completed_at: run.completedAt,
      output: {
        title: run.output.title,
        summary: run.output.summary,
        text: run.output.text,
        annotations_count: run.annotations.length,
        annotations_url: `${api}/annotations`,
      },
      check_suite: { id: run.suite.id },
      app: this.app(run.app),
      pull_requests: this.suitePulls(run.repo, run.headSha),
      actions: run.actions,
    };
  }

  /** The check_run object as webhooks carry it (with a full check_suite). */
  checkRunForWebhook(run: CheckRunRec): Json {
    const suite = this.checkSuite(run.suite, { withRepository: false });
    return { ...this.checkRun(run), check_suite: suite };
  }

  annotation(run: CheckRunRec, index: number): Json {
    const a = run.annotations[index];
    if (!a) return {};
    return {
      ...a,
      blob_href: `${this.repoHtml(run.repo)}/blob/${run.headSha}/${a.path}`,
    };
  }

  verification(sha: string): Json {
    const verified = this.state.verifiedCommits.has(sha);
    return {
      verified,
      reason: verified ? "valid" : "unsigned",
      signature: null,
      payload: null,
      verified_at: null,
    };
  }

  gitIdentity(identity: { name: string; email: string; date: string }): Json {
    return { name: identity.name, email: identity.email, date: identity.date };
  }

  gitCommit(repo: RepoRec, sha: string): Json {
    const commit = repo.git.readCommit(sha);
    const api = this.repoApi(repo);
    return {
      sha,
      node_id: nodeId("Commit", Number.parseInt(sha.slice(0, 8), 16)),
      url: `${api}/git/commits/${sha}`,
      html_url: `${this.repoHtml(repo)}/commit/${sha}`,
      author: this.gitIdentity(commit.author),
      committer: this.gitIdentity(commit.committer),
      tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
      message: commit.message,
      parents: commit.parents.map((p) => ({
        sha: p,
        url: `${api}/git/commits/${p}`,
        html_url: `${this.repoHtml(repo)}/commit/${p}`,
      })),
      verification: this.verification(sha),
    };
  }

  /** The "commit" object of GET /repos/{o}/{r}/commits/{ref} and compare. */
  commit(repo: RepoRec, sha: string, options: { files?: boolean } = {}): Json {
    const git: GitStore = repo.git;
    const commit = git.readCommit(sha);
    const api = this.repoApi(repo);
    const userFor = (email: string) => {
      const match = /^\d+\+(.+)@users\.noreply\./.exec(email);
      const login = match?.[1];
      const user = login ? this.state.users.get(login.toLowerCase()) : undefined;
      return user ? this.user(user) : null;
    };
    const json: Json = {
      url: `${api}/commits/${sha}`,
      sha,
      node_id: nodeId("Commit", Number.parseInt(sha.slice(0, 8), 16)),
      html_url: `${this.repoHtml(repo)}/commit/${sha}`,
      comments_url: `${api}/commits/${sha}/comments`,
      commit: {
        url: `${api}/git/commits/${sha}`,
        author: this.gitIdentity(commit.author),
        committer: this.gitIdentity(commit.committer),
        message: commit.message,
        tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
        comment_count: 0,
        verification: this.verification(sha),
      },
      author: userFor(commit.author.email),
      committer: userFor(commit.committer.email),
      parents: commit.parents.map((p) => ({
        sha: p,
        url: `${api}/commits/${p}`,
        html_url: `${this.repoHtml(repo)}/commit/${p}`,
      })),
    };
    if (options.files) {
      const parent = commit.parents[0];
      const changes = git.diffTrees(parent ? git.readCommit(parent).tree : undefined, commit.tree);
      json.files = changes.map((c) => this.diffEntry(repo, sha, c));
      const additions = changes.reduce((n, c) => n + c.additions, 0);
      const deletions = changes.reduce((n, c) => n + c.deletions, 0);
      json.stats = { total: additions + deletions, additions, deletions };
    }
    return json;
  }

  diffEntry(repo: RepoRec, sha: string, change: FileChange): Json {
    const path = change.filename.split("/").map(encodeURIComponent).join("/");
    const json: Json = {
      sha: change.sha ?? change.previousSha,
      filename: change.filename,
      status: change.status,
      additions: change.additions,
      deletions: change.deletions,
      changes: change.changes,
      blob_url: `${this.repoHtml(repo)}/blob/${sha}/${path}`,
      raw_url: `${this.repoHtml(repo)}/raw/${sha}/${path}`,
      contents_url: `${this.repoApi(repo)}/contents/${path}?ref=${sha}`,
    };
    if (change.patch !== undefined) json.patch = change.patch;
    return json;
  }
}
