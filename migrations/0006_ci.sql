-- Build Practical: the repository's CI on each commit the app makes on a feature branch.

-- One row per (feature, commit): which stage made the commit, the CI's overall state and each
-- check's latest result (check runs of other apps and commit statuses, latest per name).
CREATE TABLE ci_results (
  feature_id  bigint NOT NULL REFERENCES features (id) ON DELETE CASCADE,
  sha         text NOT NULL,
  stage       text NOT NULL,                              -- spec | plan | tests | code
  state       text NOT NULL DEFAULT 'pending',            -- pending | success | failure | none
  checks      jsonb NOT NULL DEFAULT '[]',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (feature_id, sha)
);

-- The bound of automatic fix rounds started by a red CI (`ci_fix_rounds`).
ALTER TABLE features ADD COLUMN max_ci_fix_rounds integer NOT NULL DEFAULT 3;
