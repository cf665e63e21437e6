// A job that fails for good: people read a plain sentence, the operator's log has the stack.

import { Writable } from "node:stream";
import type { Job } from "bullmq";
import { UnrecoverableError } from "bullmq";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BudgetExceededError, reasonForPeople } from "../../src/errors.ts";
import type { JobDeps } from "../../src/jobs/deps.ts";
import { onFinalFailure } from "../../src/jobs/index.ts";
import { createTestDatabase, type TestDatabase } from "../../testkit/services.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await t.store.ensureInstallation(1, "octo-org");
});
afterAll(async () => t?.drop());

function capturingLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: pino({ level: "info" }, stream), lines };
}

async function failingFeature(issueNumber: number) {
  const created = await t.store.createFeature({
    installation_id: 1,
    repo_owner: "octo-org",
    repo_name: "app",
    issue_number: issueNumber,
    issue_title: "Add a health endpoint",
    issue_author: "mona",
    slug: "add-a-health-endpoint",
    stage: "drafting",
  });
  if (!created) throw new Error("not created");
  const working = { ...created, stage: "spec_generating" as const };
  await t.store.saveFeature(working, created.version, created.stage, {
    actor: "test",
    event: "setup",
  });
  return created.id;
}

async function fail(featureId: number, error: Error) {
  const { log, lines } = capturingLog();
  const deps = { log, store: t.store, relay: { kick: async () => {} } } as unknown as JobDeps;
  const job = { id: "agent-1", name: "agent", data: { featureId, agent: "spec" } } as Job;
  await onFinalFailure(deps, job, error);
  return { lines, feature: await t.store.findFeature(featureId) };
}

describe("onFinalFailure", () => {
  it("turns an unexpected error into a sentence with a reference, and logs its stack", async () => {
    const id = await failingFeature(1);
    const raw = new TypeError(
      "The first argument must be of type string or an instance of Buffer. Received undefined",
    );
    const { lines, feature } = await fail(id, raw);
    expect(feature?.stage).toBe("failed");
    const reason = feature?.failureReason ?? "";
    expect(reason).not.toContain("first argument");
    const reference = /reference ([0-9a-f]{8})/.exec(reason)?.[1];
    expect(reference).toBeDefined();
    const logged = lines.find((l) => l.msg === "job failed for good");
    expect(logged?.reference).toBe(reference);
    expect(String((logged?.err as { stack?: string })?.stack)).toContain("TypeError: The first");
  });

  it("keeps the words of an error written for people, also when BullMQ wrapped it", async () => {
    const id = await failingFeature(2);
    const budget = new BudgetExceededError("the feature's budget of $5.00 is spent");
    const wrapped = Object.assign(new UnrecoverableError(budget.message), { cause: budget });
    const { feature } = await fail(id, wrapped);
    expect(feature?.failureReason).toContain("the feature's budget of $5.00 is spent");
  });
});

describe("reasonForPeople", () => {
  it("never passes a library's message through", () => {
    expect(reasonForPeople(new RangeError("Invalid array length"), "0badc0de")).toBe(
      "something unexpected went wrong (reference 0badc0de: the operator's log has the details)",
    );
  });
});
