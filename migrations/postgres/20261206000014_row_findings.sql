-- What was found about each row of an upload, one code a line: the preview leaves rows out
-- by what was found about them ("already registered") with an indexed lookup, instead of
-- searching the JSON text of upload_rows.findings (which stays what the pages show).
-- Written with the row, changed with its findings, gone with it.
CREATE TABLE upload_row_findings (
    upload_id TEXT NOT NULL,
    row_number BIGINT NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (upload_id, row_number, code),
    FOREIGN KEY (upload_id, row_number) REFERENCES upload_rows (upload_id, row_number)
        ON DELETE CASCADE
);

INSERT INTO upload_row_findings (upload_id, row_number, code)
SELECT DISTINCT r.upload_id, r.row_number, f.value ->> 'code'
FROM upload_rows r CROSS JOIN LATERAL json_array_elements(r.findings::json) AS f(value)
WHERE f.value ->> 'code' IS NOT NULL;
