// The person on the other side of the journey, as people on GitHub would act in the GitHub fake:
// open the labelled issue, answer the BA agent, say `/approve` at each gate, merge. Two ways to
// watch the app: the store, one feature at a time (`journey`, for the tests), or one watcher that
// polls the database for every feature of the repository, so many features can be driven at once
// without one query each (`FeatureWatch` with `driveToReadyPullRequest`, for the demo and the
// benchmark). The model fake is scripted by scriptDemoFeature.

import { sql } from "kysely";
import type { Db } from "../src/adapters/store/database.ts";
import type { FeatureRecord } from "../src/adapters/store/features.ts";
import type { Stage } from "../src/core/feature.ts";
import { DEMO_ANSWER, DEMO_ISSUE } from "./demo-feature.ts";
import type { GitHubFakeServer } from "./fakes/github/index.ts";
import { waitFor } from "./services.ts";
import { type Harness, MAINTAINER, OWNER, REPO } from "./stack.ts";

/** The gates after the brief, in order. */
export const GATES = ["spec_ready", "plan_ready", "tests_ready"] as const;

type Webhook = { id: string; name: string; payload: unknown };

/** Where a gate is approved: the plan in the pull request, the others in the issue (both work). */
function approvalThread(
  stage: (typeof GATES)[number],
  issue: number,
  prNumber: number | null | undefined,
  planIn: "pull_request" | "issue",
): number {
  return stage === "plan_ready" && planIn === "pull_request" ? (prNumber ?? issue) : issue;
}

function labelledIssue(
  github: GitHubFakeServer,
  issue: { owner: string; repo: string; author: string; title: string; body: string },
) {
  return github.openIssue({ ...issue, labels: ["practical"] });
}

// ---- The tests: the harness's store, one feature at a time -------------------------------

/** `harness` may be a function, read when a step runs, so the steps can be made before it starts. */
export function journey(
  harness: Harness | (() => Harness),
  options: {
    /** How each webhook is delivered (e.g. twice, as GitHub may). */
    send?: (webhook: Webhook) => Promise<unknown>;
    /** How long one stage may take. */
    patience?: number;
    /** Grant MAINTAINER write access to the repository first. */
    maintainer?: boolean;
  } = {},
) {
  const h = typeof harness === "function" ? harness : () => harness;
  const send = options.send ?? ((webhook: Webhook) => h().send(webhook));
  const patience = options.patience ?? 20_000;
  if (options.maintainer) h().github.setPermission(OWNER, REPO, MAINTAINER, "write");

  const feature = (issue: number) => h().db.store.findFeatureByIssue(OWNER, REPO, issue);

  const say = (number: number, body: string, author = MAINTAINER) =>
    send(h().github.comment({ owner: OWNER, repo: REPO, number, author, body }));

  /** Waits for the stage; a feature that fails on the way fails the wait with its reason. */
  function waitStage(issue: number, stage: Stage, timeoutMs = patience): Promise<FeatureRecord> {
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

  /** Opens a labelled issue and delivers it; returns its number. */
  async function open(title = DEMO_ISSUE.title, body = DEMO_ISSUE.body, author = MAINTAINER) {
    const opened = labelledIssue(h().github, { owner: OWNER, repo: REPO, author, title, body });
    const response = await send(opened);
    if (response instanceof Response && response.status !== 200) {
      throw new Error(`issues.opened answered ${response.status}`);
    }
    return opened.payload.issue.number;
  }

  /** Opens the issue, answers the BA's question and approves the brief: the spec is being written. */
  async function openAndApproveBrief(title?: string): Promise<number> {
    const issue = await open(title);
    await waitFor(
      "the BA's question",
      () =>
        h()
          .github.comments(OWNER, REPO, issue)
          .some((c) => c.body.includes("Two questions")),
      patience,
    );
    await say(issue, DEMO_ANSWER);
    await waitFor("the brief", async () => (await feature(issue))?.artifacts.brief, patience);
    await say(issue, "/approve");
    return issue;
  }

  /**
   * …then approves the spec, the plan (in the pull request unless `planIn` says the issue) and
   * the tests: the implementer is at work.
   */
  async function driveToReviews(
    title?: string,
    approval: { planIn?: "pull_request" | "issue" } = {},
  ): Promise<number> {
    const issue = await openAndApproveBrief(title);
    for (const stage of GATES) {
      const f = await waitStage(issue, stage);
      await say(
        approvalThread(stage, issue, f.prNumber, approval.planIn ?? "pull_request"),
        "/approve",
      );
    }
    return issue;
  }

  /** Waits for the PR to be marked ready, merges it and waits for the feature to be done. */
  async function merge(issue: number) {
    const f = await waitStage(issue, "awaiting_merge", 30_000);
    const number = f.prNumber ?? 0;
    await waitFor("the PR marked ready", () => !h().github.pull(OWNER, REPO, number).draft);
    await send(h().github.mergePullRequest({ owner: OWNER, repo: REPO, number, by: MAINTAINER }));
    await waitStage(issue, "done");
  }

  /** The first lines of the app's commits on a branch, newest first. */
  const stepCommits = (branch: string) =>
    h()
      .github.branchCommits(OWNER, REPO, branch)
      .filter((c) => c.message.includes("Practical-Step:"))
      .map((c) => c.message.split("\n")[0]);

  return {
    feature,
    stageOf: async (issue: number) => (await feature(issue))?.stage,
    waitStage,
    open,
    say,
    openAndApproveBrief,
    driveToReviews,
    merge,
    stepCommits,
    /** Bot comments on an issue (the app's replies and status). */
    botComments: (number: number) =>
      h()
        .github.comments(OWNER, REPO, number)
        .filter((c) => c.authorType === "Bot"),
  };
}

export type Journey = ReturnType<typeof journey>;

// ---- The demo and the benchmark: one watcher for many features ---------------------------

export interface WatchedFeature {
  id: number;
  issueNumber: number;
  stage: Stage;
  artifacts: Partial<Record<string, string>>;
  prNumber: number | null;
  branch: string | null;
  headSha: string | null;
  failureReason: string | null;
  /**
   * Replies the BA agent has posted; 0 once the feature records its brief (`artifacts.brief`),
   * when nobody reads it: at 50 polls a second, counting them for every feature of a long run would
   * load the PostgreSQL the app shares (the benchmark counts that as the app's time).
   */
  replies: number;
  /** The BA has written a brief (saved before its reply is posted); true once recorded too. */
  briefDrafted: boolean;
}

interface Waiter {
  issue: number;
  check: (feature: WatchedFeature | undefined) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  deadline: number;
  what: string;
}

/** Polls the features of one repository and settles the waits that depend on them. */
export class FeatureWatch {
  readonly features = new Map<number, WatchedFeature>();
  readonly #db: Db;
  readonly #owner: string;
  readonly #repo: string;
  readonly #intervalMs: number;
  readonly #waiters = new Set<Waiter>();
  readonly #listeners: ((features: Map<number, WatchedFeature>) => void)[] = [];
  #timer: NodeJS.Timeout | null = null;
  #polling = false;

  constructor(db: Db, owner: string, repo: string, intervalMs: number) {
    this.#db = db;
    this.#owner = owner;
    this.#repo = repo;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.poll(), this.#intervalMs);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    for (const waiter of this.#waiters)
      waiter.reject(new Error(`stopped waiting for ${waiter.what}`));
    this.#waiters.clear();
  }

  /** Called after every poll (the demo prints what changed). */
  onPoll(listener: (features: Map<number, WatchedFeature>) => void): void {
    this.#listeners.push(listener);
  }

  /** Resolves with `check`'s first truthy value; rejects when it throws or on timeout. */
  until<T>(
    what: string,
    issue: number,
    check: (feature: WatchedFeature | undefined) => T,
    timeoutMs: number,
  ): Promise<NonNullable<T>> {
    return new Promise((resolve, reject) => {
      this.#waiters.add({
        issue,
        check,
        resolve: resolve as (value: unknown) => void,
        reject,
        deadline: Date.now() + timeoutMs,
        what,
      });
    });
  }

  async poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const { rows } = await sql<{
        id: number;
        issue_number: number;
        stage: Stage;
        artifacts: Partial<Record<string, string>>;
        pr_number: number | null;
        branch: string | null;
        head_sha: string | null;
        failure_reason: string | null;
        replies: number;
        brief_drafted: boolean;
      }>`
        SELECT f.id, f.issue_number, f.stage, f.artifacts, f.pr_number, f.branch, f.head_sha,
          f.failure_reason,
          CASE WHEN f.artifacts ->> 'brief' IS NOT NULL THEN 0 ELSE
            (SELECT count(*) FROM messages m
              WHERE m.feature_id = f.id AND m.role = 'assistant')::int END AS replies,
          CASE WHEN f.artifacts ->> 'brief' IS NOT NULL THEN true ELSE
            EXISTS (SELECT 1 FROM artifacts a
              WHERE a.feature_id = f.id AND a.stage = 'brief') END AS brief_drafted
        FROM features f
        WHERE f.repo_owner = ${this.#owner} AND f.repo_name = ${this.#repo}
      `.execute(this.#db);
      for (const r of rows) {
        this.features.set(r.issue_number, {
          id: r.id,
          issueNumber: r.issue_number,
          stage: r.stage,
          artifacts: r.artifacts,
          prNumber: r.pr_number,
          branch: r.branch,
          headSha: r.head_sha,
          failureReason: r.failure_reason,
          replies: r.replies,
          briefDrafted: r.brief_drafted,
        });
      }
    } catch {
      // A failed poll is retried at the next tick.
    } finally {
      this.#polling = false;
    }
    for (const listener of this.#listeners) listener(this.features);
    const now = Date.now();
    for (const waiter of [...this.#waiters]) {
      try {
        const value = waiter.check(this.features.get(waiter.issue));
        if (value) {
          this.#waiters.delete(waiter);
          waiter.resolve(value);
        } else if (now > waiter.deadline) {
          this.#waiters.delete(waiter);
          waiter.reject(new Error(`timed out waiting for ${waiter.what}`));
        }
      } catch (error) {
        this.#waiters.delete(waiter);
        waiter.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }
}

export class FeatureFailedError extends Error {
  override name = "FeatureFailedError";
}

/** Throws when the feature left the happy path (failed, cancelled, abandoned). */
function onPath(feature: WatchedFeature | undefined): WatchedFeature | undefined {
  if (feature && ["failed", "cancelled", "abandoned"].includes(feature.stage)) {
    throw new FeatureFailedError(
      `issue #${feature.issueNumber} is ${feature.stage}${feature.failureReason ? `: ${feature.failureReason}` : ""}`,
    );
  }
  return feature;
}

export interface Person {
  github: GitHubFakeServer;
  send(webhook: Webhook): Promise<Response>;
  watch: FeatureWatch;
  owner: string;
  repo: string;
  login: string;
  /** Longest wait for one step of the app. */
  stepTimeoutMs: number;
  /** How long the person reads before acting (0: at once). */
  pauseMs?: number;
}

/** What acting on GitHub needs (opening issues and commenting do not wait for the app). */
export type Acting = Pick<Person, "github" | "send" | "owner" | "repo" | "login" | "pauseMs">;

const pause = (person: Acting) =>
  person.pauseMs ? new Promise((r) => setTimeout(r, person.pauseMs)) : Promise.resolve();

async function post(person: Acting, webhook: Webhook) {
  const response = await person.send(webhook);
  if (!response.ok) {
    throw new Error(
      `the app answered ${response.status} to ${webhook.name}: ${await response.text()}`,
    );
  }
}

export async function say(person: Acting, number: number, body: string): Promise<void> {
  await pause(person);
  await post(
    person,
    person.github.comment({
      owner: person.owner,
      repo: person.repo,
      number,
      author: person.login,
      body,
    }),
  );
}

/** Opens an issue with the trigger label; returns its number. */
export async function openIssue(
  person: Acting,
  issue: { title: string; body: string },
): Promise<number> {
  const opened = labelledIssue(person.github, {
    owner: person.owner,
    repo: person.repo,
    author: person.login,
    ...issue,
  });
  await post(person, opened);
  return opened.payload.issue.number;
}

/** When each step of one feature was reached (ms since the epoch). */
export interface JourneyTimes {
  opened: number;
  briefReady: number;
  gates: Partial<Record<Stage, number>>;
  ready: number;
}

/**
 * Answers the BA until it writes a brief (the first answer, then `fallbackAnswer`, at most
 * `maxRounds` answers), approves the brief, spec, plan (in the pull request) and tests, and
 * waits until the reviews pass and the pull request is ready.
 */
export async function driveToReadyPullRequest(
  person: Person,
  issue: number,
  options: { answers: string[]; maxRounds?: number },
): Promise<JourneyTimes> {
  const { watch, stepTimeoutMs: timeout } = person;
  const times: JourneyTimes = { opened: Date.now(), briefReady: 0, gates: {}, ready: 0 };
  const maxRounds = options.maxRounds ?? 3;
  let answered = 0;
  for (;;) {
    const state = await watch.until(
      `the BA's reply on #${issue}`,
      issue,
      (f) => {
        const feature = onPath(f);
        if (!feature) return null;
        if (feature.artifacts.brief) return "brief";
        return feature.replies > answered && !feature.briefDrafted ? "question" : null;
      },
      timeout,
    );
    if (state === "brief") break;
    if (answered >= maxRounds) {
      throw new FeatureFailedError(
        `the BA still had questions on #${issue} after ${answered} answers`,
      );
    }
    const answer = options.answers[Math.min(answered, options.answers.length - 1)] ?? "";
    answered += 1;
    await say(person, issue, answer);
  }
  times.briefReady = Date.now();
  await say(person, issue, "/approve");
  for (const stage of GATES) {
    const feature = await watch.until(
      `#${issue} at ${stage}`,
      issue,
      (f) => (onPath(f)?.stage === stage ? f : null),
      timeout,
    );
    times.gates[stage] = Date.now();
    await say(person, approvalThread(stage, issue, feature.prNumber, "pull_request"), "/approve");
  }
  await watch.until(
    `the pull request of #${issue} marked ready`,
    issue,
    (f) => {
      const feature = onPath(f);
      if (feature?.stage !== "awaiting_merge" || !feature.prNumber) return null;
      return !person.github.pull(person.owner, person.repo, feature.prNumber).draft;
    },
    timeout,
  );
  times.ready = Date.now();
  return times;
}

/** Merges the feature's pull request and waits until the feature is done. */
export async function mergeAndWaitDone(person: Person, issue: number): Promise<void> {
  const feature = person.watch.features.get(issue);
  if (!feature?.prNumber) throw new Error(`#${issue} has no pull request`);
  await pause(person);
  await post(
    person,
    person.github.mergePullRequest({
      owner: person.owner,
      repo: person.repo,
      number: feature.prNumber,
      by: person.login,
    }),
  );
  await person.watch.until(
    `#${issue} done`,
    issue,
    (f) => onPath(f)?.stage === "done",
    person.stepTimeoutMs,
  );
}
