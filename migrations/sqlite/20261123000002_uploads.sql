-- Every upload is stored before Partner Center hears of it, so nothing is lost: first as a
-- draft (read and validated, shown as a preview), then submitted in chunks whose
-- MS-RequestIds are written down before each call, so a retry or a restart repeats the same
-- request instead of creating a second batch.
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    customer_name TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    upn TEXT NOT NULL,
    -- 'file', 'paste' or 'form'
    source TEXT NOT NULL,
    file_name TEXT,
    -- 'new' (create the batch) or 'existing' (add to it)
    target TEXT NOT NULL,
    batch_id TEXT,
    -- 'draft', 'submitting', 'submitted', 'failed'
    state TEXT NOT NULL,
    -- What the reader found about the whole input (JSON): format, encoding, columns, findings.
    report TEXT NOT NULL,
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    submitted_at BIGINT
);
CREATE INDEX uploads_by_customer ON uploads (customer_id, created_at);

CREATE TABLE upload_rows (
    upload_id TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    row_number INTEGER NOT NULL,
    serial_number TEXT,
    product_key TEXT,
    hardware_hash TEXT,
    manufacturer TEXT,
    model TEXT,
    group_tag TEXT,
    -- The findings about this row (JSON array), and whether one is an error.
    findings TEXT NOT NULL,
    has_error INTEGER NOT NULL,
    -- Removed by the user in the preview; never sent.
    excluded INTEGER NOT NULL DEFAULT 0,
    chunk INTEGER,
    PRIMARY KEY (upload_id, row_number)
);

CREATE TABLE upload_chunks (
    upload_id TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    chunk INTEGER NOT NULL,
    -- 'create' (the first chunk of a new batch) or 'add'
    operation TEXT NOT NULL,
    request_id TEXT NOT NULL,
    devices INTEGER NOT NULL,
    -- 'pending', 'accepted' (tracking_id set) or 'refused' (error set)
    state TEXT NOT NULL,
    tracking_id TEXT,
    error TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (upload_id, chunk)
);
