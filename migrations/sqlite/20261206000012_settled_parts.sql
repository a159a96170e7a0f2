-- A part whose answer was lost (cut off, timed out, or a refusal that says nothing about its
-- devices) is settled by looking at what Partner Center holds: its devices found in the batch
-- count as registered, and the rest go as a new part with a new request id.
-- upload_chunks.state gains 'uncertain' (answer lost, to be settled) and 'settled' (looked).
-- For a settled part: how many of its devices Partner Center listed, and the part that sends
-- the rest (NULL when none was left).
ALTER TABLE upload_chunks ADD COLUMN found BIGINT;
ALTER TABLE upload_chunks ADD COLUMN resent_as BIGINT;
-- For a part that sends again what a settled part left: that part's number. A device it is
-- answered 806 for (already in this customer) was registered by the settled part.
ALTER TABLE upload_chunks ADD COLUMN resends BIGINT;
