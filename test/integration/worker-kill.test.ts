import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { byTool } from "../../testkit/fakes/model/index.ts";
import { waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO, startHarness } from "../../testkit/stack.ts";

let h: Harness;
const children: ChildProcess[] = [];

/** A worker in a real child process, as `npm run start:worker` runs it. */
function spawnWorker(): ChildProcess {
  const child = spawn(process.execPath, ["src/main/worker.ts"], { env: h.env, stdio: "ignore" });
  children.push(child);
  return child;
}

beforeAll(async () => {
  h = await startHarness({ worker: false });
  h.github.setPermission(OWNER, REPO, "mona", "write");
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await h?.stop();
});

it("finishes a job in another worker after the first is killed mid-job, with its effect once", async () => {
  // The first model call hangs: the worker holding it is killed while the job is active.
  h.model.enqueue({ hang: true });
  h.model.respond(byTool("submit_ba_reply"), () => ({
    toolUse: {
      name: "submit_ba_reply",
      input: { reply: "Who will call the endpoint?", brief: null },
    },
  }));

  const first = spawnWorker();
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
  await waitFor(
    "the worker to be inside the model call",
    () => h.model.requests.length >= 1,
    20_000,
  );
  first.kill("SIGKILL");
  await new Promise((resolve) => first.once("exit", resolve));

  spawnWorker();
  const replies = () =>
    h.github.comments(OWNER, REPO, 1).filter((c) => c.body.includes("Who will call the endpoint?"));
  await waitFor("the second worker's reply", () => replies().length === 1, 25_000);
  const queue = h.pipelineQueue();
  await waitFor(
    "the agent job to complete",
    async () => {
      const jobs = await queue.getJobs(["completed"]);
      return jobs.some((j) => j.name === "agent");
    },
    10_000,
  );
  // Give a duplicate every chance to appear before counting.
  await new Promise((r) => setTimeout(r, 1_500));
  expect(replies()).toHaveLength(1);
  const messages = await h.db.store.listMessages(
    (await h.db.store.findFeatureByIssue(OWNER, REPO, 1))?.id ?? -1,
  );
  expect(messages.filter((m) => m.role === "assistant")).toHaveLength(1);
}, 60_000);
