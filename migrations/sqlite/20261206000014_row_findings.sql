-- What was found about each row of an upload, one code a line: the preview leaves rows out
-- by what was found about them ("already registered") with an indexed lookup, instead of
-- searching the JSON text of upload_rows.findings (which stays what the pages show).
-- Written with the row, changed with its findings, gone with it.
CREATE TABLE upload_row_findings (
    upload_id TEXT NOT NULL,
    row_number INTEGER NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (upload_id, row_number, code),
    FOREIGN KEY (upload_id, row_number) REFERENCES upload_rows (upload_id, row_number)
        ON DELETE CASCADE
);

INSERT OR IGNORE INTO upload_row_findings (upload_id, row_number, code)
SELECT r.upload_id, r.row_number, json_extract(f.value, '$.code')
FROM upload_rows r, json_each(r.findings) f
WHERE json_extract(f.value, '$.code') IS NOT NULL;
