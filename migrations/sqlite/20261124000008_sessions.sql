-- Sessions live in the dashboard's own table, read the same way on both backends, so that
-- every replica sharing the database knows every session. The table of the store used before
-- is dropped: whoever was signed in signs in once more.
DROP TABLE IF EXISTS tower_sessions;
CREATE TABLE sessions (
    -- SHA-256 of the session id (base64url): the table never holds the id a cookie carries.
    id TEXT PRIMARY KEY,
    -- The session's data as JSON: who is signed in, never a token.
    record TEXT NOT NULL,
    -- Unix seconds; the store ignores and deletes records past it.
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
