import { type Kysely, sql } from "kysely";
import { VersionConflictError } from "../../errors.ts";
import type { JobIntent } from "../../ports/queue.ts";
import { type FeatureRecord, toFeatureRecord } from "./features.ts";
import type { Database, FeatureRow } from "./schema.ts";

/** How long one reply comment answers a person's refused commands and /help on an issue. */
export const REPLY_WINDOW_MINUTES = 10;

/** What ingest reads before it runs the reducer, in one query. */
export interface IngestRead {
  /** The delivery id was recorded before: a redelivery. */
  delivered: boolean;
  feature: FeatureRecord | null;
  /** The comment that opened the person's reply window, while it is open; null for none. */
  replyWindow: number | null;
  /** A feature id drawn for the feature this delivery may create; null unless asked for. */
  newFeatureId: number | null;
}

/** The new state a transition saves, with compare-and-set on `expectedVersion`. */
export interface IngestSave {
  featureId: number;
  expectedVersion: number;
  fromStage: string;
  next: {
    stage: string;
    checkpoint: string | null;
    fixRounds: number;
    ciFixRounds: number;
    artifacts: unknown;
    approvals: unknown;
    failureReason: string | null;
    protectedPending?: string | null | undefined;
  };
  audit: { actor: string; event: string; detail?: Record<string, unknown> };
  approvals: { gate: string; approver: string; artifactVersion: string }[];
  stopJobs: boolean;
}

/** Everything a delivery writes, applied by `ingest_delivery` (migrations 0011, 0015) at once. */
export interface IngestWrite {
  delivery: { id: string; name: string };
  window?: {
    issue: { owner: string; repo: string; issueNumber: number };
    login: string;
    /** The window the reducer was given (null: none was open); another one since is a conflict. */
    seen: number | null;
    /** The comment that opens a new window now. */
    open: number | null;
  };
  create?: {
    id: number;
    installation: { id: number; accountLogin: string; accountType: string };
    row: {
      repoOwner: string;
      repoName: string;
      issueNumber: number;
      issueTitle: string;
      issueAuthor: string;
      slug: string;
      stage: string;
      maxFixRounds: number;
      maxCiFixRounds: number;
      docs: boolean;
      allowSelfApproval: boolean;
    };
  };
  acted?: { featureId: number; source: string };
  message?: {
    featureId: number;
    githubCommentId: number | null;
    author: string;
    authorPermission: string | null;
    body: string;
  };
  /** A transition that changed nothing, judged on this version: a save since is a conflict. */
  unchanged?: { featureId: number; version: number };
  save?: IngestSave;
  outbox: JobIntent[];
  outcome: "applied" | "ignored";
}

export type IngestWriteOutcome = "duplicate" | "ignored" | "applied";

type IssueRef = { owner: string; repo: string; issueNumber: number };

export interface IngestReadOptions {
  deliveryId: string;
  windowLogin: string | null;
  drawFeatureId: boolean;
}

/**
 * `readForIngest` for several deliveries in one query (`read_for_ingest`, migration 0015), in
 * their order: each gets what it would have read alone.
 */
export async function readManyForIngest(
  db: Kysely<Database>,
  requests: { issue: IssueRef; options: IngestReadOptions }[],
): Promise<IngestRead[]> {
  const parameter = requests.map(({ issue, options }, i) => ({
    i,
    delivery_id: options.deliveryId,
    owner: issue.owner,
    repo: issue.repo,
    issue: issue.issueNumber,
    login: options.windowLogin?.toLowerCase() ?? null,
    minutes: REPLY_WINDOW_MINUTES,
    draw: options.drawFeatureId,
  }));
  const { rows } = await sql<{
    i: number;
    delivered: boolean;
    feature: FeatureJson | null;
    window_comment_id: number | null;
    new_feature_id: number | null;
  }>`SELECT * FROM read_for_ingest(${JSON.stringify(parameter)}::jsonb)`.execute(db);
  const reads: IngestRead[] = [];
  for (const row of rows) {
    reads[row.i] = {
      delivered: row.delivered,
      feature: row.feature === null ? null : toFeatureRecord(featureRowOfJson(row.feature)),
      replyWindow: row.window_comment_id,
      newFeatureId: row.new_feature_id,
    };
  }
  if (reads.length !== requests.length || reads.includes(undefined as never)) {
    throw new Error("the ingest read returned a row short");
  }
  return reads;
}

/** A feature row as `to_jsonb` gives it: its timestamps as text. */
type FeatureJson = Omit<FeatureRow, "created_at" | "updated_at" | "stage_entered_at"> & {
  created_at: string;
  updated_at: string;
  stage_entered_at: string;
};

function featureRowOfJson(json: FeatureJson): FeatureRow {
  return {
    ...json,
    created_at: new Date(json.created_at),
    updated_at: new Date(json.updated_at),
    stage_entered_at: new Date(json.stage_entered_at),
  };
}

/**
 * `ingestDelivery` for several deliveries in one statement and one commit (migration 0013), in
 * their order: each one's outcome, or the error that undid it alone (VersionConflictError for a
 * conflict). Rejects only when the statement itself fails.
 */
export async function ingestDeliveries(
  db: Kysely<Database>,
  writes: IngestWrite[],
): Promise<(IngestWriteOutcome | Error)[]> {
  const { rows } = await sql<{
    outcomes: (
      | { outcome: IngestWriteOutcome }
      | { conflict: string }
      | { error: string; code: string }
    )[];
  }>`SELECT ingest_deliveries(${JSON.stringify(writes.map(toParameter))}::jsonb) AS outcomes`.execute(
    db,
  );
  const outcomes = rows[0]?.outcomes;
  if (outcomes?.length !== writes.length)
    throw new Error("ingest_deliveries returned a result short");
  return outcomes.map((result) => {
    if ("outcome" in result) return result.outcome;
    if ("conflict" in result) return new VersionConflictError(result.conflict);
    return Object.assign(new Error(result.error), { code: result.code });
  });
}

/** The web role's reads and its one write per delivery. */
export function ingestRepository(db: Kysely<Database>) {
  return {
    /**
     * One query: whether the delivery was recorded, the issue's feature, the person's open reply
     * window (when `windowLogin` is given) and, when `drawFeatureId` and the issue has no
     * feature, an id for the feature this delivery may create.
     */
    async readForIngest(issue: IssueRef, options: IngestReadOptions): Promise<IngestRead> {
      const [read] = await readManyForIngest(db, [{ issue, options }]);
      if (!read) throw new Error("the ingest read returned no row");
      return read;
    },

    /**
     * Inside a transaction: waits for and holds the issue's feature row (as jobs do before they
     * save) and, given `windowLogin`, the person's reply window (the lock `ingest_delivery` takes),
     * so that contenders which lost a compare-and-set take turns instead of racing again.
     */
    async lockForIngest(
      issue: { owner: string; repo: string; issueNumber: number },
      windowLogin: string | null,
    ): Promise<void> {
      if (windowLogin !== null) {
        const name = `reply-window:${issue.owner}/${issue.repo}#${issue.issueNumber}:${windowLogin.toLowerCase()}`;
        await sql`SELECT pg_advisory_xact_lock(hashtext(${name}))`.execute(db);
      }
      await db
        .selectFrom("features")
        .select("id")
        .where("repo_owner", "=", issue.owner)
        .where("repo_name", "=", issue.repo)
        .where("issue_number", "=", issue.issueNumber)
        .forUpdate()
        .execute();
    },

    /**
     * Writes a delivery and its consequence in one statement (one round trip): see
     * migrations/0011 and 0015. A concurrent change to what it was computed from throws
     * VersionConflictError, with nothing written. (The store over the pool sends it with the
     * other deliveries' writes under way instead: ingest-batch.ts.)
     */
    async ingestDelivery(write: IngestWrite): Promise<IngestWriteOutcome> {
      try {
        const { rows } = await sql<{
          outcome: IngestWriteOutcome;
        }>`SELECT ingest_delivery(${JSON.stringify(toParameter(write))}::jsonb) AS outcome`.execute(
          db,
        );
        const outcome = rows[0]?.outcome;
        if (!outcome) throw new Error("ingest_delivery returned nothing");
        return outcome;
      } catch (error) {
        if ((error as { code?: string }).code === "40001") {
          throw new VersionConflictError((error as Error).message);
        }
        throw error;
      }
    },

    /**
     * Saves a transition and its outbox intents in one statement (one round trip where the
     * state, the audit entry, the outbox rows and any approvals took one each): see
     * migrations/0014. Another save since `save.expectedVersion` throws VersionConflictError,
     * with nothing written. Returns the saved version.
     */
    async saveTransitionAtOnce(save: IngestSave, outbox: JobIntent[]): Promise<number> {
      const parameter = { ...saveParameter(save), outbox: outboxParameter(outbox) };
      try {
        const { rows } = await sql<{
          version: number;
        }>`SELECT save_transition(${JSON.stringify(parameter)}::jsonb) AS version`.execute(db);
        const version = rows[0]?.version;
        if (typeof version !== "number") throw new Error("save_transition returned nothing");
        return version;
      } catch (error) {
        if ((error as { code?: string }).code === "40001") {
          throw new VersionConflictError((error as Error).message);
        }
        throw error;
      }
    },
  };
}

/** The function's parameter: column names, as the SQL reads them. */
function toParameter(write: IngestWrite) {
  const { window, create, acted, message, unchanged, save } = write;
  return {
    delivery: { id: write.delivery.id, event: write.delivery.name },
    window: window && {
      owner: window.issue.owner,
      repo: window.issue.repo,
      issue: window.issue.issueNumber,
      login: window.login.toLowerCase(),
      minutes: REPLY_WINDOW_MINUTES,
      seen: window.seen,
      open: window.open,
    },
    installation: create && {
      id: create.installation.id,
      account_login: create.installation.accountLogin,
      account_type: create.installation.accountType,
    },
    create: create && {
      id: create.id,
      installation_id: create.installation.id,
      repo_owner: create.row.repoOwner,
      repo_name: create.row.repoName,
      issue_number: create.row.issueNumber,
      issue_title: create.row.issueTitle,
      issue_author: create.row.issueAuthor,
      slug: create.row.slug,
      stage: create.row.stage,
      max_fix_rounds: create.row.maxFixRounds,
      max_ci_fix_rounds: create.row.maxCiFixRounds,
      docs: create.row.docs,
      allow_self_approval: create.row.allowSelfApproval,
    },
    acted: acted && { feature_id: acted.featureId, source: acted.source },
    message: message && {
      feature_id: message.featureId,
      github_comment_id: message.githubCommentId,
      author: message.author,
      author_permission: message.authorPermission,
      body: message.body,
    },
    unchanged: unchanged && { id: unchanged.featureId, version: unchanged.version },
    ...saveParameter(save),
    outbox: outboxParameter(write.outbox),
    outcome: write.outcome,
  };
}

/** A transition's save as `ingest_delivery` and `save_transition` read it. */
function saveParameter(save: IngestSave | undefined) {
  return {
    save: save && {
      id: save.featureId,
      expected_version: save.expectedVersion,
      stage: save.next.stage,
      checkpoint: save.next.checkpoint,
      fix_rounds: save.next.fixRounds,
      ci_fix_rounds: save.next.ciFixRounds,
      artifacts: save.next.artifacts,
      approvals: save.next.approvals,
      failure_reason: save.next.failureReason,
      protected_pending: save.next.protectedPending ?? null,
    },
    audit: save && {
      actor: save.audit.actor,
      event: save.audit.event,
      from_stage: save.fromStage,
      detail: save.audit.detail ?? {},
    },
    approvals: save?.approvals.map((a) => ({
      gate: a.gate,
      approver: a.approver,
      artifact_version: a.artifactVersion,
    })),
    stop_jobs: save?.stopJobs ?? false,
  };
}

function outboxParameter(intents: JobIntent[]) {
  return intents.map((i) => ({
    queue: i.queue,
    job_name: i.name,
    job_id: i.jobId,
    data: i.data,
    children: i.children ?? null,
  }));
}
