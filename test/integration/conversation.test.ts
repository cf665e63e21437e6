import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { byTool } from "../../testkit/fakes/model/index.ts";
import { waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO, startHarness } from "../../testkit/stack.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    files: {
      "README.md": "# hello-app\n",
      "src/index.js": "console.log('hi');\n",
      // mona opens the issue and approves its brief herself.
      ".github/practical.yml": "allow_self_approval: true\n",
    },
  });
  h.github.setPermission(OWNER, REPO, "mona", "write");
  h.github.setPermission(OWNER, REPO, "reader", "read");
});
afterAll(async () => h?.stop());

const BRIEF = {
  title: "Health endpoint",
  problem: "Operators cannot tell whether the service is up.",
  users: "Operators and load balancers.",
  scope: ["GET /health answers 200 with {status:'ok'}"],
  outOfScope: ["Deep dependency checks"],
  acceptanceCriteria: [{ id: "AC-1", text: 'GET /health returns 200 and JSON {"status":"ok"}' }],
  constraints: ["No new dependencies"],
  openQuestions: [],
};

const feature = () => h.db.store.findFeatureByIssue(OWNER, REPO, 1);
const featureId = async () => (await feature())?.id ?? -1;
const botComments = () => h.github.comments(OWNER, REPO, 1).filter((c) => c.authorType === "Bot");

describe("the BA conversation and the brief gate", () => {
  it("labelled issue → 👀, one status comment, one BA reply; more comments → more replies, still one status", async () => {
    let turn = 0;
    h.model.respond(byTool("submit_ba_reply"), () => {
      turn += 1;
      return {
        toolUse: {
          name: "submit_ba_reply",
          input:
            turn < 4
              ? { reply: `Question ${turn}: who calls it?`, brief: null }
              : { reply: "Here is the brief.", brief: BRIEF },
        },
      };
    });
    h.model.respond(byTool("submit_alignment_review"), () => ({
      toolUse: {
        name: "submit_alignment_review",
        input: {
          recommendation: "APPROVE",
          reasons: ["Matches the request."],
          summary: "Aligned.",
        },
      },
    }));

    await h.send(
      h.github.openIssue({
        owner: OWNER,
        repo: REPO,
        author: "mona",
        title: "Add a health endpoint",
        body: "We need /health.",
        labels: ["practical"],
      }),
    );
    await waitFor("the first BA reply", () =>
      botComments().some((c) => c.body.includes("Question 1")),
    );
    expect(h.github.reactions(OWNER, REPO, { number: 1 }).map((r) => r.content)).toContain("eyes");

    for (const text of ["Load balancers call it.", "JSON please.", "That's all."]) {
      await h.send(
        h.github.comment({ owner: OWNER, repo: REPO, number: 1, author: "mona", body: text }),
      );
    }
    await waitFor("the brief", async () => (await feature())?.artifacts.brief);
    await waitFor(
      "four BA replies",
      () => botComments().filter((c) => c.body.includes("<!-- practical:reply")).length === 4,
    );
    // The status comment is written after a short debounce (one write per burst of transitions).
    const status = () => botComments().filter((c) => c.body.includes("<!-- practical:status"));
    await waitFor("the status comment", () => status().length > 0);
    expect(status()).toHaveLength(1);
    expect(botComments().at(-1)?.body ?? "").toMatch(/written by an AI agent/i);
  });

  it("/approve from a read-only user is refused once and changes nothing", async () => {
    const before = await feature();
    await h.send(
      h.github.comment({ owner: OWNER, repo: REPO, number: 1, author: "reader", body: "/approve" }),
    );
    await waitFor("the refusal", () =>
      botComments().some((c) => c.body.includes("needs **write** access")),
    );
    expect((await feature())?.stage).toBe(before?.stage);
  });

  it("quoted, fenced and edited /approve do nothing", async () => {
    const before = (await feature())?.version;
    await h.send(
      h.github.comment({
        owner: OWNER,
        repo: REPO,
        number: 1,
        author: "mona",
        body: "> /approve\n\n```\n/approve\n```",
      }),
    );
    const edited = h.github.comment({
      owner: OWNER,
      repo: REPO,
      number: 1,
      author: "mona",
      body: "hello",
    });
    await h.send(
      h.github.editComment({
        owner: OWNER,
        repo: REPO,
        commentId: edited.payload.comment.id,
        by: "mona",
        body: "/approve",
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    // The quoted/fenced comment is conversation (one BA turn), never an approval.
    expect((await feature())?.stage).toBe("drafting");
    expect(before).toBeDefined();
  });

  it("/approve from a writer records the approval and queues the spec", async () => {
    await h.send(
      h.github.comment({ owner: OWNER, repo: REPO, number: 1, author: "mona", body: "/approve" }),
    );
    await waitFor("spec_generating", async () => (await feature())?.stage === "spec_generating");
    const approvals = await h.db.store.listApprovals(await featureId());
    expect(approvals).toMatchObject([{ gate: "brief", approver: "mona" }]);
    const runs = await h.db.db.selectFrom("agent_runs").selectAll().execute();
    expect(runs.length).toBeGreaterThan(0);
    const totals = await h.db.store.usageTotals(await featureId());
    expect(totals.costUsd).toBeGreaterThan(0);
    expect(totals.cacheReadTokens).toBeGreaterThan(0);
  });

  it("leaves no duplicate comment, reaction or label in GitHub's ledger", () => {
    const bodies = botComments().map((c) => c.body.match(/<!-- practical:[^>]+-->/)?.[0] ?? c.body);
    expect(new Set(bodies).size).toBe(bodies.length);
    expect(h.github.violations).toEqual([]);
  });
});

describe("the trigger label from an issue form", () => {
  it("set for someone without write access starts nothing, spends no model call, and says so once", async () => {
    const opened = h.github.openIssue({
      owner: OWNER,
      repo: REPO,
      author: "passerby",
      title: "Please add dark mode",
      labels: ["practical"],
    });
    const number = opened.payload.issue.number;
    await h.send(opened);
    // Issue forms send `labeled` for their labels too, by the same author.
    await h.send(
      h.github.labelIssue({ owner: OWNER, repo: REPO, number, label: "practical", by: "passerby" }),
    );
    const notes = () =>
      h.github
        .comments(OWNER, REPO, number)
        .filter((c) => c.body.includes("A maintainer can start it by commenting `/build`"));
    await waitFor("the note", () => notes().length === 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(notes()).toHaveLength(1);
    expect(await h.db.store.findFeatureByIssue(OWNER, REPO, number)).toBeNull();
    const mentions = () =>
      h.model.requests.filter((r) => JSON.stringify(r.body).includes("dark mode"));
    expect(mentions()).toEqual([]);

    // A maintainer starts it.
    await h.send(
      h.github.comment({ owner: OWNER, repo: REPO, number, author: "mona", body: "/build" }),
    );
    await waitFor("a feature", async () =>
      Boolean(await h.db.store.findFeatureByIssue(OWNER, REPO, number)),
    );
    await waitFor("the BA's first call", () => mentions().length > 0);
  });
});
