import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { costOf } from "../../src/core/cost.ts";
import { MODELS, THINKING_ROOM } from "../../src/core/models.ts";
import { byTool } from "../../testkit/fakes/model/index.ts";
import { waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO, startHarness } from "../../testkit/stack.ts";

let h: Harness;
/** Removes the responder that answers every BA call completely. */
let completeReplies = () => {};
beforeAll(async () => {
  h = await startHarness();
  h.github.setPermission(OWNER, REPO, "mona", "write");
});
afterAll(async () => h?.stop());

const COMPLETE =
  "Thanks! Before we go on: who will call the export, a person in the browser or a script " +
  "on a schedule? And which columns must the CSV have, in which order?";
const CUT_AT = 40;
/** What the first cut-off answer said of the reply: the tool input's first characters. */
const CUT_TEXT = COMPLETE.slice(0, CUT_AT - '{"reply":"'.length);
const BA_MAX_TOKENS = 8_000;
/** The BA's request: its answer room plus the thinking room of its effort (medium), up to the model's limit. */
const withThinking = (answer: number) =>
  Math.min(MODELS["claude-sonnet-5-5"].maxOutputTokens, answer + THINKING_ROOM.medium);

const bot = (n: number) => h.github.comments(OWNER, REPO, n).filter((c) => c.authorType === "Bot");
const featureOf = (n: number) => h.db.store.findFeatureByIssue(OWNER, REPO, n);
const runsOf = (featureId: number) =>
  h.db.db
    .selectFrom("agent_runs")
    .selectAll()
    .where("feature_id", "=", featureId)
    .orderBy("id")
    .execute();

async function openFeature(n: number, title: string): Promise<number> {
  await h.send(
    h.github.openIssue({
      owner: OWNER,
      repo: REPO,
      author: "mona",
      title,
      body: "We need a CSV export of the orders.",
      labels: ["practical"],
    }),
  );
  const feature = await waitFor(`feature for issue #${n}`, () => featureOf(n));
  return feature.id;
}

/** The figures of the status comment's "Model use" line. */
function modelUse(body: string) {
  const m = body.match(
    /\*\*Model use:\*\* ([\d,]+) calls · ([\d,]+) input tokens \(([\d,]+) from cache, ([\d,]+) written to cache\) · ([\d,]+) output tokens · \$([\d.]+)/,
  );
  if (!m) throw new Error(`no "Model use" line in the status comment:\n${body}`);
  const int = (s: string | undefined) => Number((s ?? "").replaceAll(",", ""));
  return {
    calls: int(m[1]),
    inputTokens: int(m[2]),
    cacheReadTokens: int(m[3]),
    cacheWriteTokens: int(m[4]),
    outputTokens: int(m[5]),
    costUsd: m[6] ?? "",
  };
}

describe("a cut-off model answer, and what every call cost", () => {
  it("a reply cut off at max_tokens is asked again with more room; only the complete one is posted", async () => {
    const before = h.model.requests.length;
    // The first BA call is cut off mid tool call (stop_reason max_tokens); the second is whole.
    h.model.enqueue({
      toolUse: { name: "submit_ba_reply", input: { reply: COMPLETE, brief: null } },
      truncateAt: CUT_AT,
    });
    completeReplies = h.model.respond(byTool("submit_ba_reply"), {
      toolUse: { name: "submit_ba_reply", input: { reply: COMPLETE, brief: null } },
    });
    const featureId = await openFeature(1, "CSV export");
    await waitFor("the BA reply", () => bot(1).some((c) => c.body.includes(COMPLETE)), 15_000);

    const calls = h.model.requests.slice(before).filter((r) => r.path === "/v1/messages");
    expect(calls.map((r) => r.response.stopReason)).toEqual(["max_tokens", "tool_use"]);
    const maxTokens = calls.map((r) => (r.body as { max_tokens: number }).max_tokens);
    expect(maxTokens).toEqual([withThinking(BA_MAX_TOKENS), withThinking(BA_MAX_TOKENS * 2)]);

    // One reply, the complete one; the cut-off text alone never reaches the issue.
    const replies = bot(1).filter((c) => c.body.includes("<!-- practical:reply"));
    expect(replies).toHaveLength(1);
    expect(replies[0]?.body).toContain(COMPLETE);
    for (const c of bot(1)) expect(c.body.replace(COMPLETE, "")).not.toContain(CUT_TEXT);
    const answers = await waitFor("the reply to be recorded", async () => {
      const messages = await h.db.store.listMessages(featureId);
      const found = messages.filter((m) => m.role === "assistant");
      return found.length > 0 ? found : null;
    });
    expect(answers.map((m) => m.body)).toEqual([COMPLETE]);

    // Both calls are in agent_runs: the cut-off one and the complete one.
    const runs = await runsOf(featureId);
    expect(runs.map((r) => [r.agent, r.stop_reason, r.outcome])).toEqual([
      ["ba", "max_tokens", "ok"],
      ["ba", "tool_use", "ok"],
    ]);
  });

  it("agent_runs records tokens, cache reads and cost for every call; the status total is their sum", async () => {
    const feature = await featureOf(1);
    const featureId = feature?.id ?? -1;
    const runs = await runsOf(featureId);
    expect(runs.length).toBe(2);

    // Each row holds what the model reported for that call, priced from the one price table.
    const responses = h.model.requests.filter(
      (r) => r.path === "/v1/messages" && r.response.kind === "message",
    );
    expect(responses).toHaveLength(runs.length);
    for (const [i, run] of runs.entries()) {
      const usage = responses[i]?.response.usage;
      expect(run).toMatchObject({
        input_tokens: usage?.input_tokens,
        output_tokens: usage?.output_tokens,
        cache_read_tokens: usage?.cache_read_input_tokens ?? 0,
        cache_write_tokens: usage?.cache_creation_input_tokens ?? 0,
      });
      expect(run.output_tokens).toBeGreaterThan(0);
      expect(Number(run.cost_usd)).toBeGreaterThan(0);
      const price = costOf(
        {
          inputTokens: run.input_tokens,
          outputTokens: run.output_tokens,
          cacheReadTokens: run.cache_read_tokens,
          cacheWriteTokens: run.cache_write_tokens,
        },
        run.model,
      );
      expect(Number(run.cost_usd)).toBeCloseTo(price ?? -1, 6);
    }
    // The shared prefix is written once and read back by the next call.
    expect(runs[0]?.cache_write_tokens).toBeGreaterThan(0);
    expect(runs[1]?.cache_read_tokens).toBeGreaterThan(0);

    const sum = runs.reduce(
      (s, r) => ({
        calls: s.calls + 1,
        inputTokens: s.inputTokens + r.input_tokens,
        cacheReadTokens: s.cacheReadTokens + r.cache_read_tokens,
        cacheWriteTokens: s.cacheWriteTokens + r.cache_write_tokens,
        outputTokens: s.outputTokens + r.output_tokens,
        microUsd: s.microUsd + Math.round(Number(r.cost_usd) * 1e6),
      }),
      {
        calls: 0,
        inputTokens: 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 0,
        microUsd: 0,
      },
    );
    // The fake's own count of what it served agrees with the rows.
    const served = h.model.usageTotals();
    expect(served).toMatchObject({
      responses: sum.calls,
      input_tokens: sum.inputTokens,
      output_tokens: sum.outputTokens,
      cache_read_input_tokens: sum.cacheReadTokens,
      cache_creation_input_tokens: sum.cacheWriteTokens,
    });

    // The status comment is refreshed after the reply: wait until it counts every call.
    const statusOf = () => bot(1).filter((c) => c.body.includes("<!-- practical:status"));
    await waitFor("the status to count both calls", () => {
      const [status] = statusOf();
      return status && modelUse(status.body).calls === sum.calls;
    });
    expect(statusOf()).toHaveLength(1);
    const { microUsd, ...tokens } = sum;
    expect(modelUse(statusOf()[0]?.body ?? "")).toEqual({
      ...tokens,
      costUsd: (microUsd / 1e6).toFixed(4),
    });
  });

  it("an answer cut off every time, up to the output ceiling, is never posted: the step fails and says so", async () => {
    const featureId = await openFeature(2, "CSV export, again");
    await waitFor("the first BA reply", () => bot(2).some((c) => c.body.includes(COMPLETE)));
    await waitFor("the status to count the first call", () => {
      const status = bot(2).find((c) => c.body.includes("<!-- practical:status"));
      return status && modelUse(status.body).calls === 1;
    });

    // From now on every BA answer is cut off mid tool call.
    completeReplies();
    h.model.respond(byTool("submit_ba_reply"), {
      toolUse: { name: "submit_ba_reply", input: { reply: COMPLETE, brief: null } },
      truncateAt: CUT_AT,
    });
    const before = h.model.requests.length;
    await h.send(
      h.github.comment({
        owner: OWNER,
        repo: REPO,
        number: 2,
        author: "mona",
        body: "A date column too, please.",
      }),
    );
    const failure = await waitFor("the failure comment", () =>
      bot(2).find((c) => /key=failed-ba-[a-z0-9-]+ -->/.test(c.body)),
    );
    expect(failure.body).toContain("did not produce a complete answer");

    // Each cut-off answer is asked again with twice the room, up to the model's output limit,
    // then given up.
    const calls = h.model.requests.slice(before).filter((r) => r.path === "/v1/messages");
    expect(calls.map((r) => (r.body as { max_tokens: number }).max_tokens)).toEqual(
      [1, 2, 4, 8, 16].map((n) => withThinking(BA_MAX_TOKENS * n)),
    );
    expect(calls.map((r) => r.response.stopReason)).toEqual(Array(5).fill("max_tokens"));
    const runs = await runsOf(featureId);
    expect(runs.map((r) => r.stop_reason)).toEqual(["tool_use", ...Array(5).fill("max_tokens")]);

    // Nothing cut off reaches the issue: one BA reply (the first), no second one recorded.
    for (const c of bot(2)) expect(c.body.replace(COMPLETE, "")).not.toContain(CUT_TEXT);
    expect(bot(2).filter((c) => /key=ba-/.test(c.body))).toHaveLength(1);
    const messages = await h.db.store.listMessages(featureId);
    expect(messages.filter((m) => m.role === "assistant").map((m) => m.body)).toEqual([COMPLETE]);
  });

  // A failed BA reply posts its failure but does not refresh the status comment, so the
  // failed step's calls are missing from the total until the next transition refreshes it.
  it("the status total also counts the calls of a failed step", async () => {
    const featureId = (await featureOf(2))?.id ?? -1;
    const totals = await h.db.store.usageTotals(featureId);
    await waitFor(
      "the status to count the failed step's calls",
      () => {
        const status = bot(2).find((c) => c.body.includes("<!-- practical:status"));
        return status && modelUse(status.body).calls === totals.calls;
      },
      2_000,
    );
  });
});
