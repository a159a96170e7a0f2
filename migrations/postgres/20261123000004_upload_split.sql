-- A draft split into one batch per group tag: each part remembers the draft it came from.
ALTER TABLE uploads ADD COLUMN split_from TEXT;
