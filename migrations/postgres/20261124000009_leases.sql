-- Work that one replica at a time must do (sending an upload's parts, following its jobs,
-- asking for their status), by name such as 'submit:<upload id>'. The holder renews its
-- lease while it works and deletes it when done; a lease past `expires_at` (unix seconds)
-- belongs to a replica that died, and another takes the work over (src/server/leases.rs).
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    -- The replica (host and port) and, within it, the task that holds the lease.
    replica TEXT NOT NULL,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
