// A question at a gate, or after a failure, is answered by the BA knowing where things stand:
// the artifact waiting for approval, the alignment reviewer's recommendation, CI's note on the
// contract tests and the failure reason are in its request, and a change it proposes is shown
// as a `/revise` to copy, never acted on.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_REPO_FILES, DEMO_WORKFLOW, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import { byPromptIncludes, byTool, type Reply } from "../../testkit/fakes/model/index.ts";
import { journey } from "../../testkit/journey.ts";
import { waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO, startHarness } from "../../testkit/stack.ts";

const PROPOSAL = "Also report the database connection in the health body.";

let h: Harness;
let refusePlan = false;
beforeAll(async () => {
  h = await startHarness({ files: DEMO_REPO_FILES });
  h.github.setPermission(OWNER, REPO, "mona", "write");
  h.github.playActions({ owner: OWNER, repo: REPO, workflow: DEMO_WORKFLOW });
  // Registered first, so they win over the demo's script: questions once the brief is approved…
  h.model.respond(byPromptIncludes("Mode: `answer`"), (request) => ({
    toolUse: {
      name: "submit_ba_reply",
      input: request.lastUserText.includes("database")
        ? {
            reply: "That is a change of scope: see the suggestion below.",
            brief: null,
            proposedRevise: PROPOSAL,
          }
        : { reply: "Here is where things stand.", brief: null },
    },
  }));
  // …and a plan the model declines to write, once asked to (stop_reason "refusal":
  // https://docs.anthropic.com/en/api/handling-stop-reasons).
  h.model.respond((request) => refusePlan && byTool("submit_plan")(request), {
    text: "I can't help with that.",
    stopReason: "refusal",
  } satisfies Reply);
  scriptDemoFeature(h.model);
});
afterAll(async () => h?.stop());

const { feature, say, waitStage, openAndApproveBrief, botComments } = journey(() => h);

/** The BA's request that answered `question` (later ones carry it in their conversation). */
async function baRequestFor(question: string): Promise<string> {
  return waitFor(`the BA's request for "${question}"`, () =>
    h.model.requests
      .map((r) => JSON.stringify(r.body))
      .find((body) => body.includes("# Agent: business analyst") && body.includes(question)),
  );
}

/** Waits for the alignment reviewer's recommendation at `gate`. */
async function reviewedAt(issue: number, gate: string) {
  const id = (await feature(issue))?.id ?? -1;
  await waitFor(`the alignment review of the ${gate}`, async () => {
    const run = await h.db.store.latestAgentRun(id, "alignment_review");
    return (run?.detail as { gate?: string } | null)?.gate === gate;
  });
}

describe("the BA at the gates", () => {
  it("answers at the spec and tests gates from the artifact, the alignment review and CI; a proposed /revise is a suggestion", async () => {
    const issue = await openAndApproveBrief();
    await waitStage(issue, "spec_ready");
    await reviewedAt(issue, "spec");

    const question = "Why is the uptime in seconds?";
    await say(issue, question);
    const atSpec = await baRequestFor(question);
    expect(atSpec).toContain("Mode: `answer`");
    expect(atSpec).toContain("the spec waiting for approval");
    expect(atSpec).toContain("The handler MUST NOT perform I/O per request");
    expect(atSpec).toContain("Recommendation: APPROVE");
    expect(atSpec).toContain("Covers every acceptance criterion of the brief.");
    await waitFor("the BA's answer", () =>
      botComments(issue).some((c) => c.body.includes("Here is where things stand.")),
    );

    // A change asked for at the gate: proposed as a command to copy, not carried out.
    const before = await feature(issue);
    await say(issue, "Could it check the database too?");
    const reply = await waitFor("the BA's suggestion", () =>
      botComments(issue).find((c) => c.body.includes("That is a change of scope")),
    );
    expect(reply.body).toContain("**Suggested change.**");
    expect(reply.body).toContain(`\`\`\`\n/revise ${PROPOSAL}\n\`\`\``);
    const after = await feature(issue);
    expect(after?.stage).toBe("spec_ready");
    expect(after?.artifacts.brief).toBe(before?.artifacts.brief);
    expect(after?.artifacts.spec).toBe(before?.artifacts.spec);

    await say(issue, "/approve");
    await waitStage(issue, "plan_ready");
    await say(issue, "/approve");
    const tests = await waitStage(issue, "tests_ready");
    await reviewedAt(issue, "tests");
    await waitFor("CI on the contract tests", async () =>
      (await h.db.store.ciResults(tests.id)).some(
        (r) => r.stage === "tests" && r.state === "failure",
      ),
    );
    const atTests = "What did CI say about the tests?";
    await say(issue, atTests);
    const testsRequest = await baRequestFor(atTests);
    expect(testsRequest).toContain("the tests waiting for approval");
    expect(testsRequest).toContain("POST /health answers 405 with allow: GET");
    expect(testsRequest).toContain(
      "CI on the contract tests' commit: CI ran the contract tests: 1 failing check (test) — as expected before the code.",
    );
  });

  it("after a failure, answers with the failure reason", async () => {
    const issue = await openAndApproveBrief("Health endpoint whose plan is refused");
    await waitStage(issue, "spec_ready");
    refusePlan = true;
    await say(issue, "/approve");
    const failed = await waitStage(issue, "failed");
    const reason = failed.failureReason ?? "";
    expect(reason).not.toBe("");

    const question = "What went wrong here?";
    await say(issue, question);
    const request = await baRequestFor(question);
    expect(request).toContain(JSON.stringify(reason).slice(1, -1));
    expect(request).toContain("/retry");
  });
});
