import { type Kysely, sql } from "kysely";
import {
  type Feature,
  type Gate,
  type Stage,
  TERMINAL_STAGES,
  WORKING_STAGES,
  type WorkingStage,
} from "../../core/feature.ts";
import { VersionConflictError } from "../../errors.ts";
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
  /** The version of the last transition that stopped its jobs: older jobs are superseded. */
  stoppedVersion: number;
  /** The issue author's language (ISO 639-1), which the comments are written in; null: English. */
  language: string | null;
}

/** Who made a transition and why: one row of the feature's audit trail (`feature_events`). */
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
    maxCiFixRounds: row.max_ci_fix_rounds,
    docs: row.docs,
    artifacts: row.artifacts as Feature["artifacts"],
    approvals: row.approvals as Feature["approvals"],
    issueAuthor: row.issue_author,
    allowSelfApproval: row.allow_self_approval,
    failureReason: row.failure_reason,
    protectedPending: row.protected_pending,
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
    stoppedVersion: row.stopped_version,
    language: row.language,
  };
}

/** Features with their audit trail (`feature_events`) and their gate approvals. */
export function featureRepository(db: Kysely<Database>) {
  return {
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

    /** The feature whose branch this is (CI reports name the branch of the commit). */
    async findFeatureByBranch(owner: string, repo: string, branch: string) {
      const row = await db
        .selectFrom("features")
        .selectAll()
        .where("repo_owner", "=", owner)
        .where("repo_name", "=", repo)
        .where("branch", "=", branch)
        .orderBy("id", "desc")
        .executeTakeFirst();
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

    /** Ids of the features that have stayed in a working stage for more than `minutes`. */
    async findStuckFeatures(minutes: number): Promise<number[]> {
      const rows = await db
        .selectFrom("features")
        .select(["id"])
        .where("stage", "in", [...WORKING_STAGES])
        .where("stage_entered_at", "<", sql<Date>`now() - make_interval(mins => ${minutes})`)
        .execute();
      return rows.map((r) => r.id);
    },

    /** An installation's features that are not finished, locked for the caller's transaction. */
    async lockUnfinishedFeatures(installationId: number) {
      const rows = await db
        .selectFrom("features")
        .selectAll()
        .where("installation_id", "=", installationId)
        .where("stage", "not in", [...TERMINAL_STAGES])
        .orderBy("id")
        .forUpdate()
        .execute();
      return rows.map(toFeatureRecord);
    },

    /** How many features are in each stage (a metric). */
    async countFeaturesByStage() {
      const rows = await db
        .selectFrom("features")
        .select((eb) => ["stage", eb.fn.countAll<number>().as("n")])
        .groupBy("stage")
        .execute();
      return rows.map((row) => ({ stage: row.stage, count: Number(row.n) }));
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
          protected_pending: next.protectedPending ?? null,
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

    /**
     * A transition saved as `version` stopped the feature's jobs (cancel, stuck, retry…): any
     * job started for an earlier version is superseded from now on.
     */
    async markJobsStopped(id: number, version: number) {
      await db
        .updateTable("features")
        .set({ stopped_version: sql<number>`greatest(stopped_version, ${version})` })
        .where("id", "=", id)
        .execute();
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

    /** The language the BA reports the issue author writes in; no version bump, like the links. */
    async updateFeatureLanguage(id: number, language: string) {
      await db
        .updateTable("features")
        .set({ language })
        .where("id", "=", id)
        .where((eb) => eb.or([eb("language", "is", null), eb("language", "!=", language)]))
        .execute();
    },

    /**
     * A working stage made progress a person can see (a task's commit): the stuck sweep counts
     * its minutes from here, so a long plan is not taken for a hung job.
     */
    async markProgress(id: number) {
      await db
        .updateTable("features")
        .set({ stage_entered_at: sql<Date>`now()` })
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
  };
}
