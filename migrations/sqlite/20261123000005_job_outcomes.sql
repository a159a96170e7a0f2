-- What Partner Center reports about each accepted chunk's job and about each device, stored
-- so that the job page renders at once and keeps its history after Partner Center forgets
-- the job.
-- Job status as Partner Center names it: 'queued', 'processing', 'finished',
-- 'finished_with_errors' or 'unknown'; NULL until first asked.
ALTER TABLE upload_chunks ADD COLUMN job_status TEXT;
ALTER TABLE upload_chunks ADD COLUMN started_at BIGINT;
ALTER TABLE upload_chunks ADD COLUMN completed_at BIGINT;
-- When Partner Center was last asked, successfully or not, and what went wrong if it failed.
ALTER TABLE upload_chunks ADD COLUMN checked_at BIGINT;
ALTER TABLE upload_chunks ADD COLUMN check_error TEXT;
-- NULL until Partner Center has finished with the device; then 'registered' or 'failed'.
ALTER TABLE upload_rows ADD COLUMN outcome TEXT;
ALTER TABLE upload_rows ADD COLUMN error_code TEXT;
ALTER TABLE upload_rows ADD COLUMN error_description TEXT;
ALTER TABLE upload_rows ADD COLUMN device_id TEXT;
CREATE INDEX upload_rows_by_outcome ON upload_rows (upload_id, outcome, row_number);
