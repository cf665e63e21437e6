// The model misbehaving: 429 and 529 storms, a connection that never answers, replies cut off
// at max_tokens, a refusal, and a rejected key. Retries are bounded and spaced out; what cannot
// succeed ends in one clear comment, never a silent stop and never a green result.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { THINKING_ROOM } from "../../src/core/models.ts";
import { DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import { byPromptIncludes, byTool, type Reply } from "../../testkit/fakes/model/index.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { sleep, waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO } from "../../testkit/stack.ts";
import { injected, settle, startReliabilityHarness } from "./support/suite.ts";

const FILE = "model-faults";
let h: Harness;
let d: Journey;

/** Issue titles that pick a fault for the BA's calls on that issue. */
const STORM_429 = "Storm of 429";
const STORM_529 = "Storm of 529";
const HUNG = "Model never answers";
const CUT_ONCE = "Cut off once";
const CUT_ALWAYS = "Cut off always";
const REFUSED = "Refused by the model";
const KEY_REJECTED = "Key rejected";

let cutOnce = 0;
let rejectSpec = false;

beforeAll(async () => {
  h = await startReliabilityHarness({ files: DEMO_REPO_FILES });
  d = journey(h, { maintainer: true });
  const ba = (title: string) => byPromptIncludes(title);
  h.model.respond(ba(STORM_429), { status: 429 });
  h.model.respond(ba(STORM_529), { status: 529 });
  h.model.respond(ba(HUNG), { hang: true });
  h.model.respond(ba(CUT_ALWAYS), {
    toolUse: { name: "submit_ba_reply", input: { reply: "x".repeat(400), brief: null } },
    truncateAt: 50,
  });
  h.model.respond((request) => ba(CUT_ONCE)(request) && cutOnce++ === 0, {
    toolUse: { name: "submit_ba_reply", input: { reply: "x".repeat(400), brief: null } },
    truncateAt: 50,
  });
  h.model.respond(ba(REFUSED), {
    text: "I can't help with that.",
    stopReason: "refusal",
  } satisfies Reply);
  h.model.respond((request) => rejectSpec && byTool("submit_spec")(request), { status: 401 });
  scriptDemoFeature(h.model);
});
afterAll(async () => {
  if (h) await settle(FILE, h);
  await h?.stop();
});

const requestsAbout = (title: string) =>
  h.model.requests.filter((r) => JSON.stringify(r.body ?? "").includes(title));

/** The one "agent failed" comment of an issue, once it is there. */
async function failure(issue: number, timeoutMs = 60_000) {
  await waitFor(
    "the failure comment",
    () => d.botComments(issue).some((c) => c.body.includes("❌")),
    timeoutMs,
  );
  await sleep(500);
  const failures = d.botComments(issue).filter((c) => c.body.includes("❌"));
  expect(failures).toHaveLength(1);
  return failures[0]?.body ?? "";
}

describe("model faults", () => {
  it("429 and 529 storms and a hung connection: bounded, spaced-out retries, then one clear failure each", async () => {
    const cases = [
      { title: STORM_429, name: "model 429 storm", reason: /rate limited \(429\)/ },
      { title: STORM_529, name: "model 529 storm", reason: /unavailable \(529\)/ },
      { title: HUNG, name: "model connection hangs (timeout)", reason: /timed out/ },
    ];
    await Promise.all(
      cases.map((c) =>
        injected(FILE, c.name, async () => {
          const issue = await d.open(c.title);
          const body = await failure(issue, 90_000);
          expect(body).toMatch(c.reason);
          expect(body).toContain("Nothing was lost");
          const calls = requestsAbout(c.title);
          // Three tries by the SDK in each of the job's four attempts, and no more.
          expect(calls).toHaveLength(12);
          // Between the job's attempts it backs off, doubling (JOB_BACKOFF_MS is 200 here).
          const times = calls.map((r) => r.receivedAt);
          const pauses = [3, 6, 9].map((i) => (times[i] ?? 0) - (times[i - 1] ?? 0));
          expect(pauses[0]).toBeGreaterThanOrEqual(200);
          expect(pauses[1]).toBeGreaterThanOrEqual(400);
          expect(pauses[2]).toBeGreaterThanOrEqual(800);
          const f = await d.feature(issue);
          expect(f?.stage).toBe("drafting");
          const runs = await h.db.db
            .selectFrom("agent_runs")
            .select(["outcome"])
            .where("feature_id", "=", f?.id ?? 0)
            .execute();
          expect(runs.map((r) => r.outcome)).toEqual(["error", "error", "error", "error"]);
        }),
      ),
    );
  }, 120_000);

  it("a reply cut off at max_tokens once: asked again with more room, answered once", () =>
    injected(FILE, "model reply truncated at max_tokens", async () => {
      const issue = await d.open(CUT_ONCE);
      await waitFor("the BA's question", () =>
        h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
      );
      const calls = requestsAbout(CUT_ONCE).map(
        (r) => (r.body as { max_tokens: number }).max_tokens,
      );
      // The BA's answer room (8k, then 16k) plus the thinking room of its effort (medium).
      expect(calls).toEqual([8_000, 16_000].map((n) => n + THINKING_ROOM.medium));
      expect(d.botComments(issue).filter((c) => c.body.includes("Two questions"))).toHaveLength(1);
      expect(d.botComments(issue).some((c) => c.body.includes("xxxxxxxx"))).toBe(false);
    }));

  it("replies always cut off: fails closed with one comment, never a partial answer", () =>
    injected(FILE, "model reply always truncated", async () => {
      const issue = await d.open(CUT_ALWAYS);
      const body = await failure(issue);
      expect(body).toContain("did not produce a complete answer");
      expect(requestsAbout(CUT_ALWAYS).length).toBeLessThanOrEqual(5);
      expect(d.botComments(issue).some((c) => c.body.includes("xxxxxxxx"))).toBe(false);
    }));

  it("a refusal: one call, one comment saying the model declined", () =>
    injected(FILE, "model refusal", async () => {
      const issue = await d.open(REFUSED);
      const body = await failure(issue);
      expect(body).toContain("declined");
      expect(requestsAbout(REFUSED)).toHaveLength(1);
    }));

  it("a rejected key (401) while writing the spec: no retries, the feature fails with one comment", () =>
    injected(FILE, "model key rejected (401)", async () => {
      rejectSpec = true;
      const before = h.model.requests.filter((r) => r.response.status === 401).length;
      const issue = await d.openAndApproveBrief(KEY_REJECTED);
      const f = await d.waitStage(issue, "failed", 20_000);
      expect(f.checkpoint).toBe("spec_generating");
      const body = await failure(issue);
      expect(body).toContain("model key was rejected");
      expect(body).toContain("/retry");
      expect(h.model.requests.filter((r) => r.response.status === 401).length - before).toBe(1);
      rejectSpec = false;
      // Once the key is fixed, /retry resumes from the spec.
      await d.say(issue, "/retry");
      await d.waitStage(issue, "spec_ready", 20_000);
    }));
});
