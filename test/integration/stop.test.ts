// Stop means stop: `/cancel` aborts the job in its model call and nothing it produced reaches
// GitHub; after the stuck sweep and `/retry`, the superseded job's late result is discarded.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobDeps } from "../../src/jobs/deps.ts";
import { sweepStuckFeatures } from "../../src/jobs/sweep.ts";
import {
  DEMO_REPO_FILES,
  REQUIREMENTS,
  SPEC,
  scriptDemoFeature,
} from "../../testkit/demo-feature.ts";
import { byTool, toolsOffered } from "../../testkit/fakes/model/index.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { sleep, waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO, startHarness } from "../../testkit/stack.ts";

/** A model answer held until the test lets it go (the fake awaits an async responder). */
function holdSpec(h: Harness, late: string) {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let held = 0;
  const stopHolding = h.model.respond(
    (request) => held === 0 && byTool("submit_spec")(request),
    async () => {
      held++;
      await released;
      return {
        toolUse: {
          name: "submit_spec",
          // A valid spec (the demo's), told apart by one line.
          input: { requirements: REQUIREMENTS, markdown: `${SPEC}\n${late}\n`, summary: late },
        },
      };
    },
  );
  return { release, stopHolding, isHeld: () => held > 0 };
}

const specRequests = (h: Harness) =>
  h.model.requests.filter((r) => toolsOffered(r.body).includes("submit_spec"));

const specRuns = (h: Harness, featureId: number) =>
  h.db.db
    .selectFrom("agent_runs")
    .select(["outcome", "job_id"])
    .where("feature_id", "=", featureId)
    .where("agent", "=", "spec")
    .orderBy("id")
    .execute();

const lateArtifacts = (h: Harness, featureId: number, text: string) =>
  h.db.db
    .selectFrom("artifacts")
    .select("id")
    .where("feature_id", "=", featureId)
    .where("content", "like", `%${text}%`)
    .execute();

describe("/cancel during a slow model call", () => {
  let h: Harness;
  let d: Journey;
  beforeAll(async () => {
    // The running job notices the cancel within 100 ms.
    h = await startHarness({ files: DEMO_REPO_FILES, env: { JOB_STOP_POLL_MS: "100" } });
    d = journey(h, { maintainer: true });
  });
  afterAll(async () => h?.stop());

  it("aborts the call; no commit, no pull request and no comment from the job", async () => {
    const hold = holdSpec(h, "Written after the cancel");
    scriptDemoFeature(h.model);
    const issue = await d.openAndApproveBrief();
    await waitFor("the spec's model call", hold.isHeld, 20_000);
    const feature = await d.feature(issue);
    await d.say(issue, "/cancel");
    await d.waitStage(issue, "cancelled");
    // The cancel's own reply and status.
    await waitFor(
      "the cancel's reply and status",
      () =>
        d.botComments(issue).some((c) => c.body.includes("Cancelled by")) &&
        d.botComments(issue).some((c) => c.body.includes("Build Practical — Cancelled")),
    );
    // The job gave up its call: the model fake saw the client go away.
    await waitFor(
      "the aborted spec run",
      async () => (await specRuns(h, feature?.id ?? 0)).some((r) => r.outcome === "aborted"),
      10_000,
    );
    const commentsAfterCancel = d.botComments(issue).map((c) => c.body);
    // The answer comes anyway: it has no one left to reach.
    hold.release();
    await sleep(1_500);
    expect(h.github.pulls(OWNER, REPO)).toEqual([]);
    // Nothing is posted or edited after the cancel.
    expect(d.botComments(issue).map((c) => c.body)).toEqual(commentsAfterCancel);
    expect(JSON.stringify(d.botComments(issue))).not.toContain("Written after the cancel");
    const after = await d.feature(issue);
    expect(after?.stage).toBe("cancelled");
    expect(after?.artifacts.spec).toBeUndefined();
    // No commit: the branch was never written.
    expect(after?.branch).toBeNull();
    expect(after?.headSha).toBeNull();
    expect(await lateArtifacts(h, after?.id ?? 0, "Written after the cancel")).toEqual([]);
    expect(specRequests(h)).toHaveLength(1);
    hold.stopHolding();
  });
});

describe("a superseded job finishing late after /retry", () => {
  let h: Harness;
  let d: Journey;
  beforeAll(async () => {
    // The poll is slow here: only the check just before acting stands between the late
    // result and the feature.
    h = await startHarness({ files: DEMO_REPO_FILES, env: { JOB_STOP_POLL_MS: "600000" } });
    d = journey(h, { maintainer: true });
  });
  afterAll(async () => h?.stop());

  it("discards the first run's result: one spec commit, the retried run's", async () => {
    const hold = holdSpec(h, "The superseded spec");
    scriptDemoFeature(h.model);
    const issue = await d.openAndApproveBrief();
    await waitFor("the spec's model call", hold.isHeld, 20_000);
    const first = await d.feature(issue);
    // The stuck sweep gives up on the job (any working feature counts with a zero limit)…
    const deps = {
      config: { stuckAfterMinutes: 0 },
      store: h.db.store,
      relay: { kick: async () => {} },
    } as unknown as JobDeps;
    expect((await sweepStuckFeatures(deps)).failed).toEqual([first?.id]);
    await d.waitStage(issue, "failed");
    // …a person retries, and the new run writes the spec while the first still waits.
    await d.say(issue, "/retry");
    const ready = await d.waitStage(issue, "spec_ready", 30_000);
    const branch = ready.branch ?? "";
    const before = d.stepCommits(branch);
    expect(before).toHaveLength(1);

    // The first job's answer arrives late.
    hold.release();
    await waitFor(
      "the first job to end",
      async () => {
        const queue = h.pipelineQueue();
        const counts = await queue.getJobCounts("active", "waiting", "delayed");
        return (counts.active ?? 0) + (counts.waiting ?? 0) + (counts.delayed ?? 0) === 0;
      },
      20_000,
    );
    await sleep(500);
    expect(d.stepCommits(branch)).toEqual(before);
    const spec = await h.db.store.latestArtifacts(ready.id);
    expect(spec.spec?.content).not.toContain("The superseded spec");
    const after = await d.feature(issue);
    expect(after?.stage).toBe("spec_ready");
    expect(after?.artifacts.spec).toBe(ready.artifacts.spec);
    expect(JSON.stringify(h.github.comments(OWNER, REPO, issue))).not.toContain(
      "The superseded spec",
    );
    // The late job saved nothing either.
    expect(await lateArtifacts(h, ready.id, "The superseded spec")).toEqual([]);
    hold.stopHolding();
  });
});
