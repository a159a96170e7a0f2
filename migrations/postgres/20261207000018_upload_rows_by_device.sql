-- A device export gives each device the hardware hash the dashboard uploaded it with, when it
-- did (Partner Center lists no hashes): found by the id Partner Center gave the device.
CREATE INDEX upload_rows_by_device ON upload_rows (device_id) WHERE device_id IS NOT NULL;
