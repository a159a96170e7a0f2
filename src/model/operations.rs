//! An operation: a change the dashboard makes in Partner Center for someone (an upload of
//! devices, the deletion of a device), stored before Partner Center hears of it and sent in
//! parts, each with its `MS-RequestId` written down first. What every kind shares lives here,
//! compiled for both targets because the pages show it; how each kind is sent lives in
//! `server::operations` and the kind's own module. See docs/ARCHITECTURE.md, "Operations".

text_enum! {
    /// What an operation does. A new kind is a variant here and a module of its own.
    pub enum OperationKind {
        /// Devices read from a file or a form, registered in a batch
        /// (`server::uploads`).
        Upload = "upload",
        /// Devices removed from their batch, one request each (`server::deletions`).
        DeviceDeletion = "device-deletion",
        /// An Autopilot profile applied to devices or removed from them, sent in parts
        /// Partner Center runs as jobs (`server::assignments`).
        ProfileAssignment = "profile-assignment",
    }
}

text_enum! {
    /// Where an operation is in its life, as stored.
    pub enum OperationState {
        /// Prepared; the person has not confirmed it yet (an upload's preview).
        Draft = "draft",
        /// Confirmed; parts are being sent to Partner Center.
        Submitting = "submitting",
        /// Every part was dealt with.
        Submitted = "submitted",
        /// Not every part could be sent; `error` says why.
        Failed = "failed",
    }
}

text_enum! {
    /// Where a part of an operation stands in being sent.
    pub enum PartState {
        /// Not sent yet, or to be sent again with its stored request id.
        Pending = "pending",
        /// Partner Center took it: gave it a tracking id, or (a deletion) did it.
        Accepted = "accepted",
        /// Partner Center refused it for a reason that says it did nothing with it.
        Refused = "refused",
        /// Its answer was lost (cut off, timed out, failing) or says nothing about its
        /// items: Partner Center may or may not have done it. Settled by looking before
        /// anything else.
        Uncertain = "uncertain",
        /// Looked at: the items Partner Center showed done count as done, and the rest went
        /// as another part, under a new request id.
        Settled = "settled",
    }
}

impl PartState {
    /// Nothing more will be sent for this part.
    pub fn is_done(self) -> bool {
        matches!(self, PartState::Accepted | PartState::Settled)
    }
}

text_enum! {
    /// What one part asks Partner Center to do.
    pub enum PartAction {
        /// Create an upload's batch, with its first devices.
        CreateBatch = "create",
        /// Add devices to an upload's batch.
        AddDevices = "add",
        /// Delete one device from its batch.
        DeleteDevice = "delete",
        /// Apply a profile to devices, or remove it (`PATCH DevicePolicyUpdates`).
        AssignProfile = "assign-profile",
    }
}

text_enum! {
    /// What became of one device of a profile assignment.
    pub enum AssignmentOutcome {
        /// Its part is not sent yet, or Partner Center has not finished with it.
        Waiting = "waiting",
        /// Partner Center applied (or removed) the profile.
        Done = "done",
        /// Partner Center reported an error for it.
        Failed = "failed",
        /// Its job ended, or Partner Center forgot it, without a word about this device.
        Unreported = "unreported",
    }
}

/// One device of a deletion, as its page shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DeletedDeviceView {
    pub batch_id: String,
    pub device_id: String,
    pub serial_number: Option<String>,
    pub model: Option<String>,
    pub state: PartState,
    /// Why it was not deleted (yet).
    pub error: Option<String>,
    pub request_id: String,
}

/// A deletion's operation page: a deletion of devices and each one's outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DeletionView {
    pub customer: super::CustomerRow,
    pub id: String,
    pub requested_by: String,
    pub requested: String,
    pub state: OperationState,
    pub error: Option<String>,
    /// One page of its devices: those not deleted first, then in the order asked.
    pub devices: Vec<DeletedDeviceView>,
    /// Of every device: how many, and how many are deleted.
    pub total: usize,
    pub deleted: usize,
    pub page: u32,
    pub has_next: bool,
    /// How many pages of devices there are.
    pub pages: Option<u32>,
    /// It failed with devices left: the person may send them again.
    pub can_retry: bool,
}

/// One device of a profile assignment, as its page shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AssignedDeviceView {
    pub batch_id: String,
    pub device_id: String,
    pub serial_number: Option<String>,
    pub model: Option<String>,
    pub outcome: AssignmentOutcome,
    /// Partner Center's code for a failure (`809`), and what it means and what to do.
    pub error_code: Option<String>,
    pub explanation: Option<String>,
}

/// How the devices of an assignment stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AssignmentCounts {
    pub total: i64,
    pub done: i64,
    /// Failed or unreported.
    pub failed: i64,
}

/// A profile assignment's operation page: a profile applied to (or removed from)
/// devices, and each device's outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AssignmentView {
    pub customer: super::CustomerRow,
    pub id: String,
    /// The profile applied; `None`: the profile was removed.
    pub profile: Option<String>,
    pub requested_by: String,
    pub requested: String,
    pub state: OperationState,
    /// Why it stopped, when not every part could be sent.
    pub error: Option<String>,
    /// Why Partner Center could not be asked how the jobs are going, the last time.
    pub check_error: Option<String>,
    /// Partner Center has not finished with every device yet.
    pub running: bool,
    pub counts: AssignmentCounts,
    /// Failures first, then those waiting, then those done; at most a few hundred (the
    /// counts cover them all).
    pub devices: Vec<AssignedDeviceView>,
    /// Its parts' tracking ids, to quote to Microsoft support.
    pub tracking_ids: Vec<String>,
    /// It failed with parts left: the person may send them again.
    pub can_retry: bool,
}

impl OperationKind {
    /// What the kind is called in a sentence ("Open the upload").
    pub fn noun(self) -> &'static str {
        match self {
            OperationKind::Upload => "upload",
            OperationKind::DeviceDeletion => "deletion",
            OperationKind::ProfileAssignment => "profile assignment",
        }
    }

    /// "This upload", as a page says that it is not here.
    pub fn this(self) -> &'static str {
        match self {
            OperationKind::Upload => "This upload",
            OperationKind::DeviceDeletion => "This deletion",
            OperationKind::ProfileAssignment => "This profile assignment",
        }
    }
}
