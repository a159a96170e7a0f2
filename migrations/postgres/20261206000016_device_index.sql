-- An index of the partner's devices, to find one by serial number, product key or hardware
-- hash across customers: Partner Center has no such call, lists devices 100 a page per
-- batch, and returns no hashes. Each customer is read whole (its batches, then each batch's
-- devices) on the sign-in of someone who opened it, and its rows replaced in one
-- transaction; the dashboard's own changes update it at once.

-- What is known of each customer's index: when it was last read whole, on which sign-in,
-- and why the last read failed. Kept when that sign-in ends: then shown as stale.
CREATE TABLE device_index_customers (
    tenant_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    customer_name TEXT NOT NULL,
    sign_in_id TEXT,
    checked_at BIGINT,
    error TEXT,
    PRIMARY KEY (tenant_id, customer_id)
);

-- One row per device. serial_key: the serial number lowercased by the dashboard (the same on
-- both databases), for exact and prefix search; hash_digest: SHA-256 (hex) of the decoded
-- hardware hash, known only for devices the dashboard uploaded.
CREATE TABLE device_index (
    tenant_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    serial_number TEXT,
    serial_key TEXT COLLATE "C",
    product_key TEXT,
    hash_digest TEXT,
    manufacturer TEXT,
    model TEXT,
    profile_id TEXT,
    profile_name TEXT,
    uploaded_at BIGINT,
    PRIMARY KEY (tenant_id, customer_id, device_id)
);
CREATE INDEX device_index_by_serial ON device_index (tenant_id, serial_key);
CREATE INDEX device_index_by_product_key ON device_index (tenant_id, product_key);
CREATE INDEX device_index_by_hash ON device_index (tenant_id, hash_digest);
