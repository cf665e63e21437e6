// An in-memory fake of GitHub's REST API (plus a little GraphQL) served over HTTP on 127.0.0.1,
// faithful enough for the real Octokit / Probot to talk to it unmodified:
//
//   const fake = await startGitHubFake();
//   fake.addInstallation({ id: 1, account: "acme" });
//   fake.addRepo({ installationId: 1, owner: "acme", name: "widgets", files: { "README.md": "hi\n" } });
//   const probot = new Probot({ appId: fake.appId, privateKey: fake.privateKey, secret: "s", baseUrl: fake.baseUrl, ... });
//   await probot.receive(fake.openIssue({ owner: "acme", repo: "widgets", author: "alice", title: "t", body: "b" }));
//   expect(fake.comments("acme", "widgets", 1)).toHaveLength(1);
//
// Or point a whole process at it with GHE_HOST=fake.host and GHE_PROTOCOL=http.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { EmitterWebhookEventName } from "@octokit/webhooks";
import { appKeys } from "./auth.ts";
import type { GitIdentity } from "./git.ts";
import { handleGraphqlRequest } from "./graphql.ts";
import type { HookDeliveryRec } from "./hooks.ts";
import type { FaultSpec, LedgerEntry, RequestRecord, Violation } from "./ledger.ts";
import type { Manifest } from "./manifests.ts";
import { handleOAuthRequest } from "./oauth.ts";
import type { OrgRole } from "./oauth-state.ts";
import { JOB_LOG_PREFIX, jobLogDownload, registerCheckRoutes } from "./routes-checks.ts";
import { codeload, registerGitRoutes } from "./routes-git.ts";
import { registerHookRoutes } from "./routes-hooks.ts";
import { registerIssueRoutes } from "./routes-issues.ts";
import { registerManifestRoutes } from "./routes-manifests.ts";
import { registerPullRoutes } from "./routes-pulls.ts";
import { registerUserRoutes } from "./routes-user.ts";
import { type ExtraHandlers, FakeCore, handleRequest, RouteTable } from "./server.ts";
import { Shapes, type Urls } from "./shapes.ts";
import {
  type AnnotationRec,
  type CheckActionRec,
  type CheckConclusion,
  FakeState,
  type IssueRec,
  type MergeMethod,
  type Permission,
  type PullRec,
  type RepoRec,
  type UserType,
} from "./state.ts";
import { type FakeWebhook, makeWebhook } from "./webhooks.ts";

export type { HookDeliveryRec, WebhookConfigRec } from "./hooks.ts";
export type { FaultSpec, LedgerEntry, RequestRecord, Violation } from "./ledger.ts";
export type { OrgRole } from "./oauth-state.ts";
export { validateWebhookPayload } from "./openapi.ts";
export type { Permission, UserType } from "./state.ts";
export { type DeliverOptions, deliver, type FakeWebhook, signWebhook } from "./webhooks.ts";

export interface GitHubFakeOptions {
  /** The app's slug; API writes are authored by "<slug>[bot]". Default "build-practical". */
  slug?: string;
  /** Default: a random 6-digit id. */
  appId?: number;
  /** Also check the fake's own responses against GitHub's schemas (violations kind "response-mismatch"). */
  validateResponses?: boolean;
  /** Clock for timestamps and token expiry. */
  clock?: () => Date;
}

export interface CommentView {
  id: number;
  body: string;
  author: string;
  authorType: UserType;
  createdAt: string;
  updatedAt: string;
}

export interface IssueView {
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  stateReason: string | null;
  labels: string[];
  author: string;
  isPullRequest: boolean;
  comments: number;
}

export interface ReviewView {
  id: number;
  author: string;
  state: string;
  body: string;
  commitId: string;
  comments: { path: string; line: number; body: string }[];
}

export interface PullView extends IssueView {
  draft: boolean;
  merged: boolean;
  mergeCommitSha: string | null;
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  reviews: ReviewView[];
}

export interface CheckRunView {
  id: number;
  name: string;
  app: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  externalId: string;
  detailsUrl: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: AnnotationRec[];
  actions: CheckActionRec[];
  suiteId: number;
}

export interface CommitView {
  sha: string;
  message: string;
  author: GitIdentity;
  committer: GitIdentity;
  parents: string[];
  files: { path: string; status: "added" | "removed" | "modified" }[];
}

export interface RepoRef {
  owner: string;
  repo: string;
}

/** One job of a played GitHub Actions workflow: its check run's result and its log. */
export interface ActionsJob {
  name: string;
  conclusion: CheckConclusion;
  /** The job's log as the runner wrote it (the cause of a failure is usually only here). */
  log: string;
}

/** What the workflow does on a pushed commit; null: the workflow does not run on it. */
export type ActionsWorkflow = (commit: {
  sha: string;
  branch: string;
  files: Record<string, string>;
}) => ActionsJob[] | null;

export interface GitHubFake {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** http://127.0.0.1:PORT/api/v3 (Probot's `baseUrl`, Octokit's `baseUrl`) */
  readonly baseUrl: string;
  /** 127.0.0.1:PORT (for GHE_HOST, with GHE_PROTOCOL=http) */
  readonly host: string;
  readonly appId: number;
  readonly appSlug: string;
  /** PEM (PKCS#1) private key of the app. */
  readonly privateKey: string;
  readonly ledger: readonly LedgerEntry[];
  readonly requestLog: readonly RequestRecord[];
  readonly violations: readonly Violation[];
  close(): Promise<void>;
}

/** One running fake: setup helpers, user actions (returning webhooks) and inspection helpers. */
export class GitHubFakeServer implements GitHubFake {
  readonly url: string;
  readonly baseUrl: string;
  readonly host: string;
  readonly appId: number;
  readonly appSlug: string;
  readonly privateKey: string;
  private readonly core: FakeCore;
  private readonly server: Server;
  private readonly playing = new Set<Promise<unknown>>();

  constructor(init: { core: FakeCore; server: Server; privateKey: string }) {
    this.core = init.core;
    this.server = init.server;
    this.url = init.core.urls.web;
    this.baseUrl = init.core.urls.api;
    this.host = new URL(this.url).host;
    this.appId = init.core.state.app.id;
    this.appSlug = init.core.state.app.slug;
    this.privateKey = init.privateKey;
  }

  get ledger(): readonly LedgerEntry[] {
    return this.core.ledger;
  }

  get requestLog(): readonly RequestRecord[] {
    return this.core.requestLog;
  }

  get violations(): readonly Violation[] {
    return this.core.violations;
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    });
  }

  // ---- setup -------------------------------------------------------------------------------------

  addInstallation(input: {
    id: number;
    account: string;
    accountType?: "User" | "Organization";
  }): void {
    this.core.state.addInstallation(input.id, input.account, input.accountType);
  }

  /** Creates a repository with one initial commit holding `files`; returns that commit's sha. */
  /** Makes GitHub cut this repository's recursive trees short after `limit` entries. */
  setTreeLimit(owner: string, repo: string, limit: number): void {
    this.repo(owner, repo).treeLimit = limit;
  }

  addRepo(input: {
    installationId: number;
    owner: string;
    name: string;
    defaultBranch?: string;
    files?: Record<string, string>;
    description?: string;
  }): string {
    const repo = this.core.state.addRepo(input);
    return this.core.state.branchSha(repo, repo.defaultBranch) ?? "";
  }

  /** Sets a collaborator's role. Users never given one have "read" (every fake repo is public). */
  setPermission(owner: string, repo: string, login: string, permission: Permission): void {
    this.core.state.setPermission(this.repo(owner, repo), login, permission);
  }

  addUser(login: string, options: { type?: UserType; name?: string } = {}): void {
    const user = this.core.state.addUser(login, options.type ?? "User");
    if (options.name !== undefined) user.name = options.name;
  }

  /** Invalidates every installation token (the next API call with one gets 401). */
  expireTokens(): void {
    this.core.state.expireTokens();
  }

  injectFault(fault: FaultSpec): void {
    this.core.injectFault(fault);
  }

  clearFaults(): void {
    this.core.faults.length = 0;
  }

  // ---- signing in with GitHub (the app's user authorization) -------------------------------------

  /** The app's OAuth client id (`Iv1.…`), as GitHub shows on the app's settings page. */
  get clientId(): string {
    return this.core.state.oauth.clientId;
  }

  get clientSecret(): string {
    return this.core.state.oauth.clientSecret;
  }

  /** Registers a callback URL; once any is registered, redirect_uri must match one. */
  addCallbackUrl(url: string): void {
    this.core.state.oauth.callbackUrls.push(url);
  }

  /** Who the browser is signed in to GitHub as (pre-filled on the consent page); null for nobody. */
  signInAs(login: string | null): void {
    if (login !== null) this.core.state.user(login);
    this.core.state.oauth.browserUser = login;
  }

  /** A user access token (ghu_…) as the web flow would give, for tests that skip the browser. */
  createUserToken(login: string): string {
    this.core.state.user(login);
    return this.core.state.oauth.issueToken(login, this.core.state.nowMs()).token;
  }

  /** Makes a user a member (or owner: "admin") of an organisation; null removes them. */
  setOrgRole(org: string, login: string, role: OrgRole | null): void {
    this.core.state.addUser(org, "Organization");
    this.core.state.user(login);
    this.core.state.oauth.setMembership(org, login, role);
  }

  /** Grants the app a permission, e.g. ("members", "read") to read organisation memberships. */
  grantAppPermission(name: string, level: "read" | "write"): void {
    this.core.state.app.permissions[name] = level;
  }

  /**
   * What an installation has accepted, when it lags behind what the app asks: GitHub keeps an
   * installation on its old permissions and events until an owner accepts the new ones.
   */
  setInstallationGrants(
    id: number,
    granted: { permissions: Record<string, string>; events: string[] },
  ): void {
    this.core.state.installation(id).granted = structuredClone(granted);
  }

  // ---- the app's webhook (configuration, deliveries, redelivery) ----------------------------------

  /**
   * The owner submits the app's manifest on GitHub ("Create GitHub App"): GitHub checks it and
   * returns the one-time code it redirects to the manifest's `redirect_url` with. Throws with
   * GitHub's words when it refuses the manifest.
   */
  submitManifest(manifest: Manifest): string {
    return this.core.state.manifests.submit(manifest);
  }

  /** The app's webhook settings, as its owner sets them on GitHub (PATCH /app/hook/config does too). */
  setWebhookConfig(config: {
    url?: string | null;
    secret?: string | null;
    contentType?: string;
    insecureSsl?: "0" | "1";
  }): void {
    Object.assign(this.core.state.hooks.config, config);
  }

  /**
   * Delivers a webhook as GitHub does: signed with the configured secret, POSTed to the
   * configured URL, the attempt recorded (failed when the app is unreachable, slow or not 2xx).
   */
  sendWebhook(
    webhook: { id: string; name: string; payload: unknown },
    headers?: Record<string, string>,
  ): Promise<HookDeliveryRec> {
    return this.core.state.hooks.send(this.core.state, webhook, headers ? { headers } : {});
  }

  /** Every delivery attempt so far, oldest first. */
  get hookDeliveries(): readonly HookDeliveryRec[] {
    return this.core.state.hooks.deliveries;
  }

  /** Waits for the redeliveries asked for so far to have been attempted. */
  async settleDeliveries(): Promise<void> {
    while (this.core.state.hooks.inFlight.size > 0) {
      await Promise.allSettled([...this.core.state.hooks.inFlight]);
    }
  }

  /**
   * What GitHub sends on its own (a played CI's check runs and suites) goes to the app's
   * webhook like every delivery; with no webhook URL set it goes nowhere.
   */
  #deliverOwn(webhook: FakeWebhook): Promise<unknown> | undefined {
    return this.core.state.hooks.config.url ? this.sendWebhook(webhook) : undefined;
  }

  /** Takes away one of the app's permissions (e.g. `actions`, to read job logs). */
  revokeAppPermission(name: string): void {
    delete this.core.state.app.permissions[name];
  }

  /**
   * Plays GitHub Actions on a repository: on every push to a branch other than the default one,
   * the `github-actions` app gets a check suite on the pushed commit with one check run per job
   * (queued, then in progress); a moment later each job completes with `workflow`'s conclusion,
   * its log is kept behind the logs route, and the app's webhook receives `check_run.completed` for each
   * job and then `check_suite.completed`. A failed job carries only Actions' own annotation,
   * "Process completed with exit code 1.": the cause is in the log.
   * https://docs.github.com/en/rest/guides/using-the-rest-api-to-interact-with-checks
   * https://docs.github.com/en/webhooks/webhook-events-and-payloads#check_run
   */
  playActions(input: RepoRef & { workflow: ActionsWorkflow; delayMs?: number }): void {
    const { state } = this.core;
    const target = this.repo(input.owner, input.repo);
    state.pushListeners.push((repo, branch, sha) => {
      if (repo !== target || branch === repo.defaultBranch) return;
      const jobs = input.workflow({ sha, branch, files: this.files(input.owner, input.repo, sha) });
      if (!jobs || jobs.length === 0) return;
      const app = state.createApp("github-actions");
      const runs = jobs.map((job) =>
        state.createCheckRun(repo, app, { name: job.name, head_sha: sha, status: "in_progress" }),
      );
      for (const run of runs) {
        run.detailsUrl = `${this.url}/${repo.owner.login}/${repo.name}/actions/runs/${run.suite.id}/job/${run.id}`;
      }
      const done = new Promise((resolve) => setTimeout(resolve, input.delayMs ?? 50)).then(
        async () => {
          for (const [i, job] of jobs.entries()) {
            const run = runs[i];
            if (!run) continue;
            state.jobLogs.set(run.id, job.log);
            const failed = job.conclusion !== "success" && job.conclusion !== "skipped";
            state.updateCheckRun(run, app, {
              conclusion: job.conclusion,
              output: {
                title: "",
                summary: "",
                ...(failed
                  ? {
                      annotations: [
                        {
                          path: ".github",
                          start_line: 1,
                          end_line: 1,
                          annotation_level: "failure",
                          message: "Process completed with exit code 1.",
                        },
                      ],
                    }
                  : {}),
              },
            });
            await this.#deliverOwn(
              this.event<"check_run.completed">(
                "check_run",
                { action: "completed", check_run: this.core.shapes.checkRunForWebhook(run) },
                repo,
                app.bot.login,
              ),
            );
          }
          const suite = runs[0]?.suite;
          if (!suite) return;
          await this.#deliverOwn(
            this.event<"check_suite.completed">(
              "check_suite",
              {
                action: "completed",
                check_suite: this.core.shapes.checkSuite(suite, { withRepository: false }),
              },
              repo,
              app.bot.login,
            ),
          );
        },
      );
      const tracked = done.catch(() => {}).finally(() => this.playing.delete(tracked));
      this.playing.add(tracked);
    });
  }

  /** Waits until every played CI run so far has reported. */
  async ciSettled(): Promise<void> {
    while (this.playing.size > 0) await Promise.all([...this.playing]);
  }

  /**
   * Another CI reports a commit status (`creator` is who reported it); returns the `status`
   * webhook, which lists the branches whose head is the commit.
   * https://docs.github.com/en/webhooks/webhook-events-and-payloads#status
   */
  reportStatus(
    input: RepoRef & {
      sha: string;
      context: string;
      state: "error" | "failure" | "pending" | "success";
      description?: string;
      targetUrl?: string;
      creator?: string;
    },
  ): FakeWebhook<"status"> {
    const { state } = this.core;
    const repo = this.repo(input.owner, input.repo);
    const creator = state.user(input.creator ?? "ci-bot");
    const now = state.now();
    const status = {
      id: state.nextId(),
      repo,
      sha: input.sha,
      context: input.context,
      state: input.state,
      description: input.description ?? null,
      targetUrl: input.targetUrl ?? null,
      creator,
      createdAt: now,
      updatedAt: now,
    };
    state.statuses.push(status);
    const commit = repo.git.readCommit(input.sha);
    const branches = [...repo.refs.entries()]
      .filter(([ref, sha]) => ref.startsWith("refs/heads/") && sha === input.sha)
      .map(([ref]) => ({
        name: ref.slice("refs/heads/".length),
        commit: {
          sha: input.sha,
          url: `${this.baseUrl}/repos/${repo.owner.login}/${repo.name}/commits/${input.sha}`,
        },
        protected: false,
      }));
    return this.event<"status">(
      "status",
      {
        id: status.id,
        sha: input.sha,
        name: `${repo.owner.login}/${repo.name}`,
        target_url: status.targetUrl,
        context: status.context,
        description: status.description,
        state: status.state,
        commit: {
          sha: input.sha,
          node_id: Buffer.from(`Commit:${input.sha}`).toString("base64"),
          commit: { message: commit.message, tree: { sha: commit.tree } },
        },
        branches,
        created_at: now,
        updated_at: now,
      },
      repo,
      creator.login,
    );
  }

  // ---- user actions (change state, return the webhook GitHub would send) ---------------------------

  /** Someone uninstalls the app: its tokens stop working and GitHub sends installation.deleted. */
  deleteInstallation(input: { id: number; by: string }): FakeWebhook<"installation.deleted"> {
    const { state, shapes } = this.core;
    const installation = state.installation(input.id);
    const repos = [...state.repos.values()].filter((r) => r.installationId === installation.id);
    const payload = {
      action: "deleted",
      installation: shapes.installation(installation),
      repositories: repos.map((r) => ({
        id: r.id,
        node_id: r.nodeId,
        name: r.name,
        full_name: `${r.owner.login}/${r.name}`,
        private: false,
      })),
      requester: null,
      sender: shapes.user(state.user(input.by)),
    };
    state.installations.delete(installation.id);
    for (const [token, record] of state.tokens) {
      if (record.installationId === installation.id) state.tokens.delete(token);
    }
    return makeWebhook<"installation.deleted">("installation", payload);
  }

  openIssue(
    input: RepoRef & { author: string; title: string; body?: string; labels?: string[] },
  ): FakeWebhook<"issues.opened"> {
    const { state } = this.core;
    const repo = this.repo(input.owner, input.repo);
    const author = state.user(input.author);
    const issue = state.createIssue(repo, {
      author,
      title: input.title,
      body: input.body ?? null,
      labels: input.labels ?? [],
    });
    return this.event<"issues.opened">(
      "issues",
      { action: "opened", issue: this.core.shapes.issue(issue) },
      repo,
      author.login,
    );
  }

  closeIssue(
    input: RepoRef & { number: number; by: string; reason?: "completed" | "not_planned" },
  ): FakeWebhook<"issues.closed"> {
    const { state } = this.core;
    const repo = this.repo(input.owner, input.repo);
    const issue = state.issue(repo, input.number);
    state.closeIssue(issue, state.user(input.by), input.reason ?? "completed");
    return this.event<"issues.closed">(
      "issues",
      { action: "closed", issue: this.core.shapes.issue(issue) },
      repo,
      input.by,
    );
  }

  /** issues.labeled (pull_request.labeled when the number is a pull request, as GitHub does). */
  labelIssue(
    input: RepoRef & { number: number; label: string; by: string },
  ): FakeWebhook<"issues.labeled" | "pull_request.labeled"> {
    const { state, shapes } = this.core;
    const repo = this.repo(input.owner, input.repo);
    const issue = state.issue(repo, input.number);
    state.addLabelToIssue(issue, input.label);
    const label = state.ensureLabel(repo, input.label);
    return this.issueOrPullEvent<"issues.labeled" | "pull_request.labeled">(
      issue,
      "labeled",
      { label: shapes.label(repo, label) },
      input.by,
    );
  }

  unlabelIssue(
    input: RepoRef & { number: number; label: string; by: string },
  ): FakeWebhook<"issues.unlabeled" | "pull_request.unlabeled"> {
    const { state, shapes } = this.core;
    const repo = this.repo(input.owner, input.repo);
    const issue = state.issue(repo, input.number);
    const label = state.removeLabelFromIssue(issue, input.label);
    return this.issueOrPullEvent<"issues.unlabeled" | "pull_request.unlabeled">(
      issue,
      "unlabeled",
      { label: shapes.label(repo, label) },
      input.by,
    );
  }

  /** A comment on an issue or a pull request (issue.pull_request is present for PRs). */
  comment(
    input: RepoRef & { number: number; author: string; body: string },
  ): FakeWebhook<"issue_comment.created"> {
    const { state, shapes } = this.core;
    const repo = this.repo(input.owner, input.repo);
    const issue = state.issue(repo, input.number);
    const comment = state.createComment(issue, state.user(input.author), input.body);
    return this.event<"issue_comment.created">(
      "issue_comment",
      { action: "created", issue: shapes.issue(issue), comment: shapes.comment(comment) },
      repo,
      input.author,
    );
  }

  editComment(
    input: RepoRef & { commentId: number; body: string; by?: string },
  ): FakeWebhook<"issue_comment.edited"> {
    const { state, shapes } = this.core;
    const repo = this.repo(input.owner, input.repo);
    const comment = state.comment(repo, input.commentId);
    const from = comment.body;
    state.updateComment(comment, input.body);
    const issue = state.issue(repo, comment.issueNumber);
    return this.event<"issue_comment.edited">(
      "issue_comment",
      {
        action: "edited",
        changes: { body: { from } },
        issue: shapes.issue(issue),
        comment: shapes.comment(comment),
      },
      repo,
      input.by ?? comment.user.login,
    );
  }

  /** A pull request opened by a person (from a branch of the same repository). */
  openPullRequest(
    input: RepoRef & {
      head: string;
      base?: string;
      title: string;
      body?: string;
      author: string;
      draft?: boolean;
    },
  ): FakeWebhook<"pull_request.opened"> {
    const { state, shapes } = this.core;
    const repo = this.repo(input.owner, input.repo);
    const issue = state.createPull(repo, {
      author: state.user(input.author),
      title: input.title,
      body: input.body ?? null,
      head: input.head,
      base: input.base ?? repo.defaultBranch,
      draft: input.draft ?? false,
    });
    return this.event<"pull_request.opened">(
      "pull_request",
      { action: "opened", number: issue.number, pull_request: shapes.pull(issue) },
      repo,
      input.author,
    );
  }

  submitReview(
    input: RepoRef & {
      number: number;
      author: string;
      state: "changes_requested" | "approved" | "commented";
      body: string;
      comments?: { path: string; line: number; body: string }[];
    },
  ): FakeWebhook<"pull_request_review.submitted"> {
    const { state, shapes } = this.core;
    const repo = this.repo(input.owner, input.repo);
    const issue = state.pullIssue(repo, input.number);
    const review = state.submitReview(issue, {
      author: state.user(input.author),
      state: input.state.toUpperCase() as "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED",
      body: input.body,
      comments: input.comments ?? [],
    });
    return this.event<"pull_request_review.submitted">(
      "pull_request_review",
      {
        action: "submitted",
        review: shapes.review(issue, review, true),
        pull_request: shapes.pull(issue),
      },
      repo,
      input.author,
    );
  }

  /** Really merges (a merge commit by default) and moves the base branch. */
  mergePullRequest(
    input: RepoRef & { number: number; by: string; method?: MergeMethod },
  ): FakeWebhook<"pull_request.closed"> {
    const { state, shapes } = this.core;
    const repo = this.repo(input.owner, input.repo);
    const issue = state.pullIssue(repo, input.number);
    state.mergePull(issue, state.user(input.by), { method: input.method ?? "merge" });
    return this.event<"pull_request.closed">(
      "pull_request",
      { action: "closed", number: issue.number, pull_request: shapes.pull(issue) },
      repo,
      input.by,
    );
  }

  closePullRequest(
    input: RepoRef & { number: number; by: string },
  ): FakeWebhook<"pull_request.closed"> {
    const { state, shapes } = this.core;
    const repo = this.repo(input.owner, input.repo);
    const issue = state.pullIssue(repo, input.number);
    state.closePull(issue, state.user(input.by));
    return this.event<"pull_request.closed">(
      "pull_request",
      { action: "closed", number: issue.number, pull_request: shapes.pull(issue) },
      repo,
      input.by,
    );
  }

  /** Another app (default slug "ci") reports a finished check suite with its runs. */
  completeCheckSuite(
    input: RepoRef & {
      headSha: string;
      conclusion: CheckConclusion;
      checkRuns: {
        name: string;
        conclusion: CheckConclusion;
        annotations?: Partial<AnnotationRec>[];
        summary?: string;
      }[];
      appSlug?: string;
    },
  ): FakeWebhook<"check_suite.completed"> {
    const { state, shapes } = this.core;
    const repo = this.repo(input.owner, input.repo);
    const app = state.createApp(input.appSlug ?? "ci");
    const suite = state.ensureSuite(repo, app, input.headSha);
    for (const run of input.checkRuns) {
      state.createCheckRun(repo, app, {
        name: run.name,
        head_sha: input.headSha,
        status: "completed",
        conclusion: run.conclusion,
        output: { title: run.name, summary: run.summary ?? "", annotations: run.annotations ?? [] },
      });
    }
    suite.conclusionOverride = input.conclusion;
    suite.updatedAt = state.now();
    return this.event<"check_suite.completed">(
      "check_suite",
      { action: "completed", check_suite: shapes.checkSuite(suite, { withRepository: false }) },
      repo,
      app.bot.login,
    );
  }

  /**
   * Someone clicks "Re-run all checks" on the fake app's suite for `headSha`. GitHub sends
   * `check_suite.rerequested` for the suite (not one event per run) and creates no runs itself.
   * https://docs.github.com/en/webhooks/webhook-events-and-payloads#check_suite
   */
  rerequestCheckSuite(
    input: RepoRef & { headSha: string; by: string },
  ): FakeWebhook<"check_suite.rerequested"> {
    const { state, shapes } = this.core;
    const repo = this.repo(input.owner, input.repo);
    const suite = state.ensureSuite(repo, state.app, input.headSha);
    return this.event<"check_suite.rerequested">(
      "check_suite",
      { action: "rerequested", check_suite: shapes.checkSuite(suite, { withRepository: false }) },
      repo,
      input.by,
    );
  }

  /** Someone clicks a check run's action button. */
  pressCheckRunAction(input: {
    checkRunId: number;
    identifier: string;
    by: string;
  }): FakeWebhook<"check_run.requested_action"> {
    const { state, shapes } = this.core;
    const run = state.checkRuns.get(input.checkRunId);
    if (!run) throw new Error(`No check run ${input.checkRunId}`);
    if (!run.actions.some((a) => a.identifier === input.identifier)) {
      throw new Error(`Check run ${input.checkRunId} has no action "${input.identifier}"`);
    }
    return this.event<"check_run.requested_action">(
      "check_run",
      {
        action: "requested_action",
        check_run: shapes.checkRunForWebhook(run),
        requested_action: { identifier: input.identifier },
      },
      run.repo,
      input.by,
    );
  }

  /**
   * Someone else pushes a commit (null deletes a file). A missing branch is created from the
   * default branch. Returns the new commit sha. No webhook.
   */
  pushCommit(
    input: RepoRef & {
      branch: string;
      files: Record<string, string | null>;
      author: string;
      message: string;
    },
  ): string {
    const { state } = this.core;
    const repo = this.repo(input.owner, input.repo);
    if (!state.branchSha(repo, input.branch)) {
      const base = state.branchSha(repo, repo.defaultBranch);
      if (base) state.setRef(repo, `refs/heads/${input.branch}`, base);
    }
    return state.commitFiles(
      repo,
      input.branch,
      input.files,
      input.message,
      state.identityOf(state.user(input.author)),
      {
        allowNewBranch: true,
      },
    );
  }

  // ---- inspection ---------------------------------------------------------------------------------

  /** Writes (non-GET requests that changed state), optionally for one route template. */
  writes(route?: string): LedgerEntry[] {
    return this.core.ledger.filter((entry) => route === undefined || entry.route === route);
  }

  countRequests(filter: { method?: string; route?: string } = {}): number {
    return this.core.requestLog.filter(
      (r) =>
        (filter.method === undefined || r.method === filter.method.toUpperCase()) &&
        (filter.route === undefined || r.route === filter.route),
    ).length;
  }

  comments(owner: string, repo: string, number: number): CommentView[] {
    return this.core.state.issue(this.repo(owner, repo), number).comments.map((c) => ({
      id: c.id,
      body: c.body,
      author: c.user.login,
      authorType: c.user.type,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
    }));
  }

  issue(owner: string, repo: string, number: number): IssueView {
    return this.issueView(this.core.state.issue(this.repo(owner, repo), number));
  }

  pull(owner: string, repo: string, number: number): PullView {
    const { state } = this.core;
    const issue = state.pullIssue(this.repo(owner, repo), number);
    const { pull } = issue;
    const open = issue.state === "open";
    return {
      ...this.issueView(issue),
      draft: pull.draft,
      merged: pull.merged,
      mergeCommitSha: pull.mergeCommitSha,
      head: {
        ref: pull.headRef,
        sha: open ? (state.branchSha(issue.repo, pull.headRef) ?? pull.headSha) : pull.headSha,
      },
      base: {
        ref: pull.baseRef,
        sha: open ? (state.branchSha(issue.repo, pull.baseRef) ?? pull.baseSha) : pull.baseSha,
      },
      reviews: pull.reviews.map((r) => reviewView(pull, r)),
    };
  }

  /** Pull requests of a repository (newest first), optionally only those from a head branch. */
  pulls(
    owner: string,
    repo: string,
    filter: { head?: string; state?: "open" | "closed" | "all" } = {},
  ): PullView[] {
    const record = this.repo(owner, repo);
    return [...record.issues.values()]
      .filter((i) => i.pull !== null)
      .filter((i) => (filter.state ?? "all") === "all" || i.state === filter.state)
      .filter((i) => filter.head === undefined || i.pull?.headRef === filter.head)
      .sort((a, b) => b.number - a.number)
      .map((i) => this.pull(owner, repo, i.number));
  }

  checkRuns(owner: string, repo: string, sha?: string): CheckRunView[] {
    const record = this.repo(owner, repo);
    return [...this.core.state.checkRuns.values()]
      .filter((run) => run.repo === record && (sha === undefined || run.headSha === sha))
      .map((run) => ({
        id: run.id,
        name: run.name,
        app: run.app.slug,
        headSha: run.headSha,
        status: run.status,
        conclusion: run.conclusion,
        externalId: run.externalId,
        detailsUrl: run.detailsUrl,
        output: { ...run.output },
        annotations: [...run.annotations],
        actions: [...run.actions],
        suiteId: run.suite.id,
      }));
  }

  /** First-parent history of a branch, newest first, with the files each commit changed. */
  branchCommits(owner: string, repo: string, branch: string): CommitView[] {
    const record = this.repo(owner, repo);
    const git = record.git;
    const result: CommitView[] = [];
    let sha = this.core.state.branchSha(record, branch);
    while (sha) {
      const commit = git.readCommit(sha);
      const parent = commit.parents[0];
      const files = git
        .diffTrees(parent ? git.readCommit(parent).tree : undefined, commit.tree)
        .map((c) => ({ path: c.filename, status: c.status }));
      result.push({
        sha,
        message: commit.message,
        author: commit.author,
        committer: commit.committer,
        parents: commit.parents,
        files,
      });
      sha = parent;
    }
    return result;
  }

  /** The sha a branch points at, or undefined. */
  branchSha(owner: string, repo: string, branch: string): string | undefined {
    return this.core.state.branchSha(this.repo(owner, repo), branch);
  }

  /** A file's text at a ref (branch, tag or sha), or undefined when absent. */
  readFile(owner: string, repo: string, ref: string, path: string): string | undefined {
    return this.core.state.readFile(this.repo(owner, repo), ref, path);
  }

  /** Every file at a ref: path → text. */
  files(owner: string, repo: string, ref: string): Record<string, string> {
    const record = this.repo(owner, repo);
    const sha = this.core.state.resolveRef(record, ref);
    if (!sha) return {};
    const out: Record<string, string> = {};
    for (const [path, entry] of record.git.flatten(record.git.readCommit(sha).tree)) {
      if (entry.type === "blob") out[path] = record.git.get(entry.sha, "blob").toString();
    }
    return out;
  }

  /** Reactions on a comment ({ commentId }) or on an issue/PR ({ number }). */
  reactions(
    owner: string,
    repo: string,
    target: { commentId: number } | { number: number },
  ): { content: string; user: string }[] {
    const record = this.repo(owner, repo);
    const list =
      "commentId" in target
        ? this.core.state.comment(record, target.commentId).reactions
        : this.core.state.issue(record, target.number).reactions;
    return list.map((r) => ({ content: r.content, user: r.user.login }));
  }

  /** Label names on an issue/PR, or the repository's labels when no number is given. */
  labels(owner: string, repo: string, number?: number): string[] {
    const record = this.repo(owner, repo);
    if (number === undefined) return [...record.labels.values()].map((l) => l.name);
    return this.core.state.issue(record, number).labels.map((l) => l.name);
  }

  // ---- internals -------------------------------------------------------------------------------------

  private repo(owner: string, name: string): RepoRec {
    const repo = this.core.state.repos.get(`${owner}/${name}`.toLowerCase());
    if (!repo) throw new Error(`The GitHub fake has no repository ${owner}/${name}`);
    return repo;
  }

  private issueView(issue: IssueRec): IssueView {
    return {
      number: issue.number,
      title: issue.title,
      body: issue.body,
      state: issue.state,
      stateReason: issue.stateReason,
      labels: issue.labels.map((l) => l.name),
      author: issue.user.login,
      isPullRequest: issue.pull !== null,
      comments: issue.comments.length,
    };
  }

  private issueOrPullEvent<N extends EmitterWebhookEventName>(
    issue: IssueRec,
    action: string,
    extra: Record<string, unknown>,
    by: string,
  ): FakeWebhook<N> {
    const { shapes } = this.core;
    if (issue.pull) {
      const pull = issue as IssueRec & { pull: PullRec };
      return this.event<N>(
        "pull_request",
        { action, number: issue.number, pull_request: shapes.pull(pull), ...extra },
        issue.repo,
        by,
      );
    }
    return this.event("issues", { action, issue: shapes.issue(issue), ...extra }, issue.repo, by);
  }

  private event<N extends EmitterWebhookEventName>(
    name: string,
    body: Record<string, unknown>,
    repo: RepoRec,
    sender: string,
  ): FakeWebhook<N> {
    const { state, shapes } = this.core;
    const installation = state.installation(repo.installationId);
    const payload: Record<string, unknown> = {
      ...body,
      repository: shapes.repo(repo),
      sender: shapes.user(state.user(sender)),
      installation: {
        id: installation.id,
        node_id: Buffer.from(`Installation:${installation.id}`).toString("base64"),
      },
    };
    if (repo.owner.type === "Organization") {
      const org = repo.owner;
      payload.organization = {
        login: org.login,
        id: org.id,
        node_id: org.nodeId,
        url: `${this.baseUrl}/orgs/${org.login}`,
        repos_url: `${this.baseUrl}/orgs/${org.login}/repos`,
        events_url: `${this.baseUrl}/orgs/${org.login}/events`,
        hooks_url: `${this.baseUrl}/orgs/${org.login}/hooks`,
        issues_url: `${this.baseUrl}/orgs/${org.login}/issues`,
        members_url: `${this.baseUrl}/orgs/${org.login}/members{/member}`,
        public_members_url: `${this.baseUrl}/orgs/${org.login}/public_members{/member}`,
        avatar_url: `${this.url}/avatars/u/${org.id}?v=4`,
        description: null,
      };
    }
    return makeWebhook<N>(name, payload);
  }
}

function reviewView(pull: PullRec, review: PullRec["reviews"][number]): ReviewView {
  return {
    id: review.id,
    author: review.user.login,
    state: review.state,
    body: review.body,
    commitId: review.commitId,
    comments: pull.reviewComments
      .filter((c) => c.reviewId === review.id)
      .map((c) => ({ path: c.path, line: c.line, body: c.body })),
  };
}

/** Starts a fake on 127.0.0.1 at a random port. */
export async function startGitHubFake(options: GitHubFakeOptions = {}): Promise<GitHubFakeServer> {
  const keys = await appKeys();
  const state = new FakeState({
    appId: options.appId ?? 100_000 + Math.floor(Math.random() * 900_000),
    slug: options.slug ?? "build-practical",
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const urls: Urls = { api: "", web: "" };
  const core = new FakeCore({
    state,
    shapes: new Shapes(state, urls),
    urls,
    keys,
    validateResponses: options.validateResponses ?? false,
  });
  const table = new RouteTable();
  registerIssueRoutes(table);
  registerGitRoutes(table);
  registerPullRoutes(table);
  registerCheckRoutes(table);
  registerUserRoutes(table);
  registerHookRoutes(table);
  registerManifestRoutes(table, keys.privateKey);
  const extra: ExtraHandlers = {
    oauth: (method, url, headers, rawBody) =>
      handleOAuthRequest(state, method, url, headers, rawBody),
    graphql: (ctx) => handleGraphqlRequest(core, ctx),
    codeload: (path) =>
      path.startsWith(JOB_LOG_PREFIX) ? jobLogDownload(state, path) : codeload(state, path),
  };
  const server = createServer((req, res) => {
    handleRequest(core, table, extra, req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: `Fake GitHub crashed: ${String(error)}` }));
      }
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  urls.web = `http://127.0.0.1:${port}`;
  urls.api = `${urls.web}/api/v3`;
  return new GitHubFakeServer({ core, server, privateKey: keys.privateKey });
}
