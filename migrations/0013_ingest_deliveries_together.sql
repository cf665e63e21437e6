-- Build Practical: several webhook deliveries written in one statement and one commit.
--
-- The web role sends the writes of the deliveries that arrive while one is being written
-- together (src/adapters/store/ingest-batch.ts): one round trip and one commit for all of them.
-- `batch` is a jsonb array of `ingest_delivery` parameters (migration 0011). Each element runs
-- in its own subtransaction: a conflict in one undoes that one only. Returns a jsonb array, in
-- the same order, of one of
--   {"outcome": "applied" | "ignored" | "duplicate"}  written (or nothing to write)
--   {"conflict": message}   what it was computed from changed, or it would have waited for a
--                           lock too long: nothing of it is kept, the caller retries it alone
--   {"error": message, "code": sqlstate}  it failed: nothing of it is kept
-- Two elements for one issue see each other's writes in order, as if written one after the
-- other: the second, computed on the state before the first, ends in a conflict.
CREATE FUNCTION ingest_deliveries(batch jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  element jsonb;
  outcomes jsonb := '[]';
BEGIN
  -- One element waiting for a lock (a job saving the feature) would hold up the whole batch;
  -- it gives up after a while instead and is retried alone, waiting there.
  PERFORM set_config('lock_timeout', '500ms', true);
  FOR element IN SELECT value FROM jsonb_array_elements(batch) LOOP
    BEGIN
      outcomes := outcomes || jsonb_build_array(jsonb_build_object('outcome', ingest_delivery(element)));
    EXCEPTION
      WHEN serialization_failure OR deadlock_detected OR lock_not_available THEN
        outcomes := outcomes || jsonb_build_array(jsonb_build_object('conflict', SQLERRM));
      WHEN OTHERS THEN
        outcomes := outcomes || jsonb_build_array(jsonb_build_object('error', SQLERRM, 'code', SQLSTATE));
    END;
  END LOOP;
  RETURN outcomes;
END;
$$;
