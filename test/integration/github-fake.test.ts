// The GitHub fake driven over real HTTP by Probot's own Octokit.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deliver,
  type GitHubFakeServer,
  startGitHubFake,
} from "../../testkit/fakes/github/index.ts";

const OWNER = "acme";
const REPO = "widgets";
const INSTALLATION = 4242;
const COMMENTS_ROUTE = "/repos/{owner}/{repo}/issues/{issue_number}/comments";

type Octokit = Awaited<ReturnType<Probot["auth"]>>;

const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  retry: { enabled: false },
  throttle: { enabled: false },
}));

function newProbot(fake: GitHubFakeServer): Probot {
  return new Probot({
    appId: fake.appId,
    privateKey: fake.privateKey,
    secret: "webhook-secret",
    baseUrl: fake.baseUrl,
    logLevel: "fatal",
    Octokit: TestOctokit,
  });
}

async function statusOf(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await promise;
    return { status: 0, message: "" };
  } catch (error) {
    const e = error as { status?: number; message?: string };
    return { status: e.status ?? -1, message: e.message ?? "" };
  }
}

function git(
  cwd: string,
  args: string[],
  input?: string,
  env: Record<string, string> = {},
): string {
  return execFileSync("git", args, {
    cwd,
    input,
    env: { ...process.env, ...env },
    encoding: "utf8",
  }).trim();
}

async function untar(data: ArrayBuffer): Promise<Map<string, string>> {
  const extract = tar.extract();
  const files = new Map<string, string>();
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      files.set(entry.header.name, Buffer.concat(chunks).toString());
    }
  })();
  extract.end(gunzipSync(Buffer.from(data)));
  await done;
  return files;
}

describe("GitHub fake over HTTP with Probot's Octokit", () => {
  let fake: GitHubFakeServer;
  let probot: Probot;
  let octokit: Octokit;
  let initialSha: string;

  beforeAll(async () => {
    fake = await startGitHubFake({ validateResponses: true });
    fake.addInstallation({ id: INSTALLATION, account: OWNER });
    initialSha = fake.addRepo({
      installationId: INSTALLATION,
      owner: OWNER,
      name: REPO,
      files: { "README.md": "# widgets\n", "src/index.ts": "export const answer = 42;\n" },
    });
    fake.setPermission(OWNER, REPO, "maria", "maintain");
    probot = newProbot(fake);
    octokit = await probot.auth(INSTALLATION);
  });

  afterAll(async () => {
    await fake?.close();
  });

  it("authenticates the app with a JWT and serves app and repository routes", async () => {
    const appOctokit = await probot.auth();
    const app = await appOctokit.rest.apps.getAuthenticated();
    expect(app.data?.id).toBe(fake.appId);
    const installation = await appOctokit.rest.apps.getRepoInstallation({
      owner: OWNER,
      repo: REPO,
    });
    expect(installation.data.id).toBe(INSTALLATION);
    const repo = await octokit.rest.repos.get({ owner: OWNER, repo: REPO });
    expect(repo.data).toMatchObject({
      full_name: "acme/widgets",
      default_branch: "main",
      private: false,
    });
    const permission = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner: OWNER,
      repo: REPO,
      username: "maria",
    });
    expect(permission.data).toMatchObject({ permission: "write", role_name: "maintain" });
  });

  it("creates, lists with pagination and updates issue comments", async () => {
    fake.openIssue({
      owner: OWNER,
      repo: REPO,
      author: "alice",
      title: "Add a widget",
      body: "Please.",
    });
    fake.comment({ owner: OWNER, repo: REPO, number: 1, author: "alice", body: "from a person" });
    for (let i = 1; i <= 4; i++) {
      const created = await octokit.rest.issues.createComment({
        owner: OWNER,
        repo: REPO,
        issue_number: 1,
        body: `bot ${i}`,
      });
      expect(created.status).toBe(201);
      expect(created.data.user).toMatchObject({ login: `${fake.appSlug}[bot]`, type: "Bot" });
    }
    const page = await octokit.rest.issues.listComments({
      owner: OWNER,
      repo: REPO,
      issue_number: 1,
      per_page: 2,
      page: 2,
    });
    expect(page.data.map((c) => c.body)).toEqual(["bot 2", "bot 3"]);
    expect(page.headers.link).toContain('rel="next"');
    expect(page.headers.link).toContain('rel="prev"');
    const all = await octokit.paginate(octokit.rest.issues.listComments, {
      owner: OWNER,
      repo: REPO,
      issue_number: 1,
      per_page: 2,
    });
    expect(all.map((c) => c.body)).toEqual(["from a person", "bot 1", "bot 2", "bot 3", "bot 4"]);
    const first = all[1];
    if (!first) throw new Error("missing comment");
    const updated = await octokit.rest.issues.updateComment({
      owner: OWNER,
      repo: REPO,
      comment_id: first.id,
      body: "edited",
    });
    expect(updated.data.body).toBe("edited");
    expect(fake.comments(OWNER, REPO, 1).map((c) => c.body)[1]).toBe("edited");
    expect(fake.writes(COMMENTS_ROUTE)).toHaveLength(4);
    expect(fake.countRequests({ method: "GET", route: COMMENTS_ROUTE })).toBe(4);
  });

  it("answers a conditional read 304 while the resource is unchanged, per token", async () => {
    const read = (etag?: string) =>
      octokit.rest.issues.listComments({
        owner: OWNER,
        repo: REPO,
        issue_number: 1,
        ...(etag ? { headers: { "if-none-match": etag } } : {}),
      });
    const first = await read();
    const etag = first.headers.etag ?? "";
    expect(etag).toMatch(/^W\/"[0-9a-f]+"$/);
    expect(await statusOf(read(etag))).toMatchObject({ status: 304 });
    // Another token's answer is another representation (GitHub varies by Authorization).
    const other = await newProbot(fake).auth(INSTALLATION);
    const elsewhere = await other.rest.issues.listComments({
      owner: OWNER,
      repo: REPO,
      issue_number: 1,
    });
    expect(elsewhere.headers.etag).not.toBe(etag);
    fake.comment({ owner: OWNER, repo: REPO, number: 1, author: "alice", body: "one more" });
    const changed = await read(etag);
    expect(changed.status).toBe(200);
    expect(changed.data.at(-1)?.body).toBe("one more");
    expect(
      fake.requestLog.filter((r) => r.route === COMMENTS_ROUTE && r.status === 304),
    ).toHaveLength(1);
  });

  it("answers 201 for a new reaction and 200 for the same one again", async () => {
    const [comment] = fake.comments(OWNER, REPO, 1);
    if (!comment) throw new Error("missing comment");
    const params = { owner: OWNER, repo: REPO, comment_id: comment.id, content: "eyes" as const };
    expect((await octokit.rest.reactions.createForIssueComment(params)).status).toBe(201);
    expect((await octokit.rest.reactions.createForIssueComment(params)).status).toBe(200);
    expect(fake.reactions(OWNER, REPO, { commentId: comment.id })).toEqual([
      { content: "eyes", user: `${fake.appSlug}[bot]` },
    ]);
    expect(
      fake.writes("/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"),
    ).toHaveLength(1);
  });

  it("hashes blobs, trees and commits exactly like git", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-fake-"));
    try {
      git(dir, ["init", "-q", "."]);
      const blob = await octokit.rest.git.createBlob({
        owner: OWNER,
        repo: REPO,
        content: "hello\n",
        encoding: "utf-8",
      });
      expect(blob.data.sha).toBe(git(dir, ["hash-object", "-w", "--stdin"], "hello\n"));

      const tree = await octokit.rest.git.createTree({
        owner: OWNER,
        repo: REPO,
        base_tree: (
          await octokit.rest.git.getCommit({ owner: OWNER, repo: REPO, commit_sha: initialSha })
        ).data.tree.sha,
        tree: [
          { path: "docs/hello.txt", mode: "100644", type: "blob", sha: blob.data.sha },
          { path: "docs.txt", mode: "100644", type: "blob", content: "hello\n" },
          { path: "README.md", mode: "100644", type: "blob", sha: null },
        ],
      });
      // The same tree built by git itself: docs/ (a subtree), docs.txt and src/index.ts.
      const indexBlob = git(dir, ["hash-object", "-w", "--stdin"], "export const answer = 42;\n");
      const docs = git(dir, ["mktree"], `100644 blob ${blob.data.sha}\thello.txt\n`);
      const src = git(dir, ["mktree"], `100644 blob ${indexBlob}\tindex.ts\n`);
      const root = git(
        dir,
        ["mktree"],
        `040000 tree ${docs}\tdocs\n100644 blob ${blob.data.sha}\tdocs.txt\n040000 tree ${src}\tsrc\n`,
      );
      expect(tree.data.sha).toBe(root);

      // Rebuild the fake's initial commit with git: same objects, same sha.
      const initial = (
        await octokit.rest.git.getCommit({ owner: OWNER, repo: REPO, commit_sha: initialSha })
      ).data;
      const readme = git(dir, ["hash-object", "-w", "--stdin"], "# widgets\n");
      const initialRoot = git(
        dir,
        ["mktree"],
        `100644 blob ${readme}\tREADME.md\n040000 tree ${src}\tsrc\n`,
      );
      expect(initial.tree.sha).toBe(initialRoot);
      const gitDate = (iso: string) => `${Date.parse(iso) / 1000} +0000`;
      const envOf = (
        author: { name?: string; email?: string; date?: string },
        committer = author,
      ) => ({
        GIT_AUTHOR_NAME: author.name ?? "",
        GIT_AUTHOR_EMAIL: author.email ?? "",
        GIT_AUTHOR_DATE: gitDate(author.date ?? ""),
        GIT_COMMITTER_NAME: committer.name ?? "",
        GIT_COMMITTER_EMAIL: committer.email ?? "",
        GIT_COMMITTER_DATE: gitDate(committer.date ?? ""),
      });
      expect(
        git(
          dir,
          ["commit-tree", initialRoot],
          initial.message,
          envOf(initial.author, initial.committer),
        ),
      ).toBe(initialSha);

      const who = { name: "Ada", email: "ada@example.com", date: "2024-01-01T00:00:00Z" };
      const message = "Add docs\n\nWith a body.";
      const commit = await octokit.rest.git.createCommit({
        owner: OWNER,
        repo: REPO,
        message,
        tree: tree.data.sha,
        parents: [initialSha],
        author: who,
        committer: who,
      });
      expect(commit.data.sha).toBe(
        git(dir, ["commit-tree", root, "-p", initialSha], message, envOf(who)),
      );

      const updated = await octokit.rest.git.updateRef({
        owner: OWNER,
        repo: REPO,
        ref: "heads/main",
        sha: commit.data.sha,
      });
      expect(updated.data.object.sha).toBe(commit.data.sha);
      expect(fake.readFile(OWNER, REPO, "main", "docs/hello.txt")).toBe("hello\n");
      expect(fake.readFile(OWNER, REPO, "main", "README.md")).toBeUndefined();
      const files = fake.branchCommits(OWNER, REPO, "main")[0]?.files;
      expect(files).toEqual([
        { path: "README.md", status: "removed" },
        { path: "docs.txt", status: "added" },
        { path: "docs/hello.txt", status: "added" },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a non-fast-forward ref update unless forced", async () => {
    const main = fake.branchSha(OWNER, REPO, "main");
    const nonFf = await statusOf(
      octokit.rest.git.updateRef({ owner: OWNER, repo: REPO, ref: "heads/main", sha: initialSha }),
    );
    expect(nonFf).toMatchObject({ status: 422 });
    expect(nonFf.message).toContain("Update is not a fast forward");
    expect(fake.branchSha(OWNER, REPO, "main")).toBe(main);
    const exists = await statusOf(
      octokit.rest.git.createRef({
        owner: OWNER,
        repo: REPO,
        ref: "refs/heads/main",
        sha: initialSha,
      }),
    );
    expect(exists.message).toContain("Reference already exists");
  });

  it("redirects a tarball to codeload and serves the files in one top folder", async () => {
    const sha = fake.branchSha(OWNER, REPO, "main") ?? "";
    const response = await octokit.rest.repos.downloadTarballArchive({
      owner: OWNER,
      repo: REPO,
      ref: "main",
    });
    expect(
      fake.requestLog.some(
        (r) => r.route === "/repos/{owner}/{repo}/tarball/{ref}" && r.status === 302,
      ),
    ).toBe(true);
    const files = await untar(response.data as ArrayBuffer);
    const top = `acme-widgets-${sha.slice(0, 7)}/`;
    expect([...files.keys()].every((name) => name.startsWith(top))).toBe(true);
    expect(files.get(`${top}docs/hello.txt`)).toBe("hello\n");
    expect(files.get(`${top}src/index.ts`)).toBe("export const answer = 42;\n");
  });

  it("creates a pull request and refuses a duplicate with 422", async () => {
    fake.pushCommit({
      owner: OWNER,
      repo: REPO,
      branch: "feature",
      files: { "feature.txt": "new\n" },
      author: "alice",
      message: "feature",
    });
    const created = await octokit.rest.pulls.create({
      owner: OWNER,
      repo: REPO,
      head: "feature",
      base: "main",
      title: "Feature",
      draft: true,
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      number: 2,
      draft: true,
      head: { ref: "feature" },
      base: { ref: "main" },
    });
    const duplicate = await statusOf(
      octokit.rest.pulls.create({
        owner: OWNER,
        repo: REPO,
        head: "acme:feature",
        base: "main",
        title: "Again",
      }),
    );
    expect(duplicate.status).toBe(422);
    expect(duplicate.message).toContain("A pull request already exists for acme:feature.");
    const listed = await octokit.rest.pulls.list({
      owner: OWNER,
      repo: REPO,
      head: "acme:feature",
    });
    expect(listed.data.map((p) => p.number)).toEqual([2]);
    const files = await octokit.rest.pulls.listFiles({ owner: OWNER, repo: REPO, pull_number: 2 });
    expect(files.data.map((f) => f.filename)).toEqual(["feature.txt"]);
    // A PR is an issue: comments and labels work on it.
    await octokit.rest.issues.addLabels({
      owner: OWNER,
      repo: REPO,
      issue_number: 2,
      labels: ["practical"],
    });
    expect(fake.labels(OWNER, REPO, 2)).toEqual(["practical"]);

    const ready = await octokit.graphql<{
      markPullRequestReadyForReview: { pullRequest: { isDraft: boolean; number: number } };
    }>(
      `mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { isDraft number } } }`,
      { id: created.data.node_id },
    );
    expect(ready.markPullRequestReadyForReview.pullRequest).toEqual({ isDraft: false, number: 2 });
    expect(fake.pull(OWNER, REPO, 2).draft).toBe(false);
  });

  it("commits through createCommitOnBranch and refuses a stale expectedHeadOid", async () => {
    const head = fake.branchSha(OWNER, REPO, "feature") ?? "";
    const mutation = `mutation($input: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $input) { commit { oid } } }`;
    const input = {
      branch: { repositoryNameWithOwner: "acme/widgets", branchName: "feature" },
      message: { headline: "Add spec", body: "Stage 2." },
      expectedHeadOid: head,
      fileChanges: {
        additions: [{ path: "docs/spec.md", contents: Buffer.from("# Spec\n").toString("base64") }],
        deletions: [{ path: "feature.txt" }],
      },
    };
    const result = await octokit.graphql<{ createCommitOnBranch: { commit: { oid: string } } }>(
      mutation,
      { input },
    );
    expect(fake.branchSha(OWNER, REPO, "feature")).toBe(result.createCommitOnBranch.commit.oid);
    expect(fake.readFile(OWNER, REPO, "feature", "docs/spec.md")).toBe("# Spec\n");
    expect(fake.branchCommits(OWNER, REPO, "feature")[0]?.message).toBe("Add spec\n\nStage 2.");
    const stale = await statusOf(octokit.graphql(mutation, { input }));
    expect(stale.message).toContain("Expected branch to point to");
    const unknown = await statusOf(octokit.graphql(`query { viewer { login } }`));
    expect(unknown.message).toContain("doesn't exist");
    expect(fake.violations.filter((v) => v.kind === "graphql")).toHaveLength(1);
  });

  it("rejects 51 annotations in one request through the OpenAPI check and accepts 50", async () => {
    const headSha = fake.branchSha(OWNER, REPO, "feature") ?? "";
    const annotations = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        path: "docs/spec.md",
        start_line: 1,
        end_line: 1,
        annotation_level: "warning" as const,
        message: `finding ${i}`,
      }));
    const before = fake.violations.length;
    const tooMany = await statusOf(
      octokit.rest.checks.create({
        owner: OWNER,
        repo: REPO,
        name: "review",
        head_sha: headSha,
        output: { title: "Review", summary: "s", annotations: annotations(51) },
      }),
    );
    expect(tooMany.status).toBe(422);
    expect(fake.violations.slice(before)).toMatchObject([
      { kind: "invalid-body", route: "/repos/{owner}/{repo}/check-runs" },
    ]);
    const run = await octokit.rest.checks.create({
      owner: OWNER,
      repo: REPO,
      name: "review",
      head_sha: headSha,
      status: "in_progress",
      external_id: "run-1",
      output: { title: "Review", summary: "s", annotations: annotations(50) },
      actions: [{ label: "Re-run", description: "Run the review again", identifier: "rerun" }],
    });
    await octokit.rest.checks.update({
      owner: OWNER,
      repo: REPO,
      check_run_id: run.data.id,
      conclusion: "neutral",
      output: { title: "Review", summary: "done", annotations: annotations(3) },
    });
    const all = await octokit.paginate(octokit.rest.checks.listAnnotations, {
      owner: OWNER,
      repo: REPO,
      check_run_id: run.data.id,
      per_page: 100,
    });
    expect(all).toHaveLength(53);
    const listed = await octokit.rest.checks.listForRef({
      owner: OWNER,
      repo: REPO,
      ref: headSha,
      check_name: "review",
    });
    expect(listed.data.check_runs.map((r) => [r.id, r.status, r.conclusion])).toEqual([
      [run.data.id, "completed", "neutral"],
    ]);
    const pressed = fake.pressCheckRunAction({
      checkRunId: run.data.id,
      identifier: "rerun",
      by: "alice",
    });
    expect(pressed.payload.requested_action?.identifier).toBe("rerun");
  });

  it("records an undocumented route and a documented but unimplemented one", async () => {
    const before = fake.violations.length;
    const bogus = await statusOf(
      octokit.request("GET /repos/{owner}/{repo}/no-such-thing", { owner: OWNER, repo: REPO }),
    );
    expect(bogus.status).toBe(404);
    const releases = await statusOf(octokit.rest.repos.listReleases({ owner: OWNER, repo: REPO }));
    expect(releases.status).toBe(501);
    expect(fake.violations.slice(before).map((v) => v.kind)).toEqual([
      "unknown-route",
      "not-implemented",
    ]);
  });

  it("performs the write and then answers 502 for an afterWrite fault", async () => {
    fake.injectFault({ method: "POST", route: COMMENTS_ROUTE, status: 502, afterWrite: true });
    const before = fake.comments(OWNER, REPO, 1).length;
    const result = await statusOf(
      octokit.rest.issues.createComment({
        owner: OWNER,
        repo: REPO,
        issue_number: 1,
        body: "once",
      }),
    );
    expect(result.status).toBe(502);
    expect(fake.comments(OWNER, REPO, 1)).toHaveLength(before + 1);
    expect(fake.writes(COMMENTS_ROUTE).at(-1)).toMatchObject({
      status: 502,
      faulted: true,
      body: { body: "once" },
    });

    fake.injectFault({ method: "POST", route: COMMENTS_ROUTE, status: 403 });
    const limited = await statusOf(
      octokit.rest.issues.createComment({
        owner: OWNER,
        repo: REPO,
        issue_number: 1,
        body: "never",
      }),
    );
    expect(limited.status).toBe(403);
    expect(limited.message).toContain("secondary rate limit");
    expect(fake.comments(OWNER, REPO, 1)).toHaveLength(before + 1);
  });

  it("delivers a signed webhook to a Probot app that answers through the fake", async () => {
    const app = newProbot(fake);
    const middleware = await createNodeMiddleware(
      (bot) => {
        bot.on("issues.opened", async (context) => {
          await context.octokit.rest.issues.createComment(
            context.issue({ body: `Thanks, ${context.payload.sender.login}` }),
          );
        });
      },
      { probot: app },
    );
    const server: Server = createServer((req, res) => {
      void middleware(req, res, () => {
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const event = fake.openIssue({
        owner: OWNER,
        repo: REPO,
        author: "bob",
        title: "Another",
        body: "x",
      });
      const response = await deliver(event, {
        url: `http://127.0.0.1:${port}/api/github/webhooks`,
        secret: "webhook-secret",
      });
      expect(response.status).toBe(200);
      expect(fake.comments(OWNER, REPO, event.payload.issue.number).map((c) => c.body)).toEqual([
        "Thanks, bob",
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("answers 401 Bad credentials once tokens expire", async () => {
    const { token } = (await octokit.auth({ type: "installation" })) as { token: string };
    const direct = new TestOctokit({ auth: { token }, baseUrl: fake.baseUrl });
    expect((await direct.rest.repos.get({ owner: OWNER, repo: REPO })).status).toBe(200);
    fake.expireTokens();
    const expired = await statusOf(direct.rest.repos.get({ owner: OWNER, repo: REPO }));
    expect(expired).toMatchObject({ status: 401 });
    expect(expired.message).toContain("Bad credentials");
  });

  it("kept every response within GitHub's schemas and recorded only the expected violations", () => {
    expect(fake.violations.map((v) => v.kind)).toEqual([
      "graphql",
      "invalid-body",
      "unknown-route",
      "not-implemented",
    ]);
  });
});
