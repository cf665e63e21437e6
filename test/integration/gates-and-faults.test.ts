import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { byTool } from "../../testkit/fakes/model/index.ts";
import { waitFor } from "../../testkit/services.ts";
import { type Harness, OWNER, REPO, startHarness } from "../../testkit/stack.ts";

let h: Harness;
let issue = 0;

beforeAll(async () => {
  h = await startHarness({
    files: {
      "README.md": "# hello-app\n",
      ".github/practical.yml": "fix_rounds: two\nunknown_key: 1\n",
    },
  });
  h.github.setPermission(OWNER, REPO, "mona", "write");
  h.model.respond(byTool("submit_ba_reply"), () => ({
    toolUse: { name: "submit_ba_reply", input: { reply: "What should it return?", brief: null } },
  }));
});
afterAll(async () => h?.stop());

async function openFeature(): Promise<number> {
  issue += 1;
  await h.send(
    h.github.openIssue({
      owner: OWNER,
      repo: REPO,
      author: "mona",
      title: `Feature ${issue}`,
      body: "Please.",
      labels: ["practical"],
    }),
  );
  return issue;
}
const comments = (n: number) =>
  h.github.comments(OWNER, REPO, n).filter((c) => c.authorType === "Bot");

describe("gates and model faults", () => {
  it("an invalid .github/practical.yml yields one comment naming the bad fields; defaults apply", async () => {
    const n = await openFeature();
    await waitFor("the BA reply", () =>
      comments(n).some((c) => c.body.includes("What should it return?")),
    );
    await waitFor("the warning", () => comments(n).some((c) => c.body.includes("is not valid")));
    const warnings = comments(n).filter((c) => c.body.includes("is not valid"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.body).toContain("`fix_rounds`");
    expect(warnings[0]?.body).toContain("unknown_key");
  });

  it("/approve with nothing to approve names the current stage", async () => {
    const n = issue;
    await h.send(
      h.github.comment({ owner: OWNER, repo: REPO, number: n, author: "mona", body: "/approve" }),
    );
    await waitFor("the reply", () =>
      comments(n).some((c) => c.body.includes("nothing to approve yet")),
    );
    expect(comments(n).find((c) => c.body.includes("nothing to approve yet"))?.body).toContain(
      "Drafting the brief",
    );
  });

  it("a rejected model key (401) yields one clear comment and no retries", async () => {
    const before = h.model.requests.length;
    h.model.enqueue({ status: 401 });
    const n = await openFeature();
    await waitFor(
      "the key-rejected comment",
      () => comments(n).some((c) => c.body.includes("model key was rejected")),
      20_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(h.model.requests.length - before).toBe(1);
    expect(comments(n).filter((c) => c.body.includes("model key was rejected"))).toHaveLength(1);
    expect(
      comments(n)
        .map((c) => c.body)
        .join("\n"),
    ).not.toContain("sk-ant");
  });

  it("529 twice, then success, yields one reply", async () => {
    h.model.failNext(2, { status: 529 });
    const n = await openFeature();
    await waitFor(
      "the BA reply",
      () => comments(n).some((c) => c.body.includes("What should it return?")),
      20_000,
    );
    expect(comments(n).filter((c) => c.body.includes("What should it return?"))).toHaveLength(1);
  });

  it("records tokens, cache reads and cost for every call, and the status shows their sum", async () => {
    const runs = await h.db.db
      .selectFrom("agent_runs")
      .selectAll()
      .where("outcome", "=", "ok")
      .execute();
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs)
      expect(run.input_tokens + run.cache_read_tokens + run.cache_write_tokens).toBeGreaterThan(0);
    const feature = await h.db.store.findFeatureByIssue(OWNER, REPO, 1);
    const totals = await h.db.store.usageTotals(feature?.id ?? -1);
    const status = await waitFor("an up-to-date status", () =>
      comments(1).find(
        (c) =>
          c.body.includes("<!-- practical:status") &&
          c.body.includes(`$${totals.costUsd.toFixed(4)}`),
      ),
    );
    expect(status.body).toContain(`${totals.outputTokens.toLocaleString("en-US")} output tokens`);
  });
});
