// Where could a model key leak? The app runs as `npm start` (web and workers in one child
// process, logging at trace level) through a whole journey with faults on the way: a model 429,
// a rejected key, GitHub 502s, a retried job. Two canary keys (the installation's own, stored
// encrypted, and the operator's ANTHROPIC_API_KEY) are then searched for in the logs, every
// Redis key of the queues (job data, results, errors), every database row, everything posted to
// GitHub (comments, PR and check run texts, request bodies) and every commit and file.

import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptModelKey } from "../../src/core/model-keys.ts";
import { DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import { byTool } from "../../testkit/fakes/model/index.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { type AppProcess, killAll, spawnApp } from "../../testkit/processes.ts";
import { REDIS_URL, sleep, waitFor } from "../../testkit/services.ts";
import { type Harness, INSTALLATION_ID, MODEL_KEY, OWNER } from "../../testkit/stack.ts";
import { scanDatabase, scanGitHub, scanJobData, scanLogs } from "./support/audit.ts";
import { record } from "./support/report.ts";
import { injected, settle, startReliabilityHarness } from "./support/suite.ts";

const FILE = "canary";
const INSTALLATION_KEY = `sk-ant-api03-canary-${randomBytes(18).toString("hex")}`;
const CANARIES = [INSTALLATION_KEY, MODEL_KEY];
let h: Harness;
let d: Journey;
let app: AppProcess;
let rejectOnce = false;

beforeAll(async () => {
  // The harness only provides the services; the app is a child process.
  h = await startReliabilityHarness({
    web: false,
    worker: false,
    files: DEMO_REPO_FILES,
    modelKeys: [INSTALLATION_KEY],
  });
  d = journey(h, { maintainer: true });
  await h.db.store.ensureInstallation(INSTALLATION_ID, OWNER, "Organization");
  const sealed = encryptModelKey(
    INSTALLATION_KEY,
    INSTALLATION_ID,
    Buffer.from(h.env.ENCRYPTION_KEY ?? "", "hex"),
  );
  await h.db.db
    .updateTable("installations")
    .set({
      model_key_ciphertext: sealed.ciphertext,
      model_key_version: sealed.version,
      model_key_hint: sealed.hint,
    })
    .where("id", "=", INSTALLATION_ID)
    .execute();
  h.model.respond(
    (r) => rejectOnce && byTool("submit_spec")(r),
    () => {
      rejectOnce = false;
      return { status: 401 };
    },
  );
  scriptDemoFeature(h.model);
  app = spawnApp("all", { ...h.env, LOG_LEVEL: "trace" });
  await waitFor(
    "the app to listen",
    async () => (await fetch(`${h.appUrl}/healthz`).catch(() => null))?.ok,
    20_000,
  );
});
afterAll(async () => {
  if (h) await settle(FILE, h);
  await killAll();
  await h?.stop();
});

describe("canary keys", () => {
  it(
    "a whole journey with faults on the way",
    () =>
      injected(FILE, "canary journey: model 429 and 401, GitHub 502 after writes", async () => {
        h.model.failNext(1, { status: 429, retryAfter: 1 });
        h.github.injectFault({
          method: "POST",
          route: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
          status: 502,
          afterWrite: true,
        });
        rejectOnce = true;
        const issue = await d.openAndApproveBrief();
        await d.waitStage(issue, "failed", 20_000);
        await d.say(issue, "/retry");
        for (const stage of ["spec_ready", "plan_ready", "tests_ready"] as const) {
          await d.waitStage(issue, stage, 20_000);
          await d.say(issue, "/approve");
        }
        await d.merge(issue);
        // The installation's own key did the work.
        expect(h.model.requests.some((r) => r.keyLastFour === INSTALLATION_KEY.slice(-4))).toBe(
          true,
        );
        await sleep(1_500);
      }),
    90_000,
  );

  it("no canary key in the logs, job data, database, comments or commits", async () => {
    const scans = [
      scanLogs(app.lines, CANARIES),
      await scanJobData(REDIS_URL, h.prefix, CANARIES),
      await scanDatabase(h.db.db, CANARIES),
      ...scanGitHub(h.github, CANARIES),
    ];
    for (const scan of scans) {
      record({
        kind: "canary",
        file: FILE,
        place: scan.place,
        scanned: scan.scanned,
        hits: scan.hits,
      });
    }
    // The scanner finds a key when there is one, and the scans looked at real material.
    expect(scanLogs([`{"msg":"x","auth":"Bearer ${INSTALLATION_KEY}"}`], CANARIES).hits).toBe(1);
    expect(app.lines.some((line) => line.includes('"job failed"'))).toBe(true);
    expect(app.lines.length).toBeGreaterThan(100);
    for (const scan of scans) expect(scan.scanned, scan.place).toBeGreaterThan(0);
    expect(scans.map((s) => [s.place, s.hits, s.where.slice(0, 5)])).toEqual(
      scans.map((s) => [s.place, 0, []]),
    );
    // What the model fake received as prompts carries no key either (only its auth header).
    const prompts = JSON.stringify(h.model.requests.map((r) => r.body));
    for (const canary of CANARIES) expect(prompts.includes(canary)).toBe(false);
  });
});
