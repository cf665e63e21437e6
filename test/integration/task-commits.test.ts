// The implementer works task by task: the demo's three-task plan becomes three commits after the
// contract tests, each named by its task with its requirements as trailers and each with its CI
// in the status comment; a task whose commit broke CI gets the fix round, and only that task.
// GitHub Actions is played by the fake on every push, as in ci-judge.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  currentTask,
  currentTasks,
  DEMO_REPO_FILES,
  implementerOnTask,
  runPrompts,
  scriptDemoFeature,
} from "../../testkit/demo-feature.ts";
import type { ActionsJob } from "../../testkit/fakes/github/index.ts";
import { journey } from "../../testkit/journey.ts";
import { waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO, startHarness } from "../../testkit/stack.ts";

/**
 * `green`: the contract tests pass once `src/health.js` exists. `lint`: besides, a lint job
 * rejects the literal "/health" path in `src/server.js` (the route task writes it; the fix that
 * names a HEALTH_PATH constant removes it), so the route task's commit is the one that broke it.
 */
let ci: "green" | "lint" = "green";

function workflow(files: Record<string, string>): ActionsJob[] {
  const tests = files["test/health.test.js"] !== undefined;
  const test: ActionsJob =
    tests && files["src/health.js"] === undefined
      ? { name: "test", conclusion: "failure", log: "✖ Cannot find module '../src/health.js'\n" }
      : { name: "test", conclusion: "success", log: "ℹ pass 4\n" };
  if (ci === "green") return [test];
  const literal = (files["src/server.js"] ?? "").includes('path === "/health"');
  const lint: ActionsJob = literal
    ? {
        name: "lint",
        conclusion: "failure",
        log: [
          "> eslint src",
          'src/server.js:12:17  error  Use the HEALTH_PATH constant, not the "/health" literal  no-magic-paths',
          "✖ 1 problem (1 error, 0 warnings)",
          "##[error]Process completed with exit code 1.",
        ].join("\n"),
      }
    : { name: "lint", conclusion: "success", log: "✔ no problems\n" };
  return [test, lint];
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ files: DEMO_REPO_FILES });
  h.github.setPermission(OWNER, REPO, "mona", "write");
  h.github.playActions({ owner: OWNER, repo: REPO, workflow: ({ files }) => workflow(files) });
});
afterAll(async () => h?.stop());

const { feature, driveToReviews, waitStage, say } = journey(() => h);

const statusComment = (issue: number) =>
  h.github.comments(OWNER, REPO, issue).find((c) => c.body.includes("practical:status"))?.body ??
  "";

/** The app's commits on the feature branch, newest first. */
const stepCommits = (branch: string) =>
  h.github.branchCommits(OWNER, REPO, branch).filter((c) => c.message.includes("Practical-Step:"));

/** The implementer's prompts in `mode`, one per run. */
const implementerPrompts = (mode: "implement" | "fix") =>
  runPrompts(h.model.requests).filter(
    (p) => p.includes("# Agent: implementer") && p.includes(`Mode: \`${mode}\``),
  );

describe("the implementer works task by task", () => {
  it("a three-task plan yields three task commits after the tests, each with its CI in the status", async () => {
    ci = "green";
    const before = implementerPrompts("implement").length;
    // T002's first turn takes a moment, to look at the feature between two tasks.
    let slowed = false;
    const slow = h.model.respond(
      (r) => !slowed && implementerOnTask("T002")(r),
      () => {
        slowed = true;
        return { toolUse: { name: "view", input: { path: "src/server.js" } }, delayMs: 1_500 };
      },
    );
    const unscript = scriptDemoFeature(h.model);
    try {
      const issue = await driveToReviews("Health endpoint, task by task");
      const entered = (await waitStage(issue, "implementing")).stageEnteredAt;
      await waitFor("T001 committed", async () => (await feature(issue))?.tasks[0]?.commits);
      const between = await feature(issue);
      expect(between?.stage).toBe("implementing");
      // A task's commit is progress: the stuck sweep's clock starts again.
      expect(between?.stageEnteredAt.getTime()).toBeGreaterThan(entered.getTime());
      await waitFor("T002 being written in the status", () =>
        /- \[ \] T002 [^\n]* — writing\n- \[ \] T003 [^\n]* — pending/.test(statusComment(issue)),
      );
      await waitStage(issue, "awaiting_merge", 30_000);
      const f = await feature(issue);
      const commits = stepCommits(f?.branch ?? "");
      expect(commits.map((c) => c.message.split("\n")[0]).slice(0, 5)).toEqual([
        `docs: document #${issue}`,
        "feat(T003): Document GET /health in README.md",
        "feat(T002): Route /health in src/server.js",
        "feat(T001): Create src/health.js",
        `test: contract tests for #${issue}`,
      ]);
      // The requirements and the issue as git trailers, the step's marker last.
      const [, t3, t2, t1] = commits;
      expect(t1?.message).toMatch(
        new RegExp(
          `\n\nRequirements: FR-002, FR-005\nRefs: #${issue}\nPractical-Step: f${f?.id}-implement-v\\d+-T001$`,
        ),
      );
      expect(t2?.message).toContain(`\n\nRequirements: FR-001, FR-003, FR-004\nRefs: #${issue}\n`);
      expect(t3?.message).toContain(`\n\nRequirements: FR-001\nRefs: #${issue}\n`);
      // Each commit carries only its task's files, on top of the previous task's commit.
      expect([t1, t2, t3].map((c) => c?.files.map((file) => file.path))).toEqual([
        ["src/health.js"],
        ["src/server.js"],
        ["README.md"],
      ]);
      expect(t1?.parents).toEqual([commits[4]?.sha]);
      expect(t2?.parents).toEqual([t1?.sha]);
      expect(t3?.parents).toEqual([t2?.sha]);

      // One run per task, each told its own task, in dependency order.
      const runs = implementerPrompts("implement").slice(before);
      expect(runs.map(currentTask)).toEqual(["T001", "T002", "T003"]);
      expect(runs[1]).toContain("### T001 Create src/health.js (committed)");

      // The task → commit mapping is kept with the task progress.
      expect(f?.tasks.map((t) => [t.id, t.commits])).toEqual([
        ["T001", [t1?.sha]],
        ["T002", [t2?.sha]],
        ["T003", [t3?.sha]],
      ]);
      const short = (sha = "") => sha.slice(0, 7);
      await waitFor("every task's CI in the status comment", () => {
        const status = statusComment(issue);
        return [t1, t2, t3].every((c) =>
          status.includes(`committed \`${short(c?.sha)}\` · 🟢 CI green`),
        );
      });
      expect(statusComment(issue)).toContain(
        `- [x] T002 Route /health in src/server.js — committed \`${short(t2?.sha)}\` · 🟢 CI green`,
      );
      expect(statusComment(issue)).toMatch(/🟢 Code T001 `[0-9a-f]{7}`: green/);
      const pull = h.github.pull(OWNER, REPO, f?.prNumber ?? 0);
      expect(pull.body).toContain(`- [x] T003 Document GET /health in README.md — committed`);
    } finally {
      slow();
      unscript();
    }
  }, 60_000);

  it("a red task commit goes back to that task only; the PR becomes ready once green", async () => {
    ci = "lint";
    const before = implementerPrompts("fix").length;
    const unscript = scriptDemoFeature(h.model);
    try {
      const issue = await driveToReviews("Health endpoint, linted");
      await waitStage(issue, "awaiting_merge", 30_000);
      const f = await feature(issue);
      const subjects = stepCommits(f?.branch ?? "").map((c) => c.message.split("\n")[0]);
      // Lint was green on T001's commit and red from T002's on: T002 broke it.
      expect(subjects.slice(0, 5)).toEqual([
        "fix(T002): make CI pass",
        `docs: document #${issue}`,
        "feat(T003): Document GET /health in README.md",
        "feat(T002): Route /health in src/server.js",
        "feat(T001): Create src/health.js",
      ]);
      // One fix round (one fix commit above); a busy machine may run its job twice, with the
      // same prompt.
      const fixes = implementerPrompts("fix").slice(before);
      expect(new Set(fixes).size).toBe(1);
      const [fix] = fixes;
      // The fix run is given that task only, with the job log's failure.
      expect(currentTask(fix ?? "")).toBe("T002");
      expect(fix).toContain("### T002 Route /health in src/server.js");
      expect(fix).not.toMatch(/### T00[13] /);
      expect(fix).toContain("Use the HEALTH_PATH constant");
      expect(h.github.files(OWNER, REPO, f?.branch ?? "")["src/server.js"]).toContain(
        "path === HEALTH_PATH",
      );
      // The fix commit counts as T002's; the PR is marked ready on the green head.
      const t2 = f?.tasks.find((t) => t.id === "T002");
      expect(t2?.commits).toHaveLength(2);
      expect(t2?.commits?.[1]).toBe(f?.headSha);
      await waitFor("the PR ready", () => !h.github.pull(OWNER, REPO, f?.prNumber ?? 0).draft);
      await waitFor("T002 green after its fix", () =>
        /- \[x\] T002 [^\n]*, fixed in `[0-9a-f]{7}` · 🟢 CI green/.test(statusComment(issue)),
      );
      expect(statusComment(issue)).toMatch(/- \[x\] T003 [^\n]* · 🔴 CI red/);
      expect(statusComment(issue)).toMatch(/🟢 Code T002 \(fix 1\) `[0-9a-f]{7}`: green/);
    } finally {
      unscript();
    }
  }, 60_000);

  it("a /retry after a task failed goes on from that task: no task is committed twice", async () => {
    ci = "green";
    let refused = false;
    // T002's first run is refused by the model: the feature fails after T001's commit.
    const refuse = h.model.respond(
      (r) => !refused && implementerOnTask("T002")(r),
      () => {
        refused = true;
        return { text: "I can't help with that.", stopReason: "refusal" };
      },
    );
    const before = implementerPrompts("implement").length;
    const unscript = scriptDemoFeature(h.model);
    try {
      const issue = await driveToReviews("Health endpoint, retried");
      await waitStage(issue, "failed", 30_000);
      const failed = await feature(issue);
      expect(failed?.tasks.map((t) => (t.commits ?? []).length)).toEqual([1, 0, 0]);
      await say(issue, "/retry");
      await waitStage(issue, "awaiting_merge", 30_000);
      const f = await feature(issue);
      const subjects = stepCommits(f?.branch ?? "").map((c) => c.message.split("\n")[0]);
      expect(subjects.filter((s) => s?.startsWith("feat("))).toEqual([
        "feat(T003): Document GET /health in README.md",
        "feat(T002): Route /health in src/server.js",
        "feat(T001): Create src/health.js",
      ]);
      // T001 ran once; T002 ran again in the retried job, after its refused run.
      const runs = implementerPrompts("implement").slice(before);
      expect(runs.map(currentTask)).toEqual(["T001", "T002", "T002", "T003"]);
      expect(f?.tasks.map((t) => (t.commits ?? []).length)).toEqual([1, 1, 1]);
    } finally {
      refuse();
      unscript();
    }
  }, 60_000);

  it("tasks the plan groups are one run and one commit", async () => {
    ci = "green";
    const before = implementerPrompts("implement").length;
    const unscript = scriptDemoFeature(h.model, { groupRouteAndReadme: true });
    try {
      const issue = await driveToReviews("Health endpoint, small steps grouped");
      await waitStage(issue, "awaiting_merge", 30_000);
      const f = await feature(issue);
      const [, grouped, first] = stepCommits(f?.branch ?? "");
      expect(grouped?.message).toMatch(
        new RegExp(
          `^feat\\(T002, T003\\): Route /health in src/server.js; Document GET /health in README.md\n\nRequirements: FR-001, FR-003, FR-004\nRefs: #${issue}\nPractical-Step: f${f?.id}-implement-v\\d+-T002-T003$`,
        ),
      );
      expect(grouped?.files.map((file) => file.path).sort()).toEqual([
        "README.md",
        "src/server.js",
      ]);
      expect(first?.message.split("\n")[0]).toBe("feat(T001): Create src/health.js");
      const runs = implementerPrompts("implement").slice(before);
      expect(runs.map(currentTasks)).toEqual([["T001"], ["T002", "T003"]]);
      expect(f?.tasks.map((t) => t.commits)).toEqual([
        [first?.sha],
        [grouped?.sha],
        [grouped?.sha],
      ]);
      const plan = h.github.files(OWNER, REPO, f?.branch ?? "")[
        `docs/practical/${issue}-health-endpoint-small-steps-grouped/plan.md`
      ];
      expect(plan).toContain("| T003 | FR-001 | T002 | `README.md` | G1 |");
    } finally {
      unscript();
    }
  }, 60_000);
});
