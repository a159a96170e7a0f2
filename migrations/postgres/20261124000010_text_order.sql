-- Text the dashboard sorts or groups compares byte by byte, as in SQLite, whatever locale the
-- database was created with (an English one puts "lab-2" before "Sales", and lowers "É").
ALTER TABLE upload_rows ALTER COLUMN group_tag TYPE TEXT COLLATE "C";
ALTER TABLE uploads ALTER COLUMN upn TYPE TEXT COLLATE "C";
ALTER TABLE uploads ALTER COLUMN batch_id TYPE TEXT COLLATE "C";
ALTER TABLE leases ALTER COLUMN name TYPE TEXT COLLATE "C";
