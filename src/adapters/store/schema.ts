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
  allow_self_approval: Generated<boolean>;
  artifacts: Json<Record<string, string>>;
  approvals: Json<Record<string, string>>;
  failure_reason: string | null;
  protected_pending: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  stage_entered_at: Timestamp;
}

/** One of the plan's tasks and whether the implementer reported it done. */
export interface PlanTaskProgress {
  id: string;
  title: string;
  done: boolean;
}

export interface MessagesTable {
  id: Generated<number>;
  feature_id: number;
  github_comment_id: number | null;
  in_reply_to: number | null;
  role: "user" | "assistant";
  author: string;
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
}

export type FeatureRow = Selectable<FeaturesTable>;
export type NewFeatureRow = Insertable<FeaturesTable>;
export type MessageRow = Selectable<MessagesTable>;
export type AgentRunRow = Selectable<AgentRunsTable>;
export type ArtifactRow = Selectable<ArtifactsTable>;
export type OutboxRow = Selectable<OutboxTable>;
