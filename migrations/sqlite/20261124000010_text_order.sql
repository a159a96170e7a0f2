-- SQLite already compares text byte by byte: the PostgreSQL migration of this name gives the
-- columns it sorts the same order there. Nothing to change here.
SELECT 1;
