-- Build Practical: the feature branch and its pull request.

-- The branch head as the app last committed or read it: a later commit must build on it, and a
-- push by someone else since then is detected instead of overwritten.
ALTER TABLE features ADD COLUMN head_sha text;
-- The plan's ordered tasks with their progress, for the status comment.
ALTER TABLE features ADD COLUMN tasks jsonb NOT NULL DEFAULT '[]';
-- A digest of the last status comment body and stage label written to GitHub: an unchanged
-- status costs no API call.
ALTER TABLE features ADD COLUMN status_digest text;

-- The job step that produced an artifact: a retried job reuses the model's output instead of
-- paying for it twice.
ALTER TABLE artifacts ADD COLUMN step text;
CREATE INDEX artifacts_step_idx ON artifacts (feature_id, step) WHERE step IS NOT NULL;
