// The steps of the demo feature's journey as a person takes them in the GitHub fake, for the
// end-to-end tests: open the labelled issue, answer the BA, approve each gate, watch the stage.

import type { Stage } from "../src/core/feature.ts";
import { DEMO_ANSWER, DEMO_ISSUE } from "./demo-feature.ts";
import { waitFor } from "./services.ts";
import { type Harness, OWNER, REPO } from "./stack.ts";

type Webhook = { id: string; name: string; payload: unknown };

/** `harness` is read when a step runs, so the steps can be made before `beforeAll` starts it. */
export function journeySteps(
  harness: () => Harness,
  options: {
    /** How each webhook is delivered (e.g. twice, as GitHub may). */
    send?: (webhook: Webhook) => Promise<unknown>;
    /** How long one stage may take. */
    patience?: number;
  } = {},
) {
  const send = options.send ?? ((webhook: Webhook) => harness().send(webhook));
  const patience = options.patience ?? 20_000;

  const feature = (issue: number) => harness().db.store.findFeatureByIssue(OWNER, REPO, issue);

  const say = (issue: number, body: string, author = "mona") =>
    send(harness().github.comment({ owner: OWNER, repo: REPO, number: issue, author, body }));

  /** Waits for the stage; a feature that fails on the way fails the wait with its reason. */
  async function waitStage(issue: number, stage: Stage, timeout = patience) {
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

  /** The first lines of the app's commits on a branch, newest first. */
  const stepCommits = (branch: string) =>
    harness()
      .github.branchCommits(OWNER, REPO, branch)
      .filter((c) => c.message.includes("Practical-Step:"))
      .map((c) => c.message.split("\n")[0]);

  /** Opens the labelled issue, answers the BA's question and approves the brief. */
  async function openAndApproveBrief(title = DEMO_ISSUE.title): Promise<number> {
    const h = harness();
    const opened = h.github.openIssue({
      owner: OWNER,
      repo: REPO,
      author: "mona",
      title,
      body: DEMO_ISSUE.body,
      labels: ["practical"],
    });
    const issue = opened.payload.issue.number;
    await send(opened);
    await waitFor(
      "the BA's question",
      () => h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
      patience,
    );
    await say(issue, DEMO_ANSWER);
    await waitFor("the brief", async () => (await feature(issue))?.artifacts.brief, patience);
    await say(issue, "/approve");
    return issue;
  }

  /** Then approves the spec, the plan (in the PR: both places work) and the tests. */
  async function driveToReviews(title = DEMO_ISSUE.title): Promise<number> {
    const issue = await openAndApproveBrief(title);
    for (const stage of ["spec_ready", "plan_ready", "tests_ready"] as const) {
      await waitStage(issue, stage);
      const f = await feature(issue);
      await say(stage === "plan_ready" ? (f?.prNumber ?? issue) : issue, "/approve");
    }
    return issue;
  }

  return { feature, say, waitStage, stepCommits, openAndApproveBrief, driveToReviews };
}
