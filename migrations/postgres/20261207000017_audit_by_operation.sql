-- The audit trail shows an operation as one row: the event that started it, with the events
-- of each later "send again" under it. Both are found by the operation's id.
CREATE INDEX audit_events_by_operation ON audit_events (operation_id, id);
