// A small GraphQL endpoint: parses the document (operations, fields, aliases, arguments,
// variables, inline fragments), runs the supported mutations and queries and answers only the
// selected fields.
// Mutations: markPullRequestReadyForReview, convertPullRequestToDraft, createCommitOnBranch,
// createRef, createPullRequest, addComment.
// Queries: repository { object(oid) { ... on Commit { checkSuites, status } } }.

import { HttpError } from "./errors.ts";
import type { FakeCore, RouteResult } from "./server.ts";
import type { CheckRunRec, FakeState, IssueRec, RepoRec, StatusRec, TokenRec } from "./state.ts";

type Value =
  | string
  | number
  | boolean
  | null
  | Value[]
  | { [key: string]: Value }
  | { $var: string };

interface Field {
  alias: string | undefined;
  name: string;
  args: Record<string, Value>;
  selections: Field[];
  line: number;
  column: number;
  /** An inline fragment (`... on Commit { … }`): its selections apply to objects of this type. */
  on?: string;
}

interface OperationDoc {
  kind: "query" | "mutation" | "subscription";
  selections: Field[];
}

export class GraphqlError extends Error {
  readonly type: string | undefined;
  readonly path: string[] | undefined;
  readonly violation: boolean;

  constructor(
    message: string,
    options: { type?: string; path?: string[]; violation?: boolean } = {},
  ) {
    super(message);
    this.type = options.type;
    this.path = options.path;
    this.violation = options.violation ?? false;
  }
}

// ---- parsing ------------------------------------------------------------------------------------

interface Token {
  kind: "punct" | "name" | "string" | "number" | "var";
  value: string;
  line: number;
  column: number;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const push = (kind: Token["kind"], value: string, start: number) =>
    tokens.push({ kind, value, line, column: start - lineStart + 1 });
  while (i < source.length) {
    const ch = source[i] as string;
    if (ch === "\n") {
      line++;
      i++;
      lineStart = i;
    } else if (/[\s,\uFEFF]/.test(ch)) i++;
    else if (ch === "#") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (source.startsWith("...", i)) {
      push("punct", "...", i);
      i += 3;
    } else if ("{}()[]:=!@|&".includes(ch)) {
      push("punct", ch, i);
      i++;
    } else if (ch === "$") {
      const m = /^\$([_A-Za-z][_0-9A-Za-z]*)/.exec(source.slice(i));
      if (!m) throw new GraphqlError(`Parse error on "$" (line ${line})`, { violation: true });
      push("var", m[1] ?? "", i);
      i += m[0].length;
    } else if (source.startsWith('"""', i)) {
      const end = source.indexOf('"""', i + 3);
      if (end === -1) throw new GraphqlError("Unterminated block string", { violation: true });
      push("string", source.slice(i + 3, end), i);
      for (const c of source.slice(i, end)) if (c === "\n") line++;
      i = end + 3;
    } else if (ch === '"') {
      let j = i + 1;
      let text = "";
      while (j < source.length && source[j] !== '"') {
        if (source[j] === "\\") {
          const next = source[j + 1];
          if (next === "u") {
            text += String.fromCharCode(Number.parseInt(source.slice(j + 2, j + 6), 16));
            j += 6;
            continue;
          }
          text +=
            ({ n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" } as Record<string, string>)[
              next ?? ""
            ] ?? next;
          j += 2;
          continue;
        }
        text += source[j];
        j++;
      }
      push("string", text, i);
      i = j + 1;
    } else {
      const m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|^([_A-Za-z][_0-9A-Za-z]*)/.exec(
        source.slice(i),
      );
      if (!m) throw new GraphqlError(`Parse error on "${ch}" (line ${line})`, { violation: true });
      if (m[1]) push("number", m[1], i);
      else push("name", m[2] ?? "", i);
      i += m[0].length;
    }
  }
  return tokens;
}

class Parser {
  private pos = 0;
  private readonly tokens: Token[];

  constructor(source: string) {
    this.tokens = tokenize(source);
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private next(): Token {
    const token = this.tokens[this.pos++];
    if (!token)
      throw new GraphqlError("Parse error: unexpected end of document", { violation: true });
    return token;
  }

  private expect(value: string): void {
    const token = this.next();
    if (token.value !== value || (token.kind !== "punct" && token.kind !== "name")) {
      throw new GraphqlError(`Parse error on "${token.value}" (expected "${value}")`, {
        violation: true,
      });
    }
  }

  private is(value: string): boolean {
    const token = this.peek();
    return token !== undefined && token.kind === "punct" && token.value === value;
  }

  parseDocument(operationName: string | undefined): OperationDoc {
    const operations: (OperationDoc & { name: string | undefined })[] = [];
    while (this.peek()) {
      if (this.is("{")) {
        operations.push({ kind: "query", name: undefined, selections: this.selectionSet() });
        continue;
      }
      const keyword = this.next();
      if (keyword.value === "fragment") {
        throw new GraphqlError("Fragments are not supported by the GitHub fake", {
          violation: true,
        });
      }
      if (
        keyword.value !== "query" &&
        keyword.value !== "mutation" &&
        keyword.value !== "subscription"
      ) {
        throw new GraphqlError(`Parse error on "${keyword.value}"`, { violation: true });
      }
      let name: string | undefined;
      if (this.peek()?.kind === "name") name = this.next().value;
      if (this.is("(")) this.skipVariableDefinitions();
      while (this.is("@")) this.directive();
      operations.push({ kind: keyword.value, name, selections: this.selectionSet() });
    }
    const chosen = operationName ? operations.find((o) => o.name === operationName) : operations[0];
    if (!chosen) throw new GraphqlError("No operation found in the document", { violation: true });
    return chosen;
  }

  private skipVariableDefinitions(): void {
    let depth = 0;
    do {
      const token = this.next();
      if (token.value === "(") depth++;
      if (token.value === ")") depth--;
    } while (depth > 0);
  }

  private directive(): void {
    this.expect("@");
    this.next();
    if (this.is("(")) this.args();
  }

  private selectionSet(): Field[] {
    this.expect("{");
    const fields: Field[] = [];
    while (!this.is("}")) {
      if (this.is("...")) {
        const spread = this.next();
        if (this.peek()?.value !== "on") {
          throw new GraphqlError("Named fragments are not supported by the GitHub fake", {
            violation: true,
          });
        }
        this.next();
        const on = this.next().value;
        fields.push({
          alias: undefined,
          name: "...",
          args: {},
          selections: this.selectionSet(),
          line: spread.line,
          column: spread.column,
          on,
        });
        continue;
      }
      const first = this.next();
      let alias: string | undefined;
      let name = first.value;
      if (this.is(":")) {
        this.next();
        alias = name;
        name = this.next().value;
      }
      const args = this.is("(") ? this.args() : {};
      while (this.is("@")) this.directive();
      const selections = this.is("{") ? this.selectionSet() : [];
      fields.push({ alias, name, args, selections, line: first.line, column: first.column });
    }
    this.expect("}");
    return fields;
  }

  private args(): Record<string, Value> {
    this.expect("(");
    const args: Record<string, Value> = {};
    while (!this.is(")")) {
      const name = this.next().value;
      this.expect(":");
      args[name] = this.value();
    }
    this.expect(")");
    return args;
  }

  private value(): Value {
    const token = this.next();
    if (token.kind === "var") return { $var: token.value };
    if (token.kind === "string") return token.value;
    if (token.kind === "number") return Number(token.value);
    if (token.kind === "name") {
      if (token.value === "true") return true;
      if (token.value === "false") return false;
      if (token.value === "null") return null;
      return token.value; // enum value
    }
    if (token.value === "[") {
      const list: Value[] = [];
      while (!this.is("]")) list.push(this.value());
      this.expect("]");
      return list;
    }
    if (token.value === "{") {
      const object: Record<string, Value> = {};
      while (!this.is("}")) {
        const key = this.next().value;
        this.expect(":");
        object[key] = this.value();
      }
      this.expect("}");
      return object;
    }
    throw new GraphqlError(`Parse error on "${token.value}"`, { violation: true });
  }
}

function resolveVariables(value: Value, variables: Record<string, unknown>): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => resolveVariables(v, variables));
  if ("$var" in value && typeof value.$var === "string" && Object.keys(value).length === 1) {
    return variables[value.$var] ?? null;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = resolveVariables(v as Value, variables);
  return out;
}

// ---- projection ---------------------------------------------------------------------------------

type Obj = { __typename: string; [key: string]: unknown };

/** A field that takes arguments (`object(oid:)`, `checkRuns(first:)`): resolved when selected. */
type Resolver = (args: Record<string, unknown>) => unknown;

function project(
  value: unknown,
  selections: Field[],
  path: string[],
  variables: Record<string, unknown> = {},
): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value))
    return value.map((v, i) => project(v, selections, [...path, String(i)], variables));
  if (selections.length === 0 || typeof value !== "object") return value;
  const object = value as Obj;
  const out: Record<string, unknown> = {};
  for (const field of selections) {
    if (field.on !== undefined) {
      if (field.on === object.__typename) {
        Object.assign(out, project(object, field.selections, path, variables));
      }
      continue;
    }
    const key = field.alias ?? field.name;
    if (field.name === "__typename") {
      out[key] = object.__typename;
      continue;
    }
    if (!(field.name in object)) {
      throw new GraphqlError(`Field '${field.name}' doesn't exist on type '${object.__typename}'`, {
        violation: true,
        path: [...path, key],
      });
    }
    const raw = object[field.name];
    const resolved =
      typeof raw === "function"
        ? (raw as Resolver)(resolveVariables(field.args, variables) as Record<string, unknown>)
        : raw;
    out[key] = project(resolved, field.selections, [...path, key], variables);
  }
  return out;
}

// ---- resolvers ------------------------------------------------------------------------------------

function pullObject(core: FakeCore, issue: ReturnType<FakeCore["state"]["pullIssue"]>): Obj {
  const { repo, pull } = issue;
  return {
    __typename: "PullRequest",
    id: pull.nodeId,
    number: issue.number,
    title: issue.title,
    body: issue.body ?? "",
    isDraft: pull.draft,
    state: pull.merged ? "MERGED" : issue.state.toUpperCase(),
    merged: pull.merged,
    url: `${core.urls.web}/${repo.owner.login}/${repo.name}/pull/${issue.number}`,
    headRefName: pull.headRef,
    baseRefName: pull.baseRef,
    headRefOid: core.state.branchSha(repo, pull.headRef) ?? pull.headSha,
  };
}

interface MutationContext {
  core: FakeCore;
  token: TokenRec;
  input: Record<string, unknown>;
}

function checkInstalled(ctx: MutationContext, repoInstallation: number, description: string): void {
  if (repoInstallation !== ctx.token.installationId) {
    throw new GraphqlError(description, { type: "NOT_FOUND" });
  }
}

function pullFromInput(ctx: MutationContext) {
  const id = String(ctx.input.pullRequestId ?? "");
  const issue = ctx.core.state.pullByNodeId(id);
  const missing = `Could not resolve to a node with the global id of '${id}'`;
  if (!issue) throw new GraphqlError(missing, { type: "NOT_FOUND" });
  checkInstalled(ctx, issue.repo.installationId, missing);
  return issue;
}

/** The repository an input names by its node id (`repositoryId`), installed for the token. */
function repoFromInput(ctx: MutationContext): RepoRec {
  const id = String(ctx.input.repositoryId ?? "");
  const repo = [...ctx.core.state.repos.values()].find((r) => r.nodeId === id);
  const missing = `Could not resolve to a node with the global id of '${id}'`;
  if (!repo) throw new GraphqlError(missing, { type: "NOT_FOUND" });
  checkInstalled(ctx, repo.installationId, missing);
  return repo;
}

/** A REST-side refusal of the fake's state (a 422), as a GraphQL error. */
function asGraphqlError(error: unknown): unknown {
  if (!(error instanceof HttpError)) return error;
  const items = (error.body.errors ?? []) as { message?: string }[];
  return new GraphqlError(items.find((e) => e.message)?.message ?? error.message, {
    type: error.status === 404 ? "NOT_FOUND" : "UNPROCESSABLE",
  });
}

const MUTATIONS: Record<string, (ctx: MutationContext) => Obj> = {
  // https://docs.github.com/en/graphql/reference/mutations#addcomment (an issue or a pull
  // request, by its node id)
  addComment(ctx) {
    const { state, urls } = ctx.core;
    const id = String(ctx.input.subjectId ?? "");
    const missing = `Could not resolve to a node with the global id of '${id}'`;
    let subject: IssueRec | undefined = state.pullByNodeId(id);
    for (const repo of state.repos.values()) {
      if (subject) break;
      subject = [...repo.issues.values()].find((issue) => issue.nodeId === id);
    }
    if (!subject) throw new GraphqlError(missing, { type: "NOT_FOUND" });
    checkInstalled(ctx, subject.repo.installationId, missing);
    const body = String(ctx.input.body ?? "");
    if (body.length > 65_536) {
      throw new GraphqlError("Body is too long (maximum is 65536 characters)", {
        type: "UNPROCESSABLE",
      });
    }
    const comment = state.createComment(subject, state.app.bot, body, state.app);
    const kind = subject.pull ? "pull" : "issues";
    return {
      __typename: "AddCommentPayload",
      clientMutationId: ctx.input.clientMutationId ?? null,
      commentEdge: {
        __typename: "IssueCommentEdge",
        node: {
          __typename: "IssueComment",
          id: comment.nodeId,
          databaseId: comment.id,
          body: comment.body,
          url: `${urls.web}/${subject.repo.owner.login}/${subject.repo.name}/${kind}/${subject.number}#issuecomment-${comment.id}`,
        },
      },
      subject: { __typename: subject.pull ? "PullRequest" : "Issue", id },
    };
  },
  // https://docs.github.com/en/graphql/reference/mutations#createref
  createRef(ctx) {
    const repo = repoFromInput(ctx);
    const name = String(ctx.input.name ?? "");
    const oid = String(ctx.input.oid ?? "");
    if (!name.startsWith("refs/") || name.split("/").length < 3) {
      throw new GraphqlError(`Reference name must be fully qualified: "${name}"`, {
        type: "UNPROCESSABLE",
      });
    }
    if (repo.refs.has(name)) {
      throw new GraphqlError(`A ref named "${name}" already exists in the repository.`, {
        type: "UNPROCESSABLE",
      });
    }
    if (!repo.git.has(oid, "commit")) {
      throw new GraphqlError(`Could not resolve to a commit with the oid '${oid}'`, {
        type: "NOT_FOUND",
      });
    }
    ctx.core.state.setRef(repo, name, oid);
    return {
      __typename: "CreateRefPayload",
      clientMutationId: ctx.input.clientMutationId ?? null,
      ref: {
        __typename: "Ref",
        id: Buffer.from(`Ref:${repo.id}:${name}`).toString("base64"),
        name: name.replace(/^refs\/heads\//, ""),
        prefix: "refs/heads/",
        target: { __typename: "Commit", oid },
      },
    };
  },
  // https://docs.github.com/en/graphql/reference/mutations#createpullrequest
  createPullRequest(ctx) {
    const repo = repoFromInput(ctx);
    const { state } = ctx.core;
    let pull: ReturnType<FakeState["createPull"]>;
    try {
      pull = state.createPull(repo, {
        author: state.app.bot,
        title: String(ctx.input.title ?? ""),
        body: typeof ctx.input.body === "string" ? ctx.input.body : null,
        head: String(ctx.input.headRefName ?? "").replace(/^refs\/heads\//, ""),
        base: String(ctx.input.baseRefName ?? "").replace(/^refs\/heads\//, ""),
        draft: ctx.input.draft === true,
        maintainerCanModify: ctx.input.maintainerCanModify === true,
        viaApp: state.app,
      });
    } catch (error) {
      throw asGraphqlError(error);
    }
    return {
      __typename: "CreatePullRequestPayload",
      clientMutationId: ctx.input.clientMutationId ?? null,
      pullRequest: pullObject(ctx.core, pull),
    };
  },
  markPullRequestReadyForReview(ctx) {
    const issue = pullFromInput(ctx);
    issue.pull.draft = false;
    issue.updatedAt = ctx.core.state.now();
    return {
      __typename: "MarkPullRequestReadyForReviewPayload",
      clientMutationId: ctx.input.clientMutationId ?? null,
      pullRequest: pullObject(ctx.core, issue),
    };
  },
  convertPullRequestToDraft(ctx) {
    const issue = pullFromInput(ctx);
    issue.pull.draft = true;
    issue.updatedAt = ctx.core.state.now();
    return {
      __typename: "ConvertPullRequestToDraftPayload",
      clientMutationId: ctx.input.clientMutationId ?? null,
      pullRequest: pullObject(ctx.core, issue),
    };
  },
  createCommitOnBranch(ctx) {
    const { core, input } = ctx;
    const state = core.state;
    const branch = (input.branch ?? {}) as {
      repositoryNameWithOwner?: string;
      branchName?: string;
    };
    const nameWithOwner = String(branch.repositoryNameWithOwner ?? "");
    const [owner = "", name = ""] = nameWithOwner.split("/");
    const repo = state.repos.get(`${owner}/${name}`.toLowerCase());
    const missing = `Could not resolve to a Repository with the name '${nameWithOwner}'.`;
    if (!repo) throw new GraphqlError(missing, { type: "NOT_FOUND" });
    checkInstalled(ctx, repo.installationId, missing);
    const branchName = String(branch.branchName ?? "").replace(/^refs\/heads\//, "");
    const head = state.branchSha(repo, branchName);
    if (!head)
      throw new GraphqlError(`A ref named "refs/heads/${branchName}" does not exist.`, {
        type: "NOT_FOUND",
      });
    const expected = String(input.expectedHeadOid ?? "");
    if (expected !== head) {
      throw new GraphqlError(
        `Expected branch to point to "${expected}" but it did not. Pull and try again.`,
        {
          type: "STALE_DATA",
        },
      );
    }
    const message = (input.message ?? {}) as { headline?: string; body?: string };
    if (!message.headline)
      throw new GraphqlError("A commit message headline is required.", { type: "UNPROCESSABLE" });
    const changes = (input.fileChanges ?? {}) as {
      additions?: { path: string; contents: string }[];
      deletions?: { path: string }[];
    };
    const files: Record<string, Buffer | null> = {};
    const tree = repo.git.readCommit(head).tree;
    for (const deletion of changes.deletions ?? []) {
      if (!repo.git.entryAt(tree, deletion.path)) {
        throw new GraphqlError(
          `A path was requested for deletion which does not exist as of commit oid \`${head}\``,
          { type: "UNPROCESSABLE" },
        );
      }
      files[deletion.path] = null;
    }
    for (const addition of changes.additions ?? [])
      files[addition.path] = Buffer.from(addition.contents, "base64");
    const bot = state.app.bot;
    const text = message.body ? `${message.headline}\n\n${message.body}` : message.headline;
    const sha = state.commitFiles(repo, branchName, files, text, state.identityOf(bot), {
      committer: state.webCommitter(),
    });
    state.verifiedCommits.add(sha);
    const commit = repo.git.readCommit(sha);
    const url = `${core.urls.web}/${repo.owner.login}/${repo.name}/commit/${sha}`;
    return {
      __typename: "CreateCommitOnBranchPayload",
      clientMutationId: input.clientMutationId ?? null,
      commit: {
        __typename: "Commit",
        id: Buffer.from(`Commit:${sha}`).toString("base64"),
        oid: sha,
        abbreviatedOid: sha.slice(0, 7),
        url,
        commitUrl: url,
        message: commit.message,
        messageHeadline: message.headline,
        messageBody: message.body ?? "",
        committedDate: commit.committer.date,
        authoredDate: commit.author.date,
      },
      ref: {
        __typename: "Ref",
        id: Buffer.from(`Ref:${repo.id}:refs/heads/${branchName}`).toString("base64"),
        name: branchName,
        prefix: "refs/heads/",
        target: { __typename: "Commit", oid: sha },
      },
    };
  },
};

// ---- queries --------------------------------------------------------------------------------------

/** A connection over `items`, the first `first` of them (GitHub allows 1–100). */
function connection(typename: string, items: Obj[], first: unknown): Obj {
  const n = typeof first === "number" ? first : 100;
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw new GraphqlError(
      `Requesting ${n} records on the \`${typename}\` connection exceeds the \`first\` limit of 100 records.`,
      { type: "EXCESSIVE_PAGINATION" },
    );
  }
  return {
    __typename: typename,
    totalCount: items.length,
    nodes: items.slice(0, n),
    pageInfo: { __typename: "PageInfo", hasNextPage: items.length > n, endCursor: null },
  };
}

const upper = (value: string | null) => (value === null ? null : value.toUpperCase());

/**
 * A commit's check suites (each with its app and check runs) and its combined status.
 * https://docs.github.com/en/graphql/reference/objects#commit (checkSuites, status),
 * #checksuite (app, checkRuns(filterBy: {checkType: LATEST})), #checkrun (status and conclusion
 * as upper-case enums), #status (null when the commit has no status; `contexts` the latest per
 * context, `state` the combined one), #statuscontext.
 */
function commitObject(core: FakeCore, repo: RepoRec, sha: string): Obj {
  const { state, urls } = core;
  const html = `${urls.web}/${repo.owner.login}/${repo.name}`;
  const runObject = (run: CheckRunRec): Obj => ({
    __typename: "CheckRun",
    id: run.nodeId,
    databaseId: run.id,
    name: run.name,
    status: upper(run.status),
    conclusion: upper(run.conclusion),
    url: `${html}/runs/${run.id}`,
    detailsUrl: run.detailsUrl ?? `${urls.web}/apps/${run.app.slug}`,
    title: run.output.title,
    summary: run.output.summary,
  });
  const suites = [...state.checkSuites.values()].filter(
    (suite) => suite.repo === repo && suite.headSha === sha,
  );
  const statuses = state.statuses.filter((s) => s.repo === repo && s.sha === sha);
  const latestStatus = new Map<string, StatusRec>();
  for (const status of statuses) {
    const current = latestStatus.get(status.context);
    if (!current || status.id > current.id) latestStatus.set(status.context, status);
  }
  const contexts = [...latestStatus.values()];
  const states = new Set(contexts.map((c) => c.state));
  return {
    __typename: "Commit",
    oid: sha,
    checkSuites: ({ first }: Record<string, unknown>) =>
      connection(
        "CheckSuiteConnection",
        suites.map((suite) => ({
          __typename: "CheckSuite",
          id: suite.nodeId,
          databaseId: suite.id,
          app: {
            __typename: "App",
            databaseId: suite.app.id,
            slug: suite.app.slug,
            name: suite.app.name,
          },
          checkRuns: ({ first: runsFirst, filterBy }: Record<string, unknown>) => {
            const runs = [...state.checkRuns.values()]
              .filter((run) => run.suite === suite)
              .sort((a, b) => b.id - a.id);
            const latest = (filterBy as { checkType?: string } | null)?.checkType === "LATEST";
            const shown = latest
              ? runs.filter((run, i) => runs.findIndex((r) => r.name === run.name) === i)
              : runs;
            return connection("CheckRunConnection", shown.map(runObject), runsFirst);
          },
        })),
        first,
      ),
    status:
      contexts.length === 0
        ? null
        : {
            __typename: "Status",
            state: states.has("error")
              ? "ERROR"
              : states.has("failure")
                ? "FAILURE"
                : states.has("pending")
                  ? "PENDING"
                  : "SUCCESS",
            contexts: contexts.map((c) => ({
              __typename: "StatusContext",
              context: c.context,
              state: c.state.toUpperCase(),
              targetUrl: c.targetUrl,
              description: c.description,
              creator: { __typename: "Bot", login: c.creator.login },
            })),
          },
  };
}

const QUERIES: Record<
  string,
  (ctx: { core: FakeCore; token: TokenRec }, args: Record<string, unknown>) => Obj
> = {
  // https://docs.github.com/en/graphql/reference/queries#repository
  repository({ core, token }, args) {
    const nameWithOwner = `${String(args.owner ?? "")}/${String(args.name ?? "")}`;
    const repo = core.state.repos.get(nameWithOwner.toLowerCase());
    const missing = `Could not resolve to a Repository with the name '${nameWithOwner}'.`;
    if (!repo || repo.installationId !== token.installationId) {
      throw new GraphqlError(missing, { type: "NOT_FOUND" });
    }
    return {
      __typename: "Repository",
      id: repo.nodeId,
      name: repo.name,
      nameWithOwner: `${repo.owner.login}/${repo.name}`,
      // https://docs.github.com/en/graphql/reference/objects#repository (issue, pullRequest:
      // null with a NOT_FOUND error when there is none)
      issue: ({ number }: Record<string, unknown>) => {
        const issue = repo.issues.get(Number(number));
        if (!issue || issue.pull) {
          throw new GraphqlError(
            `Could not resolve to an Issue with the number of ${String(number)}.`,
            { type: "NOT_FOUND" },
          );
        }
        return { __typename: "Issue", id: issue.nodeId, number: issue.number };
      },
      pullRequest: ({ number }: Record<string, unknown>) => {
        const issue = repo.issues.get(Number(number));
        if (!issue?.pull) {
          throw new GraphqlError(
            `Could not resolve to a PullRequest with the number of ${String(number)}.`,
            { type: "NOT_FOUND" },
          );
        }
        return pullObject(core, issue as IssueRec & { pull: NonNullable<IssueRec["pull"]> });
      },
      // A commit by its full oid; null when the repository has none.
      object: ({ oid }: Record<string, unknown>) => {
        const sha = String(oid ?? "");
        return /^[0-9a-f]{40}$/.test(sha) && repo.git.has(sha, "commit")
          ? commitObject(core, repo, sha)
          : null;
      },
    };
  },
};

export async function handleGraphqlRequest(
  core: FakeCore,
  request: { body: unknown; token: TokenRec },
): Promise<RouteResult> {
  const body = (request.body ?? {}) as {
    query?: unknown;
    variables?: unknown;
    operationName?: unknown;
  };
  const fail = (error: GraphqlError, field?: Field): RouteResult => {
    if (error.violation) {
      core.violation({
        kind: "graphql",
        method: "POST",
        path: "/api/graphql",
        route: "/graphql",
        message: error.message,
        body: request.body,
      });
    }
    const entry: Record<string, unknown> = { message: error.message };
    if (error.type) entry.type = error.type;
    if (error.path) entry.path = error.path;
    if (field) entry.locations = [{ line: field.line, column: field.column }];
    const data = field ? { [field.alias ?? field.name]: null } : null;
    return {
      status: 200,
      body: error.violation && !field ? { errors: [entry] } : { data, errors: [entry] },
      changed: false,
    };
  };
  if (typeof body.query !== "string") {
    return fail(
      new GraphqlError("A query attribute must be specified and must be a string.", {
        violation: true,
      }),
    );
  }
  let operation: OperationDoc;
  try {
    operation = new Parser(body.query).parseDocument(
      typeof body.operationName === "string" ? body.operationName : undefined,
    );
  } catch (error) {
    if (error instanceof GraphqlError) return fail(error);
    throw error;
  }
  const variables = (body.variables ?? {}) as Record<string, unknown>;
  if (operation.kind === "query") return runQuery(core, request.token, operation, variables, fail);
  const rootType = operation.kind === "mutation" ? "Mutation" : "Query";
  const data: Record<string, unknown> = {};
  const errors: Record<string, unknown>[] = [];
  let changed = false;
  for (const field of operation.selections) {
    const resolver = operation.kind === "mutation" ? MUTATIONS[field.name] : undefined;
    if (!resolver) {
      return fail(
        new GraphqlError(
          `Field '${field.name}' doesn't exist on type '${rootType}' (the GitHub fake supports: ${Object.keys(MUTATIONS).join(", ")})`,
          { violation: true, path: [field.name] },
        ),
      );
    }
    const input = resolveVariables(field.args.input ?? null, variables);
    if (!input || typeof input !== "object") {
      return fail(
        new GraphqlError(`Argument 'input' on Field '${field.name}' is missing or not an object`, {
          violation: true,
        }),
        field,
      );
    }
    const key = field.alias ?? field.name;
    try {
      const result = resolver({
        core,
        token: request.token,
        input: input as Record<string, unknown>,
      });
      changed = true;
      data[key] = project(result, field.selections, [key]);
    } catch (error) {
      if (!(error instanceof GraphqlError)) throw error;
      if (error.violation) {
        return fail(
          new GraphqlError(error.message, { path: error.path ?? [key], violation: true }),
          field,
        );
      }
      // A field's error nulls that field and is listed; the mutations after it still run, one
      // after another (https://spec.graphql.org/October2021/#sec-Handling-Field-Errors,
      // https://spec.graphql.org/October2021/#sec-Mutation).
      data[key] = null;
      errors.push({
        message: error.message,
        ...(error.type ? { type: error.type } : {}),
        path: error.path ?? [key],
        locations: [{ line: field.line, column: field.column }],
      });
    }
  }
  return {
    status: 200,
    body: errors.length > 0 ? { data, errors } : { data },
    changed,
    operation: "mutation",
  };
}

function runQuery(
  core: FakeCore,
  token: TokenRec,
  operation: OperationDoc,
  variables: Record<string, unknown>,
  fail: (error: GraphqlError, field?: Field) => RouteResult,
): RouteResult {
  const data: Record<string, unknown> = {};
  for (const field of operation.selections) {
    const key = field.alias ?? field.name;
    const resolver = QUERIES[field.name];
    if (!resolver) {
      return fail(
        new GraphqlError(
          `Field '${field.name}' doesn't exist on type 'Query' (the GitHub fake supports: ${Object.keys(QUERIES).join(", ")})`,
          { violation: true, path: [field.name] },
        ),
      );
    }
    try {
      const args = resolveVariables(field.args, variables) as Record<string, unknown>;
      data[key] = project(resolver({ core, token }, args), field.selections, [key], variables);
    } catch (error) {
      if (!(error instanceof GraphqlError)) throw error;
      const result = fail(
        new GraphqlError(error.message, {
          ...(error.type ? { type: error.type } : {}),
          path: error.path ?? [key],
          violation: error.violation,
        }),
        field,
      );
      return { ...result, operation: "query" };
    }
  }
  return { status: 200, body: { data }, changed: false, operation: "query" };
}
