-- Build Practical: the version of the feature's last transition that stopped its jobs (a cancel,
-- the stuck sweep, a retry, a merge or close while working). An agent job started for an
-- earlier version is superseded: it aborts, and nothing it produced reaches GitHub.
ALTER TABLE features ADD COLUMN stopped_version integer NOT NULL DEFAULT 0;
