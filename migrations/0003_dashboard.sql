-- Build Practical: dashboard sign-in sessions.

-- One row per signed-in browser. The cookie carries a random id (signed); only its SHA-256 is
-- stored, so a copy of this table does not let anyone sign in.
CREATE TABLE dashboard_sessions (
  id_hash          text PRIMARY KEY,
  user_id          bigint NOT NULL,
  login            text NOT NULL,
  -- The user's GitHub token: AES-256-GCM under ENCRYPTION_KEY, the session as associated data.
  token_ciphertext bytea NOT NULL,
  token_version    text NOT NULL,                       -- fingerprint of the encryption key used
  csrf_token       text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL
);
CREATE INDEX dashboard_sessions_expiry_idx ON dashboard_sessions (expires_at);

-- The dashboard's "cost this month" and the retention sweep.
CREATE INDEX installations_deleted_idx ON installations (deleted_at) WHERE deleted_at IS NOT NULL;
