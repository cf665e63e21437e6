-- Build Practical: initial schema.

CREATE TABLE installations (
  id                   bigint PRIMARY KEY,              -- GitHub installation id
  account_login        text NOT NULL,
  account_type         text NOT NULL DEFAULT 'User',
  -- The installation's own model key: AES-256-GCM, the installation id as associated data.
  model_key_ciphertext bytea,
  model_key_version    text,                             -- fingerprint of the encryption key used
  model_key_hint       text,                             -- last four characters, for display only
  settings             jsonb NOT NULL DEFAULT '{}',
  created_at           timestamptz NOT NULL DEFAULT now(),
  deleted_at           timestamptz
);

CREATE TABLE features (
  id                bigserial PRIMARY KEY,
  installation_id   bigint NOT NULL REFERENCES installations (id),
  repo_owner        text NOT NULL,
  repo_name         text NOT NULL,
  issue_number      integer NOT NULL,
  issue_title       text NOT NULL,
  issue_author      text NOT NULL,
  slug              text NOT NULL,
  branch            text,
  pr_number         integer,
  status_comment_id bigint,
  stage             text NOT NULL,
  version           integer NOT NULL DEFAULT 0,          -- compare-and-set
  checkpoint        text,
  fix_rounds        integer NOT NULL DEFAULT 0,
  ci_fix_rounds     integer NOT NULL DEFAULT 0,
  max_fix_rounds    integer NOT NULL DEFAULT 2,
  allow_self_approval boolean NOT NULL DEFAULT true,
  artifacts         jsonb NOT NULL DEFAULT '{}',         -- gate → current artifact version
  approvals         jsonb NOT NULL DEFAULT '{}',         -- gate → approved artifact version
  failure_reason    text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  stage_entered_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (repo_owner, repo_name, issue_number)
);
CREATE INDEX features_installation_idx ON features (installation_id, stage);
CREATE INDEX features_working_idx ON features (stage, stage_entered_at);

-- The issue conversation: one row per GitHub comment, so a retried job never double-posts.
CREATE TABLE messages (
  id                bigserial PRIMARY KEY,
  feature_id        bigint NOT NULL REFERENCES features (id) ON DELETE CASCADE,
  github_comment_id bigint UNIQUE,
  in_reply_to       bigint UNIQUE,                        -- the human comment a BA reply answers
  role              text NOT NULL CHECK (role IN ('user', 'assistant')),
  author            text NOT NULL,
  body              text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_feature_idx ON messages (feature_id, id);

CREATE TABLE artifacts (
  id           bigserial PRIMARY KEY,
  feature_id   bigint NOT NULL REFERENCES features (id) ON DELETE CASCADE,
  stage        text NOT NULL,                             -- brief | spec | plan | tests | code
  path         text NOT NULL,
  content      text NOT NULL,
  content_hash text NOT NULL,
  commit_sha   text,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX artifacts_feature_idx ON artifacts (feature_id, stage, id);

CREATE TABLE approvals (
  id               bigserial PRIMARY KEY,
  feature_id       bigint NOT NULL REFERENCES features (id) ON DELETE CASCADE,
  gate             text NOT NULL,
  approver         text NOT NULL,
  artifact_version text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (feature_id, gate, artifact_version)
);

CREATE TABLE agent_runs (
  id                 bigserial PRIMARY KEY,
  feature_id         bigint REFERENCES features (id) ON DELETE CASCADE,
  installation_id    bigint,
  agent              text NOT NULL,
  model              text NOT NULL,
  job_id             text,
  input_tokens       integer NOT NULL DEFAULT 0,
  output_tokens      integer NOT NULL DEFAULT 0,
  cache_read_tokens  integer NOT NULL DEFAULT 0,
  cache_write_tokens integer NOT NULL DEFAULT 0,
  cost_usd           numeric(12, 6) NOT NULL DEFAULT 0,
  duration_ms        integer NOT NULL DEFAULT 0,
  stop_reason        text,
  outcome            text NOT NULL,                       -- ok | invalid_output | error | refused
  error              text,
  detail             jsonb NOT NULL DEFAULT '{}',         -- e.g. a review's verdict and findings
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_runs_feature_idx ON agent_runs (feature_id, id);
CREATE INDEX agent_runs_installation_idx ON agent_runs (installation_id, created_at);

-- Append-only audit trail.
CREATE TABLE feature_events (
  id         bigserial PRIMARY KEY,
  feature_id bigint NOT NULL REFERENCES features (id) ON DELETE CASCADE,
  actor      text NOT NULL,
  event      text NOT NULL,
  from_stage text NOT NULL,
  to_stage   text NOT NULL,
  detail     jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feature_events_feature_idx ON feature_events (feature_id, id);

-- Webhook dedupe by X-GitHub-Delivery.
CREATE TABLE deliveries (
  id          text PRIMARY KEY,
  event       text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

-- Job intents, written in the same transaction as the state change they follow from.
CREATE TABLE outbox (
  id          bigserial PRIMARY KEY,
  queue       text NOT NULL,
  job_name    text NOT NULL,
  job_id      text NOT NULL UNIQUE,
  data        jsonb NOT NULL,
  children    jsonb,                                    -- a flow's child intents
  created_at  timestamptz NOT NULL DEFAULT now(),
  enqueued_at timestamptz
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE enqueued_at IS NULL;
