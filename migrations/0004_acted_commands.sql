-- Build Practical: each command acts once, and strangers are answered once.

-- The comments, reviews and check-run button presses a feature has acted on. The signature of a
-- delivery covers only its body, so a captured delivery re-sent under a new delivery id passes
-- the delivery dedupe: the same comment, review or press is still recognised here.
CREATE TABLE acted_sources (
  feature_id bigint NOT NULL REFERENCES features (id) ON DELETE CASCADE,
  source     text NOT NULL,                          -- comment-<id> | review-<id> | check-run-<id>-…
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (feature_id, source)
);

-- One reply comment per person per issue per window (refusals, "no feature here", /help): the
-- comment that opened the window names the reply, later commands edit it in place.
CREATE TABLE reply_windows (
  repo_owner   text NOT NULL,
  repo_name    text NOT NULL,
  issue_number integer NOT NULL,
  login        text NOT NULL,                        -- lower case
  comment_id   bigint NOT NULL,
  opened_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repo_owner, repo_name, issue_number, login)
);
CREATE INDEX reply_windows_opened_idx ON reply_windows (opened_at);
