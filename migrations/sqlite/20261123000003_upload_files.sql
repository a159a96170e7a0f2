-- The file an upload was read from, as sent: so that another sheet of a workbook can be read
-- without sending the file again, and so that an upload can always be traced to its file.
CREATE TABLE upload_files (
    upload_id TEXT PRIMARY KEY REFERENCES uploads (id) ON DELETE CASCADE,
    content BLOB NOT NULL
);
