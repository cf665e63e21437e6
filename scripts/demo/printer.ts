// Prints the journey as it happens: the issue conversation as a reader sees it, each gate and
// who approved it, each commit with its files, the pull request's state and its check runs.

import { sql } from "kysely";
import type { Db } from "../../src/adapters/store/database.ts";
import { stageName } from "../../src/views.ts";
import type { CommentView, GitHubFakeServer } from "../../testkit/fakes/github/index.ts";
import type { WatchedFeature } from "../../testkit/journey.ts";
import { indent, shortSha, style, terminalBody } from "./render.ts";

const STATUS_MARKER = "<!-- practical:status";

export class JourneyPrinter {
  readonly #github: GitHubFakeServer;
  readonly #db: Db;
  readonly #owner: string;
  readonly #repo: string;
  readonly #write: (text: string) => void;
  readonly #started = Date.now();
  readonly #comments = new Map<number, string>();
  readonly #commits = new Set<string>();
  readonly #checks = new Map<number, string>();
  readonly #approvals = new Set<number>();
  #stage: string | null = null;
  #pull: { number: number; title: string; draft: boolean; merged: boolean } | null = null;
  #busy = false;

  constructor(input: {
    github: GitHubFakeServer;
    db: Db;
    owner: string;
    repo: string;
    write?: (text: string) => void;
  }) {
    this.#github = input.github;
    this.#db = input.db;
    this.#owner = input.owner;
    this.#repo = input.repo;
    this.#write = input.write ?? ((text) => process.stdout.write(`${text}\n`));
    // The default branch's history is the starting point, not part of the feature.
    for (const commit of this.#github.branchCommits(this.#owner, this.#repo, "main")) {
      this.#commits.add(commit.sha);
    }
  }

  #clock(): string {
    return style.dim(`[${((Date.now() - this.#started) / 1000).toFixed(1).padStart(5)}s]`);
  }

  #line(text: string): void {
    this.#write(`${this.#clock()} ${text}`);
  }

  #comment(comment: CommentView, where: string): void {
    const isStatus = comment.body.includes(STATUS_MARKER);
    const known = this.#comments.get(comment.id);
    if (known === comment.body) return;
    this.#comments.set(comment.id, comment.body);
    const who =
      comment.authorType === "Bot"
        ? style.magenta(`@${comment.author}`)
        : style.cyan(`@${comment.author}`);
    if (isStatus) {
      // Edited in place for the rest of the feature's life: shown in full at the end.
      if (known === undefined) {
        this.#line(
          `${who} ${style.dim(`${where}posted the status comment (kept up to date in place)`)}`,
        );
      }
      return;
    }
    const verb = known === undefined ? "" : style.dim(" (edited)");
    const place = where ? ` ${style.dim(where.trim())}` : "";
    this.#line(`${who}${verb}${place}\n${indent(terminalBody(comment.body))}`);
  }

  /** Prints what changed since the last call. */
  async update(feature: WatchedFeature | undefined, issue: number): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      await this.#update(feature, issue);
    } finally {
      this.#busy = false;
    }
  }

  #stageLine(feature: WatchedFeature): void {
    if (feature.stage === this.#stage) return;
    this.#stage = feature.stage;
    this.#line(style.yellow(`▸ ${stageName(feature.stage)}`));
  }

  async #update(feature: WatchedFeature | undefined, issue: number): Promise<void> {
    for (const comment of this.#github.comments(this.#owner, this.#repo, issue)) {
      this.#comment(comment, "");
    }
    if (!feature) return;

    const approvals = await sql<{
      id: number;
      gate: string;
      approver: string;
      artifact_version: string;
    }>`SELECT id, gate, approver, artifact_version FROM approvals WHERE feature_id = ${feature.id} ORDER BY id`.execute(
      this.#db,
    );
    for (const a of approvals.rows) {
      if (this.#approvals.has(a.id)) continue;
      this.#approvals.add(a.id);
      this.#line(
        style.green(`✔ gate "${a.gate}" approved by @${a.approver}`) +
          style.dim(` (artifact version ${shortSha(a.artifact_version)})`),
      );
    }

    if (feature.branch) {
      const commits = this.#github.branchCommits(this.#owner, this.#repo, feature.branch);
      for (const commit of commits.filter((c) => !this.#commits.has(c.sha)).reverse()) {
        this.#commits.add(commit.sha);
        const subject = commit.message.split("\n")[0] ?? "";
        const files = commit.files.map((f) => `      ${f.status.padEnd(8)} ${f.path}`).join("\n");
        this.#line(
          `${style.bold(`● commit ${shortSha(commit.sha)}`)} ${subject} ${style.dim(`on ${feature.branch}`)}\n${files}`,
        );
      }
    }

    if (!feature.prNumber) this.#stageLine(feature);
    if (feature.prNumber) {
      const pull = this.#github.pull(this.#owner, this.#repo, feature.prNumber);
      const before = this.#pull;
      if (!before) {
        this.#line(
          style.bold(`⇄ pull request #${pull.number} opened${pull.draft ? " as a draft" : ""}: `) +
            `${pull.title} ${style.dim(`(${pull.head.ref} → ${pull.base.ref})`)}`,
        );
      } else if (before.title !== pull.title) {
        this.#line(`⇄ pull request #${pull.number} retitled: ${pull.title}`);
      }
      for (const comment of this.#github.comments(this.#owner, this.#repo, pull.number)) {
        this.#comment(comment, `in pull request #${pull.number} `);
      }
      for (const run of this.#github.checkRuns(this.#owner, this.#repo)) {
        const state = `${run.status}/${run.conclusion}`;
        if (this.#checks.get(run.id) === state || run.status !== "completed") continue;
        this.#checks.set(run.id, state);
        const ok = run.conclusion === "success" || run.conclusion === "neutral";
        const mark = ok ? style.green(`✓ ${run.conclusion}`) : style.red(`✗ ${run.conclusion}`);
        const notes = run.annotations
          .map(
            (a) => `      ${a.path}:${a.start_line} ${a.annotation_level}: ${a.title ?? a.message}`,
          )
          .join("\n");
        this.#line(
          `${style.bold(`☑ check run "${run.name}"`)} ${mark} ${style.dim(`on ${shortSha(run.headSha)}`)}` +
            `${run.output.title ? ` — ${run.output.title}` : ""}${notes ? `\n${notes}` : ""}`,
        );
      }
      this.#stageLine(feature);
      if (before?.draft && !pull.draft) {
        this.#line(style.green(`⇄ pull request #${pull.number} marked ready for review`));
      }
      if (before && !before.merged && pull.merged) {
        this.#line(style.green(`⇄ pull request #${pull.number} merged into ${pull.base.ref}`));
      }
      this.#pull = {
        number: pull.number,
        title: pull.title,
        draft: pull.draft,
        merged: pull.merged,
      };
    }
  }
}
