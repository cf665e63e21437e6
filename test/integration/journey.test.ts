import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEMO_ANSWER,
  DEMO_ISSUE,
  DEMO_REPO_FILES,
  scriptDemoFeature,
} from "../../scripts/demo/feature.ts";
import type { Stage } from "../../src/core/feature.ts";
import { type Harness, OWNER, REPO, startHarness } from "../support/harness.ts";
import { waitFor } from "../support/services.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ files: DEMO_REPO_FILES });
  h.github.setPermission(OWNER, REPO, "mona", "write");
});
afterAll(async () => h?.stop());

const feature = (issue: number) => h.db.store.findFeatureByIssue(OWNER, REPO, issue);
const stageOf = async (issue: number) => (await feature(issue))?.stage;
const say = (issue: number, body: string, author = "mona") =>
  h.send(h.github.comment({ owner: OWNER, repo: REPO, number: issue, author, body }));

async function waitStage(issue: number, stage: Stage, timeout = 20_000) {
  await waitFor(
    `issue #${issue} at ${stage}`,
    async () => {
      const f = await feature(issue);
      if (f?.stage === "failed" && stage !== "failed") {
        throw new Error(`feature failed: ${f.failureReason}`);
      }
      return f?.stage === stage;
    },
    timeout,
  );
}

/** Opens the issue, answers the BA once, and approves every gate up to the code. */
async function driveToReviews(title: string): Promise<number> {
  const opened = h.github.openIssue({
    owner: OWNER,
    repo: REPO,
    author: "mona",
    title,
    body: DEMO_ISSUE.body,
    labels: ["practical"],
  });
  const issue = opened.payload.issue.number;
  await h.send(opened);
  await waitFor("the BA's question", () =>
    h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
  );
  await say(issue, DEMO_ANSWER);
  await waitFor("the brief", async () => (await feature(issue))?.artifacts.brief);
  await say(issue, "/approve");
  for (const stage of ["spec_ready", "plan_ready", "tests_ready"] as const) {
    await waitStage(issue, stage);
    const f = await feature(issue);
    // The plan is approved in the PR, the others in the issue: both work.
    await say(stage === "plan_ready" ? (f?.prNumber ?? issue) : issue, "/approve");
  }
  return issue;
}

describe("the pull-request side, end to end", () => {
  it("takes an issue to a merged PR: one commit per stage, three check runs, ready, merged", async () => {
    const unscript = scriptDemoFeature(h.model);
    const before = h.github.countRequests();
    const issue = await driveToReviews(DEMO_ISSUE.title);
    await waitStage(issue, "awaiting_merge");

    const f = await feature(issue);
    expect(f?.branch).toBe(`practical/${issue}-add-a-health-endpoint`);
    const branch = f?.branch ?? "";
    const commits = h.github.branchCommits(OWNER, REPO, branch);
    const ours = commits.filter((c) => c.message.includes("Practical-Step:"));
    expect(ours.map((c) => c.message.split("\n")[0])).toEqual([
      `feat: implement #${issue}`,
      `test: contract tests for #${issue}`,
      `docs: implementation plan for #${issue}`,
      `docs: brief and specification for #${issue}`,
    ]);
    const files = h.github.files(OWNER, REPO, branch);
    const docs = `docs/practical/${issue}-add-a-health-endpoint`;
    for (const path of [
      `${docs}/brief.md`,
      `${docs}/spec.md`,
      `${docs}/plan.md`,
      "test/health.test.js",
      "src/health.js",
    ]) {
      expect(files[path], path).toBeTruthy();
    }
    expect(files["src/server.js"]).toContain("/health");

    // Each gate's approval names the commit that carried its artifact.
    const approvals = await h.db.store.listApprovals(f?.id ?? 0);
    const specCommit = ours.find((c) => c.message.startsWith("docs: brief"))?.sha;
    expect(approvals.find((a) => a.gate === "spec")?.artifact_version).toBe(specCommit);

    await waitFor("the PR marked ready", () => !h.github.pull(OWNER, REPO, f?.prNumber ?? 0).draft);
    const pr = h.github.pull(OWNER, REPO, f?.prNumber ?? 0);
    expect(pr.title).toBe("feat: add GET /health endpoint");
    expect(pr.body).toContain(`Closes #${issue}`);
    expect(h.github.pulls(OWNER, REPO)).toHaveLength(1);

    const runs = h.github.checkRuns(OWNER, REPO, f?.headSha ?? "");
    expect(runs.map((r) => [r.name, r.conclusion]).sort()).toEqual([
      ["Build Practical / alignment", "success"],
      ["Build Practical / code review", "success"],
      ["Build Practical / security", "success"],
    ]);
    const security = runs.find((r) => r.name === "Build Practical / security");
    expect(security?.annotations).toMatchObject([{ path: "src/health.js", start_line: 10 }]);
    await waitFor("the stage label", () =>
      h.github.labels(OWNER, REPO, issue).includes("practical:awaiting-merge"),
    );

    await h.send(
      h.github.mergePullRequest({ owner: OWNER, repo: REPO, number: f?.prNumber ?? 0, by: "mona" }),
    );
    await waitStage(issue, "done");
    await waitFor("the issue closed", () => h.github.issue(OWNER, REPO, issue).state === "closed");
    const calls = h.github.countRequests() - before;
    const byRoute = new Map<string, number>();
    for (const r of (
      h.github as unknown as { core: { requestLog: { method: string; route: string | null }[] } }
    ).core.requestLog) {
      const k = `${r.method} ${r.route}`;
      byRoute.set(k, (byRoute.get(k) ?? 0) + 1);
    }
    console.log(
      [...byRoute]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${n}\t${k}`)
        .join("\n"),
    );
    console.log(`GitHub API calls for the journey: ${calls}`);
    expect(calls).toBeLessThan(150);
    expect(h.github.violations).toEqual([]);
    unscript();
  }, 90_000);
});
