import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeWebhook } from "../../testkit/fakes/github/index.ts";
import { byTool } from "../../testkit/fakes/model/index.ts";
import { waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO, startHarness } from "../../testkit/stack.ts";

// The issue-side scenario with every webhook delivered twice at once and once more later,
// and the worker killed once in the middle of a BA reply: GitHub must end up with each
// comment, reaction and label exactly once.

let h: Harness;
const children: ChildProcess[] = [];
const delivered: FakeWebhook[] = [];
const humanComments: { id: number; text: string }[] = [];
/** The next BA call is accepted and never answered, holding its worker inside the job. */
let hangNextBaCall = false;

const AUTHOR = "alice";
const MAINTAINER = "maria";
const COMMENTS = [
  "Load balancers call it every ten seconds.",
  "Plain JSON with a status field is enough.",
  "Nothing else is needed for now.",
];
const BRIEF = {
  title: "Health endpoint",
  problem: "Operators cannot tell whether the service is up.",
  users: "Operators and load balancers.",
  scope: ["GET /health answers 200 with a JSON status"],
  outOfScope: ["Deep dependency checks"],
  acceptanceCriteria: [{ id: "AC-1", text: 'GET /health returns 200 and {"status":"ok"}' }],
  constraints: ["No new dependencies"],
  openQuestions: [],
};

/** A worker in a real child process, as `npm run start:worker` runs it. */
function spawnWorker(): ChildProcess {
  const child = spawn(process.execPath, ["src/main/worker.ts"], { env: h.env, stdio: "ignore" });
  children.push(child);
  return child;
}

/** Delivers a webhook twice at once (same delivery id), as GitHub may. */
async function deliverTwice(webhook: FakeWebhook): Promise<void> {
  delivered.push(webhook);
  const answers = await Promise.all([h.send(webhook), h.send(webhook)]);
  for (const answer of answers) expect(answer.ok).toBe(true);
}

async function humanComment(index: number): Promise<number> {
  const text = COMMENTS[index] ?? "";
  const webhook = h.github.comment({
    owner: OWNER,
    repo: REPO,
    number: 1,
    author: AUTHOR,
    body: text,
  });
  humanComments.push({ id: webhook.payload.comment.id, text });
  await deliverTwice(webhook);
  return webhook.payload.comment.id;
}

const bot = () => h.github.comments(OWNER, REPO, 1).filter((c) => c.authorType === "Bot");
const withMarker = (marker: string) => bot().filter((c) => c.body.includes(marker));
const baReplyKey = (commentId: number | null) =>
  commentId === null ? "key=ba-ba-start -->" : `key=ba-${commentId} -->`;
const feature = async () => {
  const found = await h.db.store.findFeatureByIssue(OWNER, REPO, 1);
  if (!found) throw new Error("no feature for issue #1");
  return found;
};

/**
 * Waits until the outbox is empty and no job is waiting or running, twice in a row, except
 * the spec writer's, whose model call is held open for the rest of the test.
 */
async function settled(): Promise<void> {
  const queue = h.pipelineQueue();
  let quiet = 0;
  await waitFor(
    "the pipeline to settle",
    async () => {
      const jobs = await queue.getJobs(["active", "waiting", "delayed", "prioritized"]);
      const busy = jobs.filter((j) => !(j.name === "agent" && j.data.agent === "spec"));
      const pending = await h.db.db
        .selectFrom("outbox")
        .select("id")
        .where("enqueued_at", "is", null)
        .execute();
      quiet = busy.length > 0 || pending.length > 0 ? 0 : quiet + 1;
      return quiet >= 2;
    },
    15_000,
  );
}

beforeAll(async () => {
  h = await startHarness({ worker: false });
  h.github.setPermission(OWNER, REPO, MAINTAINER, "maintain");
  // The trigger label starts a feature only for someone with write access.
  h.github.setPermission(OWNER, REPO, AUTHOR, "write");

  h.model.respond(byTool("submit_ba_reply"), (request) => {
    if (hangNextBaCall) {
      hangNextBaCall = false;
      return { hang: true };
    }
    // Which of the person's comments the conversation has reached decides the answer.
    const reached = COMMENTS.filter((text) => request.lastUserText.includes(text)).length;
    return {
      toolUse: {
        name: "submit_ba_reply",
        input:
          reached < COMMENTS.length
            ? { reply: `BA answer ${reached}: tell me more.`, brief: null }
            : { reply: `BA answer ${reached}: here is the brief.`, brief: BRIEF },
      },
    };
  });
  h.model.respond(byTool("submit_alignment_review"), {
    toolUse: {
      name: "submit_alignment_review",
      input: { recommendation: "APPROVE", reasons: ["Matches the request."], summary: "Aligned." },
    },
  });
  // Any later agent (the spec writer) keeps working for the rest of the test.
  h.model.respond(() => true, { hang: true });
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await h?.stop();
});

describe("duplicated webhooks and a killed worker leave no duplicate on GitHub", () => {
  it("the opened issue, delivered twice, gets one 👀, one status comment and one BA reply", async () => {
    spawnWorker();
    await deliverTwice(
      h.github.openIssue({
        owner: OWNER,
        repo: REPO,
        author: AUTHOR,
        title: "Add a health endpoint",
        body: "We need /health for the load balancer.",
        labels: ["practical"],
      }),
    );
    await waitFor("the first BA reply", () => withMarker(baReplyKey(null)).length > 0, 15_000);
    await waitFor("the status comment", () => withMarker("<!-- practical:status").length > 0);
    expect(withMarker(baReplyKey(null))[0]?.body).toContain("BA answer 0");
    expect(h.github.reactions(OWNER, REPO, { number: 1 }).map((r) => r.content)).toEqual(["eyes"]);
  });

  it("a worker killed in the middle of a BA reply: another finishes it, once", async () => {
    const first = children[0];
    if (!first) throw new Error("no worker");
    hangNextBaCall = true;
    const before = h.model.requests.length;
    const commentId = await humanComment(0);
    await waitFor(
      "the worker to be inside the model call",
      () => h.model.requests.slice(before).some((r) => r.response.kind === "hang"),
      10_000,
    );
    // Two fresh workers start while the first is killed; one of them takes the job over
    // once its lock has expired.
    spawnWorker();
    spawnWorker();
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));
    await waitFor(
      "the second worker's reply",
      () => withMarker(baReplyKey(commentId)).length > 0,
      15_000,
    );
    expect(withMarker(baReplyKey(commentId))[0]?.body).toContain("BA answer 1");
  });

  it("two more comments get two more replies; the last one carries the brief", async () => {
    for (const index of [1, 2]) {
      const commentId = await humanComment(index);
      await waitFor(
        `the reply to comment ${index + 1}`,
        () => withMarker(baReplyKey(commentId)).length > 0,
        15_000,
      );
    }
    await waitFor("the brief", async () => (await feature()).artifacts.brief);
    await waitFor("the alignment review in the status", () =>
      withMarker("<!-- practical:status").some((c) => c.body.includes("Alignment review (brief)")),
    );
  });

  it("/approve by a maintainer, delivered twice, records one approval and moves to spec_generating", async () => {
    const approve = h.github.comment({
      owner: OWNER,
      repo: REPO,
      number: 1,
      author: MAINTAINER,
      body: "/approve",
    });
    await deliverTwice(approve);
    // Acknowledged by a 👍 on the comment and the status comment, with no reply.
    await waitFor("the 👍 on the /approve", () =>
      h.github
        .reactions(OWNER, REPO, { commentId: approve.payload.comment.id })
        .some((r) => r.content === "+1"),
    );
    await waitFor("the approval in the status comment", () =>
      withMarker("<!-- practical:status").some((c) => c.body.includes(`by @${MAINTAINER}`)),
    );
    expect(withMarker("key=").some((c) => /-approved -->/.test(c.body))).toBe(false);
    const { id } = await feature();
    expect(await h.db.store.listApprovals(id)).toMatchObject([
      { gate: "brief", approver: MAINTAINER },
    ]);
    const moves = await h.db.db
      .selectFrom("feature_events")
      .select(["from_stage", "to_stage", "actor"])
      .where("feature_id", "=", id)
      .where("to_stage", "=", "spec_generating")
      .execute();
    expect(moves).toEqual([
      { from_stage: "drafting", to_stage: "spec_generating", actor: MAINTAINER },
    ]);
    // The spec writer's job is queued once; its model call stays open from here on.
    const specJobs = await waitFor("the spec job", async () => {
      const jobs = await h.pipelineQueue().getJobs(["active", "waiting", "completed", "failed"]);
      const found = jobs.filter((j) => j.name === "agent" && j.data.agent === "spec");
      return found.length > 0 ? found : null;
    });
    expect(specJobs).toHaveLength(1);
  });

  it("every webhook delivered once more, later, changes nothing; GitHub's ledger has no duplicate", async () => {
    await settled();
    const writes = h.github.writes().length;
    for (const webhook of delivered) expect((await h.send(webhook)).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 1_000));
    await settled();
    expect(h.github.writes().length).toBe(writes);

    // Comments: one status comment, one BA reply per human turn (the opening and three comments).
    expect(withMarker("<!-- practical:status")).toHaveLength(1);
    for (const commentId of [null, ...humanComments.map((c) => c.id)]) {
      expect(withMarker(baReplyKey(commentId))).toHaveLength(1);
    }
    const answers = bot().flatMap((c) => c.body.match(/BA answer \d/g) ?? []);
    expect(answers.sort()).toEqual(["BA answer 0", "BA answer 1", "BA answer 2", "BA answer 3"]);
    const markers = bot().map((c) => c.body.match(/<!-- practical:[^>]+-->/)?.[0]);
    expect(markers.every((m) => m !== undefined)).toBe(true);
    expect(new Set(markers).size).toBe(markers.length);
    const created = h.github.writes("/repos/{owner}/{repo}/issues/{issue_number}/comments");
    expect(created).toHaveLength(bot().length);
    const { id, stage } = await feature();
    const baMessages = (await h.db.store.listMessages(id)).filter((m) => m.role === "assistant");
    expect(baMessages).toHaveLength(4);
    expect(new Set(baMessages.map((m) => m.github_comment_id)).size).toBe(4);
    const deliveries = await h.db.db.selectFrom("deliveries").select("id").execute();
    expect(deliveries.map((d) => d.id).sort()).toEqual(delivered.map((w) => w.id).sort());

    // Reactions: one 👀 on the issue and on each comment that started something.
    const issueReactions = h.github.writes("/repos/{owner}/{repo}/issues/{issue_number}/reactions");
    expect(issueReactions.map((w) => (w.body as { content: string }).content)).toEqual(["eyes"]);
    expect(h.github.reactions(OWNER, REPO, { number: 1 })).toEqual([
      { content: "eyes", user: `${h.github.appSlug}[bot]` },
    ]);
    const approveId = (delivered.at(-1) as FakeWebhook<"issue_comment.created">).payload.comment.id;
    const triggering = [...humanComments.map((c) => c.id), approveId];
    const commentReactions = h.github.writes(
      "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
    );
    expect(commentReactions).toHaveLength(triggering.length);
    for (const commentId of triggering) {
      // An accepted /approve is acknowledged with a 👍 (and the status comment), not a reply.
      expect(h.github.reactions(OWNER, REPO, { commentId }).map((r) => r.content)).toEqual([
        commentId === approveId ? "+1" : "eyes",
      ]);
      expect(
        commentReactions.filter((w) => w.path.includes(`/comments/${commentId}/`)),
      ).toHaveLength(1);
    }

    // Labels: each move is one write setting the whole list (the previous stage label left
    // out, the trigger label kept); the stage label mirrors the stage in Postgres.
    expect(stage).toBe("spec_generating");
    const sets = h.github
      .writes("/repos/{owner}/{repo}/issues/{issue_number}/labels")
      .map((w) => [w.method, ...(w.body as { labels: string[] }).labels]);
    expect(sets).toEqual([
      ["PUT", "practical", "practical:drafting"],
      ["PUT", "practical", "practical:spec-generating"],
    ]);
    expect(h.github.writes("/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}")).toEqual(
      [],
    );
    expect(h.github.labels(OWNER, REPO, 1).sort()).toEqual([
      "practical",
      "practical:spec-generating",
    ]);
    expect(h.github.violations).toEqual([]);
  });
});
