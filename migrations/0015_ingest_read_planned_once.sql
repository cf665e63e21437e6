-- Build Practical: the ingest read planned once per connection, and one body for every save.

-- What ingest reads before it runs the reducer (src/adapters/store/ingest.ts), for a group of
-- deliveries at once. As a query sent from the web role it was planned anew for every group,
-- which cost PostgreSQL about twice what running it did; inside a PL/pgSQL function its plan is
-- kept for the connection. `requests` is a jsonb array of
--   {i, delivery_id, owner, repo, issue, login, minutes, draw}
-- and each answer carries `i`: whether the delivery was recorded before, the issue's feature
-- (the row as jsonb, null for none), the comment that opened the person's reply window in the
-- last `minutes` (given `login`) and, when `draw` and the issue has no feature, an id drawn for
-- the feature the delivery may create.
CREATE FUNCTION read_for_ingest(requests jsonb)
RETURNS TABLE (i integer, delivered boolean, feature jsonb, window_comment_id bigint,
  new_feature_id bigint)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
  SELECT r.i, d.id IS NOT NULL, to_jsonb(f), w.comment_id,
    CASE WHEN r.draw AND f.id IS NULL THEN nextval(pg_get_serial_sequence('features', 'id')) END
  FROM jsonb_to_recordset(requests)
    AS r(i integer, delivery_id text, owner text, repo text, issue integer, login text,
      minutes integer, draw boolean)
  -- Each one a lookup by its key: joined otherwise, the planner (which guesses 100 rows for
  -- the set) may scan the whole of a table, as it does for deliveries.
  LEFT JOIN LATERAL (
    SELECT deliveries.id FROM deliveries WHERE deliveries.id = r.delivery_id LIMIT 1
  ) d ON true
  LEFT JOIN LATERAL (
    SELECT * FROM features
    WHERE repo_owner = r.owner AND repo_name = r.repo AND issue_number = r.issue LIMIT 1
  ) f ON true
  LEFT JOIN LATERAL (
    SELECT reply_windows.comment_id FROM reply_windows
    WHERE r.login IS NOT NULL AND repo_owner = r.owner AND repo_name = r.repo
      AND issue_number = r.issue AND login = r.login
      AND opened_at > now() - make_interval(mins => r.minutes)
    LIMIT 1
  ) w ON true;
END;
$$;

-- The outbox intents of a transition or a delivery; the insert's trigger notifies the workers.
CREATE FUNCTION enqueue_outbox(intents jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- Only when there is one: an insert of no rows would still notify.
  IF jsonb_array_length(coalesce(intents, '[]')) > 0 THEN
    INSERT INTO outbox (queue, job_name, job_id, data, children)
    SELECT o ->> 'queue', o ->> 'job_name', o ->> 'job_id', o -> 'data',
      CASE WHEN jsonb_typeof(o -> 'children') = 'array' THEN o -> 'children' END
    FROM jsonb_array_elements(intents) o
    ON CONFLICT (job_id) DO NOTHING;
  END IF;
END;
$$;

-- As in 0014, with its outbox insert in `enqueue_outbox`.
CREATE OR REPLACE FUNCTION save_transition(p jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  s jsonb := p -> 'save';
  the_feature bigint := (s ->> 'id')::bigint;
  saved_version integer;
BEGIN
  UPDATE features SET
    stage = s ->> 'stage',
    version = version + 1,
    checkpoint = s ->> 'checkpoint',
    fix_rounds = (s ->> 'fix_rounds')::integer,
    ci_fix_rounds = (s ->> 'ci_fix_rounds')::integer,
    artifacts = s -> 'artifacts',
    approvals = s -> 'approvals',
    failure_reason = s ->> 'failure_reason',
    protected_pending = s ->> 'protected_pending',
    updated_at = now(),
    stage_entered_at = CASE WHEN stage = s ->> 'stage' THEN stage_entered_at ELSE now() END,
    stopped_version = CASE WHEN (p ->> 'stop_jobs')::boolean
      THEN greatest(stopped_version, version + 1) ELSE stopped_version END
  WHERE id = the_feature AND version = (s ->> 'expected_version')::integer
  RETURNING version INTO saved_version;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'feature % changed concurrently', the_feature
      USING ERRCODE = 'serialization_failure';
  END IF;
  INSERT INTO feature_events (feature_id, actor, event, from_stage, to_stage, detail)
  VALUES (the_feature, p -> 'audit' ->> 'actor', p -> 'audit' ->> 'event',
    p -> 'audit' ->> 'from_stage', s ->> 'stage', coalesce(p -> 'audit' -> 'detail', '{}'));
  INSERT INTO approvals (feature_id, gate, approver, artifact_version)
  SELECT the_feature, a ->> 'gate', a ->> 'approver', a ->> 'artifact_version'
  FROM jsonb_array_elements(coalesce(p -> 'approvals', '[]')) a
  ON CONFLICT (feature_id, gate, artifact_version) DO NOTHING;
  PERFORM enqueue_outbox(p -> 'outbox');
  RETURN saved_version;
END;
$$;

-- As in 0011, with its save made by `save_transition` (a delivery's `p` carries `save`,
-- `audit`, `approvals`, `stop_jobs` and `outbox` as a job's does), so both save alike.
CREATE OR REPLACE FUNCTION ingest_delivery(p jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  w jsonb := p -> 'window';
  c jsonb := p -> 'create';
  current_window bigint;
BEGIN
  INSERT INTO deliveries (id, event)
  VALUES (p -> 'delivery' ->> 'id', p -> 'delivery' ->> 'event')
  ON CONFLICT (id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN 'duplicate';
  END IF;

  IF w IS NOT NULL THEN
    -- The same advisory lock the reply-window read takes: commands of one person serialise.
    PERFORM pg_advisory_xact_lock(hashtext(format('reply-window:%s/%s#%s:%s',
      w ->> 'owner', w ->> 'repo', w ->> 'issue', w ->> 'login')));
    SELECT comment_id INTO current_window FROM reply_windows
    WHERE repo_owner = w ->> 'owner' AND repo_name = w ->> 'repo'
      AND issue_number = (w ->> 'issue')::integer AND login = w ->> 'login'
      AND opened_at > now() - make_interval(mins => (w ->> 'minutes')::integer);
    IF current_window IS DISTINCT FROM (w ->> 'seen')::bigint THEN
      RAISE EXCEPTION 'the reply window of % changed concurrently', w ->> 'login'
        USING ERRCODE = 'serialization_failure';
    END IF;
  END IF;

  IF c IS NOT NULL THEN
    INSERT INTO installations (id, account_login, account_type, settings)
    VALUES ((p -> 'installation' ->> 'id')::bigint, p -> 'installation' ->> 'account_login',
            p -> 'installation' ->> 'account_type', '{}')
    ON CONFLICT (id) DO UPDATE SET account_login = EXCLUDED.account_login,
      account_type = EXCLUDED.account_type, deleted_at = NULL;
    INSERT INTO features (id, installation_id, repo_owner, repo_name, issue_number, issue_title,
      issue_author, slug, stage, max_fix_rounds, max_ci_fix_rounds, docs, allow_self_approval,
      artifacts, approvals)
    VALUES ((c ->> 'id')::bigint, (c ->> 'installation_id')::bigint, c ->> 'repo_owner',
      c ->> 'repo_name', (c ->> 'issue_number')::integer, c ->> 'issue_title',
      c ->> 'issue_author', c ->> 'slug', c ->> 'stage', (c ->> 'max_fix_rounds')::integer,
      (c ->> 'max_ci_fix_rounds')::integer, (c ->> 'docs')::boolean,
      (c ->> 'allow_self_approval')::boolean, '{}', '{}')
    ON CONFLICT (repo_owner, repo_name, issue_number) DO NOTHING;
    IF NOT FOUND THEN
      RETURN 'ignored'; -- a concurrent delivery created it first
    END IF;
  END IF;

  IF p -> 'acted' IS NOT NULL THEN
    INSERT INTO acted_sources (feature_id, source)
    VALUES ((p -> 'acted' ->> 'feature_id')::bigint, p -> 'acted' ->> 'source')
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      RETURN 'duplicate';
    END IF;
  END IF;

  IF p -> 'message' IS NOT NULL THEN
    INSERT INTO messages (feature_id, github_comment_id, role, author, author_permission, body)
    VALUES ((p -> 'message' ->> 'feature_id')::bigint,
      (p -> 'message' ->> 'github_comment_id')::bigint, 'user', p -> 'message' ->> 'author',
      p -> 'message' ->> 'author_permission', p -> 'message' ->> 'body')
    ON CONFLICT DO NOTHING;
  END IF;

  IF w ->> 'open' IS NOT NULL THEN
    INSERT INTO reply_windows (repo_owner, repo_name, issue_number, login, comment_id)
    VALUES (w ->> 'owner', w ->> 'repo', (w ->> 'issue')::integer, w ->> 'login',
      (w ->> 'open')::bigint)
    ON CONFLICT (repo_owner, repo_name, issue_number, login)
    DO UPDATE SET comment_id = EXCLUDED.comment_id, opened_at = now();
  END IF;

  IF p -> 'unchanged' IS NOT NULL THEN
    -- FOR SHARE: a save that commits after this check waits for this transaction.
    PERFORM 1 FROM features
    WHERE id = (p -> 'unchanged' ->> 'id')::bigint
      AND version = (p -> 'unchanged' ->> 'version')::integer
    FOR SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'feature % changed concurrently', p -> 'unchanged' ->> 'id'
        USING ERRCODE = 'serialization_failure';
    END IF;
  END IF;

  IF p -> 'save' IS NOT NULL THEN
    PERFORM save_transition(p);
  ELSE
    PERFORM enqueue_outbox(p -> 'outbox');
  END IF;

  RETURN p ->> 'outcome';
END;
$$;
