// What the suite measures after each fault: side effects on GitHub that happened twice, work
// that was acknowledged but never finished, and where a key could have leaked to.

import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { sql } from "kysely";
import type { Db } from "../../../src/adapters/store/database.ts";
import { WORKING_STAGES } from "../../../src/core/feature.ts";
import type { GitHubFakeServer } from "../../../testkit/fakes/github/index.ts";
import { OWNER, REPO } from "../../../testkit/stack.ts";
import type { CanaryPlace } from "./report.ts";

const HIDDEN_MARKER = /<!-- practical:[^>]*-->/g;
const STEP_TRAILER = /^Practical-Step: .+$/m;

interface FakeInternals {
  core: { state: { repos: Map<string, { refs: Map<string, string> }> } };
}

/** Every branch of the fake repository (refs/heads/*), by name. */
export function branches(github: GitHubFakeServer, owner = OWNER, repo = REPO): string[] {
  const record = (github as unknown as FakeInternals).core.state.repos.get(
    `${owner}/${repo}`.toLowerCase(),
  );
  return [...(record?.refs.keys() ?? [])]
    .filter((ref) => ref.startsWith("refs/heads/"))
    .map((ref) => ref.slice("refs/heads/".length));
}

/** Issue and pull request numbers of the fake repository, in order. */
export function issueNumbers(github: GitHubFakeServer, owner = OWNER, repo = REPO): number[] {
  const numbers: number[] = [];
  for (let n = 1; ; n++) {
    try {
      github.issue(owner, repo, n);
      numbers.push(n);
    } catch {
      return numbers;
    }
  }
}

/**
 * Side effects that exist more than once on GitHub where the app means them once: comments
 * carrying the same hidden marker, commits carrying the same step trailer on one branch, open
 * pull requests from one head, check runs with the same head, name and external id, and the
 * same reaction by the app twice on one target.
 */
export function duplicateSideEffects(github: GitHubFakeServer, owner = OWNER, repo = REPO) {
  const found: string[] = [];
  const count = (what: string, keys: string[]) => {
    const seen = new Map<string, number>();
    for (const key of keys) seen.set(key, (seen.get(key) ?? 0) + 1);
    for (const [key, n] of seen) if (n > 1) found.push(`${what} ×${n}: ${key}`);
  };
  for (const number of issueNumbers(github, owner, repo)) {
    const comments = github.comments(owner, repo, number).filter((c) => c.authorType === "Bot");
    count(
      `#${number} comment`,
      comments.flatMap((c) => c.body.match(HIDDEN_MARKER) ?? []),
    );
    const reactions = github.reactions(owner, repo, { number });
    count(
      `#${number} reaction`,
      reactions.filter((r) => r.user.endsWith("[bot]")).map((r) => `${r.content} by ${r.user}`),
    );
    for (const comment of github.comments(owner, repo, number)) {
      const onComment = github.reactions(owner, repo, { commentId: comment.id });
      count(
        `comment ${comment.id} reaction`,
        onComment.filter((r) => r.user.endsWith("[bot]")).map((r) => `${r.content} by ${r.user}`),
      );
    }
  }
  for (const branch of branches(github, owner, repo)) {
    const trailers = github
      .branchCommits(owner, repo, branch)
      .flatMap((c) => c.message.match(STEP_TRAILER) ?? []);
    count(`${branch} commit`, trailers);
  }
  count(
    "open pull request from",
    github.pulls(owner, repo, { state: "open" }).map((p) => p.head.ref),
  );
  count(
    "check run",
    github
      .checkRuns(owner, repo)
      .filter((r) => r.app !== "ci")
      .map((r) => `${r.headSha.slice(0, 7)} ${r.name} ${r.externalId}`),
  );
  return found;
}

/** Outbox rows never relayed, jobs never run, and features left in a working stage. */
export async function unfinishedWork(
  db: Db,
  redisUrl: string,
  prefix: string,
): Promise<{ count: number; detail: string[] }> {
  const detail: string[] = [];
  const pending = await db
    .selectFrom("outbox")
    .select(["job_id"])
    .where("enqueued_at", "is", null)
    .execute();
  for (const row of pending) detail.push(`outbox ${row.job_id} never relayed`);
  const working = await db
    .selectFrom("features")
    .select(["id", "stage"])
    .where("stage", "in", [...WORKING_STAGES])
    .execute();
  for (const row of working) detail.push(`feature ${row.id} left in ${row.stage}`);
  for (const name of ["pipeline"] as const) {
    const queue = new Queue(name, { connection: { url: redisUrl }, prefix });
    try {
      const jobs = await queue.getJobs([
        "waiting",
        "active",
        "delayed",
        "prioritized",
        "waiting-children",
      ]);
      for (const job of jobs) if (job) detail.push(`job ${job.id} (${job.name}) never finished`);
      // Effects and status jobs have no failure handler: one that failed for good was lost.
      const failed = await queue.getJobs(["failed"]);
      for (const job of failed) {
        if (job && (job.name === "effects" || job.name === "status")) {
          detail.push(`job ${job.id} (${job.name}) failed: ${job.failedReason}`);
        }
      }
    } finally {
      await queue.close();
    }
  }
  return { count: detail.length, detail };
}

function hitsIn(text: string, canaries: string[]): number {
  let hits = 0;
  for (const canary of canaries) {
    let at = text.indexOf(canary);
    while (at >= 0) {
      hits++;
      at = text.indexOf(canary, at + canary.length);
    }
  }
  return hits;
}

export interface CanaryScan {
  place: CanaryPlace;
  scanned: number;
  hits: number;
  where: string[];
}

function scanTexts(place: CanaryPlace, items: [string, string][], canaries: string[]): CanaryScan {
  const where: string[] = [];
  let hits = 0;
  for (const [label, text] of items) {
    const n = hitsIn(text, canaries);
    if (n > 0) where.push(label);
    hits += n;
  }
  return { place, scanned: items.length, hits, where };
}

/** Every row of every table, as JSON text. */
export async function scanDatabase(db: Db, canaries: string[]): Promise<CanaryScan> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(db);
  const items: [string, string][] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql<{ row: string }>`
      select row_to_json(t)::text as row from ${sql.table(table_name)} t`.execute(db);
    for (const { row } of rows.rows) items.push([table_name, row]);
  }
  return scanTexts("database", items, canaries);
}

/** Every Redis key under the queue prefix (job data, results, errors, events), as text. */
export async function scanJobData(
  redisUrl: string,
  prefix: string,
  canaries: string[],
): Promise<CanaryScan> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const items: [string, string][] = [];
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        let value: unknown;
        if (type === "string") value = await redis.get(key);
        else if (type === "hash") value = await redis.hgetall(key);
        else if (type === "list") value = await redis.lrange(key, 0, -1);
        else if (type === "set") value = await redis.smembers(key);
        else if (type === "zset") value = await redis.zrange(key, 0, -1);
        else if (type === "stream") value = await redis.xrange(key, "-", "+");
        items.push([key, JSON.stringify(value)]);
      }
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return scanTexts("job data", items, canaries);
}

/**
 * What the app wrote to GitHub: every comment, issue and PR text, check run output and every
 * request body it sent ("comments"); every commit message and every file of every commit on
 * every branch ("commits").
 */
export function scanGitHub(github: GitHubFakeServer, canaries: string[]): CanaryScan[] {
  const comments: [string, string][] = [];
  for (const number of issueNumbers(github)) {
    const issue = github.issue(OWNER, REPO, number);
    comments.push([`#${number}`, `${issue.title}\n${issue.body ?? ""}`]);
    for (const c of github.comments(OWNER, REPO, number))
      comments.push([`comment ${c.id}`, c.body]);
  }
  for (const run of github.checkRuns(OWNER, REPO)) {
    comments.push([
      `check run ${run.id}`,
      JSON.stringify(run.output) + JSON.stringify(run.annotations),
    ]);
  }
  const commits: [string, string][] = [];
  for (const entry of github.ledger) {
    const body = JSON.stringify(entry.body ?? "");
    (entry.route.includes("/git/") ? commits : comments).push([
      `${entry.method} ${entry.path}`,
      body,
    ]);
  }
  const seen = new Set<string>();
  for (const branch of branches(github)) {
    for (const commit of github.branchCommits(OWNER, REPO, branch)) {
      if (seen.has(commit.sha)) continue;
      seen.add(commit.sha);
      commits.push([`commit ${commit.sha}`, commit.message]);
      for (const [path, text] of Object.entries(github.files(OWNER, REPO, commit.sha))) {
        commits.push([`${commit.sha.slice(0, 7)}:${path}`, `${path}\n${text}`]);
      }
    }
  }
  return [scanTexts("comments", comments, canaries), scanTexts("commits", commits, canaries)];
}

export function scanLogs(lines: string[], canaries: string[]): CanaryScan {
  return scanTexts(
    "logs",
    lines.map((line, i) => [`log line ${i + 1}`, line]),
    canaries,
  );
}
