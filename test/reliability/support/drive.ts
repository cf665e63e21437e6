// Driving a feature through its journey, as people on GitHub would: open a labelled issue,
// answer the BA, approve each gate. The model fake is scripted by scriptDemoFeature.

import type { FeatureRecord } from "../../../src/adapters/store/features.ts";
import type { Stage } from "../../../src/core/feature.ts";
import { DEMO_ANSWER, DEMO_ISSUE } from "../../../testkit/demo-feature.ts";
import { waitFor } from "../../../testkit/services.ts";
import type { Harness } from "../../../testkit/stack.ts";
import { OWNER, REPO } from "../../../testkit/stack.ts";

/** The person who opens issues and approves, with write access (set by `driver`). */
export const MAINTAINER = "mona";

export interface Driver {
  feature(issue: number): Promise<FeatureRecord | null>;
  stageOf(issue: number): Promise<Stage | undefined>;
  /** Waits for a stage; fails at once (with the reason) when the feature fails instead. */
  waitStage(issue: number, stage: Stage, timeoutMs?: number): Promise<FeatureRecord>;
  /** Opens a labelled issue and delivers it; returns its number. */
  open(title?: string, body?: string, author?: string): Promise<number>;
  say(number: number, body: string, author?: string): Promise<Response>;
  /** Opens the issue, answers the BA once and approves the brief: the spec is being written. */
  toSpec(title?: string): Promise<number>;
  /** …and approves the spec, plan and tests: the implementer is at work. */
  toImplementing(title?: string): Promise<number>;
  /** Waits for the PR to be marked ready, merges it and waits for the feature to be done. */
  merge(issue: number): Promise<void>;
  /** Bot comments on an issue (the app's replies and status). */
  botComments(number: number): { id: number; body: string }[];
}

export function driver(h: Harness): Driver {
  h.github.setPermission(OWNER, REPO, MAINTAINER, "write");
  const feature = (issue: number) => h.db.store.findFeatureByIssue(OWNER, REPO, issue);
  const say = (number: number, body: string, author = MAINTAINER) =>
    h.send(h.github.comment({ owner: OWNER, repo: REPO, number, author, body }));

  async function waitStage(issue: number, stage: Stage, timeoutMs = 20_000) {
    return waitFor(
      `issue #${issue} at ${stage}`,
      async () => {
        const f = await feature(issue);
        if (f?.stage === "failed" && stage !== "failed") {
          throw new Error(`feature failed: ${f.failureReason}`);
        }
        return f?.stage === stage ? f : null;
      },
      timeoutMs,
    );
  }

  async function open(title = DEMO_ISSUE.title, body = DEMO_ISSUE.body, author = MAINTAINER) {
    const opened = h.github.openIssue({
      owner: OWNER,
      repo: REPO,
      author,
      title,
      body,
      labels: ["practical"],
    });
    const response = await h.send(opened);
    if (response.status !== 200) throw new Error(`issues.opened answered ${response.status}`);
    return opened.payload.issue.number;
  }

  async function toSpec(title?: string) {
    const issue = await open(title);
    await waitFor("the BA's question", () =>
      h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
    );
    await say(issue, DEMO_ANSWER);
    await waitFor("the brief", async () => (await feature(issue))?.artifacts.brief);
    await say(issue, "/approve");
    return issue;
  }

  async function toImplementing(title?: string) {
    const issue = await toSpec(title);
    for (const stage of ["spec_ready", "plan_ready", "tests_ready"] as const) {
      await waitStage(issue, stage);
      await say(issue, "/approve");
    }
    return issue;
  }

  async function merge(issue: number) {
    const f = await waitStage(issue, "awaiting_merge", 30_000);
    const number = f.prNumber ?? 0;
    await waitFor("the PR marked ready", () => !h.github.pull(OWNER, REPO, number).draft);
    await h.send(h.github.mergePullRequest({ owner: OWNER, repo: REPO, number, by: MAINTAINER }));
    await waitStage(issue, "done");
  }

  return {
    feature,
    merge,
    stageOf: async (issue) => (await feature(issue))?.stage,
    waitStage,
    open,
    say,
    toSpec,
    toImplementing,
    botComments: (number) =>
      h.github.comments(OWNER, REPO, number).filter((c) => c.authorType === "Bot"),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The tool results a recorded model request carries in its last user turn. */
export function toolResults(body: unknown): { text: string; isError: boolean }[] {
  const messages =
    (body as { messages?: { role: string; content: unknown }[] } | undefined)?.messages ?? [];
  const last = messages.findLast((m) => m.role === "user");
  if (!Array.isArray(last?.content)) return [];
  return (last.content as { type?: string; content?: unknown; is_error?: boolean }[])
    .filter((b) => b.type === "tool_result")
    .map((b) => ({
      text: typeof b.content === "string" ? b.content : JSON.stringify(b.content ?? ""),
      isError: b.is_error === true,
    }));
}
