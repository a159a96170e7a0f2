-- The sign-in that submitted (or resumed) an upload: after a restart, the dashboard resumes
-- the upload's unsent parts and follows its jobs with that sign-in's token.
ALTER TABLE uploads ADD COLUMN sign_in_id TEXT;
