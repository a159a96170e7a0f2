-- An Autopilot profile applied to devices, or removed from them (PATCH DevicePolicyUpdates),
-- is an operation of its own kind ('profile-assignment'): its parts carry up to a setting's
-- number of devices each, are answered with a tracking id, and are followed through
-- batchJobStatus until Partner Center has said what became of every device.

-- Which profile: its id and its name as the person chose it. No id: the profile is removed.
CREATE TABLE profile_assignments (
    operation_id TEXT PRIMARY KEY REFERENCES operations (id) ON DELETE CASCADE,
    profile_id TEXT,
    profile_name TEXT
);

-- The devices, in the order chosen, each in the part that carries it, with what Partner
-- Center said of it: 'waiting', 'done', 'failed' or 'unreported' (its job ended, or was
-- forgotten, without a word about it).
CREATE TABLE profile_assignment_devices (
    operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    part INTEGER NOT NULL,
    batch_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    serial_number TEXT,
    model TEXT,
    outcome TEXT NOT NULL DEFAULT 'waiting',
    error_code TEXT,
    error_description TEXT,
    PRIMARY KEY (operation_id, position)
);
CREATE INDEX profile_assignment_devices_by_part
    ON profile_assignment_devices (operation_id, part);
