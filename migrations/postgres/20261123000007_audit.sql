-- The audit trail: what people did, append-only. Sign-ins and failed sign-ins, uploads
-- submitted or resumed, devices deleted; each with who (tid, oid, UPN), the customer, the
-- time and the correlation id that ties it to the log and to Partner Center's records.
CREATE TABLE audit_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    action TEXT NOT NULL,
    -- 'ok' or 'failed'
    outcome TEXT NOT NULL,
    tenant_id TEXT,
    object_id TEXT,
    upn TEXT,
    customer_id TEXT,
    upload_id TEXT,
    detail TEXT NOT NULL,
    correlation_id TEXT NOT NULL
);
CREATE INDEX audit_events_by_time ON audit_events (at);
-- Rows are only ever added.
CREATE FUNCTION audit_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$;
CREATE TRIGGER audit_events_are_not_changed BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_are_append_only();
CREATE TRIGGER audit_events_are_not_emptied BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_are_append_only();
