// The code half of the GitHub adapter (commits, pull requests, check runs, snapshots) driven
// over HTTP against the GitHub fake, through a real Probot and its Octokit.

import { Probot, ProbotOctokit } from "probot";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OctokitGitHub } from "../../src/adapters/github/octokit-github.ts";
import { SnapshotCache } from "../../src/adapters/github/snapshot-cache.ts";
import { BranchMovedError, isPermanent } from "../../src/errors.ts";
import type { CheckAnnotation, CommitRequest, RepoRef } from "../../src/ports/github.ts";
import {
  type GitHubFakeServer,
  type LedgerEntry,
  startGitHubFake,
} from "../../testkit/fakes/github/index.ts";

const OWNER = "acme";
const INSTALLATION = 5151;
const BRANCH = "practical/12-csv-export";

const ROUTES = {
  refs: "/repos/{owner}/{repo}/git/refs",
  ref: "/repos/{owner}/{repo}/git/refs/{ref}",
  trees: "/repos/{owner}/{repo}/git/trees",
  commits: "/repos/{owner}/{repo}/git/commits",
  pulls: "/repos/{owner}/{repo}/pulls",
  pull: "/repos/{owner}/{repo}/pulls/{pull_number}",
  checkRuns: "/repos/{owner}/{repo}/check-runs",
  checkRun: "/repos/{owner}/{repo}/check-runs/{check_run_id}",
};

const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  retry: { enabled: false },
  throttle: { enabled: false },
}));

function newProbot(fake: GitHubFakeServer, Octokit = TestOctokit): Probot {
  return new Probot({
    appId: fake.appId,
    privateKey: fake.privateKey,
    secret: "webhook-secret",
    baseUrl: fake.baseUrl,
    logLevel: "fatal",
    Octokit,
  });
}

describe("OctokitGitHub against the GitHub fake: code", () => {
  let fake: GitHubFakeServer;
  let github: OctokitGitHub;
  let repoCount = 0;

  beforeAll(async () => {
    fake = await startGitHubFake({ slug: "build-practical", validateResponses: true });
    fake.addInstallation({ id: INSTALLATION, account: OWNER, accountType: "Organization" });
    github = new OctokitGitHub(newProbot(fake), fake.appId);
  });

  afterEach(() => {
    fake.clearFaults();
    expect(fake.violations).toEqual([]);
  });

  afterAll(async () => {
    await fake?.close();
  });

  /** A fresh repository per test, so ledger entries are told apart by path. */
  function newRepo(files: Record<string, string> = {}): RepoRef & { base: string } {
    repoCount += 1;
    const name = `widgets-${repoCount}`;
    const base = fake.addRepo({
      installationId: INSTALLATION,
      owner: OWNER,
      name,
      files: { "README.md": "# Widgets\n", "src/app.ts": "export const app = 1;\n", ...files },
    });
    return { installationId: INSTALLATION, owner: OWNER, repo: name, base };
  }

  function writes(repo: RepoRef, method: string, route: string): LedgerEntry[] {
    return fake.ledger.filter(
      (e) =>
        e.method === method &&
        e.route === route &&
        e.path.startsWith(`/repos/${repo.owner}/${repo.repo}/`),
    );
  }

  /** The `createCommitOnBranch` mutations sent for a repository. */
  function commitMutations(repo: RepoRef): LedgerEntry[] {
    return fake.ledger.filter((e) => {
      const body = e.body as { query?: string; variables?: { input?: { branch?: unknown } } };
      const branch = body?.variables?.input?.branch as
        | { repositoryNameWithOwner?: string }
        | undefined;
      return (
        e.route === "/graphql" &&
        String(body?.query).includes("createCommitOnBranch") &&
        branch?.repositoryNameWithOwner === `${repo.owner}/${repo.repo}`
      );
    });
  }

  /** GraphQL requests since `mark` (the request log's length then): refused ones included. */
  function graphqlSince(mark: number) {
    return fake.requestLog.slice(mark).filter((r) => r.route === "/graphql");
  }

  function request(overrides: Partial<CommitRequest> & { marker: string }): CommitRequest {
    return {
      branch: BRANCH,
      base: "main",
      message: `Add the spec\n\n${overrides.marker}\n`,
      files: [],
      basedOn: null,
      ...overrides,
    };
  }

  describe("commitFiles", () => {
    it("with the repository's node id, creates the branch, its commit and the draft PR in one request", async () => {
      const repo = newRepo();
      const { nodeId, defaultBranch } = await github.getRepository(repo);
      expect(defaultBranch).toBe("main");
      const mark = fake.requestLog.length;
      const result = await github.commitFiles(repo, {
        ...request({
          marker: "Practical-Step: f15-spec-v1",
          files: [{ path: "docs/spec.md", content: "# Spec\n" }],
        }),
        repositoryId: nodeId,
        pullRequest: { title: "CSV export", body: "Closes #15" },
      });

      expect(result).toMatchObject({ created: true, branchCreated: true });
      expect(fake.branchCommits(OWNER, repo.repo, BRANCH)[0]).toMatchObject({
        sha: result.sha,
        parents: [repo.base],
      });
      const [pull] = fake.pulls(OWNER, repo.repo);
      expect(pull).toMatchObject({ number: result.pullRequest?.number, draft: true });
      expect(fake.pull(OWNER, repo.repo, pull?.number ?? 0).body).toBe("Closes #15");
      const calls = fake.requestLog
        .slice(mark)
        .filter((r) => r.path.includes(`/${repo.repo}/`) || r.route === "/graphql");
      // The branch (missing), the base, its tree's entries, then one request for all three.
      expect(calls.map((r) => `${r.method} ${r.route} ${r.operation ?? ""}`.trim())).toEqual([
        "GET /repos/{owner}/{repo}/commits",
        "GET /repos/{owner}/{repo}/commits",
        "GET /repos/{owner}/{repo}/git/trees/{tree_sha}",
        "POST /graphql mutation",
      ]);
      expect(writes(repo, "POST", ROUTES.refs)).toHaveLength(0);

      // Run again (a retried job): the marker finds the commit; nothing is created twice.
      const again = await github.commitFiles(repo, {
        ...request({
          marker: "Practical-Step: f15-spec-v1",
          files: [{ path: "docs/spec.md", content: "# Spec\n" }],
        }),
        repositoryId: nodeId,
        pullRequest: { title: "CSV export", body: "Closes #15" },
      });
      expect(again).toEqual({ sha: result.sha, created: false });
      expect(fake.pulls(OWNER, repo.repo)).toHaveLength(1);
    });

    it("a branch someone created meanwhile: the commit goes on top of it, no PR is opened", async () => {
      const repo = newRepo();
      const { nodeId } = await github.getRepository(repo);
      fake.pushCommit({
        owner: OWNER,
        repo: repo.repo,
        branch: BRANCH,
        files: { "other.txt": "x\n" },
        author: "maria",
        message: "Start the branch",
      });
      // The app's listing misses it (it appeared just after): GitHub then refuses createRef and
      // the commit expecting the base's head, and the app goes on as for an existing branch.
      fake.injectFault({
        method: "GET",
        route: "/repos/{owner}/{repo}/commits",
        status: 404,
        body: { message: "Not Found" },
      });
      const result = await github.commitFiles(repo, {
        ...request({
          marker: "Practical-Step: f16-spec-v1",
          files: [{ path: "docs/spec.md", content: "# Spec\n" }],
        }),
        repositoryId: nodeId,
        pullRequest: { title: "CSV export", body: "Closes #16" },
      });
      expect(result.created).toBe(true);
      expect(result.branchCreated).toBeUndefined();
      expect(result.pullRequest).toBeUndefined();
      const files = fake.files(OWNER, repo.repo, BRANCH);
      expect(files["other.txt"]).toBe("x\n");
      expect(files["docs/spec.md"]).toBe("# Spec\n");
    });

    it("creates the branch from the default branch with every file in one commit", async () => {
      const repo = newRepo();
      const mark = fake.requestLog.length;
      const result = await github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-spec-v1",
          files: [
            { path: "docs/practical/12/spec.md", content: "# Spec\n" },
            { path: "docs/practical/12/plan.md", content: "# Plan\n" },
            { path: "src/app.ts", content: "export const app = 2;\n" },
          ],
        }),
      );

      expect(result.created).toBe(true);
      expect(fake.branchSha(OWNER, repo.repo, BRANCH)).toBe(result.sha);
      const [commit, root] = fake.branchCommits(OWNER, repo.repo, BRANCH);
      expect(commit?.sha).toBe(result.sha);
      expect(commit?.parents).toEqual([repo.base]);
      expect(root?.sha).toBe(repo.base);
      expect(commit?.message).toContain("Practical-Step: f12-spec-v1");
      expect(commit?.files.map((f) => f.path).sort()).toEqual([
        "docs/practical/12/plan.md",
        "docs/practical/12/spec.md",
        "src/app.ts",
      ]);
      expect(fake.files(OWNER, repo.repo, BRANCH)).toEqual({
        "README.md": "# Widgets\n",
        "src/app.ts": "export const app = 2;\n",
        "docs/practical/12/spec.md": "# Spec\n",
        "docs/practical/12/plan.md": "# Plan\n",
      });
      expect(fake.branchSha(OWNER, repo.repo, "main")).toBe(repo.base);

      const created = writes(repo, "POST", ROUTES.refs);
      expect(created).toHaveLength(1);
      expect(created[0]?.body).toMatchObject({ ref: `refs/heads/${BRANCH}`, sha: repo.base });
      // One GraphQL commit, checked against the head it was computed on, and verified.
      const mutations = commitMutations(repo);
      expect(mutations).toHaveLength(1);
      expect(mutations[0]?.body).toMatchObject({
        variables: { input: { expectedHeadOid: repo.base, branch: { branchName: BRANCH } } },
      });
      expect(writes(repo, "POST", ROUTES.trees)).toHaveLength(0);
      expect(writes(repo, "POST", ROUTES.commits)).toHaveLength(0);
      expect(writes(repo, "PATCH", ROUTES.ref)).toHaveLength(0);
      expect(fake.countRequests({ route: "/repos/{owner}/{repo}/contents/{path}" })).toBe(0);
      // The listing of the branch (missing), of the base, the ref, the tree, the commit.
      const calls = fake.requestLog
        .slice(mark)
        .filter((r) => r.path.includes(`/${repo.repo}/`) || r.route === "/graphql");
      expect(calls.map((r) => `${r.method} ${r.route}`)).toEqual([
        "GET /repos/{owner}/{repo}/commits",
        "GET /repos/{owner}/{repo}/commits",
        "POST /repos/{owner}/{repo}/git/refs",
        "GET /repos/{owner}/{repo}/git/trees/{tree_sha}",
        "POST /graphql",
      ]);
    });

    it("returns the step's commit when run again, without a second commit", async () => {
      const repo = newRepo();
      const step = request({
        marker: "Practical-Step: f12-spec-v1",
        files: [{ path: "docs/spec.md", content: "# Spec\n" }],
      });
      const first = await github.commitFiles(repo, step);
      const again = await github.commitFiles(repo, {
        ...step,
        files: [{ path: "docs/spec.md", content: "# A different answer the second time\n" }],
      });

      expect(again).toEqual({ sha: first.sha, created: false });
      expect(fake.branchSha(OWNER, repo.repo, BRANCH)).toBe(first.sha);
      expect(fake.branchCommits(OWNER, repo.repo, BRANCH)).toHaveLength(2);
      expect(commitMutations(repo)).toHaveLength(1);
    });

    it("deletes files, skipping paths the branch does not have", async () => {
      const repo = newRepo({ "docs/old.md": "old\n" });
      const result = await github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-code-v1",
          files: [
            { path: "docs/old.md", content: null },
            { path: "docs/never-existed.md", content: null },
            { path: "src/new.ts", content: "export {};\n" },
          ],
        }),
      );

      expect(result.created).toBe(true);
      const files = fake.files(OWNER, repo.repo, BRANCH);
      expect(files["docs/old.md"]).toBeUndefined();
      expect(files["src/new.ts"]).toBe("export {};\n");
      expect(fake.branchCommits(OWNER, repo.repo, BRANCH)[0]?.files).toEqual(
        expect.arrayContaining([
          { path: "docs/old.md", status: "removed" },
          { path: "src/new.ts", status: "added" },
        ]),
      );
      expect(commitMutations(repo)[0]?.body).toMatchObject({
        variables: {
          input: {
            fileChanges: {
              additions: [
                { path: "src/new.ts", contents: Buffer.from("export {};\n").toString("base64") },
              ],
              deletions: [{ path: "docs/old.md" }],
            },
          },
        },
      });
    });

    it("makes no commit when nothing changes", async () => {
      const repo = newRepo();
      const first = await github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-spec-v1",
          files: [{ path: "docs/spec.md", content: "# Spec\n" }],
        }),
      );
      const same = await github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-spec-v2",
          files: [
            { path: "docs/spec.md", content: "# Spec\n" },
            { path: "docs/absent.md", content: null },
          ],
          basedOn: first.sha,
        }),
      );

      expect(same).toEqual({ sha: first.sha, created: false, unchanged: true });
      expect(fake.branchSha(OWNER, repo.repo, BRANCH)).toBe(first.sha);
      expect(commitMutations(repo)).toHaveLength(1);
    });

    it("builds on someone else's push that changes other files and keeps their work", async () => {
      const repo = newRepo();
      const ours = await github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-spec-v1",
          files: [{ path: "docs/spec.md", content: "# Spec\n" }],
        }),
      );
      const theirs = fake.pushCommit({
        owner: OWNER,
        repo: repo.repo,
        branch: BRANCH,
        files: { "NOTES.md": "maria's notes\n" },
        author: "maria",
        message: "Add notes",
      });

      const next = await github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-plan-v1",
          files: [{ path: "docs/plan.md", content: "# Plan\n" }],
          basedOn: ours.sha,
        }),
      );

      expect(next.created).toBe(true);
      const history = fake.branchCommits(OWNER, repo.repo, BRANCH);
      expect(history.map((c) => c.sha).slice(0, 3)).toEqual([next.sha, theirs, ours.sha]);
      expect(history[0]?.parents).toEqual([theirs]);
      const files = fake.files(OWNER, repo.repo, BRANCH);
      expect(files["NOTES.md"]).toBe("maria's notes\n");
      expect(files["docs/plan.md"]).toBe("# Plan\n");
      expect(files["docs/spec.md"]).toBe("# Spec\n");
    });

    it("refuses with BranchMovedError when someone changed the same file, leaving the branch alone", async () => {
      const repo = newRepo();
      const ours = await github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-spec-v1",
          files: [{ path: "docs/spec.md", content: "# Spec\n" }],
        }),
      );
      const theirs = fake.pushCommit({
        owner: OWNER,
        repo: repo.repo,
        branch: BRANCH,
        files: { "docs/spec.md": "# Spec, edited by hand\n" },
        author: "maria",
        message: "Edit the spec",
      });
      const mark = fake.requestLog.length;

      const attempt = github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-spec-v2",
          files: [
            { path: "docs/spec.md", content: "# Spec v2\n" },
            { path: "docs/other.md", content: "other\n" },
          ],
          basedOn: ours.sha,
        }),
      );

      await expect(attempt).rejects.toBeInstanceOf(BranchMovedError);
      await attempt.catch((error: BranchMovedError) => {
        expect(error.paths).toEqual(["docs/spec.md"]);
        expect(error.branch).toBe(BRANCH);
        expect(isPermanent(error)).toBe(true);
      });
      expect(fake.branchSha(OWNER, repo.repo, BRANCH)).toBe(theirs);
      expect(fake.readFile(OWNER, repo.repo, BRANCH, "docs/spec.md")).toBe(
        "# Spec, edited by hand\n",
      );
      expect(graphqlSince(mark)).toHaveLength(0);
    });

    it("redoes the commit on top of a push that lands between its read and its ref update, without force", async () => {
      const repo = newRepo();
      const ours = await github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-spec-v1",
          files: [{ path: "docs/spec.md", content: "# Spec\n" }],
        }),
      );
      let theirs = "";
      const RacingOctokit = TestOctokit.plugin((octokit) => {
        octokit.hook.before("request", (options) => {
          if (!theirs && options.method === "POST" && String(options.url).includes("/graphql")) {
            theirs = fake.pushCommit({
              owner: OWNER,
              repo: repo.repo,
              branch: BRANCH,
              files: { "NOTES.md": "pushed at the worst moment\n" },
              author: "maria",
              message: "Racing push",
            });
          }
        });
      });
      const racing = new OctokitGitHub(newProbot(fake, RacingOctokit), fake.appId);
      const mark = fake.requestLog.length;

      const result = await racing.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-plan-v1",
          files: [{ path: "docs/plan.md", content: "# Plan\n" }],
          basedOn: ours.sha,
        }),
      );

      expect(theirs).not.toBe("");
      expect(result.created).toBe(true);
      const history = fake.branchCommits(OWNER, repo.repo, BRANCH);
      expect(history.map((c) => c.sha).slice(0, 3)).toEqual([result.sha, theirs, ours.sha]);
      expect(fake.files(OWNER, repo.repo, BRANCH)).toMatchObject({
        "NOTES.md": "pushed at the worst moment\n",
        "docs/plan.md": "# Plan\n",
        "docs/spec.md": "# Spec\n",
      });
      // The first commit, the one refused because the branch moved, the one on top of theirs.
      expect(graphqlSince(mark)).toHaveLength(2);
      expect(commitMutations(repo)).toHaveLength(2);
      expect(commitMutations(repo)[1]?.body).toMatchObject({
        variables: { input: { expectedHeadOid: theirs } },
      });
    });

    it("refuses a racing push that changed the same file even without basedOn", async () => {
      const repo = newRepo();
      let theirs = "";
      const RacingOctokit = TestOctokit.plugin((octokit) => {
        octokit.hook.before("request", (options) => {
          if (!theirs && options.method === "POST" && String(options.url).includes("/graphql")) {
            theirs = fake.pushCommit({
              owner: OWNER,
              repo: repo.repo,
              branch: BRANCH,
              files: { "docs/spec.md": "theirs\n" },
              author: "maria",
              message: "Racing push",
            });
          }
        });
      });
      const racing = new OctokitGitHub(newProbot(fake, RacingOctokit), fake.appId);

      await expect(
        racing.commitFiles(
          repo,
          request({
            marker: "Practical-Step: f12-spec-v1",
            files: [{ path: "docs/spec.md", content: "ours\n" }],
          }),
        ),
      ).rejects.toBeInstanceOf(BranchMovedError);
      expect(fake.branchSha(OWNER, repo.repo, BRANCH)).toBe(theirs);
      expect(fake.readFile(OWNER, repo.repo, BRANCH, "docs/spec.md")).toBe("theirs\n");
    });

    it("gives up with a clear error when the commit keeps being refused because the branch moved", async () => {
      const repo = newRepo();
      // GitHub answers a stale `expectedHeadOid` with an error in a 200 response.
      fake.injectFault({
        method: "POST",
        route: "/graphql",
        status: 200,
        body: {
          data: null,
          errors: [
            {
              type: "STALE_DATA",
              path: ["createCommitOnBranch"],
              message: `Expected branch to point to "${repo.base}" but it did not. Pull and try again.`,
            },
          ],
        },
        times: 10,
      });
      const mark = fake.requestLog.length;

      await expect(
        github.commitFiles(
          repo,
          request({
            marker: "Practical-Step: f12-spec-v1",
            files: [{ path: "docs/spec.md", content: "# Spec\n" }],
          }),
        ),
      ).rejects.toThrow(/kept moving/);
      expect(fake.branchSha(OWNER, repo.repo, BRANCH)).toBe(repo.base);
      expect(graphqlSince(mark)).toHaveLength(4);
    });

    it("recovers from a lost race to create the branch", async () => {
      const repo = newRepo();
      // Another run creates the branch first: the create lands, and this one is told 422.
      fake.injectFault({
        method: "POST",
        route: ROUTES.refs,
        status: 422,
        afterWrite: true,
        body: {
          message: "Reference already exists",
          documentation_url: "https://docs.github.com/rest/git/refs#create-a-reference",
          status: "422",
        },
      });

      const result = await github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-spec-v1",
          files: [{ path: "docs/spec.md", content: "# Spec\n" }],
        }),
      );

      expect(result.created).toBe(true);
      expect(fake.branchCommits(OWNER, repo.repo, BRANCH)[0]?.parents).toEqual([repo.base]);
      expect(fake.readFile(OWNER, repo.repo, BRANCH, "docs/spec.md")).toBe("# Spec\n");
    });
  });

  describe("diff", () => {
    it("reads the patches between two commits", async () => {
      const repo = newRepo();

      const result = await github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-code-v1",
          files: [
            { path: "src/app.ts", content: "export const app = 2;\n" },
            { path: "README.md", content: null },
            { path: "src/new.ts", content: "export const created = true;\n" },
          ],
        }),
      );
      expect(fake.branchCommits(OWNER, repo.repo, BRANCH)[0]?.sha).toBe(result.sha);

      const files = await github.diff(repo, repo.base, result.sha);
      const byPath = new Map(files.map((f) => [f.path, f]));
      expect([...byPath.keys()].sort()).toEqual(["README.md", "src/app.ts", "src/new.ts"]);
      expect(byPath.get("README.md")?.status).toBe("removed");
      expect(byPath.get("src/new.ts")?.status).toBe("added");
      expect(byPath.get("src/app.ts")?.status).toBe("modified");
      expect(byPath.get("src/app.ts")?.patch).toContain("-export const app = 1;");
      expect(byPath.get("src/app.ts")?.patch).toContain("+export const app = 2;");
    });
  });

  describe("ensurePullRequest", () => {
    it("on a branch its first commit created, opens the pull request without looking for one", async () => {
      const repo = newRepo();
      const commit = await github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f13-spec-v1",
          files: [{ path: "docs/spec.md", content: "# Spec\n" }],
        }),
      );
      expect(commit.branchCreated).toBe(true);
      const listsBefore = fake.requestLog.filter(
        (r) => r.method === "GET" && r.route === "/repos/{owner}/{repo}/pulls",
      ).length;
      const pr = await github.ensurePullRequest(repo, {
        head: BRANCH,
        base: "main",
        title: "CSV export",
        body: "Closes #13",
        newBranch: true,
      });
      expect(pr).toMatchObject({ created: true, headSha: commit.sha });
      expect(
        fake.requestLog.filter(
          (r) => r.method === "GET" && r.route === "/repos/{owner}/{repo}/pulls",
        ),
      ).toHaveLength(listsBefore);
      // A later commit on the existing branch did not create it.
      const second = await github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f13-plan-v1",
          files: [{ path: "docs/plan.md", content: "# Plan\n" }],
        }),
      );
      expect(second.branchCreated).toBeUndefined();
    });

    it("opens one draft pull request and updates its body, not its title, when called again", async () => {
      const repo = newRepo();
      const commit = await github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-spec-v1",
          files: [{ path: "docs/spec.md", content: "# Spec\n" }],
        }),
      );

      const first = await github.ensurePullRequest(repo, {
        head: BRANCH,
        base: "main",
        title: "CSV export",
        body: "Closes #12\n\nStage: spec",
      });
      const second = await github.ensurePullRequest(repo, {
        head: BRANCH,
        base: "main",
        title: "A title that is not applied",
        body: "Closes #12\n\nStage: plan",
      });
      const third = await github.ensurePullRequest(repo, {
        head: BRANCH,
        base: "main",
        title: "CSV export",
        body: "Closes #12\n\nStage: plan",
      });

      expect(first).toMatchObject({ created: true, headSha: commit.sha });
      expect(second).toMatchObject({ created: false, number: first.number, headSha: commit.sha });
      expect(third).toMatchObject({ created: false, number: first.number });
      expect(first.url).toContain(`/pull/${first.number}`);
      const pulls = fake.pulls(OWNER, repo.repo);
      expect(pulls).toHaveLength(1);
      expect(pulls[0]).toMatchObject({
        number: first.number,
        draft: true,
        title: "CSV export",
        body: "Closes #12\n\nStage: plan",
        head: { ref: BRANCH, sha: commit.sha },
        base: { ref: "main" },
      });
      expect(writes(repo, "POST", ROUTES.pulls)).toHaveLength(1);
      const updates = writes(repo, "PATCH", ROUTES.pull);
      expect(updates).toHaveLength(1);
      expect(updates[0]?.body).toEqual({ body: "Closes #12\n\nStage: plan" });
    });

    it("finds the pull request another run opened first", async () => {
      const repo = newRepo();
      await github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-spec-v1",
          files: [{ path: "docs/spec.md", content: "# Spec\n" }],
        }),
      );
      fake.injectFault({
        method: "GET",
        route: ROUTES.pulls,
        status: 200,
        body: [],
      });
      const opened = fake.openPullRequest({
        owner: OWNER,
        repo: repo.repo,
        head: BRANCH,
        title: "Opened by the other run",
        body: "same body",
        author: "build-practical[bot]",
        draft: true,
      });

      const found = await github.ensurePullRequest(repo, {
        head: BRANCH,
        base: "main",
        title: "CSV export",
        body: "same body",
      });

      expect(found).toMatchObject({ created: false, number: opened.payload.number });
      expect(fake.pulls(OWNER, repo.repo)).toHaveLength(1);
    });
  });

  describe("markPullRequestReady", () => {
    it("marks the draft ready and posts the notice in one request; a second run adds nothing", async () => {
      const repo = newRepo();
      await github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f14-spec-v1",
          files: [{ path: "docs/spec.md", content: "# Spec\n" }],
        }),
      );
      const issue = fake.openIssue({ owner: OWNER, repo: repo.repo, author: "mona", title: "T" })
        .payload.issue.number;
      const pr = await github.ensurePullRequest(repo, {
        head: BRANCH,
        base: "main",
        title: "CSV export",
        body: "b",
      });
      const marker = "<!-- practical:reply feature=14 key=v9-ready_for_review -->";
      const announce = { issueNumber: issue, marker, body: `Ready.\n${marker}`, firstRun: true };
      const mark = fake.requestLog.length;

      await github.markPullRequestReady(repo, pr.number, announce);

      const requests = fake.requestLog.slice(mark);
      // The node ids, then both mutations in one request.
      expect(requests.map((r) => r.operation)).toEqual(["query", "mutation"]);
      expect(fake.pull(OWNER, repo.repo, pr.number).draft).toBe(false);
      const notices = () =>
        fake.comments(OWNER, repo.repo, issue).filter((c) => c.body.includes(marker));
      expect(notices()).toHaveLength(1);

      // A retried job: the comment is found by its marker, the PR is ready already.
      await github.markPullRequestReady(repo, pr.number, { ...announce, firstRun: false });
      expect(notices()).toHaveLength(1);
      expect(fake.requestLog.slice(mark).filter((r) => r.operation === "mutation")).toHaveLength(1);
    });
  });

  describe("ensureComment", () => {
    it("takes a marker only from the app's own comments, never from a stranger's", async () => {
      const repo = newRepo();
      fake.openIssue({ owner: OWNER, repo: repo.repo, author: "alice", title: "T", body: "B" });
      const marker = "<!-- practical:status feature=1 -->";
      fake.comment({
        owner: OWNER,
        repo: repo.repo,
        number: 1,
        author: "mallory",
        body: `${marker}\nI am the status comment now`,
      });
      const ours = await github.ensureComment(repo, 1, marker, `${marker}\nStatus: drafting`);
      const again = await github.ensureComment(repo, 1, marker, `${marker}\nStatus: spec`);
      expect(again.id).toBe(ours.id);
      const comments = fake.comments(OWNER, repo.repo, 1);
      expect(comments.map((c) => [c.author, c.body.split("\n")[1]])).toEqual([
        ["mallory", "I am the status comment now"],
        ["build-practical[bot]", "Status: spec"],
      ]);
    });
  });

  describe("ensureCheckRun", () => {
    function annotations(count: number): CheckAnnotation[] {
      return Array.from({ length: count }, (_, i) => ({
        path: "src/app.ts",
        start_line: i + 1,
        end_line: i + 1,
        annotation_level: i % 2 === 0 ? "warning" : "failure",
        title: `Finding ${i + 1}`,
        message: `Finding number ${i + 1}`,
      }));
    }

    it("cuts a summary and text over 65,535 UTF-8 bytes so GitHub accepts them", async () => {
      const repo = newRepo();
      const long = "セキュリティの指摘: 入力が検証されていません。\n".repeat(2_000); // ~130 kB
      await github.ensureCheckRun(repo, {
        headSha: repo.base,
        name: "Build Practical / security",
        externalId: "feature-12/round-1/security_review",
        status: "completed",
        conclusion: "failure",
        title: "Findings",
        summary: long,
        text: long,
        annotations: [],
        actions: [],
      });
      const [run] = fake.checkRuns(OWNER, repo.repo, repo.base);
      expect(Buffer.byteLength(run?.output.summary ?? "", "utf8")).toBeLessThanOrEqual(65_535);
      expect(run?.output.text).toMatch(/truncated/);
    });

    it("sends 120 annotations in requests of at most 50 to one check run, and stays one when called again", async () => {
      const repo = newRepo();
      const check = {
        headSha: repo.base,
        name: "Build Practical / security",
        externalId: "feature-12/round-1/security_review",
        status: "completed" as const,
        conclusion: "failure" as const,
        title: "3 findings",
        summary: "Security review",
        text: "Details",
        annotations: annotations(120),
        actions: [
          { label: "Fix findings", description: "Ask the implementer to fix", identifier: "fix" },
          { label: "Two", description: "two", identifier: "two" },
          { label: "Three", description: "three", identifier: "three" },
          { label: "Four", description: "four", identifier: "four" },
        ],
      };

      const first = await github.ensureCheckRun(repo, check);
      const runs = fake.checkRuns(OWNER, repo.repo, repo.base);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({
        id: first.id,
        name: "Build Practical / security",
        externalId: "feature-12/round-1/security_review",
        status: "completed",
        conclusion: "failure",
        output: { title: "3 findings", summary: "Security review", text: "Details" },
      });
      expect(runs[0]?.annotations).toHaveLength(120);
      expect(runs[0]?.annotations.map((a) => a.start_line)).toEqual(
        Array.from({ length: 120 }, (_, i) => i + 1),
      );
      expect(runs[0]?.actions.map((a) => a.identifier)).toEqual(["fix", "two", "three"]);

      const sent = [
        ...writes(repo, "POST", ROUTES.checkRuns),
        ...writes(repo, "PATCH", ROUTES.checkRun),
      ].map((e) => (e.body as { output?: { annotations?: unknown[] } }).output?.annotations ?? []);
      expect(sent.map((a) => a.length)).toEqual([50, 50, 20]);
      const created = writes(repo, "POST", ROUTES.checkRuns)[0]?.body as Record<string, unknown>;
      expect(created.completed_at).toEqual(expect.any(String));
      expect(created.external_id).toBe("feature-12/round-1/security_review");

      const second = await github.ensureCheckRun(repo, { ...check, conclusion: "neutral" });
      expect(second.id).toBe(first.id);
      const after = fake.checkRuns(OWNER, repo.repo, repo.base);
      expect(after).toHaveLength(1);
      expect(after[0]?.conclusion).toBe("neutral");
      expect(after[0]?.annotations).toHaveLength(120);
      expect(writes(repo, "POST", ROUTES.checkRuns)).toHaveLength(1);
    });

    it("creates an in-progress run, then completes the same run", async () => {
      const repo = newRepo();
      const base = {
        headSha: repo.base,
        name: "Build Practical / code",
        externalId: "feature-12/round-1/code_review",
        title: "Reviewing",
        summary: "In progress",
      };
      const started = await github.ensureCheckRun(repo, { ...base, status: "in_progress" });
      const other = await github.ensureCheckRun(repo, {
        ...base,
        externalId: "feature-12/round-2/code_review",
        status: "in_progress",
      });
      const done = await github.ensureCheckRun(repo, {
        ...base,
        status: "completed",
        conclusion: "success",
        title: "No findings",
        summary: "Done",
      });

      expect(done.id).toBe(started.id);
      expect(other.id).not.toBe(started.id);
      const run = fake.checkRuns(OWNER, repo.repo).find((r) => r.id === started.id);
      expect(run).toMatchObject({
        status: "completed",
        conclusion: "success",
        output: { title: "No findings", summary: "Done" },
      });
      const report = await github.readCheckRun(repo, started.id);
      expect(report).toMatchObject({
        id: started.id,
        name: "Build Practical / code",
        conclusion: "success",
        title: "No findings",
        summary: "Done",
        annotations: [],
      });
    });

    it("reads a check run back with at most 50 annotations", async () => {
      const repo = newRepo();
      const run = await github.ensureCheckRun(repo, {
        headSha: repo.base,
        name: "Build Practical / alignment",
        externalId: "feature-12/round-1/alignment_review",
        status: "completed",
        conclusion: "failure",
        title: "Findings",
        summary: "Many",
        annotations: annotations(70),
      });
      const report = await github.readCheckRun(repo, run.id);
      expect(report.annotations).toHaveLength(50);
      expect(report.annotations[0]).toEqual({
        path: "src/app.ts",
        line: 1,
        message: "Finding number 1",
      });
    });
  });

  describe("reading what others left", () => {
    it("failedChecksOfSuite returns the failed runs of a CI suite with their annotations", async () => {
      const repo = newRepo();
      const event = fake.completeCheckSuite({
        owner: OWNER,
        repo: repo.repo,
        headSha: repo.base,
        conclusion: "failure",
        checkRuns: [
          {
            name: "test",
            conclusion: "failure",
            summary: "2 tests failed",
            annotations: [
              {
                path: "src/app.ts",
                start_line: 3,
                end_line: 3,
                annotation_level: "failure",
                message: "expected 1 to be 2",
              },
            ],
          },
          { name: "lint", conclusion: "success" },
          { name: "build", conclusion: "timed_out", summary: "took too long" },
          { name: "docs", conclusion: "skipped" },
        ],
      });
      const suiteId = event.payload.check_suite.id;

      const failed = await github.failedChecksOfSuite(repo, suiteId);

      expect(failed.map((r) => r.name).sort()).toEqual(["build", "test"]);
      const test = failed.find((r) => r.name === "test");
      expect(test).toMatchObject({
        conclusion: "failure",
        summary: "2 tests failed",
        annotations: [{ path: "src/app.ts", line: 3, message: "expected 1 to be 2" }],
      });
      expect(failed.find((r) => r.name === "build")).toMatchObject({
        conclusion: "timed_out",
        annotations: [],
      });
    });

    it("ciChecks reads every app's latest check runs and the statuses in one GraphQL query", async () => {
      const repo = newRepo();
      fake.completeCheckSuite({
        owner: OWNER,
        repo: repo.repo,
        headSha: repo.base,
        conclusion: "failure",
        checkRuns: [
          { name: "test", conclusion: "failure", summary: "2 tests failed" },
          { name: "lint", conclusion: "success" },
        ],
      });
      fake.reportStatus({
        owner: OWNER,
        repo: repo.repo,
        sha: repo.base,
        context: "ci/jenkins",
        state: "pending",
        description: "running",
        targetUrl: "https://ci.example/1",
      });
      fake.reportStatus({
        owner: OWNER,
        repo: repo.repo,
        sha: repo.base,
        context: "ci/jenkins",
        state: "success",
        targetUrl: "https://ci.example/1",
      });
      const mark = fake.requestLog.length;

      const checks = await github.ciChecks(repo, repo.base);

      const requests = fake.requestLog.slice(mark);
      expect(requests.map((r) => [r.route, r.operation])).toEqual([["/graphql", "query"]]);
      expect(checks.map((c) => [c.kind, c.name, c.state, c.conclusion]).sort()).toEqual([
        ["check_run", "lint", "success", "success"],
        ["check_run", "test", "failure", "failure"],
        // The latest status of each context counts.
        ["status", "ci/jenkins", "success", "success"],
      ]);
      const test = checks.find((c) => c.name === "test");
      expect(test?.appId).not.toBeNull();
      expect(test?.description).toContain("2 tests failed");
      expect(await github.ciChecks(repo, "0".repeat(40))).toEqual([]);
    });

    it("readReview returns a review's body and its line comments", async () => {
      const repo = newRepo();
      await github.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-code-v1",
          files: [{ path: "src/app.ts", content: "export const app = 2;\n" }],
        }),
      );
      const pr = await github.ensurePullRequest(repo, {
        head: BRANCH,
        base: "main",
        title: "CSV export",
        body: "b",
      });
      const event = fake.submitReview({
        owner: OWNER,
        repo: repo.repo,
        number: pr.number,
        author: "maria",
        state: "changes_requested",
        body: "Please rename things",
        comments: [
          { path: "src/app.ts", line: 1, body: "Call it `widgetApp`" },
          { path: "README.md", line: 1, body: "Mention CSV" },
        ],
      });

      const review = await github.readReview(repo, pr.number, event.payload.review.id);

      expect(review).toEqual({
        body: "Please rename things",
        comments: [
          { path: "src/app.ts", line: 1, body: "Call it `widgetApp`" },
          { path: "README.md", line: 1, body: "Mention CSV" },
        ],
      });
    });
  });

  describe("snapshot", () => {
    it("returns the text files of a ref without GitHub's top folder, leaving out binary and huge files", async () => {
      const longPath = `docs/${"a-very-long-folder-name/".repeat(6)}notes.md`;
      expect(longPath.length).toBeGreaterThan(100);
      const repo = newRepo({
        "assets/logo.png": "\u0089PNG\r\n\u001a\n\u0000\u0000\u0000\rIHDR",
        "data/huge.txt": "x".repeat(1024 * 1024 + 1),
        [longPath]: "deep\n",
        "src/lib/util.ts": "export const util = 1;\n",
      });
      const head = fake.pushCommit({
        owner: OWNER,
        repo: repo.repo,
        branch: "main",
        files: { "CHANGELOG.md": "## 1.0\n" },
        author: "maria",
        message: "Changelog",
      });

      const snapshot = await github.snapshot(repo, "main");

      expect(snapshot.sha).toBe(head);
      expect(Object.fromEntries(snapshot.files)).toEqual({
        "README.md": "# Widgets\n",
        "src/app.ts": "export const app = 1;\n",
        "src/lib/util.ts": "export const util = 1;\n",
        "CHANGELOG.md": "## 1.0\n",
        [longPath]: "deep\n",
      });
      expect(
        fake.requestLog.some(
          (r) => r.route === "/repos/{owner}/{repo}/tarball/{ref}" && r.path.endsWith(`/${head}`),
        ),
      ).toBe(true);

      const older = await github.snapshot(repo, repo.base);
      expect(older.sha).toBe(repo.base);
      expect(older.files.has("CHANGELOG.md")).toBe(false);
      expect(older.files.get("README.md")).toBe("# Widgets\n");
    });

    it("with a cache, a second read of the same commit downloads nothing: a branch costs one commit read, a sha none", async () => {
      const repo = newRepo();
      const cached = new OctokitGitHub(newProbot(fake), fake.appId, {
        snapshots: new SnapshotCache(16 * 1024 * 1024),
      });
      const routes = (mark: number) => fake.requestLog.slice(mark).map((r) => r.route);
      const TARBALL = "/repos/{owner}/{repo}/tarball/{ref}";

      let mark = fake.requestLog.length;
      const [first, concurrent] = await Promise.all([
        cached.snapshot(repo, "main"),
        cached.snapshot(repo, "main"),
      ]);
      expect(concurrent).toBe(first);
      expect(routes(mark).filter((r) => r === TARBALL)).toHaveLength(1);

      mark = fake.requestLog.length;
      const again = await cached.snapshot(repo, "main");
      expect(again).toBe(first);
      expect(routes(mark)).toEqual(["/repos/{owner}/{repo}/commits/{ref}"]);

      mark = fake.requestLog.length;
      expect(await cached.snapshot(repo, first.sha)).toBe(first);
      expect(routes(mark)).toEqual([]);

      // A new commit on the branch is a new snapshot.
      fake.pushCommit({
        owner: OWNER,
        repo: repo.repo,
        branch: "main",
        files: { "CHANGELOG.md": "## 1.0\n" },
        author: "maria",
        message: "Changelog",
      });
      mark = fake.requestLog.length;
      const moved = await cached.snapshot(repo, "main");
      expect(moved.files.get("CHANGELOG.md")).toBe("## 1.0\n");
      expect(routes(mark).filter((r) => r === TARBALL)).toHaveLength(1);
    });

    it("a commit the app makes on a held head costs one call, and its snapshot is derived, as a download would read it", async () => {
      const repo = newRepo({ "docs/old.md": "# Old\n" });
      const cached = new OctokitGitHub(newProbot(fake), fake.appId, {
        snapshots: new SnapshotCache(16 * 1024 * 1024),
      });
      const routes = (mark: number) => fake.requestLog.slice(mark).map((r) => r.route);
      await cached.snapshot(repo, repo.base);
      const spec = await cached.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-spec-v1",
          files: [{ path: "docs/spec.md", content: "# Spec\n" }],
        }),
      );

      let mark = fake.requestLog.length;
      const plan = await cached.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-plan-v1",
          files: [
            { path: "docs/plan.md", content: "# Plan\n" },
            { path: "src/app.ts", content: "export const app = 2;\n" },
            { path: "docs/old.md", content: null },
          ],
          basedOn: spec.sha,
          firstRun: true,
        }),
      );
      expect(plan.created).toBe(true);
      expect(routes(mark)).toEqual(["/graphql"]);

      mark = fake.requestLog.length;
      const derived = await cached.snapshot(repo, plan.sha);
      expect(routes(mark)).toEqual([]);
      const downloaded = await github.snapshot(repo, plan.sha);
      expect(Object.fromEntries(derived.files)).toEqual(Object.fromEntries(downloaded.files));
      expect(fake.files(OWNER, repo.repo, BRANCH)["src/app.ts"]).toBe("export const app = 2;\n");

      // Not a first attempt: the branch is searched for the step's commit, which is found.
      mark = fake.requestLog.length;
      const again = await cached.commitFiles(
        repo,
        request({
          marker: "Practical-Step: f12-plan-v1",
          files: [{ path: "docs/plan.md", content: "# Plan\n" }],
          basedOn: spec.sha,
        }),
      );
      expect(again).toEqual({ sha: plan.sha, created: false });
      expect(routes(mark)).toEqual(["/repos/{owner}/{repo}/commits"]);
    });

    it("reconciles the archive with the tree: export-ignored files are hidden, links and submodules special, a cut tree said", async () => {
      const repo = newRepo({
        ".gitattributes": "tests export-ignore\n/docs/** export-ignore\n*.snap export-ignore\n",
        "tests/app.test.ts": "import { app } from '../src/app';\n",
        "docs/guide.md": "# Guide\n",
        "src/__snapshots__/a.snap": "snap\n",
      });
      // A symbolic link and a submodule, made through the Git Data API as a client would.
      const octokit = await github.octokit(repo);
      const { owner, repo: name } = repo;
      const link = await octokit.rest.git.createBlob({ owner, repo: name, content: "src/app.ts" });
      const base = await octokit.rest.git.getCommit({ owner, repo: name, commit_sha: repo.base });
      const tree = await octokit.rest.git.createTree({
        owner,
        repo: name,
        base_tree: base.data.tree.sha,
        tree: [
          { path: "app-link.ts", mode: "120000", type: "blob", sha: link.data.sha },
          { path: "vendor/lib", mode: "160000", type: "commit", sha: "1".repeat(40) },
        ],
      });
      const commit = await octokit.rest.git.createCommit({
        owner,
        repo: name,
        message: "Link and submodule",
        tree: tree.data.sha,
        parents: [repo.base],
      });
      await octokit.rest.git.updateRef({
        owner,
        repo: name,
        ref: "heads/main",
        sha: commit.data.sha,
      });

      const snapshot = await github.snapshot(repo, "main");
      expect([...snapshot.files.keys()].sort()).toEqual([
        ".gitattributes",
        "README.md",
        "src/app.ts",
      ]);
      expect([...(snapshot.hidden ?? [])].sort()).toEqual([
        "docs/guide.md",
        "src/__snapshots__/a.snap",
        "tests/app.test.ts",
      ]);
      expect(Object.fromEntries(snapshot.special ?? [])).toEqual({
        "app-link.ts": "a symbolic link",
        "vendor/lib": "a submodule",
      });
      expect(snapshot.truncated).toBe(false);
      // A hidden file is there to be read on demand.
      expect(await github.readFile(repo, "tests/app.test.ts", snapshot.sha)).toContain("import");

      fake.setTreeLimit(OWNER, name, 3);
      expect((await github.snapshot(repo, "main")).truncated).toBe(true);
    });
  });
});
