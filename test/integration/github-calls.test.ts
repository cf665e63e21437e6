// The GitHub calls of the demo feature, issue to merged pull request, pinned by kind and by the
// routes the app used to repeat: an upper bound that fails when calls creep back.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase } from "../../src/adapters/store/database.ts";
import { countApiCalls } from "../../testkit/api-calls.ts";
import { DEMO_ANSWER, DEMO_ISSUE } from "../../testkit/demo-feature.ts";
import {
  driveToReadyPullRequest,
  FeatureWatch,
  mergeAndWaitDone,
  openIssue,
  type Person,
} from "../../testkit/journey.ts";
import { serviceUrls } from "../../testkit/services.ts";
import { MAINTAINER, OWNER, REPO, type Stack, startDemoStack } from "../../testkit/stack.ts";

let stack: Stack;
let watchDb: ReturnType<typeof createDatabase>;
beforeAll(async () => {
  stack = await startDemoStack({
    services: serviceUrls(),
    run: "calls",
    model: { kind: "scripted" },
  });
  await stack.startApp({ web: true, worker: true });
  watchDb = createDatabase(stack.db.url, { max: 2 });
});
afterAll(async () => {
  await watchDb?.destroy();
  await stack?.stop();
});

describe("GitHub calls of the demo feature", () => {
  it("stays within its budget per kind, and never reads back what the app wrote", async () => {
    const watch = new FeatureWatch(watchDb, OWNER, REPO, 20);
    const person: Person = {
      github: stack.github,
      send: stack.send,
      watch,
      owner: OWNER,
      repo: REPO,
      login: MAINTAINER,
      stepTimeoutMs: 30_000,
      pauseMs: 0,
    };
    watch.start();
    try {
      const issue = await openIssue(person, DEMO_ISSUE);
      await driveToReadyPullRequest(person, issue, {
        answers: [DEMO_ANSWER, "Nothing more to add: please write the brief with what you have."],
      });
      await mergeAndWaitDone(person, issue);
    } finally {
      watch.stop();
    }
    const calls = countApiCalls(stack.github.requestLog);
    const route = (key: string) =>
      calls.byRoute
        .filter((r) => r.route === key && (r.kind === "read" || r.kind === "write"))
        .reduce((sum, r) => sum + r.count, 0);
    // Measured 51–54 (23–24 reads, 28–30 writes, 20 of them content-creating) with a commit
    // per plan task (three) and the docs commit; the slack is the debounced status comment and
    // its label, which a slower run edits once more. 20 content-creating requests a feature is
    // what lets one installation build 25 features an hour under GitHub's 500.
    expect(calls.total).toBeLessThanOrEqual(58);
    expect(calls.reads).toBeLessThanOrEqual(27);
    expect(calls.writes).toBeLessThanOrEqual(33);
    expect(calls.contentCreating).toBeLessThanOrEqual(20);
    // The repository's conventions come from the default branch's snapshot; the configuration
    // is read by the web role and, conditionally, by the worker.
    expect(route("GET /repos/{owner}/{repo}/contents/{path}")).toBeLessThanOrEqual(2);
    // One archive for the whole feature: every later commit's snapshot is derived from it.
    expect(route("GET /repos/{owner}/{repo}/tarball/{ref}")).toBe(1);
    expect(route("GET /repos/{owner}/{repo}/git/trees/{tree_sha}")).toBe(1);
    // The branch is listed to create it and once more for the implementer's snapshot read.
    expect(route("GET /repos/{owner}/{repo}/commits")).toBeLessThanOrEqual(2);
    // The pull request is opened on the branch its first commit created, so never looked for;
    // the head never read back; check runs created without looking them up; CI read in one
    // GraphQL query per commit (tests, three tasks, docs), not the two REST reads.
    expect(route("GET /repos/{owner}/{repo}/pulls")).toBe(0);
    expect(route("GET /repos/{owner}/{repo}/git/ref/{ref}")).toBe(0);
    expect(route("GET /repos/{owner}/{repo}/commits/{ref}/check-runs")).toBe(0);
    expect(route("GET /repos/{owner}/{repo}/commits/{ref}/status")).toBe(0);
    expect(calls.notModified).toBeGreaterThan(0);
    expect(stack.github.violations).toEqual([]);
  }, 120_000);
});
