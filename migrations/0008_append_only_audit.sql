-- Build Practical: an audit trail that cannot be edited, and an audit of settings and key changes.

-- Refuses UPDATE, DELETE and TRUNCATE on an audit table. The one exception is the retention
-- purge, which deletes what an uninstalled installation left: it sets the transaction-local
-- `practical.purging` (SET LOCAL), so the exception ends with its transaction.
CREATE FUNCTION refuse_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND coalesce(current_setting('practical.purging', true), '') = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER feature_events_append_only
  BEFORE UPDATE OR DELETE ON feature_events
  FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER feature_events_no_truncate
  BEFORE TRUNCATE ON feature_events
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();

-- Who changed an installation's settings or model key, what, and when. Never the key itself:
-- at most its last four characters. No foreign key: the trail outlives an installation row
-- until the retention purge removes both.
CREATE TABLE settings_audit (
  id              bigserial PRIMARY KEY,
  installation_id bigint NOT NULL,
  actor           text NOT NULL,
  action          text NOT NULL,                          -- settings | model_key_set | model_key_deleted | model_key_rotated
  detail          jsonb NOT NULL DEFAULT '{}',
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX settings_audit_installation_idx ON settings_audit (installation_id, id);

CREATE TRIGGER settings_audit_append_only
  BEFORE UPDATE OR DELETE ON settings_audit
  FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER settings_audit_no_truncate
  BEFORE TRUNCATE ON settings_audit
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();
