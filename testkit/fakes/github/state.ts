// The fake's in-memory state and the operations on it, shared by the REST routes, the GraphQL
// endpoint and the "user action" helpers. Operations throw HttpError with GitHub's messages.
import { randomBytes } from "node:crypto";
import { forbidden, HttpError, notFound, unprocessable, validationFailed } from "./errors.ts";
import { type FlatEntry, GitError, type GitIdentity, GitStore, isSha } from "./git.ts";
import { HookState } from "./hooks.ts";
import { ManifestState } from "./manifests.ts";
import { OAuthState } from "./oauth-state.ts";

export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";
export type UserType = "User" | "Bot" | "Organization";
export type ReactionContent =
  | "+1"
  | "-1"
  | "laugh"
  | "confused"
  | "heart"
  | "hooray"
  | "rocket"
  | "eyes";

export interface UserRec {
  login: string;
  id: number;
  nodeId: string;
  type: UserType;
  name: string | null;
}

export interface AppRec {
  id: number;
  slug: string;
  name: string;
  nodeId: string;
  owner: UserRec;
  bot: UserRec;
  permissions: Record<string, string>;
  events: string[];
  createdAt: string;
}

export interface InstallationRec {
  id: number;
  account: UserRec;
  app: AppRec;
  createdAt: string;
  /** What the installation accepted, when it differs from what the app asks (new permissions not yet accepted). */
  granted?: { permissions: Record<string, string>; events: string[] };
}

export interface TokenRec {
  token: string;
  installationId: number;
  expiresAt: number;
}

export interface LabelRec {
  id: number;
  nodeId: string;
  name: string;
  color: string;
  description: string | null;
  default: boolean;
}

export interface ReactionRec {
  id: number;
  nodeId: string;
  user: UserRec;
  content: ReactionContent;
  createdAt: string;
}

export interface CommentRec {
  id: number;
  nodeId: string;
  repo: RepoRec;
  issueNumber: number;
  user: UserRec;
  body: string;
  createdAt: string;
  updatedAt: string;
  reactions: ReactionRec[];
  viaApp: AppRec | null;
}

export interface ReviewRec {
  id: number;
  nodeId: string;
  user: UserRec;
  body: string;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "PENDING";
  commitId: string;
  submittedAt: string | null;
}

export interface ReviewCommentRec {
  id: number;
  nodeId: string;
  reviewId: number;
  user: UserRec;
  body: string;
  path: string;
  line: number;
  commitId: string;
  createdAt: string;
  updatedAt: string;
}

export interface PullRec {
  id: number;
  nodeId: string;
  headRef: string;
  /** Last known head sha (kept when the branch is deleted). */
  headSha: string;
  baseRef: string;
  baseSha: string;
  draft: boolean;
  merged: boolean;
  mergedAt: string | null;
  mergedBy: UserRec | null;
  mergeCommitSha: string | null;
  maintainerCanModify: boolean;
  reviews: ReviewRec[];
  reviewComments: ReviewCommentRec[];
}

export interface IssueRec {
  id: number;
  nodeId: string;
  number: number;
  repo: RepoRec;
  title: string;
  body: string | null;
  user: UserRec;
  state: "open" | "closed";
  stateReason: "completed" | "not_planned" | "reopened" | "duplicate" | null;
  labels: LabelRec[];
  locked: boolean;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  closedBy: UserRec | null;
  comments: CommentRec[];
  reactions: ReactionRec[];
  viaApp: AppRec | null;
  pull: PullRec | null;
}

export interface RepoRec {
  id: number;
  nodeId: string;
  owner: UserRec;
  name: string;
  installationId: number;
  defaultBranch: string;
  description: string | null;
  git: GitStore;
  /** Full ref name ("refs/heads/main") → commit sha. */
  refs: Map<string, string>;
  labels: Map<string, LabelRec>;
  permissions: Map<string, Permission>;
  issues: Map<number, IssueRec>;
  nextNumber: number;
  createdAt: string;
  updatedAt: string;
  pushedAt: string;
  /**
   * How many entries a recursive tree lists before GitHub cuts it short (`truncated: true`);
   * GitHub's own limit is 100,000 entries or 7 MB, tests set a small one.
   */
  treeLimit?: number;
}

export interface AnnotationRec {
  path: string;
  start_line: number;
  end_line: number;
  start_column: number | null;
  end_column: number | null;
  annotation_level: "notice" | "warning" | "failure";
  title: string | null;
  message: string;
  raw_details: string | null;
}

export interface CheckActionRec {
  label: string;
  description: string;
  identifier: string;
}

export type CheckStatus =
  | "queued"
  | "in_progress"
  | "completed"
  | "waiting"
  | "requested"
  | "pending";
export type CheckConclusion =
  | "action_required"
  | "cancelled"
  | "failure"
  | "neutral"
  | "success"
  | "skipped"
  | "stale"
  | "timed_out";

export interface CheckSuiteRec {
  id: number;
  nodeId: string;
  repo: RepoRec;
  app: AppRec;
  headSha: string;
  headBranch: string | null;
  /** Set when the suite's conclusion is forced (completeCheckSuite). */
  conclusionOverride: CheckConclusion | null;
  createdAt: string;
  updatedAt: string;
}

export interface CheckRunRec {
  id: number;
  nodeId: string;
  repo: RepoRec;
  suite: CheckSuiteRec;
  app: AppRec;
  name: string;
  headSha: string;
  externalId: string;
  detailsUrl: string | null;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  startedAt: string | null;
  completedAt: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: AnnotationRec[];
  actions: CheckActionRec[];
}

export interface CheckRunInput {
  name?: string;
  head_sha?: string;
  details_url?: string;
  external_id?: string;
  status?: CheckStatus;
  started_at?: string;
  conclusion?: CheckConclusion;
  completed_at?: string;
  output?: {
    title?: string;
    summary?: string;
    text?: string;
    annotations?: Partial<AnnotationRec>[];
  };
  actions?: CheckActionRec[];
}

export type MergeMethod = "merge" | "squash" | "rebase";

/** A commit status (CI that reports statuses rather than check runs). */
export interface StatusRec {
  id: number;
  repo: RepoRec;
  sha: string;
  context: string;
  state: "error" | "failure" | "pending" | "success";
  description: string | null;
  targetUrl: string | null;
  creator: UserRec;
  createdAt: string;
  updatedAt: string;
}

const PERMISSION_RANK: Record<Permission, number> = {
  none: 0,
  read: 1,
  triage: 2,
  write: 3,
  maintain: 4,
  admin: 5,
};

export function nodeId(type: string, id: number): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString("base64");
}

export function isoNow(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

const CONCLUSION_PRIORITY: CheckConclusion[] = [
  "action_required",
  "timed_out",
  "cancelled",
  "failure",
  "stale",
  "success",
  "neutral",
  "skipped",
];

export class FakeState {
  readonly users = new Map<string, UserRec>();
  readonly apps = new Map<number, AppRec>();
  readonly installations = new Map<number, InstallationRec>();
  readonly tokens = new Map<string, TokenRec>();
  readonly repos = new Map<string, RepoRec>();
  readonly comments = new Map<number, CommentRec>();
  readonly checkRuns = new Map<number, CheckRunRec>();
  readonly checkSuites = new Map<number, CheckSuiteRec>();
  readonly statuses: StatusRec[] = [];
  /** GitHub Actions job logs, by job id (= the job's check run id). */
  readonly jobLogs = new Map<number, string>();
  /** Told of every branch update (a push), after the ref moved. */
  readonly pushListeners: ((repo: RepoRec, branch: string, sha: string) => void)[] = [];
  /** Commits GitHub itself signed (createCommitOnBranch). */
  readonly verifiedCommits = new Set<string>();
  /** The app's webhook: configuration and deliveries. */
  readonly hooks = new HookState();
  /** Manifests submitted on GitHub, waiting for the app's setup to exchange their code. */
  readonly manifests = new ManifestState();
  readonly app: AppRec;
  /** Signing in with GitHub: client credentials, codes, user tokens, organisation memberships. */
  readonly oauth: OAuthState;
  private nextIdValue = 1_000_000;
  private readonly clock: () => Date;

  constructor(options: { appId: number; slug: string; clock?: () => Date }) {
    this.clock = options.clock ?? (() => new Date());
    this.app = this.createApp(options.slug, options.appId);
    this.oauth = new OAuthState(this.app.id);
  }

  now(): string {
    return isoNow(this.clock());
  }

  nowMs(): number {
    return this.clock().getTime();
  }

  nextId(): number {
    this.nextIdValue += 1;
    return this.nextIdValue;
  }

  // ---- users, apps, installations, tokens -------------------------------------------------

  addUser(login: string, type: UserType = "User"): UserRec {
    const existing = this.users.get(login.toLowerCase());
    if (existing) {
      existing.type = type;
      return existing;
    }
    const id = this.nextId();
    const user: UserRec = {
      login,
      id,
      nodeId: nodeId(type === "Bot" ? "Bot" : "User", id),
      type,
      name: null,
    };
    this.users.set(login.toLowerCase(), user);
    return user;
  }

  /** A known user, or a new plain "User" (GitHub knows everyone). */
  user(login: string): UserRec {
    const existing = this.users.get(login.toLowerCase());
    if (existing) return existing;
    return this.addUser(login, login.endsWith("[bot]") ? "Bot" : "User");
  }

  createApp(slug: string, id = this.nextId()): AppRec {
    for (const app of this.apps.values()) if (app.slug === slug) return app;
    const owner = this.user(`${slug}-owner`);
    const bot = this.addUser(`${slug}[bot]`, "Bot");
    const app: AppRec = {
      id,
      slug,
      name: slug,
      nodeId: nodeId("Integration", id),
      owner,
      bot,
      permissions: {
        actions: "read",
        checks: "write",
        contents: "write",
        issues: "write",
        metadata: "read",
        pull_requests: "write",
        statuses: "read",
      },
      events: [
        "check_run",
        "check_suite",
        "issue_comment",
        "issues",
        "pull_request",
        "pull_request_review",
        "status",
      ],
      createdAt: this.now(),
    };
    this.apps.set(id, app);
    return app;
  }

  appBySlug(slug: string): AppRec | undefined {
    for (const app of this.apps.values()) if (app.slug === slug) return app;
    return undefined;
  }

  addInstallation(
    id: number,
    login: string,
    accountType: "User" | "Organization" = "User",
  ): InstallationRec {
    const account = this.addUser(login, accountType);
    const installation: InstallationRec = { id, account, app: this.app, createdAt: this.now() };
    this.installations.set(id, installation);
    return installation;
  }

  installation(id: number): InstallationRec {
    const installation = this.installations.get(id);
    if (!installation) throw notFound();
    return installation;
  }

  createToken(installationId: number): TokenRec {
    this.installation(installationId);
    const token: TokenRec = {
      token: `ghs_${randomBytes(18).toString("hex")}`,
      installationId,
      expiresAt: this.nowMs() + 60 * 60 * 1000,
    };
    this.tokens.set(token.token, token);
    return token;
  }

  liveToken(token: string): TokenRec | undefined {
    const record = this.tokens.get(token);
    if (!record || record.expiresAt <= this.nowMs()) return undefined;
    return record;
  }

  expireTokens(): void {
    this.tokens.clear();
  }

  // ---- repositories -------------------------------------------------------------------------

  addRepo(input: {
    installationId: number;
    owner: string;
    name: string;
    defaultBranch?: string;
    files?: Record<string, string>;
    description?: string;
  }): RepoRec {
    this.installation(input.installationId);
    const key = `${input.owner}/${input.name}`.toLowerCase();
    if (this.repos.has(key)) throw new Error(`Repository ${key} already exists`);
    const owner = this.user(input.owner);
    const id = this.nextId();
    const now = this.now();
    const repo: RepoRec = {
      id,
      nodeId: nodeId("Repository", id),
      owner,
      name: input.name,
      installationId: input.installationId,
      defaultBranch: input.defaultBranch ?? "main",
      description: input.description ?? null,
      git: new GitStore(),
      refs: new Map(),
      labels: new Map(),
      permissions: new Map([[owner.login.toLowerCase(), "admin"]]),
      issues: new Map(),
      nextNumber: 1,
      createdAt: now,
      updatedAt: now,
      pushedAt: now,
    };
    this.repos.set(key, repo);
    const files: Record<string, string | null> = { ...(input.files ?? {}) };
    if (Object.keys(files).length === 0) files["README.md"] = `# ${input.name}\n`;
    this.commitFiles(repo, repo.defaultBranch, files, "Initial commit", this.identityOf(owner), {
      allowNewBranch: true,
    });
    return repo;
  }

  repo(owner: string, name: string): RepoRec {
    const repo = this.repos.get(`${owner}/${name}`.toLowerCase());
    if (!repo) throw notFound();
    return repo;
  }

  setPermission(repo: RepoRec, login: string, permission: Permission): void {
    this.user(login);
    repo.permissions.set(login.toLowerCase(), permission);
  }

  /** A user's permission; users never given one get "read" (every repo here is public). */
  permission(repo: RepoRec, login: string): Permission {
    return repo.permissions.get(login.toLowerCase()) ?? "read";
  }

  authorAssociation(repo: RepoRec, user: UserRec): string {
    if (user.login.toLowerCase() === repo.owner.login.toLowerCase()) return "OWNER";
    const permission = repo.permissions.get(user.login.toLowerCase());
    if (permission && PERMISSION_RANK[permission] >= PERMISSION_RANK.triage) return "COLLABORATOR";
    return "NONE";
  }

  identityOf(user: UserRec): GitIdentity {
    return {
      name: user.name ?? user.login,
      email: `${user.id}+${user.login}@users.noreply.github.com`,
      date: this.now(),
    };
  }

  webCommitter(): GitIdentity {
    return { name: "GitHub", email: "noreply@github.com", date: this.now() };
  }

  // ---- refs and commits ---------------------------------------------------------------------

  /** Resolves a branch, tag, "heads/x", "refs/heads/x" or a (short) sha to a commit sha. */
  resolveRef(repo: RepoRec, ref: string): string | undefined {
    const candidates = ref.startsWith("refs/")
      ? [ref]
      : [`refs/heads/${ref}`, `refs/tags/${ref}`, `refs/${ref}`];
    for (const candidate of candidates) {
      const sha = repo.refs.get(candidate);
      if (sha) return sha;
    }
    if (/^[0-9a-f]{7,40}$/.test(ref)) {
      if (ref.length === 40) return repo.git.has(ref, "commit") ? ref : undefined;
      const matches = [...repo.git.objects.entries()].filter(
        ([sha, object]) => object.type === "commit" && sha.startsWith(ref),
      );
      if (matches.length === 1) return matches[0]?.[0];
    }
    return undefined;
  }

  branchSha(repo: RepoRec, branch: string): string | undefined {
    return repo.refs.get(`refs/heads/${branch}`);
  }

  /** A branch whose head is this commit (the default branch first), for check suites. */
  branchAt(repo: RepoRec, sha: string): string | null {
    if (this.branchSha(repo, repo.defaultBranch) === sha) return repo.defaultBranch;
    for (const [ref, target] of repo.refs) {
      if (target === sha && ref.startsWith("refs/heads/")) return ref.slice("refs/heads/".length);
    }
    return null;
  }

  setRef(repo: RepoRec, ref: string, sha: string): void {
    const before = repo.refs.get(ref);
    repo.refs.set(ref, sha);
    repo.pushedAt = this.now();
    repo.updatedAt = repo.pushedAt;
    this.syncPullHeads(repo);
    if (before !== sha && ref.startsWith("refs/heads/")) {
      for (const listener of this.pushListeners) {
        listener(repo, ref.slice("refs/heads/".length), sha);
      }
    }
  }

  deleteRef(repo: RepoRec, ref: string): void {
    repo.refs.delete(ref);
  }

  private syncPullHeads(repo: RepoRec): void {
    for (const issue of repo.issues.values()) {
      const pull = issue.pull;
      if (!pull || issue.state !== "open") continue;
      pull.headSha = this.branchSha(repo, pull.headRef) ?? pull.headSha;
      pull.baseSha = this.branchSha(repo, pull.baseRef) ?? pull.baseSha;
    }
  }

  /**
   * Commits file changes (null deletes) on top of a branch and moves the branch.
   * Returns the new commit sha.
   */
  commitFiles(
    repo: RepoRec,
    branch: string,
    files: Record<string, string | Buffer | null>,
    message: string,
    author: GitIdentity,
    options: { allowNewBranch?: boolean; committer?: GitIdentity; expectedHead?: string } = {},
  ): string {
    const parent = this.branchSha(repo, branch);
    if (!parent && !options.allowNewBranch) throw notFound();
    if (options.expectedHead !== undefined && parent !== options.expectedHead) {
      throw new HttpError(409, {
        message: `Expected head ${options.expectedHead}, branch is at ${parent}`,
      });
    }
    const flat = parent
      ? repo.git.flatten(repo.git.readCommit(parent).tree)
      : new Map<string, FlatEntry>();
    for (const [path, content] of Object.entries(files)) {
      const clean = path.replace(/^\/+/, "");
      if (content === null) flat.delete(clean);
      else flat.set(clean, { mode: "100644", type: "blob", sha: repo.git.writeBlob(content) });
    }
    const tree = repo.git.buildTree(flat);
    const sha = repo.git.writeCommit({
      tree,
      parents: parent ? [parent] : [],
      author,
      committer: options.committer ?? author,
      message,
    });
    this.setRef(repo, `refs/heads/${branch}`, sha);
    return sha;
  }

  readFile(repo: RepoRec, ref: string, path: string): string | undefined {
    const sha = this.resolveRef(repo, ref);
    if (!sha) return undefined;
    const entry = repo.git.entryAt(repo.git.readCommit(sha).tree, path);
    if (entry?.type !== "blob") return undefined;
    return repo.git.get(entry.sha, "blob").toString();
  }

  // ---- issues, comments, reactions, labels -----------------------------------------------------

  issue(repo: RepoRec, number: number): IssueRec {
    const issue = repo.issues.get(number);
    if (!issue) throw notFound();
    return issue;
  }

  pullIssue(repo: RepoRec, number: number): IssueRec & { pull: PullRec } {
    const issue = repo.issues.get(number);
    if (!issue?.pull) throw notFound();
    return issue as IssueRec & { pull: PullRec };
  }

  createIssue(
    repo: RepoRec,
    input: {
      author: UserRec;
      title: string;
      body?: string | null;
      labels?: string[];
      viaApp?: AppRec | null;
    },
  ): IssueRec {
    const id = this.nextId();
    const now = this.now();
    const issue: IssueRec = {
      id,
      nodeId: nodeId("Issue", id),
      number: repo.nextNumber++,
      repo,
      title: input.title,
      body: input.body ?? null,
      user: input.author,
      state: "open",
      stateReason: null,
      labels: [],
      locked: false,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      closedBy: null,
      comments: [],
      reactions: [],
      viaApp: input.viaApp ?? null,
      pull: null,
    };
    repo.issues.set(issue.number, issue);
    for (const name of input.labels ?? []) this.addLabelToIssue(issue, name);
    return issue;
  }

  updateIssue(
    issue: IssueRec,
    input: {
      title?: string;
      body?: string | null;
      state?: "open" | "closed";
      state_reason?: string | null;
    },
    by: UserRec,
  ): void {
    if (input.title !== undefined) issue.title = input.title;
    if (input.body !== undefined) issue.body = input.body;
    if (input.state !== undefined && input.state !== issue.state) {
      if (input.state === "closed") this.closeIssue(issue, by, input.state_reason ?? "completed");
      else {
        issue.state = "open";
        issue.stateReason = "reopened";
        issue.closedAt = null;
        issue.closedBy = null;
      }
    } else if (input.state_reason !== undefined && issue.state === "closed") {
      issue.stateReason = (input.state_reason ?? null) as IssueRec["stateReason"];
    }
    issue.updatedAt = this.now();
  }

  closeIssue(issue: IssueRec, by: UserRec, reason: string | null): void {
    issue.state = "closed";
    issue.stateReason = issue.pull ? null : ((reason ?? "completed") as IssueRec["stateReason"]);
    issue.closedAt = this.now();
    issue.closedBy = by;
    issue.updatedAt = issue.closedAt;
  }

  createComment(
    issue: IssueRec,
    user: UserRec,
    body: string,
    viaApp: AppRec | null = null,
  ): CommentRec {
    if (body.length > 65536) {
      throw validationFailed([
        {
          resource: "IssueComment",
          code: "custom",
          field: "body",
          message: "body is too long (maximum is 65536 characters)",
        },
      ]);
    }
    const id = this.nextId();
    const now = this.now();
    const comment: CommentRec = {
      id,
      nodeId: nodeId("IssueComment", id),
      repo: issue.repo,
      issueNumber: issue.number,
      user,
      body,
      createdAt: now,
      updatedAt: now,
      reactions: [],
      viaApp,
    };
    issue.comments.push(comment);
    issue.updatedAt = now;
    this.comments.set(id, comment);
    return comment;
  }

  comment(repo: RepoRec, id: number): CommentRec {
    const comment = this.comments.get(id);
    if (!comment || comment.repo !== repo) throw notFound();
    return comment;
  }

  updateComment(comment: CommentRec, body: string): void {
    if (body.length > 65536) {
      throw validationFailed([
        {
          resource: "IssueComment",
          code: "custom",
          field: "body",
          message: "body is too long (maximum is 65536 characters)",
        },
      ]);
    }
    comment.body = body;
    comment.updatedAt = this.now();
  }

  deleteComment(comment: CommentRec): void {
    const issue = this.issue(comment.repo, comment.issueNumber);
    issue.comments = issue.comments.filter((c) => c !== comment);
    this.comments.delete(comment.id);
  }

  /** Adds a reaction; returns [reaction, created] (created false when it already existed). */
  addReaction(
    list: ReactionRec[],
    user: UserRec,
    content: ReactionContent,
  ): [ReactionRec, boolean] {
    const existing = list.find((r) => r.user === user && r.content === content);
    if (existing) return [existing, false];
    const id = this.nextId();
    const reaction: ReactionRec = {
      id,
      nodeId: nodeId("Reaction", id),
      user,
      content,
      createdAt: this.now(),
    };
    list.push(reaction);
    return [reaction, true];
  }

  ensureLabel(
    repo: RepoRec,
    name: string,
    color = "ededed",
    description: string | null = null,
  ): LabelRec {
    const existing = repo.labels.get(name.toLowerCase());
    if (existing) return existing;
    const id = this.nextId();
    const label: LabelRec = {
      id,
      nodeId: nodeId("Label", id),
      name,
      color,
      description,
      default: false,
    };
    repo.labels.set(name.toLowerCase(), label);
    return label;
  }

  createLabel(repo: RepoRec, name: string, color?: string, description?: string | null): LabelRec {
    if (repo.labels.has(name.toLowerCase())) {
      throw validationFailed([{ resource: "Label", code: "already_exists", field: "name" }]);
    }
    return this.ensureLabel(repo, name, (color ?? "ededed").replace(/^#/, ""), description ?? null);
  }

  /** Returns true when the label was newly applied. */
  addLabelToIssue(issue: IssueRec, name: string): boolean {
    const label = this.ensureLabel(issue.repo, name);
    if (issue.labels.includes(label)) return false;
    issue.labels.push(label);
    issue.updatedAt = this.now();
    return true;
  }

  removeLabelFromIssue(issue: IssueRec, name: string): LabelRec {
    const label = issue.labels.find((l) => l.name.toLowerCase() === name.toLowerCase());
    if (!label) {
      throw new HttpError(404, {
        message: "Label does not exist",
        documentation_url: "https://docs.github.com/rest",
      });
    }
    issue.labels = issue.labels.filter((l) => l !== label);
    issue.updatedAt = this.now();
    return label;
  }

  // ---- pull requests --------------------------------------------------------------------------

  createPull(
    repo: RepoRec,
    input: {
      author: UserRec;
      title: string;
      body?: string | null;
      head: string;
      base: string;
      draft?: boolean;
      maintainerCanModify?: boolean;
      viaApp?: AppRec | null;
    },
  ): IssueRec & { pull: PullRec } {
    const [headOwner, headBranch] = input.head.includes(":")
      ? (input.head.split(":", 2) as [string, string])
      : [repo.owner.login, input.head];
    const headSha =
      headOwner.toLowerCase() === repo.owner.login.toLowerCase()
        ? this.branchSha(repo, headBranch)
        : undefined;
    if (!headSha)
      throw validationFailed([{ resource: "PullRequest", field: "head", code: "invalid" }]);
    const baseSha = this.branchSha(repo, input.base);
    if (!baseSha)
      throw validationFailed([{ resource: "PullRequest", field: "base", code: "invalid" }]);
    for (const other of repo.issues.values()) {
      if (
        other.pull &&
        other.state === "open" &&
        other.pull.headRef === headBranch &&
        other.pull.baseRef === input.base
      ) {
        throw validationFailed([
          {
            resource: "PullRequest",
            code: "custom",
            message: `A pull request already exists for ${repo.owner.login}:${headBranch}.`,
          },
        ]);
      }
    }
    if (repo.git.isAncestor(headSha, baseSha)) {
      throw validationFailed([
        {
          resource: "PullRequest",
          code: "custom",
          message: `No commits between ${input.base} and ${headBranch}`,
        },
      ]);
    }
    const issue = this.createIssue(repo, {
      author: input.author,
      title: input.title,
      body: input.body ?? null,
      viaApp: input.viaApp ?? null,
    });
    const id = this.nextId();
    issue.pull = {
      id,
      nodeId: nodeId("PullRequest", id),
      headRef: headBranch,
      headSha,
      baseRef: input.base,
      baseSha,
      draft: input.draft ?? false,
      merged: false,
      mergedAt: null,
      mergedBy: null,
      mergeCommitSha: null,
      maintainerCanModify: input.maintainerCanModify ?? false,
      reviews: [],
      reviewComments: [],
    };
    return issue as IssueRec & { pull: PullRec };
  }

  pullByNodeId(id: string): (IssueRec & { pull: PullRec }) | undefined {
    for (const repo of this.repos.values()) {
      for (const issue of repo.issues.values()) {
        if (issue.pull?.nodeId === id) return issue as IssueRec & { pull: PullRec };
      }
    }
    return undefined;
  }

  mergePull(
    issue: IssueRec & { pull: PullRec },
    by: UserRec,
    options: {
      method?: MergeMethod;
      commitTitle?: string;
      commitMessage?: string;
      sha?: string;
    } = {},
  ): string {
    const { repo, pull } = issue;
    if (issue.state !== "open")
      throw new HttpError(405, { message: "Pull Request is not mergeable" });
    if (pull.draft) throw new HttpError(405, { message: "Pull Request is still a draft" });
    const headSha = this.branchSha(repo, pull.headRef) ?? pull.headSha;
    const baseSha = this.branchSha(repo, pull.baseRef);
    if (!baseSha)
      throw new HttpError(405, {
        message: "Base branch was modified. Review and try the merge again.",
      });
    if (options.sha && options.sha !== headSha) {
      throw new HttpError(409, {
        message: "Head branch was modified. Review and try the merge again.",
      });
    }
    const git = repo.git;
    const base = git.mergeBase(baseSha, headSha);
    const baseTree = base ? git.readCommit(base).tree : undefined;
    let tree: string;
    try {
      tree = git.mergeTrees(baseTree, git.readCommit(baseSha).tree, git.readCommit(headSha).tree);
    } catch (error) {
      if (error instanceof GitError)
        throw new HttpError(405, { message: "Pull Request is not mergeable" });
      throw error;
    }
    const method = options.method ?? "merge";
    const author = this.identityOf(by);
    let result: string;
    if (method === "merge") {
      const title =
        options.commitTitle ??
        `Merge pull request #${issue.number} from ${repo.owner.login}/${pull.headRef}`;
      result = git.writeCommit({
        tree,
        parents: [baseSha, headSha],
        author,
        committer: this.webCommitter(),
        message: `${title}\n\n${options.commitMessage ?? issue.title}`,
      });
    } else if (method === "squash") {
      const title = options.commitTitle ?? `${issue.title} (#${issue.number})`;
      result = git.writeCommit({
        tree,
        parents: [baseSha],
        author,
        committer: this.webCommitter(),
        message: options.commitMessage ? `${title}\n\n${options.commitMessage}` : title,
      });
    } else if (git.isAncestor(baseSha, headSha)) {
      result = headSha; // rebase of a branch already on top of base: a fast-forward
    } else {
      result = baseSha;
      for (const sha of git.commitsBetween(baseSha, headSha)) {
        const commit = git.readCommit(sha);
        const parentTree = commit.parents[0] ? git.readCommit(commit.parents[0]).tree : undefined;
        const merged = git.mergeTrees(parentTree, git.readCommit(result).tree, commit.tree);
        result = git.writeCommit({
          ...commit,
          tree: merged,
          parents: [result],
          committer: this.webCommitter(),
        });
      }
    }
    pull.headSha = headSha;
    this.setRef(repo, `refs/heads/${pull.baseRef}`, result);
    pull.baseSha = baseSha;
    pull.merged = true;
    pull.mergedAt = this.now();
    pull.mergedBy = by;
    pull.mergeCommitSha = result;
    this.closeIssue(issue, by, null);
    return result;
  }

  closePull(issue: IssueRec & { pull: PullRec }, by: UserRec): void {
    if (issue.state === "closed") return;
    this.closeIssue(issue, by, null);
  }

  submitReview(
    issue: IssueRec & { pull: PullRec },
    input: {
      author: UserRec;
      state: ReviewRec["state"];
      body: string;
      comments?: { path: string; line: number; body: string }[];
    },
  ): ReviewRec {
    const { pull } = issue;
    const commitId = this.branchSha(issue.repo, pull.headRef) ?? pull.headSha;
    const id = this.nextId();
    const now = this.now();
    const review: ReviewRec = {
      id,
      nodeId: nodeId("PullRequestReview", id),
      user: input.author,
      body: input.body,
      state: input.state,
      commitId,
      submittedAt: input.state === "PENDING" ? null : now,
    };
    pull.reviews.push(review);
    for (const c of input.comments ?? []) {
      const cid = this.nextId();
      pull.reviewComments.push({
        id: cid,
        nodeId: nodeId("PullRequestReviewComment", cid),
        reviewId: id,
        user: input.author,
        body: c.body,
        path: c.path,
        line: c.line,
        commitId,
        createdAt: now,
        updatedAt: now,
      });
    }
    issue.updatedAt = now;
    return review;
  }

  // ---- checks -----------------------------------------------------------------------------------

  ensureSuite(repo: RepoRec, app: AppRec, headSha: string): CheckSuiteRec {
    for (const suite of this.checkSuites.values()) {
      if (suite.repo === repo && suite.app === app && suite.headSha === headSha) return suite;
    }
    const id = this.nextId();
    const now = this.now();
    const suite: CheckSuiteRec = {
      id,
      nodeId: nodeId("CheckSuite", id),
      repo,
      app,
      headSha,
      headBranch: this.branchAt(repo, headSha),
      conclusionOverride: null,
      createdAt: now,
      updatedAt: now,
    };
    this.checkSuites.set(id, suite);
    return suite;
  }

  suiteRuns(suite: CheckSuiteRec): CheckRunRec[] {
    return [...this.checkRuns.values()].filter((r) => r.suite === suite);
  }

  suiteStatus(suite: CheckSuiteRec): { status: CheckStatus; conclusion: CheckConclusion | null } {
    const runs = this.suiteRuns(suite);
    if (suite.conclusionOverride)
      return { status: "completed", conclusion: suite.conclusionOverride };
    if (runs.length === 0) return { status: "queued", conclusion: null };
    if (runs.some((r) => r.status !== "completed")) {
      return {
        status: runs.some((r) => r.status === "in_progress") ? "in_progress" : "queued",
        conclusion: null,
      };
    }
    const conclusions = new Set(runs.map((r) => r.conclusion));
    const conclusion = CONCLUSION_PRIORITY.find((c) => conclusions.has(c)) ?? null;
    return { status: "completed", conclusion };
  }

  checkRun(repo: RepoRec, id: number): CheckRunRec {
    const run = this.checkRuns.get(id);
    if (!run || run.repo !== repo) throw notFound();
    return run;
  }

  createCheckRun(repo: RepoRec, app: AppRec, input: CheckRunInput): CheckRunRec {
    const headSha = input.head_sha ?? "";
    if (!isSha(headSha) || !repo.git.has(headSha, "commit")) {
      throw unprocessable(`No commit found for SHA: ${headSha}`);
    }
    const suite = this.ensureSuite(repo, app, headSha);
    const id = this.nextId();
    const run: CheckRunRec = {
      id,
      nodeId: nodeId("CheckRun", id),
      repo,
      suite,
      app,
      name: input.name ?? "",
      headSha,
      externalId: input.external_id ?? "",
      detailsUrl: input.details_url ?? null,
      status: "queued",
      conclusion: null,
      startedAt: this.now(),
      completedAt: null,
      output: { title: null, summary: null, text: null },
      annotations: [],
      actions: [],
    };
    this.applyCheckRunInput(run, input);
    this.checkRuns.set(id, run);
    return run;
  }

  updateCheckRun(run: CheckRunRec, app: AppRec, input: CheckRunInput): void {
    if (run.app !== app) throw forbidden("Invalid app_id");
    this.applyCheckRunInput(run, input);
  }

  private applyCheckRunInput(run: CheckRunRec, input: CheckRunInput): void {
    const completing =
      input.conclusion !== undefined ||
      input.status === "completed" ||
      input.completed_at !== undefined;
    if (completing && input.conclusion === undefined && run.conclusion === null) {
      throw validationFailed([
        { resource: "CheckRun", code: "missing_field", field: "conclusion" },
      ]);
    }
    if (input.name !== undefined) run.name = input.name;
    if (input.details_url !== undefined) run.detailsUrl = input.details_url;
    if (input.external_id !== undefined) run.externalId = input.external_id;
    if (input.started_at !== undefined) run.startedAt = input.started_at;
    if (input.status !== undefined) run.status = input.status;
    if (input.conclusion !== undefined) {
      run.conclusion = input.conclusion;
      run.status = "completed";
    }
    if (run.status === "completed")
      run.completedAt = input.completed_at ?? run.completedAt ?? this.now();
    if (input.output) {
      if (input.output.title !== undefined) run.output.title = input.output.title;
      if (input.output.summary !== undefined) run.output.summary = input.output.summary;
      if (input.output.text !== undefined) run.output.text = input.output.text;
      for (const a of input.output.annotations ?? []) {
        run.annotations.push({
          path: a.path ?? "",
          start_line: a.start_line ?? 1,
          end_line: a.end_line ?? a.start_line ?? 1,
          start_column: a.start_column ?? null,
          end_column: a.end_column ?? null,
          annotation_level: a.annotation_level ?? "notice",
          title: a.title ?? null,
          message: a.message ?? "",
          raw_details: a.raw_details ?? null,
        });
      }
    }
    if (input.actions !== undefined) run.actions = input.actions;
    run.suite.updatedAt = this.now();
  }
}

export function rank(permission: Permission): number {
  return PERMISSION_RANK[permission];
}
