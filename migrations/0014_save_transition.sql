-- Build Practical: a job's transition saved in one statement (one round trip), as ingest saves a
-- delivery's (0011): the state with compare-and-set, its audit entry, approvals, the stopped
-- jobs and the outbox intents. `p` (jsonb) carries `save`, `audit`, `approvals`, `stop_jobs` and
-- `outbox` as `ingest_delivery` reads them. Returns the saved version. Another save since
-- `expected_version` raises SQLSTATE 40001 (serialization_failure) with nothing kept: the caller
-- reads the feature again and recomputes.
CREATE FUNCTION save_transition(p jsonb) RETURNS integer
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
  -- Only when there is one: the insert's trigger notifies the workers.
  IF jsonb_array_length(coalesce(p -> 'outbox', '[]')) > 0 THEN
    INSERT INTO outbox (queue, job_name, job_id, data, children)
    SELECT o ->> 'queue', o ->> 'job_name', o ->> 'job_id', o -> 'data',
      CASE WHEN jsonb_typeof(o -> 'children') = 'array' THEN o -> 'children' END
    FROM jsonb_array_elements(p -> 'outbox') o
    ON CONFLICT (job_id) DO NOTHING;
  END IF;
  RETURN saved_version;
END;
$$;
