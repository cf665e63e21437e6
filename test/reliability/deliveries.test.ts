// Deliveries as GitHub really makes them: the same delivery twice at once (two web replicas,
// a redelivery racing the first), again much later, and events in the wrong order.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ANSWER, DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { sleep, waitFor } from "../../testkit/services.ts";
import { type Harness, MAINTAINER, OWNER, REPO } from "../../testkit/stack.ts";
import { duplicateSideEffects } from "./support/audit.ts";
import { injected, settle, startReliabilityHarness } from "./support/suite.ts";

const FILE = "deliveries";
let h: Harness;
let d: Journey;

beforeAll(async () => {
  h = await startReliabilityHarness({ files: DEMO_REPO_FILES });
  d = journey(h, { maintainer: true });
  scriptDemoFeature(h.model);
});
afterAll(async () => {
  if (h) await settle(FILE, h);
  await h?.stop();
});

const count = async (table: "deliveries" | "features" | "approvals") =>
  Number(
    (
      await h.db.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** Delivers one webhook `times` times at once; every answer must be 200. */
async function twiceAtOnce(webhook: { id: string; name: string; payload: unknown }, times = 2) {
  const answers = await Promise.all(Array.from({ length: times }, () => h.send(webhook)));
  expect(answers.map((a) => a.status)).toEqual(Array(times).fill(200));
}

describe("deliveries", () => {
  it("the same delivery twice at once and again later: the journey completes, each effect once", () =>
    injected(FILE, "every delivery twice at once, and again later", async () => {
      const deliveriesBefore = await count("deliveries");
      const opened = h.github.openIssue({
        owner: OWNER,
        repo: REPO,
        author: MAINTAINER,
        title: "Add a health endpoint",
        body: "Our load balancer needs an endpoint to poll.",
        labels: ["practical"],
      });
      const issue = opened.payload.issue.number;
      await twiceAtOnce(opened, 3);
      await waitFor("the BA's question", () =>
        h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
      );
      const answer = h.github.comment({
        owner: OWNER,
        repo: REPO,
        number: issue,
        author: MAINTAINER,
        body: DEMO_ANSWER,
      });
      await twiceAtOnce(answer);
      await waitFor("the brief", async () => (await d.feature(issue))?.artifacts.brief);

      const approvals: { id: string; name: string; payload: unknown }[] = [];
      for (const stage of ["drafting", "spec_ready", "plan_ready", "tests_ready"] as const) {
        if (stage !== "drafting") await d.waitStage(issue, stage);
        const approve = h.github.comment({
          owner: OWNER,
          repo: REPO,
          number: issue,
          author: MAINTAINER,
          body: "/approve",
        });
        approvals.push(approve);
        await twiceAtOnce(approve);
        // The brief's approval again, once the spec is being written: nothing new.
        if (stage === "spec_ready") await twiceAtOnce(approvals[0] ?? approve);
      }
      const f = await d.waitStage(issue, "awaiting_merge", 30_000);
      // Every earlier delivery once more, late: all are known, none is applied again.
      for (const old of [opened, answer, ...approvals]) {
        expect((await h.send(old)).status).toBe(200);
      }
      const merged = h.github.mergePullRequest({
        owner: OWNER,
        repo: REPO,
        number: f.prNumber ?? 0,
        by: MAINTAINER,
      });
      await twiceAtOnce(merged);
      await d.waitStage(issue, "done");
      await sleep(1_500); // room for a duplicate to show

      expect(await count("features")).toBe(1);
      // opened, answer, four approvals and the merge: seven distinct deliveries.
      expect((await count("deliveries")) - deliveriesBefore).toBe(7);
      const gates = (await h.db.store.listApprovals(f.id)).map((a) => a.gate);
      expect(gates.sort()).toEqual(["brief", "plan", "spec", "tests"]);
      const assistant = (await h.db.store.listMessages(f.id)).filter((m) => m.role === "assistant");
      expect(assistant).toHaveLength(2);
      const approvedReplies = d
        .botComments(issue)
        .filter((c) => c.body.includes("practical:reply") && /approved/i.test(c.body));
      expect(approvedReplies.length).toBeLessThanOrEqual(4);
      expect(h.github.pulls(OWNER, REPO)).toHaveLength(1);
      expect(duplicateSideEffects(h.github)).toEqual([]);
    }));

  it("/approve before the feature exists: one 'no feature' answer; the label then starts it", () =>
    injected(FILE, "out of order: /approve before the feature exists", async () => {
      const opened = h.github.openIssue({
        owner: OWNER,
        repo: REPO,
        author: MAINTAINER,
        title: "Out of order",
        body: "Please.",
      });
      const issue = opened.payload.issue.number;
      const label = h.github.labelIssue({
        owner: OWNER,
        repo: REPO,
        number: issue,
        label: "practical",
        by: MAINTAINER,
      });
      const approve = h.github.comment({
        owner: OWNER,
        repo: REPO,
        number: issue,
        author: MAINTAINER,
        body: "/approve",
      });
      // GitHub sent opened, labeled, then the comment; they arrive comment first.
      expect((await h.send(approve)).status).toBe(200);
      await waitFor("the 'no feature' answer", () =>
        d.botComments(issue).some((c) => c.body.includes("/approve")),
      );
      expect((await h.send(opened)).status).toBe(200);
      expect((await h.send(label)).status).toBe(200);
      await waitFor("the BA's question", () =>
        h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
      );
      const f = await d.feature(issue);
      expect(f?.stage).toBe("drafting");
      expect(await h.db.store.listApprovals(f?.id ?? 0)).toEqual([]);
      const noFeature = d.botComments(issue).filter((c) => c.body.includes("`/approve`"));
      expect(noFeature).toHaveLength(1);
    }));

  it("unlabeled before labeled: the feature starts once, and a redelivery changes nothing", () =>
    injected(FILE, "out of order: unlabeled before labeled", async () => {
      const opened = h.github.openIssue({
        owner: OWNER,
        repo: REPO,
        author: MAINTAINER,
        title: "Label race",
        body: "Please.",
      });
      const issue = opened.payload.issue.number;
      const labeled = h.github.labelIssue({
        owner: OWNER,
        repo: REPO,
        number: issue,
        label: "practical",
        by: MAINTAINER,
      });
      const unlabeled = h.github.unlabelIssue({
        owner: OWNER,
        repo: REPO,
        number: issue,
        label: "practical",
        by: MAINTAINER,
      });
      const relabeled = h.github.labelIssue({
        owner: OWNER,
        repo: REPO,
        number: issue,
        label: "practical",
        by: MAINTAINER,
      });
      for (const webhook of [unlabeled, opened, relabeled, labeled]) {
        expect((await h.send(webhook)).status).toBe(200);
      }
      await waitFor("the BA's question", () =>
        h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
      );
      expect((await h.send(labeled)).status).toBe(200);
      await sleep(1_000);
      const questions = h.github
        .comments(OWNER, REPO, issue)
        .filter((c) => c.body.includes("Two questions"));
      expect(questions).toHaveLength(1);
      const features = await h.db.db
        .selectFrom("features")
        .select("id")
        .where("issue_number", "=", issue)
        .execute();
      expect(features).toHaveLength(1);
      // The issue's text is in the conversation once, however many label events came.
      const messages = await h.db.store.listMessages(features[0]?.id ?? 0);
      expect(
        messages.filter((m) => m.role === "user" && m.github_comment_id === null),
      ).toHaveLength(1);
    }));
});
