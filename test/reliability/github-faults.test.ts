// GitHub misbehaving under a whole journey: writes that succeed but answer 502, "already
// exists" races on the branch and the pull request, a ref update that is not a fast-forward,
// secondary rate limits with retry-after, and an installation token GitHub stops accepting.
// Each fault is asserted from the fake's ledger and state: every side effect exists once.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ANSWER, DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import type { FaultSpec } from "../../testkit/fakes/github/index.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { sleep, waitFor } from "../../testkit/services.ts";
import { type Harness, MAINTAINER, OWNER, REPO } from "../../testkit/stack.ts";
import { duplicateSideEffects } from "./support/audit.ts";
import { injected, settle, startReliabilityHarness } from "./support/suite.ts";

const FILE = "github-faults";
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

const ROUTES = {
  comments: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
  issueReactions: "/repos/{owner}/{repo}/issues/{issue_number}/reactions",
  commentReactions: "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
  // A stage's commit is one GraphQL createCommitOnBranch.
  graphql: "/graphql",
  checkRuns: "/repos/{owner}/{repo}/check-runs",
  collaboratorPermission: "/repos/{owner}/{repo}/collaborators/{username}/permission",
} as const;

/** A write that happens on GitHub but whose answer is lost: the client sees a 502. */
const lost = (method: string, route: string, times = 1): FaultSpec => ({
  method,
  route,
  status: 502,
  afterWrite: true,
  times,
});

/** Faults of a route that have not fired yet. */
function unfired(): FaultSpec[] {
  return (
    h.github as unknown as { core: { faults: (FaultSpec & { remaining: number })[] } }
  ).core.faults.filter((f) => f.remaining > 0);
}

function faultedWrites(route: string) {
  return h.github.ledger.filter((e) => e.route === route && e.faulted);
}

/** Seconds between a refused request and the next request to the same route. */
function waitedAfter(route: string, status: number): number {
  const log = h.github.requestLog;
  const refused = log.findIndex((r) => r.route === route && r.status === status);
  const next = log.slice(refused + 1).find((r) => r.route === route);
  if (refused < 0 || !next) throw new Error(`no retry of ${route} after ${status}`);
  return (Date.parse(next.at) - Date.parse(log[refused]?.at ?? "")) / 1000;
}

function ourCommits(branch: string) {
  return h.github
    .branchCommits(OWNER, REPO, branch)
    .filter((c) => c.message.includes("Practical-Step:"));
}

describe("GitHub faults along one journey", () => {
  let issue = 0;

  it("a comment write that succeeded but answered 502: the reply and the status exist once", () =>
    injected(FILE, "502 after a comment was written", async () => {
      h.github.injectFault(lost("POST", ROUTES.comments, 2));
      issue = await d.open();
      await waitFor(
        "the BA's question",
        () => h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
        20_000,
      );
      await waitFor("the status comment", () =>
        d.botComments(issue).some((c) => c.body.includes("practical:status")),
      );
      await sleep(1_000);
      expect(faultedWrites(ROUTES.comments)).toHaveLength(2);
      const questions = d.botComments(issue).filter((c) => c.body.includes("Two questions"));
      expect(questions).toHaveLength(1);
      expect(d.botComments(issue).filter((c) => c.body.includes("practical:status"))).toHaveLength(
        1,
      );
      expect(duplicateSideEffects(h.github)).toEqual([]);
    }));

  it("the branch, its first commit and the PR made but the answer lost (502): one branch, one PR", () =>
    injected(
      FILE,
      "502 after the first commit's request (branch, commit, PR) was carried out",
      async () => {
        await d.say(issue, DEMO_ANSWER);
        await waitFor("the brief", async () => (await d.feature(issue))?.artifacts.brief);
        h.github.injectFault(lost("POST", ROUTES.graphql));
        await d.say(issue, "/approve");
        const f = await d.waitStage(issue, "spec_ready", 30_000);
        expect(unfired()).toEqual([]);
        expect(faultedWrites(ROUTES.graphql)).toHaveLength(1);
        // The retried job found the commit by its marker and the PR by its branch.
        expect(h.github.pulls(OWNER, REPO)).toHaveLength(1);
        expect(h.github.pull(OWNER, REPO, f.prNumber ?? 0).head.ref).toBe(f.branch);
        expect(ourCommits(f.branch ?? "")).toHaveLength(1);
        expect(duplicateSideEffects(h.github)).toEqual([]);
      },
    ));

  it("a commit made but its answer lost (502): the step's commit is found, not made again", () =>
    injected(FILE, "502 after the commit was made", async () => {
      const before = faultedWrites(ROUTES.graphql).length;
      h.github.injectFault(lost("POST", ROUTES.graphql));
      await d.say(issue, "/approve");
      const f = await d.waitStage(issue, "plan_ready", 30_000);
      expect(faultedWrites(ROUTES.graphql)).toHaveLength(before + 1);
      expect(ourCommits(f.branch ?? "").map((c) => c.message.split("\n")[0])).toEqual([
        `docs: implementation plan for #${issue}`,
        `docs: brief and specification for #${issue}`,
      ]);
    }));

  it("a commit refused because the branch moved (STALE_DATA): made again on the new head, one tests commit", () =>
    injected(FILE, "createCommitOnBranch refused: the branch moved", async () => {
      // GraphQL answers 200 with an error: https://docs.github.com/en/graphql/reference/mutations#createcommitonbranch
      h.github.injectFault({
        method: "POST",
        route: ROUTES.graphql,
        status: 200,
        body: {
          data: null,
          errors: [
            {
              type: "STALE_DATA",
              message: `Expected branch to point to "${"0".repeat(40)}" but it did not. Pull and try again.`,
            },
          ],
        },
      });
      await d.say(issue, "/approve");
      const f = await d.waitStage(issue, "tests_ready", 30_000);
      expect(unfired()).toEqual([]);
      expect(ourCommits(f.branch ?? "")).toHaveLength(3);
      expect(h.github.readFile(OWNER, REPO, f.branch ?? "", "test/health.test.js")).toBeTruthy();
    }));

  it("check runs written but answered 502: each review publishes one check run", () =>
    injected(FILE, "502 after a check run was created", async () => {
      h.github.injectFault(lost("POST", ROUTES.checkRuns, 2));
      await d.say(issue, "/approve");
      const f = await d.waitStage(issue, "awaiting_merge", 40_000);
      expect(faultedWrites(ROUTES.checkRuns)).toHaveLength(2);
      const runs = h.github.checkRuns(OWNER, REPO, f.headSha ?? "");
      expect(runs.map((r) => r.name).sort()).toEqual([
        "Build Practical / alignment",
        "Build Practical / code review",
        "Build Practical / security",
      ]);
      expect(duplicateSideEffects(h.github)).toEqual([]);
    }));

  it("an installation token GitHub no longer accepts: a fresh one is fetched, and the merge closes the feature", () =>
    injected(FILE, "installation token expired", async () => {
      h.github.expireTokens();
      // The web process reads the commenter's permission with the old token; the worker
      // answers and later closes the issue with its own old token: both must get a new one.
      const approve = h.github.comment({
        owner: OWNER,
        repo: REPO,
        number: issue,
        author: MAINTAINER,
        body: "/approve",
      });
      await h.send(approve);
      await waitFor("the 'not now' answer", () =>
        d
          .botComments(issue)
          .some((c) => c.body.includes(`key=c${approve.payload.comment.id}-not_now`)),
      );
      h.github.expireTokens();
      await d.merge(issue);
      await waitFor(
        "the issue closed",
        () => h.github.issue(OWNER, REPO, issue).state === "closed",
      );
      const rejected = h.github.requestLog.filter((r) => r.status === 401);
      expect(rejected.length).toBeGreaterThan(0);
      expect(duplicateSideEffects(h.github)).toEqual([]);
    }));
});

describe("GitHub rate limits", () => {
  it("a 429 with retry-after on the first reaction: the job waits as told, then reacts once", () =>
    injected(FILE, "429 with retry-after", async () => {
      h.github.injectFault({
        method: "POST",
        route: ROUTES.issueReactions,
        status: 429,
        headers: { "retry-after": "3" },
      });
      const issue = await d.open("Rate limited start");
      await waitFor(
        "the 👀 reaction",
        () => h.github.reactions(OWNER, REPO, { number: issue }).length > 0,
        20_000,
      );
      expect(waitedAfter(ROUTES.issueReactions, 429)).toBeGreaterThanOrEqual(3);
      expect(h.github.reactions(OWNER, REPO, { number: issue })).toHaveLength(1);
    }));

  it("a 403 secondary rate limit with retry-after: the job waits as told, then carries on", () =>
    injected(FILE, "403 secondary rate limit with retry-after", async () => {
      const issue = await d.open("Secondary limit");
      await waitFor("the BA's question", () =>
        h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
      );
      h.github.injectFault({
        method: "POST",
        route: ROUTES.commentReactions,
        status: 403,
        headers: { "retry-after": "3" },
      });
      const answer = h.github.comment({
        owner: OWNER,
        repo: REPO,
        number: issue,
        author: MAINTAINER,
        body: DEMO_ANSWER,
      });
      await h.send(answer);
      await waitFor(
        "the 👀 on the answer",
        () => h.github.reactions(OWNER, REPO, { commentId: answer.payload.comment.id }).length > 0,
        20_000,
      );
      expect(waitedAfter(ROUTES.commentReactions, 403)).toBeGreaterThanOrEqual(3);
      await waitFor("the brief", async () => (await d.feature(issue))?.artifacts.brief, 20_000);
      expect(duplicateSideEffects(h.github)).toEqual([]);
    }));
});
