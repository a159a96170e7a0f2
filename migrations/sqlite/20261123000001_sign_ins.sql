-- A signed-in user's delegated tokens live here, encrypted, never in the session cookie or
-- the session record. Portable SQL: SQLite now, PostgreSQL later, the same queries.
CREATE TABLE sign_ins (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    upn TEXT NOT NULL,
    display_name TEXT NOT NULL,
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    access_expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The customers a user opened lately, shown first in the customer picker.
CREATE TABLE recent_customers (
    tenant_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    company_name TEXT NOT NULL,
    domain TEXT NOT NULL,
    used_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, object_id, customer_id)
);
