// The implementer changing what the repository's CI or tooling runs or trusts: a composite
// action under .github/actions/ that posts the environment away, a `postinstall` script, an
// .npmrc pointing at another registry. By default each write is refused back to the model.
// Where .github/practical.yml allows them and the plan names them, they are committed, but a
// failing `protected files` check run lists each with its diff and the pull request stays a
// draft until a person with write access says `/approve protected`. Every stage's commit goes
// through the secret scanner: a GitHub token in the spec is never committed.

import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEMO_REPO_FILES,
  implementerOnTask,
  scriptDemoFeature,
} from "../../testkit/demo-feature.ts";
import { byTool } from "../../testkit/fakes/model/index.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO } from "../../testkit/stack.ts";
import { ATTEMPTS, HEALTH, implementerCalls, protectedImplementer } from "./support/protected.ts";
import { record } from "./support/report.ts";
import { refused, settle, startReliabilityHarness, toolResults } from "./support/suite.ts";

const FILE = "protected-files";

describe("protected files by default", () => {
  let h: Harness;
  let d: Journey;
  let leakSpec = false;
  const token = `ghp_${randomBytes(40)
    .toString("base64")
    .replace(/[^A-Za-z0-9]/g, "")
    .slice(0, 36)}`;

  beforeAll(async () => {
    h = await startReliabilityHarness({ files: DEMO_REPO_FILES });
    d = journey(h, { maintainer: true });
    h.model.respond(implementerOnTask("T001"), protectedImplementer);
    h.model.respond(
      (r) => leakSpec && byTool("submit_spec")(r),
      () => ({
        toolUse: {
          name: "submit_spec",
          input: {
            markdown: `# Spec\n\nCall the API with \`Authorization: token ${token}\`.\n`,
            requirements: [{ id: "FR-001", text: "Call the API.", criteria: ["AC-1"] }],
            summary: "A spec.",
          },
        },
      }),
    );
    scriptDemoFeature(h.model);
  });
  afterAll(async () => {
    if (h) await settle(FILE, h);
    await h?.stop();
  });

  it("a composite action, a postinstall script and an .npmrc are refused back to the model; none is committed", async () => {
    const issue = await d.driveToReviews("Protected by default", { planIn: "issue" });
    const f = await d.waitStage(issue, "awaiting_merge", 40_000);
    const results = toolResults(implementerCalls(h)[1]?.body);
    expect(results).toHaveLength(ATTEMPTS.length + 1);
    for (const [i, attempt] of ATTEMPTS.entries()) {
      const result = results[i];
      const clear = result?.isError === true && /^Refused: .*is protected/s.test(result.text);
      record({
        kind: "bad_input",
        file: FILE,
        name: `implementer writes ${attempt.name} (protected, not allowed)`,
        rejected: clear,
        answer: clear ? "message" : "none",
        ...(clear ? {} : { detail: result?.text.slice(0, 200) ?? "no result" }),
      });
      expect({ attempt: attempt.name, clear }).toEqual({ attempt: attempt.name, clear: true });
    }
    expect(results[ATTEMPTS.length]?.isError).toBe(false);
    const code = h.github
      .branchCommits(OWNER, REPO, f.branch ?? "")
      .find((c) => c.message.startsWith("feat(T001):"));
    expect(code?.files.map((x) => x.path)).toEqual([HEALTH.path]);
    const head = h.github.files(OWNER, REPO, f.branch ?? "");
    expect(head[".npmrc"]).toBeUndefined();
    expect(head[".github/actions/setup/action.yml"]).toBeUndefined();
    expect(head["package.json"]).toBe(DEMO_REPO_FILES["package.json"]);
  }, 60_000);

  it("a GitHub token in the spec is not committed; the feature fails saying so", () =>
    refused(FILE, "spec with a ghp_ token (every stage's commit is scanned)", async () => {
      leakSpec = true;
      const issue = await d.openAndApproveBrief("Leaky spec");
      const failed = await d.waitStage(issue, "failed", 20_000).finally(() => {
        leakSpec = false;
      });
      expect(failed.failureReason).toMatch(/was not committed: .*spec\.md.*secret \(github_token/);
      await waitFor("the failure comment", () =>
        d.botComments(issue).some((c) => c.body.includes("❌")),
      );
      const sent = JSON.stringify(h.github.ledger.map((e) => e.body));
      expect(sent).not.toContain(token);
      expect(failed.failureReason).not.toContain(token);
      return "message";
    }));
});
