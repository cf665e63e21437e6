// Spam: fifty /retry in one second, and a flood of comments from the issue's author. One retry
// happens, once; the model spend of a feature stops at its budget; every comment is answered at
// most once.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import { byTool, toolsOffered } from "../../testkit/fakes/model/index.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { sleep, waitFor } from "../../testkit/services.ts";
import { type Harness, MAINTAINER, OWNER, REPO } from "../../testkit/stack.ts";
import { duplicateSideEffects } from "./support/audit.ts";
import { refused, settle, startReliabilityHarness } from "./support/suite.ts";

const FILE = "spam";
// Room for one spec call (its estimate reserves the thinking room of its effort), not for forty replies.
const BUDGET_USD = 0.15;
let h: Harness;
let d: Journey;
let failSpec = false;

beforeAll(async () => {
  h = await startReliabilityHarness({
    files: {
      ...DEMO_REPO_FILES,
      ".github/practical.yml": `budget_usd: ${BUDGET_USD}\nallow_self_approval: true\n`,
    },
  });
  d = journey(h, { maintainer: true });
  h.model.respond((r) => failSpec && byTool("submit_spec")(r), { status: 401 });
  scriptDemoFeature(h.model);
});
afterAll(async () => {
  if (h) await settle(FILE, h);
  await h?.stop();
});

const comment = (number: number, body: string, author = MAINTAINER) =>
  h.github.comment({ owner: OWNER, repo: REPO, number, author, body });

describe("spam", () => {
  it(
    "fifty /retry in one second: one retry, one new spec, every /retry answered once",
    () =>
      refused(FILE, "fifty /retry in one second", async () => {
        failSpec = true;
        const issue = await d.openAndApproveBrief("Retry storm");
        await d.waitStage(issue, "failed", 20_000);
        failSpec = false;
        const specCalls = () =>
          h.model.requests.filter((r) => toolsOffered(r.body).includes("submit_spec")).length;
        const before = specCalls();
        const retries = Array.from({ length: 50 }, () => comment(issue, "/retry"));
        const started = Date.now();
        const answers = await Promise.all(retries.map((w) => h.send(w)));
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(answers.every((a) => a.status === 200)).toBe(true);
        await d.waitStage(issue, "spec_ready", 20_000);
        await waitFor(
          "an answer to every /retry",
          () =>
            retries.every((r) =>
              d.botComments(issue).some((c) => c.body.includes(`key=c${r.payload.comment.id}-`)),
            ),
          20_000,
        );
        await sleep(500);
        expect(specCalls() - before).toBe(1);
        const retrying = d.botComments(issue).filter((c) => /key=c\d+-retrying/.test(c.body));
        expect(retrying).toHaveLength(1);
        const f = await d.feature(issue);
        // One move out of `failed`. A job of the failed run that finishes late (the brief's
        // alignment review, the title) may still refresh the status, which is a failed → failed row.
        const moves = await h.db.db
          .selectFrom("feature_events")
          .select(["event", "to_stage"])
          .where("feature_id", "=", f?.id ?? 0)
          .where("from_stage", "=", "failed")
          .where("to_stage", "<>", "failed")
          .execute();
        expect(moves).toEqual([{ event: "command", to_stage: "spec_generating" }]);
        const branch = f?.branch ?? "";
        expect(
          h.github
            .branchCommits(OWNER, REPO, branch)
            .filter((c) => c.message.startsWith("docs: brief and specification")),
        ).toHaveLength(1);
        expect(duplicateSideEffects(h.github)).toEqual([]);
        return "message";
      }),
    60_000,
  );

  it(
    "a flood of comments from the issue's author: the spend stops at the feature's budget, each comment answered once",
    () =>
      refused(FILE, "a flood of comments from the issue's author", async () => {
        const issue = await d.open("Chatty author");
        await waitFor("the BA's question", () =>
          h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
        );
        const flood = Array.from({ length: 40 }, (_, i) =>
          comment(issue, `One more thought (${i}).`),
        );
        const queue = h.pipelineQueue();
        const answers = await Promise.all(flood.map((w) => h.send(w)));
        expect(answers.every((a) => a.status === 200)).toBe(true);
        const answered = (id: number) =>
          d.botComments(issue).filter((c) => c.body.includes(`key=ba-${id} -->`));
        await waitFor(
          "the flood to be answered",
          async () => {
            const f = await d.feature(issue);
            const runs = await h.db.db
              .selectFrom("agent_runs")
              .select((eb) => eb.fn.countAll().as("n"))
              .where("feature_id", "=", f?.id ?? 0)
              .executeTakeFirstOrThrow();
            // A reply refused by the budget makes no model call: its job fails for good.
            const refusedJobs = (await queue.getJobs(["failed"])).filter(
              (j) => j.name === "agent" && j.data.featureId === f?.id,
            ).length;
            return Number(runs.n) + refusedJobs >= 40;
          },
          40_000,
        );
        await sleep(1_000);
        const f = await d.feature(issue);
        const { costUsd } = await h.db.store.usageTotals(f?.id ?? 0);
        // Concurrent jobs may each start one call before seeing the others' cost: at most a few.
        expect(costUsd).toBeLessThan(BUDGET_USD * 1.5);
        // One notice that the budget is spent, edited in place, not one per comment.
        const budgetNotices = d.botComments(issue).filter((c) => c.body.includes("budget"));
        expect(budgetNotices).toHaveLength(1);
        for (const notice of budgetNotices)
          expect(notice.body).toMatch(/budget of \$0\.15 would be exceeded/);
        // Every comment got at most one answer: a reply, or the notice that the budget is spent.
        const replies = d.botComments(issue).filter((c) => c.body.includes("practical:reply"));
        expect(replies.length).toBeLessThanOrEqual(flood.length + 1);
        // No comment was answered twice.
        for (const w of flood) expect(answered(w.payload.comment.id).length).toBeLessThanOrEqual(1);
        expect(duplicateSideEffects(h.github)).toEqual([]);
        return "message";
      }),
    60_000,
  );
});
