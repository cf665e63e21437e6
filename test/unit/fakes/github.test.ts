// The GitHub fake's building blocks: git objects, the OpenAPI matcher and validators, and the
// webhook payloads its user actions return (checked against GitHub's own webhook schemas).
import { sign, verify } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GitStore,
  hashObject,
  lineDiff,
  parseCommit,
  serializeCommit,
} from "../../../testkit/fakes/github/git.ts";
import {
  type GitHubFakeServer,
  signWebhook,
  startGitHubFake,
  validateWebhookPayload,
} from "../../../testkit/fakes/github/index.ts";
import {
  matchOperation,
  validateRequestBody,
  validateResponseBody,
} from "../../../testkit/fakes/github/openapi.ts";

describe("git objects", () => {
  it("hashes like git", () => {
    expect(hashObject("blob", Buffer.from("hello\n"))).toBe(
      "ce013625030ba8dba906f756967f9e9ca394464a",
    );
    expect(new GitStore().writeTree([])).toBe("4b825dc642cb6eb9a060e54bf8d69288fbee4904");
  });

  it("sorts a directory as if its name ended with a slash", () => {
    const git = new GitStore();
    const blob = git.writeBlob("hello\n");
    const sub = git.writeTree([{ mode: "100644", name: "x", type: "blob", sha: blob }]);
    const tree = git.writeTree([
      { mode: "040000", name: "hello", type: "tree", sha: sub },
      { mode: "100644", name: "hello.txt", type: "blob", sha: blob },
    ]);
    expect(git.readTree(tree).map((e) => e.name)).toEqual(["hello.txt", "hello"]);
  });

  it("round-trips commits, time zones included", () => {
    const commit = {
      tree: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
      parents: ["ce013625030ba8dba906f756967f9e9ca394464a"],
      author: { name: "Ada", email: "ada@example.com", date: "2024-01-01T02:00:00+02:00" },
      committer: { name: "GitHub", email: "noreply@github.com", date: "2024-01-01T00:00:00Z" },
      message: "Subject\n\nBody\n",
    };
    const text = serializeCommit(commit).toString();
    expect(text).toContain("author Ada <ada@example.com> 1704067200 +0200\n");
    expect(parseCommit(serializeCommit(commit))).toEqual(commit);
  });

  it("builds nested trees, walks history and merges at file level", () => {
    const git = new GitStore();
    const who = { name: "A", email: "a@x", date: "2024-01-01T00:00:00Z" };
    const commitWith = (files: Record<string, string>, parents: string[]) => {
      const flat = new Map(
        Object.entries(files).map(([p, c]) => [
          p,
          { mode: "100644" as const, type: "blob" as const, sha: git.writeBlob(c) },
        ]),
      );
      return git.writeCommit({
        tree: git.buildTree(flat),
        parents,
        author: who,
        committer: who,
        message: "m",
      });
    };
    const base = commitWith({ "a.txt": "a\n", "dir/b.txt": "b\n" }, []);
    const ours = commitWith({ "a.txt": "a2\n", "dir/b.txt": "b\n" }, [base]);
    const theirs = commitWith({ "a.txt": "a\n", "dir/b.txt": "b2\n", "dir/c.txt": "c\n" }, [base]);
    expect(git.mergeBase(ours, theirs)).toBe(base);
    expect(git.isAncestor(base, ours)).toBe(true);
    expect(git.commitsBetween(ours, theirs)).toEqual([theirs]);
    const merged = git.mergeTrees(
      git.readCommit(base).tree,
      git.readCommit(ours).tree,
      git.readCommit(theirs).tree,
    );
    expect([...git.flatten(merged).keys()].sort()).toEqual(["a.txt", "dir/b.txt", "dir/c.txt"]);
    const clash = commitWith({ "a.txt": "a3\n", "dir/b.txt": "b\n" }, [base]);
    expect(() =>
      git.mergeTrees(
        git.readCommit(base).tree,
        git.readCommit(ours).tree,
        git.readCommit(clash).tree,
      ),
    ).toThrow(/conflict in a.txt/);
  });

  it("produces unified patches like git diff", () => {
    const diff = lineDiff("one\ntwo\nthree\n", "one\n2\nthree\nfour\n");
    expect(diff).toEqual({
      additions: 2,
      deletions: 1,
      patch: "@@ -1,3 +1,4 @@\n one\n-two\n+2\n three\n+four",
    });
    expect(lineDiff("", "x\n").patch).toBe("@@ -0,0 +1 @@\n+x");
  });
});

describe("OpenAPI matching and validation", () => {
  it("matches templates, letting path-like parameters span segments", () => {
    const contents = matchOperation("GET", "/repos/o/r/contents/src/deep/file.ts");
    expect(contents).toMatchObject({
      kind: "ok",
      match: {
        template: "/repos/{owner}/{repo}/contents/{path}",
        params: { path: "src/deep/file.ts" },
      },
    });
    const ref = matchOperation("PATCH", "/repos/o/r/git/refs/heads%2Ffeature%2Fx");
    expect(ref).toMatchObject({
      kind: "ok",
      match: {
        template: "/repos/{owner}/{repo}/git/refs/{ref}",
        params: { ref: "heads/feature/x" },
      },
    });
    expect(matchOperation("GET", "/repos/o/r/issues/comments/5")).toMatchObject({
      match: { template: "/repos/{owner}/{repo}/issues/comments/{comment_id}" },
    });
    expect(matchOperation("GET", "/repos/o/r/commits/abc/check-runs")).toMatchObject({
      match: { template: "/repos/{owner}/{repo}/commits/{ref}/check-runs" },
    });
    expect(matchOperation("GET", "/repos/o/r/contents")).toMatchObject({
      match: { params: { path: "" } },
    });
    expect(matchOperation("GET", "/repos/o/r/nope")).toEqual({ kind: "unknown-path" });
    expect(matchOperation("PUT", "/repos/o/r/issues/1/comments")).toMatchObject({
      kind: "unknown-method",
    });
  });

  it("validates request bodies against the operation's schema", () => {
    const result = matchOperation("POST", "/repos/o/r/issues/1/comments");
    if (result.kind !== "ok") throw new Error("no match");
    expect(validateRequestBody(result.match, { body: "hi" })).toBeUndefined();
    expect(validateRequestBody(result.match, { text: "hi" })).toContain(
      "must have required property 'body'",
    );
    const reaction = matchOperation("POST", "/repos/o/r/issues/comments/1/reactions");
    if (reaction.kind !== "ok") throw new Error("no match");
    expect(validateRequestBody(reaction.match, { content: "thumbsup" })).toContain(
      "must be equal to one of the allowed values",
    );
  });

  it("can check the fake's responses too", () => {
    const result = matchOperation("GET", "/repos/o/r");
    if (result.kind !== "ok") throw new Error("no match");
    expect(validateResponseBody(result.match, 200, { id: 1 })).toContain(
      "must have required property",
    );
  });
});

describe("webhooks returned by user actions", () => {
  let fake: GitHubFakeServer;
  const repo = { owner: "acme", repo: "widgets" };

  beforeAll(async () => {
    fake = await startGitHubFake();
    fake.addInstallation({ id: 1, account: "acme" });
    fake.addRepo({
      installationId: 1,
      owner: "acme",
      name: "widgets",
      files: { "README.md": "hi\n" },
    });
    fake.addUser("renovate[bot]", { type: "Bot" });
  });

  afterAll(async () => {
    await fake?.close();
  });

  it("match GitHub's webhook schemas and carry installation, repository and sender", () => {
    const events: { name: string; payload: unknown }[] = [];
    events.push(
      fake.openIssue({ ...repo, author: "alice", title: "T", body: "B", labels: ["bug"] }),
    );
    events.push(fake.labelIssue({ ...repo, number: 1, label: "practical", by: "alice" }));
    events.push(fake.unlabelIssue({ ...repo, number: 1, label: "practical", by: "alice" }));
    const created = fake.comment({ ...repo, number: 1, author: "renovate[bot]", body: "hey" });
    events.push(created);
    events.push(fake.editComment({ ...repo, commentId: created.payload.comment.id, body: "hey!" }));
    fake.pushCommit({
      ...repo,
      branch: "feature",
      files: { "a.txt": "a\n" },
      author: "alice",
      message: "add a",
    });
    events.push(fake.openPullRequest({ ...repo, head: "feature", title: "PR", author: "alice" }));
    const onPull = fake.comment({ ...repo, number: 2, author: "bob", body: "on the PR" });
    events.push(onPull);
    events.push(fake.labelIssue({ ...repo, number: 2, label: "practical", by: "alice" }));
    events.push(
      fake.submitReview({
        ...repo,
        number: 2,
        author: "bob",
        state: "changes_requested",
        body: "fix",
        comments: [{ path: "a.txt", line: 1, body: "nit" }],
      }),
    );
    const headSha = fake.branchSha("acme", "widgets", "feature") ?? "";
    events.push(
      fake.completeCheckSuite({
        ...repo,
        headSha,
        conclusion: "failure",
        checkRuns: [
          {
            name: "test",
            conclusion: "failure",
            annotations: [
              {
                path: "a.txt",
                start_line: 1,
                end_line: 1,
                annotation_level: "failure",
                message: "boom",
              },
            ],
          },
        ],
      }),
    );
    events.push(fake.mergePullRequest({ ...repo, number: 2, by: "carol" }));
    events.push(fake.closeIssue({ ...repo, number: 1, by: "carol" }));

    for (const event of events) {
      const payload = event.payload as {
        action?: string;
        installation?: { id: number };
        repository?: { full_name: string };
        sender?: { login: string };
      };
      expect(
        validateWebhookPayload(event.name, payload.action, payload),
        `${event.name}.${payload.action}`,
      ).toBeUndefined();
      expect(payload.installation?.id).toBe(1);
      expect(payload.repository?.full_name).toBe("acme/widgets");
      expect(typeof payload.sender?.login).toBe("string");
    }
    expect(events.map((e) => e.name)).toContain("pull_request");
    expect(created.payload.comment.user?.type).toBe("Bot");
    expect(onPull.payload.issue.pull_request).toBeDefined();
    expect(created.payload.issue).not.toHaveProperty("pull_request");
    expect(fake.pull("acme", "widgets", 2)).toMatchObject({ merged: true, state: "closed" });
    expect(fake.readFile("acme", "widgets", "main", "a.txt")).toBe("a\n");
    expect(fake.branchCommits("acme", "widgets", "main")[0]?.parents).toHaveLength(2);
  });

  it("signs deliveries the way @octokit/webhooks-methods verifies them", async () => {
    const body = JSON.stringify({ hello: "world" });
    expect(signWebhook("s3cret", body)).toBe(await sign("s3cret", body));
    expect(await verify("s3cret", body, signWebhook("s3cret", body))).toBe(true);
  });
});
