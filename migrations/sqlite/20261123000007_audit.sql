-- The audit trail: what people did, append-only. Sign-ins and failed sign-ins, uploads
-- submitted or resumed, devices deleted; each with who (tid, oid, UPN), the customer, the
-- time and the correlation id that ties it to the log and to Partner Center's records.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
CREATE TRIGGER audit_events_are_not_changed BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_events_are_not_deleted BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
