-- How many times the dashboard has changed each customer's batches (a part of an upload sent,
-- a device deleted), so that every replica can tell that a batch list it remembers from
-- before the last change is out of date (src/server/remembered.rs, BatchLists). Customer ids
-- are stored in lowercase.
CREATE TABLE customer_changes (
    customer_id TEXT PRIMARY KEY,
    changes BIGINT NOT NULL
);
