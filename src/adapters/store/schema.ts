import type { ColumnType, Generated, Insertable, Selectable } from "kysely";

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string | undefined, string>;

export interface InstallationsTable {
  id: number;
  account_login: string;
  account_type: Generated<string>;
  model_key_ciphertext: Buffer | null;
  model_key_version: string | null;
  model_key_hint: string | null;
  settings: Json<Record<string, unknown>>;
  created_at: Timestamp;
  deleted_at: Date | null;
}

export interface FeaturesTable {
  id: Generated<number>;
  installation_id: number;
  repo_owner: string;
  repo_name: string;
  issue_number: number;
  issue_title: string;
  issue_author: string;
  slug: string;
  branch: string | null;
  pr_number: number | null;
  status_comment_id: number | null;
  head_sha: string | null;
  tasks: Json<PlanTaskProgress[]>;
  status_digest: string | null;
  stage: string;
  version: Generated<number>;
  checkpoint: string | null;
  fix_rounds: Generated<number>;
  ci_fix_rounds: Generated<number>;
  max_fix_rounds: Generated<number>;
  max_ci_fix_rounds: Generated<number>;
  /** The docs stage runs between implementing and reviewing (`docs` in the repository's config). */
  docs: Generated<boolean>;
  allow_self_approval: Generated<boolean>;
  artifacts: Json<Record<string, string>>;
  approvals: Json<Record<string, string>>;
  failure_reason: string | null;
  protected_pending: string | null;
  /** The version of the last transition that stopped the feature's jobs (0: none yet). */
  stopped_version: Generated<number>;
  /** The issue author's language (ISO 639-1) as the BA reported it; null: not known yet. */
  language: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  stage_entered_at: Timestamp;
}

/** One of the plan's tasks and how far the implementer is with it. */
export interface PlanTaskProgress {
  id: string;
  title: string;
  /** Committed (or, on features implemented in one run, reported done). */
  done: boolean;
  /** The files the plan says the task touches (absent on features planned before they were kept). */
  files?: string[];
  /** What the plan says to do in them. */
  detail?: string;
  /** The plan's trace: the requirements it serves and the tasks it builds on. */
  requirements?: string[];
  dependsOn?: string[];
  /** Small tasks sharing a group are implemented in one run and one commit. */
  group?: string;
  /** The task's commit, then the commits of the CI fix rounds sent back to it, oldest first. */
  commits?: string[];
}

export interface MessagesTable {
  id: Generated<number>;
  feature_id: number;
  github_comment_id: number | null;
  in_reply_to: number | null;
  role: "user" | "assistant";
  author: string;
  /** The author's repository permission when the comment arrived; null when unknown. */
  author_permission: string | null;
  body: string;
  created_at: Timestamp;
}

export interface ArtifactsTable {
  id: Generated<number>;
  feature_id: number;
  stage: string;
  path: string;
  content: string;
  content_hash: string;
  commit_sha: string | null;
  step: string | null;
  created_at: Timestamp;
}

export interface ApprovalsTable {
  id: Generated<number>;
  feature_id: number;
  gate: string;
  approver: string;
  artifact_version: string;
  created_at: Timestamp;
}

export interface AgentRunsTable {
  id: Generated<number>;
  feature_id: number | null;
  installation_id: number | null;
  agent: string;
  model: string;
  job_id: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
  duration_ms: number;
  stop_reason: string | null;
  outcome: string;
  error: string | null;
  detail: Json<Record<string, unknown>>;
  created_at: Timestamp;
}

export interface FeatureEventsTable {
  id: Generated<number>;
  feature_id: number;
  actor: string;
  event: string;
  from_stage: string;
  to_stage: string;
  detail: Json<Record<string, unknown>>;
  created_at: Timestamp;
}

/** Who changed an installation's settings or model key: append-only, like `feature_events`. */
export interface SettingsAuditTable {
  id: Generated<number>;
  installation_id: number;
  actor: string;
  action: string;
  detail: Json<Record<string, unknown>>;
  created_at: Timestamp;
}

export interface DeliveriesTable {
  id: string;
  event: string;
  received_at: Timestamp;
}

export interface OutboxTable {
  id: Generated<number>;
  queue: string;
  job_name: string;
  job_id: string;
  data: Json<unknown>;
  children: ColumnType<unknown[] | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  enqueued_at: Date | null;
}

export interface ActedSourcesTable {
  feature_id: number;
  source: string;
  created_at: Timestamp;
}

export interface ReplyWindowsTable {
  repo_owner: string;
  repo_name: string;
  issue_number: number;
  login: string;
  comment_id: number;
  opened_at: Timestamp;
}

/** One check of the repository's CI on a commit, as last reported. */
export interface CiCheck {
  name: string;
  /** `check_run` (id is the check run id; for GitHub Actions also the job id) or `status`. */
  kind: "check_run" | "status";
  id: number;
  app: string;
  state: "pending" | "success" | "failure";
  conclusion: string | null;
  url: string | null;
}

export interface CiResultsTable {
  feature_id: number;
  sha: string;
  stage: string;
  state: Generated<string>;
  checks: Json<CiCheck[]>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface Database {
  installations: InstallationsTable;
  features: FeaturesTable;
  messages: MessagesTable;
  artifacts: ArtifactsTable;
  approvals: ApprovalsTable;
  agent_runs: AgentRunsTable;
  feature_events: FeatureEventsTable;
  deliveries: DeliveriesTable;
  outbox: OutboxTable;
  acted_sources: ActedSourcesTable;
  reply_windows: ReplyWindowsTable;
  ci_results: CiResultsTable;
  settings_audit: SettingsAuditTable;
}

export type FeatureRow = Selectable<FeaturesTable>;
export type NewFeatureRow = Insertable<FeaturesTable>;
export type MessageRow = Selectable<MessagesTable>;
export type AgentRunRow = Selectable<AgentRunsTable>;
export type ArtifactRow = Selectable<ArtifactsTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type CiResultRow = Selectable<CiResultsTable>;
