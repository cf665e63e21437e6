// The whole journey under the faults GitHub and the hosting really produce: every webhook is
// delivered twice (same delivery id), and the worker process is SIGKILLed once in the middle of
// the second task's implementer tool loop (the first task committed) and once in the middle of
// the security review. The journey must
// still reach a merged PR, and GitHub must hold each commit, comment, PR and check run once.

import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it, onTestFailed } from "vitest";
import {
  currentTask,
  DEMO_REPO_FILES,
  promptText,
  runPrompts,
  scriptDemoFeature,
} from "../../testkit/demo-feature.ts";
import { byPromptIncludes, byTool, type ModelRequest } from "../../testkit/fakes/model/index.ts";
import { journey } from "../../testkit/journey.ts";
import { waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO, startHarness } from "../../testkit/stack.ts";

let h: Harness;
/** How long one step may take on a busy machine; a normal run needs a fraction of it. */
const PATIENCE = 30_000;

interface WorkerProcess {
  child: ChildProcess;
  /** Settles when the worker has connected its queues (its "workers started" line). */
  ready: Promise<void>;
  output: string[];
}
const workers: WorkerProcess[] = [];

/** A worker in a real child process, as `npm run start:worker` runs it. */
function spawnWorker(): WorkerProcess {
  const child = spawn(process.execPath, ["src/main/worker.ts"], {
    env: { ...h.env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    let seen = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output.push(String(chunk));
      seen = (seen + String(chunk)).slice(-4_000);
      if (seen.includes('"workers started"')) resolve();
    });
    child.stderr?.on("data", (chunk: Buffer) => output.push(String(chunk)));
    child.once("exit", (code, signal) =>
      reject(new Error(`the worker exited (${code ?? signal}) before it started`)),
    );
  });
  const worker = { child, ready, output };
  workers.push(worker);
  return worker;
}

async function startWorker(): Promise<WorkerProcess> {
  const worker = spawnWorker();
  await worker.ready;
  return worker;
}

async function killWorker({ child }: WorkerProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

beforeAll(async () => {
  h = await startHarness({ worker: false, files: DEMO_REPO_FILES });
  h.github.setPermission(OWNER, REPO, "mona", "write");
});
afterAll(async () => {
  for (const { child } of workers) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  await h?.stop();
});

/** GitHub redelivers: the same delivery (same id) once now and once a moment later. */
async function sendTwice(webhook: { id: string; name: string; payload: unknown }) {
  const first = await h.send(webhook);
  expect(first.ok, `${webhook.name} first delivery`).toBe(true);
  await sleep(150);
  const again = await h.send(webhook);
  expect(again.ok, `${webhook.name} redelivery`).toBe(true);
}

const { feature, waitStage, driveToReviews } = journey(() => h, {
  send: sendTwice,
  patience: PATIENCE,
});

const isImplementer = byPromptIncludes("# Agent: implementer");
// The implementer is offered every tool (tool_choice "any"), so it matches any byTool too.
const isSecurityReview = (r: ModelRequest) =>
  !isImplementer(r) && byTool("submit_security_review")(r);
const assistantTurns = (request: ModelRequest) =>
  request.body.messages.filter((m) => m.role === "assistant").length;

/** Model calls the fake answered in full (a hung or abandoned call is not one). */
function answeredCalls() {
  return h.model.requests.filter(
    (r) =>
      r.method === "POST" &&
      r.path.startsWith("/v1/messages") &&
      !r.path.includes("count_tokens") &&
      r.response.kind === "message" &&
      r.response.status === 200 &&
      !r.response.aborted,
  );
}

const MARKER = /<!-- practical:[^>]*-->/;

it("completes the journey with every webhook twice and two killed workers, each effect once", async () => {
  // The second task's implementer on its second turn (after it has read the files) and the
  // first security review never get an answer: the worker holding each is killed while it waits.
  let hungImplementer: ModelRequest | null = null;
  let hungSecurity: ModelRequest | null = null;
  h.model.respond(
    (r) =>
      hungImplementer === null &&
      isImplementer(r) &&
      assistantTurns(r) === 1 &&
      currentTask(promptText(r)) === "T002",
    (r) => {
      hungImplementer = r;
      return { hang: true };
    },
  );
  h.model.respond(
    (r) => hungSecurity === null && isSecurityReview(r),
    (r) => {
      hungSecurity = r;
      return { hang: true };
    },
  );
  const unscript = scriptDemoFeature(h.model);
  const queue = h.pipelineQueue();

  onTestFailed(() => {
    for (const [i, w] of workers.entries()) {
      console.log(`worker ${i + 1}:\n${w.output.join("").split("\n").slice(-40).join("\n")}`);
    }
  });
  let worker = await startWorker();
  const issue = await driveToReviews();

  // Kill 1: inside the second task's tool loop, one model call in, the first task committed.
  await waitFor("the implementer's second turn on T002", () => hungImplementer, PATIENCE);
  expect((await feature(issue))?.stage).toBe("implementing");
  const branch = (await feature(issue))?.branch ?? "";
  const stepCommits = () =>
    h.github
      .branchCommits(OWNER, REPO, branch)
      .filter((c) => c.message.includes("Practical-Step:"));
  expect(stepCommits()).toHaveLength(4);
  await killWorker(worker);
  worker = await startWorker();

  // Kill 2: inside the security review, after the other two reviews have finished.
  await waitFor("the security review's call", () => hungSecurity, PATIENCE);
  await waitFor(
    "the code and alignment reviews to finish",
    async () => {
      const done = (await queue.getJobs(["completed"])).filter((j) => j.name === "review");
      return ["code_review", "alignment_review"].every((r) =>
        done.some((j) => (j.data as { review?: string }).review === r),
      );
    },
    PATIENCE,
  );
  expect((await feature(issue))?.stage).toBe("reviewing");
  expect(stepCommits()).toHaveLength(7);
  await killWorker(worker);
  worker = await startWorker();

  await waitStage(issue, "awaiting_merge");
  const f = await feature(issue);
  const prNumber = f?.prNumber ?? 0;
  await waitFor("the PR marked ready", () => !h.github.pull(OWNER, REPO, prNumber).draft, PATIENCE);
  await sendTwice(
    h.github.mergePullRequest({ owner: OWNER, repo: REPO, number: prNumber, by: "mona" }),
  );
  await waitStage(issue, "done");
  await waitFor(
    "the issue closed",
    () => h.github.issue(OWNER, REPO, issue).state === "closed",
    PATIENCE,
  );
  // Let any late duplicate (a retried job, a second delivery) land before counting.
  await sleep(1_500);

  // One commit per stage and per task, none repeated by the retried job: it went on from T002.
  expect(stepCommits().map((c) => c.message.split("\n")[0])).toEqual([
    `docs: document #${issue}`,
    "feat(T003): Document GET /health in README.md",
    "feat(T002): Route /health in src/server.js",
    "feat(T001): Create src/health.js",
    `test: contract tests for #${issue}`,
    `docs: implementation plan for #${issue}`,
    `docs: brief and specification for #${issue}`,
  ]);
  const commitMutations = h.github
    .writes("/graphql")
    .filter((e) => JSON.stringify(e.body).includes("createCommitOnBranch"));
  expect(commitMutations).toHaveLength(7);
  // T001's run was not repeated by the retried job; T002's started over.
  const implementerRuns = runPrompts(h.model.requests).filter((p) =>
    p.includes("# Agent: implementer"),
  );
  expect(implementerRuns.map(currentTask)).toEqual(["T001", "T002", "T002", "T003"]);
  expect(h.github.files(OWNER, REPO, branch)["src/health.js"]).toBeTruthy();

  // One pull request, created once (with the branch and its first commit, in one request).
  expect(h.github.pulls(OWNER, REPO)).toHaveLength(1);
  expect(h.github.pull(OWNER, REPO, prNumber).merged).toBe(true);
  const prCreations = [
    ...h.github.writes("/repos/{owner}/{repo}/pulls"),
    ...h.github
      .writes("/graphql")
      .filter((e) => JSON.stringify(e.body).includes("createPullRequest")),
  ];
  expect(prCreations).toHaveLength(1);

  // Three check runs on the head, one per name, each created once.
  const runs = h.github.checkRuns(OWNER, REPO);
  expect(runs.every((r) => r.headSha === f?.headSha)).toBe(true);
  expect(runs.map((r) => [r.name, r.conclusion]).sort()).toEqual([
    ["Build Practical / alignment", "success"],
    ["Build Practical / code review", "success"],
    ["Build Practical / security", "success"],
  ]);
  const security = runs.find((r) => r.name === "Build Practical / security");
  expect(security?.annotations).toMatchObject([{ path: "src/health.js", start_line: 10 }]);
  expect(
    h.github.writes("/repos/{owner}/{repo}/check-runs").filter((w) => w.method === "POST"),
  ).toHaveLength(3);

  // No two bot comments carry the same marker, in the issue or in the PR, and none was
  // created twice.
  const botComments = [issue, prNumber].flatMap((n) =>
    h.github.comments(OWNER, REPO, n).filter((c) => c.authorType === "Bot"),
  );
  const markers = botComments.map((c) => c.body.match(MARKER)?.[0]);
  expect(markers.every((m) => m !== undefined)).toBe(true);
  expect(new Set(markers).size).toBe(markers.length);
  // Each bot comment created once: by REST, or (the ready notice) by GraphQL `addComment`.
  const restComments = h.github
    .writes("/repos/{owner}/{repo}/issues/{issue_number}/comments")
    .filter((w) => w.method === "POST");
  const graphqlComments = h.github
    .writes("/graphql")
    .filter((w) => String((w.body as { query?: string }).query).includes("addComment("));
  expect(restComments.length + graphqlComments.length).toBe(botComments.length);
  // Every comment the app acted on got exactly one reaction: 👀 on the answer, 👍 on each
  // accepted /approve (acknowledged by the reaction and the status comment, not a reply).
  const humanComments = [issue, prNumber].flatMap((n) =>
    h.github.comments(OWNER, REPO, n).filter((c) => c.authorType !== "Bot"),
  );
  expect(humanComments.filter((c) => c.body.startsWith("/approve"))).toHaveLength(4);
  expect(humanComments).toHaveLength(5);
  for (const c of humanComments) {
    const expected = c.body.startsWith("/approve") ? "+1" : "eyes";
    const reactions = h.github.reactions(OWNER, REPO, { commentId: c.id }).map((r) => r.content);
    expect(reactions, `the reaction on "${c.body.slice(0, 30)}"`).toEqual([expected]);
  }

  expect((await feature(issue))?.stage).toBe("done");
  expect(h.github.violations).toEqual([]);
  // Seven deliveries (opened, the answer, four approvals, the merge), each recorded once.
  const deliveries = await h.db.db.selectFrom("deliveries").select("id").execute();
  expect(deliveries).toHaveLength(7);

  // agent_runs: one row per model call that was answered, the killed worker's answered
  // implementer turn included; the two calls that never got an answer left no row.
  const rows = await h.db.db
    .selectFrom("agent_runs")
    .select(["agent", "outcome", "job_id"])
    .where("feature_id", "=", f?.id ?? 0)
    .execute();
  const answered = answeredCalls();
  expect(rows.every((r) => r.outcome === "ok")).toBe(true);
  expect(rows).toHaveLength(answered.length);
  expect(h.model.requests.filter((r) => r.response.kind === "hang")).toHaveLength(2);
  const count = (agent: string) => rows.filter((r) => r.agent === agent).length;
  // The implementer, four turns a task (view, edit, the finish answered with the diff, the
  // confirming finish): T001 once, T002's one answered turn before the kill and then its whole
  // loop again, T003 once.
  expect(count("implement")).toBe(4 + 1 + 4 + 4);
  expect(new Set(rows.filter((r) => r.agent === "implement").map((r) => r.job_id)).size).toBe(1);
  expect(count("security_review")).toBe(1);
  expect(count("code_review")).toBe(1);
  expect(count("alignment_review")).toBe(4 + 1); // one per gate, one on the pull request
  expect(count("title")).toBe(1);
  for (const agent of ["spec", "plan", "tests"]) expect(count(agent), agent).toBe(1);
  expect(count("ba")).toBe(2);

  unscript();
}, 120_000);
