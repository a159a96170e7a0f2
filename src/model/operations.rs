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

/// `/customers/{id}/deletions/{operationId}`: a deletion of devices and each one's outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DeletionView {
    pub customer: super::CustomerRow,
    pub id: String,
    pub requested_by: String,
    pub requested: String,
    pub state: OperationState,
    pub error: Option<String>,
    pub devices: Vec<DeletedDeviceView>,
    /// It failed with devices left: the person may send them again.
    pub can_retry: bool,
}
