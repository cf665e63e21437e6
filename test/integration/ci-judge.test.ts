// The repository's CI is the judge: GitHub Actions played by the fake on every push (a check
// suite by `github-actions`, one check run per job, job logs behind the logs route, webhooks).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import type { ActionsJob } from "../../testkit/fakes/github/index.ts";
import { byTool } from "../../testkit/fakes/model/index.ts";
import { journey } from "../../testkit/journey.ts";
import { waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO, startHarness } from "../../testkit/stack.ts";

/** What the played workflow does: fail the tests until the code exists and passes lint. */
let ci: "actions" | "none" | "always-green" = "actions";

const log = (lines: string[]) =>
  [
    "2025-01-01T00:00:00.0000000Z ##[group]Run npm ci",
    ...Array.from({ length: 300 }, (_, i) => `2025-01-01T00:00:01.0000000Z added package ${i}`),
    "2025-01-01T00:00:02.0000000Z ##[endgroup]",
    ...lines.map((l) => `2025-01-01T00:00:03.0000000Z ${l}`),
    "2025-01-01T00:00:04.0000000Z ##[error]Process completed with exit code 1.",
  ].join("\n");

function workflow(files: Record<string, string>): ActionsJob[] | null {
  if (ci === "none") return null;
  if (ci === "always-green" || !files["test/health.test.js"]) {
    return [{ name: "test", conclusion: "success", log: "ok\n" }];
  }
  const health = files["src/health.js"];
  if (!health) {
    return [
      {
        name: "test",
        conclusion: "failure",
        log: log([
          "✖ healthReport returns ok (1.2ms)",
          "  Error: Cannot find module '../src/health.js'",
          "      at Object.<anonymous> (test/health.test.js:3:1)",
          "      at Module._compile (node:internal/modules/cjs/loader:1554:14)",
          "ℹ fail 4",
        ]),
      },
    ];
  }
  if (!health.includes("const uptimeSeconds")) {
    return [
      {
        name: "test",
        conclusion: "failure",
        log: log([
          "> eslint src",
          "src/health.js:10:1  error  max-len: line too long (104 > 100)",
          "✖ 1 problem (1 error, 0 warnings)",
        ]),
      },
    ];
  }
  return [{ name: "test", conclusion: "success", log: "ℹ pass 4\n" }];
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ files: DEMO_REPO_FILES });
  h.github.setPermission(OWNER, REPO, "mona", "write");
  h.github.playActions({ owner: OWNER, repo: REPO, workflow: ({ files }) => workflow(files) });
});
afterAll(async () => h?.stop());

const { feature, say, waitStage, stepCommits, openAndApproveBrief } = journey(() => h);

const statusComment = (issue: number) =>
  h.github.comments(OWNER, REPO, issue).find((c) => c.body.includes("practical:status"))?.body ??
  "";

/** Approves the spec and plan, then waits at the tests gate. */
async function toTestsGate(title: string): Promise<number> {
  const issue = await openAndApproveBrief(title);
  await waitStage(issue, "spec_ready");
  await say(issue, "/approve");
  await waitStage(issue, "plan_ready");
  await say(issue, "/approve");
  await waitStage(issue, "tests_ready");
  return issue;
}

/** Samples the PR while the feature runs: every moment it was ready, what its head's CI was. */
function watchReadiness(issue: number) {
  const seen: string[] = [];
  const timer = setInterval(async () => {
    const f = await feature(issue);
    if (!f?.prNumber) return;
    const pull = h.github.pull(OWNER, REPO, f.prNumber);
    if (pull.draft) return;
    const runs = h.github
      .checkRuns(OWNER, REPO, pull.head.sha)
      .filter((r) => r.app === "github-actions");
    seen.push(runs.map((r) => r.conclusion ?? "pending").join(",") || "none");
  }, 20);
  return { seen, stop: () => clearInterval(timer) };
}

describe("the repository's CI is the judge", () => {
  it("red on the tests at the gate; red code fixed from the job log; ready only when green", async () => {
    ci = "actions";
    const unscript = scriptDemoFeature(h.model);
    try {
      const issue = await toTestsGate("Health endpoint judged by CI");
      await waitFor("the gate's CI note", () =>
        statusComment(issue).includes("— as expected before the code"),
      );
      expect(statusComment(issue)).toContain("CI ran the contract tests: 1 failing check (test)");
      const watch = watchReadiness(issue);
      await say(issue, "/approve");
      await waitStage(issue, "awaiting_merge", 30_000);
      watch.stop();
      const f = await feature(issue);
      // Every task commit was red (the lint error came with T001 and stayed), and the head is
      // the docs commit: the last task is sent back.
      expect(stepCommits(f?.branch ?? "").slice(0, 5)).toEqual([
        "fix(T003): make CI pass",
        `docs: document #${issue}`,
        "feat(T003): Document GET /health in README.md",
        "feat(T002): Route /health in src/server.js",
        "feat(T001): Create src/health.js",
      ]);
      // The cause was only in the job log (the check run said "Process completed with exit
      // code 1."): its trimmed excerpt reached the implementer, without the setup noise.
      const fixRequests = h.model.requests
        .map((r) => JSON.stringify(r.body))
        .filter((b) => b.includes("# Agent: implementer") && b.includes("Mode: `fix`"));
      expect(fixRequests.join("\n")).toContain("max-len: line too long");
      expect(fixRequests.join("\n")).not.toContain("added package 150");
      await waitFor("the PR ready", () => !h.github.pull(OWNER, REPO, f?.prNumber ?? 0).draft);
      const pull = h.github.pull(OWNER, REPO, f?.prNumber ?? 0);
      expect(
        h.github
          .checkRuns(OWNER, REPO, pull.head.sha)
          .filter((r) => r.app === "github-actions")
          .map((r) => r.conclusion),
      ).toEqual(["success"]);
      // Never ready while the head was red or pending.
      expect(watch.seen.every((s) => s === "success")).toBe(true);
      await waitFor(
        "the CI rows in the status",
        () =>
          /🔴 Code T001 `[0-9a-f]{7}`: red: test/.test(statusComment(issue)) &&
          /🟢 Code T003 \(fix 1\) `[0-9a-f]{7}`: green/.test(statusComment(issue)),
      );
      // The PR body carries CI per commit as of its last update: the red code commit at least.
      expect(pull.body).toMatch(/### CI per commit\n[\s\S]*🔴 Contract tests `[0-9a-f]{7}`/);
      expect(pull.body).toMatch(/🔴 Code T001 `[0-9a-f]{7}`: red: test/);
    } finally {
      unscript();
    }
  }, 60_000);

  it("a repository without CI becomes ready after the reviews, saying so once", async () => {
    ci = "none";
    const unscript = scriptDemoFeature(h.model);
    try {
      const issue = await toTestsGate("Health endpoint without CI");
      await waitFor("the gate's CI note", () =>
        statusComment(issue).includes("the tests are unverified"),
      );
      await say(issue, "/approve");
      await waitStage(issue, "awaiting_merge");
      const f = await feature(issue);
      // The PR is marked ready by the effect that follows the stage.
      await waitFor("the PR ready", () => !h.github.pull(OWNER, REPO, f?.prNumber ?? 0).draft);
      await waitFor("the status saying no CI", () =>
        statusComment(issue).includes("ready on the reviews alone"),
      );
      const all = h.github
        .comments(OWNER, REPO, issue)
        .map((c) => c.body.split("ready on the reviews alone").length - 1);
      expect(all.reduce((a, b) => a + b, 0)).toBe(1);
    } finally {
      unscript();
    }
  }, 60_000);

  it("a CI failure that arrives while the reviews run is kept and acted on after them", async () => {
    ci = "actions";
    let held = false;
    // Registered before the demo's script, so it answers first: the first security review of
    // the code and docs waits until CI has reported red on the head, then passes.
    const hold = h.model.respond(byTool("submit_security_review"), async () => {
      if (!held) {
        held = true;
        await waitFor("CI red on the code commit", async () => {
          const f = await feature(issue);
          const head = f?.headSha ?? "";
          const results = await h.db.store.ciResults(f?.id ?? 0);
          // The head the reviews read: the docs commit, built on the red code.
          return results.some((r) => r.sha === head && r.stage === "docs" && r.state === "failure");
        });
      }
      return {
        toolUse: {
          name: "submit_security_review",
          input: { verdict: "pass", summary: "Nothing found.", findings: [] },
        },
      };
    });
    const unscript = scriptDemoFeature(h.model);
    let issue = 0;
    try {
      issue = await toTestsGate("Health endpoint whose CI fails during the reviews");
      await say(issue, "/approve");
      await waitStage(issue, "awaiting_merge", 30_000);
      const f = await feature(issue);
      expect(held).toBe(true);
      // The reviews passed on a red head: the red result, recorded while they ran, started a fix.
      expect(stepCommits(f?.branch ?? "").slice(0, 3)).toEqual([
        "fix(T003): make CI pass",
        `docs: document #${issue}`,
        "feat(T003): Document GET /health in README.md",
      ]);
    } finally {
      hold();
      unscript();
    }
  }, 60_000);

  it("without actions: read the job log cannot be read: the fix request says so; fix rounds are bounded", async () => {
    ci = "actions";
    h.github.revokeAppPermission("actions");
    const unscript = scriptDemoFeature(h.model);
    try {
      const issue = await toTestsGate("Health endpoint without job logs");
      await say(issue, "/approve");
      // The scripted implementer fixes only what a log tells it: red stays red, and the fix
      // rounds are bounded (ci_fix_rounds, 3), then the feature fails quoting the failure.
      await waitStage(issue, "failed", 30_000);
      expect((await feature(issue))?.failureReason).toMatch(
        /^CI still failing after 3 automatic fix rounds: test\./,
      );
      const fixRequests = h.model.requests
        .map((r) => JSON.stringify(r.body))
        .filter((b) => b.includes("# Agent: implementer") && b.includes("Mode: `fix`"));
      expect(fixRequests.join("\n")).toContain("The job's log could not be read");
      expect(fixRequests.join("\n")).toContain("Process completed with exit code 1.");
    } finally {
      h.github.grantAppPermission("actions", "read");
      unscript();
    }
  }, 60_000);

  it("contract tests passing before any code are flagged at the gate and to the alignment reviewer", async () => {
    ci = "always-green";
    const unscript = scriptDemoFeature(h.model);
    try {
      const issue = await toTestsGate("Health endpoint with weak tests");
      await waitFor("the warning", () =>
        statusComment(issue).includes("passed** before any code was written"),
      );
      await waitFor("the alignment reviewer told", () =>
        h.model.requests.some((r) => {
          const body = JSON.stringify(r.body);
          return (
            body.includes("# Agent: alignment reviewer") &&
            body.includes("passed** before any code")
          );
        }),
      );
    } finally {
      unscript();
    }
  }, 60_000);
});
