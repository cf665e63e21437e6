-- Build Practical: a webhook's consequence written in one statement, and the outbox announced.

-- Every insert into the outbox notifies `practical_outbox` when its transaction commits (NOTIFY
-- is delivered on commit, and repeats of one notification in a transaction are folded into
-- one): the workers LISTEN on the channel and relay at once. Whoever writes the outbox, the web
-- role's ingest or a job, need not know who relays it.
CREATE FUNCTION notify_outbox() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('practical_outbox', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify
  AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();

-- Records a webhook delivery and what it changes, as the web role computed it from the feature
-- it read, in one statement (one round trip, one transaction). `p` (jsonb) carries:
--   delivery   {id, event}                          dedupe: a delivery seen before changes nothing
--   window     {owner, repo, issue, login, seen, open}
--              the reply window the command was read with (`seen`: its comment id or null);
--              another one opened since is a conflict. `open`: the comment that opens it now.
--   installation {id, account_login, account_type}  ensured when a feature is created
--   create     a new feature row (its id drawn beforehand); the issue has one already: 'ignored'
--   acted      {feature_id, source}                 acted on before (another delivery): 'duplicate'
--   message    {feature_id, github_comment_id, author, author_permission, body}
--   unchanged  {id, version}                       a transition that changed nothing was judged
--              on this version: another save since is a conflict
--   save       {id, expected_version, stage, checkpoint, fix_rounds, ci_fix_rounds, artifacts,
--               approvals, failure_reason, protected_pending}
--              compare-and-set: another save since `expected_version` is a conflict
--   audit      {actor, event, from_stage, detail}   the transition's audit entry
--   approvals  [{gate, approver, artifact_version}]
--   stop_jobs  true: jobs started before this version are superseded
--   outbox     [{queue, job_name, job_id, data, children}]
--   outcome    'applied' | 'ignored', returned when nothing above ended it early
-- A conflict raises SQLSTATE 40001 (serialization_failure): nothing is kept, the caller reads
-- the feature again and recomputes.
CREATE FUNCTION ingest_delivery(p jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  w jsonb := p -> 'window';
  c jsonb := p -> 'create';
  s jsonb := p -> 'save';
  current_window bigint;
  the_feature bigint := coalesce((s ->> 'id')::bigint, (c ->> 'id')::bigint);
  saved_version integer;
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

  IF s IS NOT NULL THEN
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
      stage_entered_at = CASE WHEN stage = s ->> 'stage' THEN stage_entered_at ELSE now() END
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
    IF (p ->> 'stop_jobs')::boolean THEN
      UPDATE features SET stopped_version = greatest(stopped_version, saved_version)
      WHERE id = the_feature;
    END IF;
  END IF;

  -- Only when there is one: the insert's trigger notifies the workers.
  IF jsonb_array_length(coalesce(p -> 'outbox', '[]')) > 0 THEN
    INSERT INTO outbox (queue, job_name, job_id, data, children)
    SELECT o ->> 'queue', o ->> 'job_name', o ->> 'job_id', o -> 'data',
      CASE WHEN jsonb_typeof(o -> 'children') = 'array' THEN o -> 'children' END
    FROM jsonb_array_elements(p -> 'outbox') o
    ON CONFLICT (job_id) DO NOTHING;
  END IF;

  RETURN p ->> 'outcome';
END;
$$;
