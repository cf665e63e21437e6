import { type Kysely, sql } from "kysely";
import type { Feature, Gate, Stage, WorkingStage } from "../../core/feature.ts";
import { VersionConflictError } from "../../errors.ts";
import type { JobIntent } from "../../ports/queue.ts";
import type { Database, FeatureRow, NewFeatureRow, PlanTaskProgress } from "./schema.ts";

export interface FeatureRecord extends Feature {
  installationId: number;
  repoOwner: string;
  repoName: string;
  issueNumber: number;
  issueTitle: string;
  slug: string;
  branch: string | null;
  prNumber: number | null;
  statusCommentId: number | null;
  headSha: string | null;
  tasks: PlanTaskProgress[];
  statusDigest: string | null;
  createdAt: Date;
  stageEnteredAt: Date;
}

export interface AuditEntry {
  actor: string;
  event: string;
  detail?: Record<string, unknown>;
}

export function toFeatureRecord(row: FeatureRow): FeatureRecord {
  return {
    id: row.id,
    stage: row.stage as Stage,
    version: row.version,
    checkpoint: row.checkpoint as WorkingStage | null,
    fixRounds: row.fix_rounds,
    ciFixRounds: row.ci_fix_rounds,
    maxFixRounds: row.max_fix_rounds,
    artifacts: row.artifacts as Feature["artifacts"],
    approvals: row.approvals as Feature["approvals"],
    issueAuthor: row.issue_author,
    allowSelfApproval: row.allow_self_approval,
    failureReason: row.failure_reason,
    installationId: row.installation_id,
    repoOwner: row.repo_owner,
    repoName: row.repo_name,
    issueNumber: row.issue_number,
    issueTitle: row.issue_title,
    slug: row.slug,
    branch: row.branch,
    prNumber: row.pr_number,
    statusCommentId: row.status_comment_id,
    headSha: row.head_sha,
    tasks: row.tasks,
    statusDigest: row.status_digest,
    createdAt: row.created_at,
    stageEnteredAt: row.stage_entered_at,
  };
}

export interface Store extends ReturnType<typeof queries> {
  /** Runs `fn` in one database transaction with a store bound to it. */
  transaction<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` while holding a session advisory lock named `key`, across every process: two
   * jobs that would both create the same GitHub comment run one after the other.
   */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export function createStore(db: Kysely<Database>): Store {
  return {
    ...queries(db),
    transaction: (fn) => db.transaction().execute((trx) => fn(createStore(trx))),
    withLock: (key, fn) =>
      db.connection().execute(async (connection) => {
        await sql`select pg_advisory_lock(hashtext(${key}))`.execute(connection);
        try {
          return await fn();
        } finally {
          await sql`select pg_advisory_unlock(hashtext(${key}))`.execute(connection);
        }
      }),
  };
}

function queries(db: Kysely<Database>) {
  return {
    db,

    /** True the first time a delivery id is seen; false for a redelivery. */
    async recordDelivery(id: string, event: string): Promise<boolean> {
      const inserted = await db
        .insertInto("deliveries")
        .values({ id, event })
        .onConflict((oc) => oc.column("id").doNothing())
        .returning("id")
        .executeTakeFirst();
      return inserted !== undefined;
    },

    async ensureInstallation(id: number, accountLogin: string, accountType = "User") {
      await db
        .insertInto("installations")
        .values({ id, account_login: accountLogin, account_type: accountType, settings: "{}" })
        .onConflict((oc) =>
          oc.column("id").doUpdateSet({
            account_login: accountLogin,
            account_type: accountType,
            deleted_at: null,
          }),
        )
        .execute();
    },

    async markInstallationDeleted(id: number) {
      await db
        .updateTable("installations")
        .set({ deleted_at: sql<Date>`now()` })
        .where("id", "=", id)
        .execute();
    },

    async findFeature(id: number, options: { forUpdate?: boolean } = {}) {
      let query = db.selectFrom("features").selectAll().where("id", "=", id);
      if (options.forUpdate) query = query.forUpdate();
      const row = await query.executeTakeFirst();
      return row ? toFeatureRecord(row) : null;
    },

    async findFeatureByIssue(
      owner: string,
      repo: string,
      issueNumber: number,
      options: { forUpdate?: boolean } = {},
    ) {
      let query = db
        .selectFrom("features")
        .selectAll()
        .where("repo_owner", "=", owner)
        .where("repo_name", "=", repo)
        .where("issue_number", "=", issueNumber);
      if (options.forUpdate) query = query.forUpdate();
      const row = await query.executeTakeFirst();
      return row ? toFeatureRecord(row) : null;
    },

    async findFeatureByPullRequest(owner: string, repo: string, prNumber: number) {
      const row = await db
        .selectFrom("features")
        .selectAll()
        .where("repo_owner", "=", owner)
        .where("repo_name", "=", repo)
        .where("pr_number", "=", prNumber)
        .executeTakeFirst();
      return row ? toFeatureRecord(row) : null;
    },

    /** Inserts a feature, or returns null when the issue already has one. */
    async createFeature(row: Omit<NewFeatureRow, "artifacts" | "approvals">) {
      const inserted = await db
        .insertInto("features")
        .values({ ...row, artifacts: "{}", approvals: "{}" })
        .onConflict((oc) => oc.columns(["repo_owner", "repo_name", "issue_number"]).doNothing())
        .returningAll()
        .executeTakeFirst();
      return inserted ? toFeatureRecord(inserted) : null;
    },

    /**
     * Saves the state a transition produced, if nobody saved since `expectedVersion`
     * (compare-and-set), with its audit entry. Returns the new version.
     */
    async saveFeature(next: Feature, expectedVersion: number, fromStage: Stage, audit: AuditEntry) {
      const updated = await db
        .updateTable("features")
        .set({
          stage: next.stage,
          version: sql<number>`version + 1`,
          checkpoint: next.checkpoint,
          fix_rounds: next.fixRounds,
          ci_fix_rounds: next.ciFixRounds,
          artifacts: JSON.stringify(next.artifacts),
          approvals: JSON.stringify(next.approvals),
          failure_reason: next.failureReason,
          updated_at: sql<Date>`now()`,
          ...(next.stage !== fromStage ? { stage_entered_at: sql<Date>`now()` } : {}),
        })
        .where("id", "=", next.id)
        .where("version", "=", expectedVersion)
        .returning("version")
        .executeTakeFirst();
      if (!updated) throw new VersionConflictError(`feature ${next.id} changed concurrently`);
      await db
        .insertInto("feature_events")
        .values({
          feature_id: next.id,
          actor: audit.actor,
          event: audit.event,
          from_stage: fromStage,
          to_stage: next.stage,
          detail: JSON.stringify(audit.detail ?? {}),
        })
        .execute();
      return updated.version;
    },

    /** GitHub-side facts about the feature; not part of its state machine, so no version bump. */
    async updateFeatureLinks(
      id: number,
      links: {
        branch?: string;
        prNumber?: number;
        statusCommentId?: number;
        headSha?: string;
        tasks?: PlanTaskProgress[];
        statusDigest?: string;
      },
    ) {
      await db
        .updateTable("features")
        .set({
          ...(links.branch !== undefined ? { branch: links.branch } : {}),
          ...(links.prNumber !== undefined ? { pr_number: links.prNumber } : {}),
          ...(links.statusCommentId !== undefined
            ? { status_comment_id: links.statusCommentId }
            : {}),
          ...(links.headSha !== undefined ? { head_sha: links.headSha } : {}),
          ...(links.tasks !== undefined ? { tasks: JSON.stringify(links.tasks) } : {}),
          ...(links.statusDigest !== undefined ? { status_digest: links.statusDigest } : {}),
        })
        .where("id", "=", id)
        .execute();
    },

    async recordApproval(featureId: number, gate: Gate, approver: string, artifactVersion: string) {
      await db
        .insertInto("approvals")
        .values({ feature_id: featureId, gate, approver, artifact_version: artifactVersion })
        .onConflict((oc) => oc.columns(["feature_id", "gate", "artifact_version"]).doNothing())
        .execute();
    },

    async listApprovals(featureId: number) {
      return db
        .selectFrom("approvals")
        .selectAll()
        .where("feature_id", "=", featureId)
        .orderBy("id")
        .execute();
    },

    /** Writes job intents; an intent whose job id exists already is dropped. */
    async addToOutbox(intents: JobIntent[]) {
      if (intents.length === 0) return;
      await db
        .insertInto("outbox")
        .values(
          intents.map((i) => ({
            queue: i.queue,
            job_name: i.name,
            job_id: i.jobId,
            data: JSON.stringify(i.data),
            children: i.children ? JSON.stringify(i.children) : null,
          })),
        )
        .onConflict((oc) => oc.column("job_id").doNothing())
        .execute();
    },

    /** Pending intents, locked so that concurrent relays take different rows. */
    async lockPendingOutbox(limit: number) {
      return db
        .selectFrom("outbox")
        .selectAll()
        .where("enqueued_at", "is", null)
        .orderBy("id")
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
    },

    async markOutboxEnqueued(ids: number[]) {
      if (ids.length === 0) return;
      await db
        .updateTable("outbox")
        .set({ enqueued_at: sql<Date>`now()` })
        .where("id", "in", ids)
        .execute();
    },

    async recordMessage(message: {
      featureId: number;
      githubCommentId: number | null;
      inReplyTo?: number | null;
      role: "user" | "assistant";
      author: string;
      body: string;
    }) {
      await db
        .insertInto("messages")
        .values({
          feature_id: message.featureId,
          github_comment_id: message.githubCommentId,
          in_reply_to: message.inReplyTo ?? null,
          role: message.role,
          author: message.author,
          body: message.body,
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
    },

    async listMessages(featureId: number) {
      return db
        .selectFrom("messages")
        .selectAll()
        .where("feature_id", "=", featureId)
        .orderBy("id")
        .execute();
    },

    async recordAgentRun(run: {
      featureId: number | null;
      installationId: number | null;
      agent: string;
      model: string;
      jobId: string | null;
      usage: {
        inputTokens: number;
        outputTokens: number;
        cacheReadTokens: number;
        cacheWriteTokens: number;
      };
      costUsd: number;
      durationMs: number;
      stopReason: string | null;
      outcome: string;
      error: string | null;
      detail?: Record<string, unknown>;
    }) {
      const row = await db
        .insertInto("agent_runs")
        .values({
          feature_id: run.featureId,
          installation_id: run.installationId,
          agent: run.agent,
          model: run.model,
          job_id: run.jobId,
          input_tokens: run.usage.inputTokens,
          output_tokens: run.usage.outputTokens,
          cache_read_tokens: run.usage.cacheReadTokens,
          cache_write_tokens: run.usage.cacheWriteTokens,
          cost_usd: run.costUsd,
          duration_ms: run.durationMs,
          stop_reason: run.stopReason,
          outcome: run.outcome,
          error: run.error,
          detail: JSON.stringify(run.detail ?? {}),
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      return row.id;
    },

    async setAgentRunDetail(id: number, detail: Record<string, unknown>) {
      await db
        .updateTable("agent_runs")
        .set({ detail: JSON.stringify(detail) })
        .where("id", "=", id)
        .execute();
    },

    /** Token use and cost of every model call of a feature (the status comment's totals). */
    async usageTotals(featureId: number) {
      const row = await db
        .selectFrom("agent_runs")
        .select((eb) => [
          eb.fn.coalesce(eb.fn.sum<number>("input_tokens"), eb.lit(0)).as("inputTokens"),
          eb.fn.coalesce(eb.fn.sum<number>("output_tokens"), eb.lit(0)).as("outputTokens"),
          eb.fn.coalesce(eb.fn.sum<number>("cache_read_tokens"), eb.lit(0)).as("cacheReadTokens"),
          eb.fn.coalesce(eb.fn.sum<number>("cache_write_tokens"), eb.lit(0)).as("cacheWriteTokens"),
          eb.fn.coalesce(eb.fn.sum<number>("cost_usd"), eb.lit(0)).as("costUsd"),
          eb.fn.countAll<number>().as("calls"),
        ])
        .where("feature_id", "=", featureId)
        .executeTakeFirstOrThrow();
      return {
        inputTokens: Number(row.inputTokens),
        outputTokens: Number(row.outputTokens),
        cacheReadTokens: Number(row.cacheReadTokens),
        cacheWriteTokens: Number(row.cacheWriteTokens),
        costUsd: Number(row.costUsd),
        calls: Number(row.calls),
      };
    },

    /** What an installation's model calls have cost since `since` (its monthly budget). */
    async installationSpend(installationId: number, since: Date) {
      const row = await db
        .selectFrom("agent_runs")
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("cost_usd"), eb.lit(0)).as("cost"))
        .where("installation_id", "=", installationId)
        .where("created_at", ">=", since)
        .executeTakeFirstOrThrow();
      return Number(row.cost);
    },

    /** The newest agent run of a kind for a feature (e.g. the last alignment review). */
    async latestAgentRun(featureId: number, agent: string) {
      return db
        .selectFrom("agent_runs")
        .selectAll()
        .where("feature_id", "=", featureId)
        .where("agent", "=", agent)
        .orderBy("id", "desc")
        .limit(1)
        .executeTakeFirst();
    },

    async saveArtifact(artifact: {
      featureId: number;
      stage: string;
      path: string;
      content: string;
      contentHash: string;
      commitSha?: string | null;
      step?: string | null;
    }) {
      await db
        .insertInto("artifacts")
        .values({
          feature_id: artifact.featureId,
          stage: artifact.stage,
          path: artifact.path,
          content: artifact.content,
          content_hash: artifact.contentHash,
          commit_sha: artifact.commitSha ?? null,
          step: artifact.step ?? null,
        })
        .execute();
    },

    /** What a job step saved before it committed: a retried job starts from here. */
    async stepArtifacts(featureId: number, step: string) {
      return db
        .selectFrom("artifacts")
        .selectAll()
        .where("feature_id", "=", featureId)
        .where("step", "=", step)
        .orderBy("id")
        .execute();
    },

    /** Paths a stage committed in earlier steps: a revised step deletes those it no longer writes. */
    async committedPaths(featureId: number, stage: string, exceptStep: string) {
      const rows = await db
        .selectFrom("artifacts")
        .select("path")
        .distinct()
        .where("feature_id", "=", featureId)
        .where("stage", "=", stage)
        .where("commit_sha", "is not", null)
        .where("step", "!=", exceptStep)
        .execute();
      return rows.map((r) => r.path);
    },

    async setArtifactCommit(featureId: number, step: string, commitSha: string) {
      await db
        .updateTable("artifacts")
        .set({ commit_sha: commitSha })
        .where("feature_id", "=", featureId)
        .where("step", "=", step)
        .execute();
    },

    /**
     * The newest artifact of each stage (brief, spec, plan, tests, code, title). A stage whose
     * step wrote several files (the contract tests) lists them all in `files`, and `content`
     * joins them.
     */
    async latestArtifacts(featureId: number) {
      const rows = await db
        .selectFrom("artifacts")
        .selectAll()
        .where("feature_id", "=", featureId)
        .orderBy("id", "desc")
        .execute();
      type Latest = (typeof rows)[number] & { files: { path: string; content: string }[] };
      const latest: Record<string, Latest> = {};
      for (const row of rows) {
        const current = latest[row.stage];
        if (!current) {
          latest[row.stage] = { ...row, files: [{ path: row.path, content: row.content }] };
        } else if (current.step !== null && current.step === row.step) {
          current.files.unshift({ path: row.path, content: row.content });
          current.content = current.files
            .map((f) => `### ${f.path}\n\n\`\`\`\`\n${f.content}\n\`\`\`\``)
            .join("\n\n");
        }
      }
      return latest;
    },

    async findInstallation(id: number) {
      return db.selectFrom("installations").selectAll().where("id", "=", id).executeTakeFirst();
    },
  };
}
