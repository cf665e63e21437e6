import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  currentTask,
  DEMO_ISSUE,
  DEMO_REPO_FILES,
  DOCS_SECTION,
  promptText,
  scriptDemoFeature,
} from "../../testkit/demo-feature.ts";
import { byPromptIncludes, type ModelRequest } from "../../testkit/fakes/model/index.ts";
import { journey } from "../../testkit/journey.ts";
import { waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO, startHarness } from "../../testkit/stack.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ files: DEMO_REPO_FILES });
  h.github.setPermission(OWNER, REPO, "mona", "write");
});
afterAll(async () => h?.stop());

const { feature, say, waitStage, stepCommits, openAndApproveBrief, driveToReviews } = journey(
  () => h,
);

describe("the pull-request side, end to end", () => {
  it("fixes a failing security review in one round; past the limit it fails, and /retry resumes", async () => {
    let verdicts: ("pass" | "fail")[] = ["fail", ...Array<"pass">(20).fill("pass")];
    const unscript = scriptDemoFeature(h.model, {
      security: (round) => verdicts[round - 1] ?? "fail",
    });
    try {
      const issue = await driveToReviews("Health endpoint with a fix round");
      await waitStage(issue, "awaiting_merge");
      const f = await feature(issue);
      expect(f?.fixRounds).toBe(1);
      const ours = stepCommits(f?.branch ?? "");
      expect(ours.slice(0, 3)).toEqual([
        `fix: address security review findings for #${issue}`,
        `docs: document #${issue}`,
        "feat(T003): Document GET /health in README.md",
      ]);
      // The fix round did not run the docs agent again.
      expect(ours).toHaveLength(8);
      expect(h.github.files(OWNER, REPO, f?.branch ?? "")["src/server.js"]).toContain(
        'allow: "GET", "content-type"',
      );
      const security = h.github
        .checkRuns(OWNER, REPO, f?.headSha ?? "")
        .filter((r) => r.name === "Build Practical / security");
      expect(security.map((r) => r.conclusion)).toEqual(["success"]);

      // "Fix findings" on the first round's failed check run sends its findings to the implementer.
      const failedRun = h.github
        .checkRuns(OWNER, REPO)
        .find((r) => r.name === "Build Practical / security" && r.conclusion === "failure");
      const implementerCalls = () =>
        h.model.requests.filter((r) => JSON.stringify(r.body).includes("# Agent: implementer"))
          .length;
      const before = implementerCalls();
      await h.send(
        h.github.pressCheckRunAction({
          checkRunId: failedRun?.id ?? 0,
          identifier: "fix_findings",
          by: "mona",
        }),
      );
      await waitStage(issue, "fixing");
      await waitStage(issue, "awaiting_merge");
      expect(implementerCalls()).toBeGreaterThan(before);
      const fixPrompt = h.model.requests.at(-1)
        ? JSON.stringify(h.model.requests.map((r) => r.body))
        : "";
      expect(fixPrompt).toContain("Missing content type");

      // "Re-run review" runs the three reviews again on the same head.
      const head = (await feature(issue))?.headSha ?? "";
      const passed = h.github.checkRuns(OWNER, REPO, head).find((r) => r.conclusion === "success");
      await h.send(
        h.github.pressCheckRunAction({
          checkRunId: passed?.id ?? 0,
          identifier: "rerun_review",
          by: "mona",
        }),
      );
      await waitStage(issue, "reviewing");
      await waitStage(issue, "awaiting_merge");
      await waitFor(
        "three more check runs",
        () => h.github.checkRuns(OWNER, REPO, head).length >= 6,
      );

      // "Re-run all checks" on GitHub sends check_suite.rerequested: the reviews run again.
      await h.send(
        h.github.rerequestCheckSuite({ owner: OWNER, repo: REPO, headSha: head, by: "mona" }),
      );
      await waitStage(issue, "reviewing");
      await waitStage(issue, "awaiting_merge");
      await waitFor(
        "three more check runs",
        () => h.github.checkRuns(OWNER, REPO, head).length >= 9,
      );

      // Always failing: two fix rounds, then failed with the reasons and /retry offered.
      verdicts = [];
      const second = await driveToReviews("Health endpoint that keeps failing");
      await waitStage(second, "failed");
      const failed = await feature(second);
      expect(failed?.failureReason).toMatch(/after 2 fix rounds: security/);
      await waitFor("the failure comment", () =>
        h.github.comments(OWNER, REPO, second).some((c) => c.body.includes("say `/retry`")),
      );
      verdicts = Array(20).fill("pass");
      await say(second, "/retry");
      await waitStage(second, "awaiting_merge");
    } finally {
      unscript();
    }
  }, 60_000);

  it("never commits a forbidden write; the implementer is told why and corrects itself", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const forbidden = ["../x", "/etc/passwd", ".github/workflows/x.yml", "src/key.js"];
    // The first task's run tries the forbidden writes; the later tasks run as scripted.
    const firstTask = (request: ModelRequest) =>
      byPromptIncludes("# Agent: implementer")(request) &&
      currentTask(promptText(request)) === "T001";
    const removeEvil = h.model.respond(firstTask, (request) => {
      const turn = request.body.messages.filter((m) => m.role === "assistant").length;
      if (turn === 0) {
        return {
          toolUse: forbidden.map((path) => ({
            name: "create",
            input: {
              path,
              content: path === "src/key.js" ? `export const KEY = \`${pem}\`;\n` : "x\n",
            },
          })),
        };
      }
      if (turn === 1) {
        return {
          toolUse: {
            name: "create",
            input: { path: "src/health.js", content: "export const ok = true;\n" },
          },
        };
      }
      return {
        toolUse: {
          name: "finish",
          input: { summary: "Wrote src/health.js only.", tasksDone: ["T001"] },
        },
      };
    });
    const unscript = scriptDemoFeature(h.model);
    try {
      const issue = await driveToReviews("Health endpoint, carefully");
      await waitStage(issue, "awaiting_merge");
      const files = h.github.files(OWNER, REPO, (await feature(issue))?.branch ?? "");
      expect(files["src/health.js"]).toBe("export const ok = true;\n");
      expect(
        Object.keys(files).filter(
          (p) => p.includes("workflows") || p.includes("key") || p.endsWith("x"),
        ),
      ).toEqual([]);
      expect(JSON.stringify(files)).not.toContain("PRIVATE KEY");
      // What the model was told: the tool results it received, as sent over the wire.
      const rejections = h.model.requests.flatMap((r) =>
        ((r.body as { messages?: { content: unknown }[] })?.messages ?? [])
          .flatMap((m) => (Array.isArray(m.content) ? m.content : []))
          .filter(
            (b: { type?: string; is_error?: boolean }) => b.type === "tool_result" && b.is_error,
          )
          .map((b: { content?: unknown }) => ({ text: JSON.stringify(b.content) })),
      );
      expect(new Set(rejections.map((t) => t.text)).size).toBeGreaterThanOrEqual(forbidden.length);
      expect(rejections.map((t) => t.text).join("\n")).not.toContain("BEGIN RSA PRIVATE KEY");
    } finally {
      removeEvil();
      unscript();
    }
  }, 60_000);

  it("a review requesting changes and a failed CI suite each bring one fix commit and a new review round", async () => {
    const unscript = scriptDemoFeature(h.model);
    try {
      const issue = await driveToReviews("Health endpoint, reviewed by people");
      await waitStage(issue, "awaiting_merge");
      const prNumber = (await feature(issue))?.prNumber ?? 0;
      await h.send(
        h.github.submitReview({
          owner: OWNER,
          repo: REPO,
          number: prNumber,
          author: "mona",
          state: "changes_requested",
          body: "Please name the path.",
          comments: [{ path: "src/server.js", line: 9, body: "Use a HEALTH_PATH constant." }],
        }),
      );
      await waitStage(issue, "fixing");
      await waitStage(issue, "awaiting_merge");
      let f = await feature(issue);
      expect(stepCommits(f?.branch ?? "")[0]).toBe(`fix: address review by @mona for #${issue}`);
      expect(h.github.files(OWNER, REPO, f?.branch ?? "")["src/server.js"]).toContain(
        "HEALTH_PATH",
      );
      await waitFor(
        "the PR head to move",
        () => h.github.pull(OWNER, REPO, prNumber).head.sha === f?.headSha,
      );

      await h.send(
        h.github.completeCheckSuite({
          owner: OWNER,
          repo: REPO,
          headSha: f?.headSha ?? "",
          conclusion: "failure",
          checkRuns: [
            {
              name: "lint",
              conclusion: "failure",
              annotations: [
                {
                  path: "src/health.js",
                  start_line: 10,
                  end_line: 10,
                  annotation_level: "failure",
                  message: "max-len: line too long",
                },
              ],
            },
          ],
        }),
      );
      await waitStage(issue, "fixing");
      await waitStage(issue, "awaiting_merge");
      f = await feature(issue);
      const ours = stepCommits(f?.branch ?? "");
      expect(ours.slice(0, 2)).toEqual([
        `fix: make CI pass for #${issue}`,
        `fix: address review by @mona for #${issue}`,
      ]);
      expect(ours).toHaveLength(9);
      expect(h.github.files(OWNER, REPO, f?.branch ?? "")["src/health.js"]).toContain(
        "const uptimeSeconds",
      );
      expect(
        h.github.checkRuns(OWNER, REPO, f?.headSha ?? "").filter((r) => r.app !== "ci"),
      ).toHaveLength(3);
    } finally {
      unscript();
    }
  }, 60_000);

  it("builds on someone else's push, and stops rather than overwrite their change to its files", async () => {
    const unscript = scriptDemoFeature(h.model);
    try {
      const issue = await openAndApproveBrief("Health endpoint, shared branch");
      await waitStage(issue, "spec_ready");
      const branch = (await feature(issue))?.branch ?? "";
      h.github.pushCommit({
        owner: OWNER,
        repo: REPO,
        branch,
        author: "mona",
        message: "docs: note",
        files: { "NOTES.md": "mine\n" },
      });
      await say(issue, "/approve");
      await waitStage(issue, "plan_ready");
      const files = h.github.files(OWNER, REPO, branch);
      expect(files["NOTES.md"]).toBe("mine\n");
      expect(stepCommits(branch)[0]).toBe(`docs: implementation plan for #${issue}`);

      // Their edit to the plan, then a revision that would rewrite it: the app stops and says why.
      const plan = Object.keys(files).find((p) => p.endsWith("/plan.md")) ?? "";
      h.github.pushCommit({
        owner: OWNER,
        repo: REPO,
        branch,
        author: "mona",
        message: "docs: my plan",
        files: { [plan]: "# My plan\n" },
      });
      await say(issue, "/revise Also report the commit hash.");
      await waitStage(issue, "spec_ready");
      await say(issue, "/approve");
      await waitStage(issue, "failed");
      expect((await feature(issue))?.failureReason).toContain(
        "does not overwrite other people's work",
      );
      expect(h.github.files(OWNER, REPO, branch)[plan]).toBe("# My plan\n");
      await waitFor("the failure comment", () =>
        h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("does not overwrite")),
      );
    } finally {
      unscript();
    }
  }, 60_000);

  it("a docs run that finds nothing worth documenting makes no commit, and the status says why", async () => {
    const nothing = h.model.respond(byPromptIncludes("# Agent: docs writer"), () => ({
      toolUse: {
        name: "finish_docs",
        input: {
          summary: "The endpoint is for the load balancer only; nothing users read changes.",
        },
      },
    }));
    const unscript = scriptDemoFeature(h.model);
    try {
      const issue = await driveToReviews("Health endpoint, nothing to document");
      await waitStage(issue, "awaiting_merge");
      const f = await feature(issue);
      expect(stepCommits(f?.branch ?? "")[0]).toBe("feat(T003): Document GET /health in README.md");
      await waitFor("the status comment", () =>
        h.github
          .comments(OWNER, REPO, issue)
          .some((c) =>
            c.body.includes(
              "- [x] Docs: nothing to document, no commit: The endpoint is for the load balancer only; nothing users read changes.",
            ),
          ),
      );
    } finally {
      nothing();
      unscript();
    }
  }, 60_000);

  it("with `docs: false` in .github/practical.yml, the reviews follow the code: no docs agent, no docs commit", async () => {
    const config = ".github/practical.yml";
    const setConfig = (text: string) =>
      h.github.pushCommit({
        owner: OWNER,
        repo: REPO,
        branch: "main",
        author: "mona",
        message: "chore: practical config",
        files: { [config]: text },
      });
    setConfig(`${DEMO_REPO_FILES[config]}docs: false\n`);
    const unscript = scriptDemoFeature(h.model);
    const docsCalls = () =>
      h.model.requests.filter((r) => JSON.stringify(r.body).includes("# Agent: docs writer"))
        .length;
    const before = docsCalls();
    try {
      const issue = await driveToReviews("Health endpoint, no docs");
      await waitStage(issue, "awaiting_merge");
      const f = await feature(issue);
      expect(f?.docs).toBe(false);
      expect(stepCommits(f?.branch ?? "")).toEqual([
        "feat(T003): Document GET /health in README.md",
        "feat(T002): Route /health in src/server.js",
        "feat(T001): Create src/health.js",
        `test: contract tests for #${issue}`,
        `docs: implementation plan for #${issue}`,
        `docs: brief and specification for #${issue}`,
      ]);
      expect(docsCalls()).toBe(before);
      const events = await h.db.db
        .selectFrom("feature_events")
        .select("to_stage")
        .where("feature_id", "=", f?.id ?? -1)
        .execute();
      expect(events.map((e) => e.to_stage)).not.toContain("documenting");
      // The status comment is written a moment after the stage changes (its edits are debounced).
      const status = () =>
        h.github.comments(OWNER, REPO, issue).find((c) => c.body.includes("practical:status"));
      await waitFor("the status comment at awaiting_merge", () =>
        Boolean(status()?.body.includes("Code written")),
      );
      expect(status()?.body).not.toContain("Docs");
    } finally {
      unscript();
      setConfig(DEMO_REPO_FILES[config] ?? "");
    }
  }, 60_000);

  // Last: merging moves the default branch, which the other features start from.
  it("takes an issue to a merged PR: one commit per stage, three check runs, ready, merged", async () => {
    const unscript = scriptDemoFeature(h.model);
    const before = h.github.countRequests();
    const logMark = h.github.requestLog.length;
    const issue = await driveToReviews(DEMO_ISSUE.title);
    await waitStage(issue, "awaiting_merge");

    const f = await feature(issue);
    expect(f?.branch).toBe(`practical/${issue}-add-a-health-endpoint`);
    const branch = f?.branch ?? "";
    const commits = h.github.branchCommits(OWNER, REPO, branch);
    const ours = commits.filter((c) => c.message.includes("Practical-Step:"));
    expect(ours.map((c) => c.message.split("\n")[0])).toEqual([
      `docs: document #${issue}`,
      "feat(T003): Document GET /health in README.md",
      "feat(T002): Route /health in src/server.js",
      "feat(T001): Create src/health.js",
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
    // The docs commit: after the code, before the reviews, which ran on it.
    const [docsCommit, codeCommit] = ours;
    expect(docsCommit?.sha).toBe(f?.headSha);
    const readme = DEMO_REPO_FILES["README.md"] ?? "";
    const codeReadme = h.github.files(OWNER, REPO, codeCommit?.sha ?? "")["README.md"] ?? "";
    expect(codeReadme).toContain("`GET /health` answers `200`");
    // The section goes under the README's own lines, above the line T003 added.
    expect(h.github.files(OWNER, REPO, docsCommit?.sha ?? "")["README.md"]).toBe(
      `${readme}${DOCS_SECTION}${codeReadme.slice(readme.length)}`,
    );
    // The alignment reviewer of the code was given the docs commit on its own, and told why.
    const alignment = h.model.requests
      .map((r) => JSON.stringify(r.body))
      .filter(
        (body) =>
          body.includes(`check alignment for issue #${issue} in`) &&
          body.includes("at the **code** gate"),
      );
    expect(alignment.length).toBeGreaterThan(0);
    for (const body of alignment) {
      expect(body).toContain('<untrusted source=\\"docs commit diff\\">');
      expect(body).toContain("+## Health endpoint");
      expect(body).toContain("check the docs against the brief");
    }

    // Each gate's approval names the commit that carried its artifact.
    const approvals = await h.db.store.listApprovals(f?.id ?? 0);
    const specCommit = ours.find((c) => c.message.startsWith("docs: brief"))?.sha;
    expect(approvals.find((a) => a.gate === "spec")?.artifact_version).toBe(specCommit);

    await waitFor("the PR marked ready", () => !h.github.pull(OWNER, REPO, f?.prNumber ?? 0).draft);
    const pr = h.github.pull(OWNER, REPO, f?.prNumber ?? 0);
    expect(pr.title).toBe("feat: add GET /health endpoint");
    expect(pr.body).toContain(`Closes #${issue}`);
    expect(pr.body).toMatch(/- \[x\] Docs — \[`README.md`\]/);
    await waitFor("the status comment", () =>
      h.github
        .comments(OWNER, REPO, issue)
        .some((c) => c.body.includes("- [x] Docs written") && c.body.includes("Docs `")),
    );
    expect(h.github.pulls(OWNER, REPO).filter((p) => p.head.ref === branch)).toHaveLength(1);

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
    console.log(`GitHub API calls for the journey: ${calls}`);
    expect(calls).toBeLessThan(150);
    // The worker's jobs share the snapshot of a commit they all read: fewer downloads than
    // agents that read the repository.
    const tarballs = h.github.requestLog
      .slice(logMark)
      .filter((r) => r.route === "/repos/{owner}/{repo}/tarball/{ref}").length;
    const agents = await h.db.db
      .selectFrom("agent_runs")
      .select("agent")
      .distinct()
      .where("feature_id", "=", f?.id ?? -1)
      .execute();
    console.log(`Tarball downloads for the journey: ${tarballs}, agents: ${agents.length}`);
    expect(tarballs).toBeLessThan(agents.length);
    expect(h.github.violations).toEqual([]);
    unscript();
  }, 90_000);
});
