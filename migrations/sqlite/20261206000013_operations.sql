-- Every change the dashboard makes in Partner Center for someone is an operation (see
-- docs/ARCHITECTURE.md, "Operations"): stored before Partner Center hears of it, sent in parts
-- whose MS-RequestIds are written down first, followed to its end, resumed after a restart, and
-- shown on its page, in the history and in the audit trail. Uploads were the only ones; an
-- upload becomes one kind among others.
--
-- What every kind has moves to `operations`: it is the old `uploads` table renamed, so every
-- upload keeps its id, state and sign-in, and one being sent during the upgrade is resumed as
-- before. What only an upload has stays in a new `uploads` table of the same ids. The parts
-- (`upload_chunks`) become `operation_parts`, numbered `part`, carrying `items`, doing `action`.
-- Replicas are upgraded together, never one at a time: an older replica cannot read this.
ALTER TABLE uploads RENAME TO operations;
-- 'upload' or 'device-deletion'
ALTER TABLE operations ADD COLUMN kind TEXT NOT NULL DEFAULT 'upload';

CREATE TABLE uploads (
    id TEXT PRIMARY KEY REFERENCES operations (id) ON DELETE CASCADE,
    -- 'file', 'paste', 'form' or 'retry'
    source TEXT NOT NULL,
    file_name TEXT,
    -- 'new' (create the batch) or 'existing' (add to it)
    target TEXT NOT NULL,
    batch_id TEXT,
    -- What the reader found about the whole input (JSON): format, encoding, columns, findings.
    report TEXT NOT NULL,
    -- A draft split into one batch per group tag: the draft it came from.
    split_from TEXT
);
INSERT INTO uploads (id, source, file_name, target, batch_id, report, split_from)
    SELECT id, source, file_name, target, batch_id, report, split_from FROM operations;

DROP INDEX uploads_by_customer;
ALTER TABLE operations DROP COLUMN source;
ALTER TABLE operations DROP COLUMN file_name;
ALTER TABLE operations DROP COLUMN target;
ALTER TABLE operations DROP COLUMN batch_id;
ALTER TABLE operations DROP COLUMN report;
ALTER TABLE operations DROP COLUMN split_from;
CREATE INDEX operations_by_customer ON operations (customer_id, created_at);

ALTER TABLE upload_chunks RENAME TO operation_parts;
ALTER TABLE operation_parts RENAME COLUMN upload_id TO operation_id;
ALTER TABLE operation_parts RENAME COLUMN chunk TO part;
ALTER TABLE operation_parts RENAME COLUMN devices TO items;
-- An upload's 'create' (the batch, with its first devices) or 'add'; a deletion's 'delete'.
ALTER TABLE operation_parts RENAME COLUMN operation TO action;

ALTER TABLE audit_events RENAME COLUMN upload_id TO operation_id;

-- The devices a deletion removes, one a part: what the person confirmed, kept after Partner
-- Center has forgotten the device.
CREATE TABLE device_deletions (
    operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    part BIGINT NOT NULL,
    batch_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    serial_number TEXT,
    product_key TEXT,
    manufacturer TEXT,
    model TEXT,
    PRIMARY KEY (operation_id, part)
);
