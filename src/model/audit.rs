//! The audit trail page's data.

use serde::{Deserialize, Serialize};

/// One row of the audit trail: an event of no operation (a sign-in, a profile's change), or
/// an operation: the event that started it, with what was done to it since in `later`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub when: String,
    pub action: AuditAction,
    pub ok: bool,
    /// The UPN, or `None` for a failed sign-in of someone not yet known.
    pub upn: Option<String>,
    pub tenant_id: Option<String>,
    pub object_id: Option<String>,
    pub customer_id: Option<String>,
    /// The page of the operation concerned (an upload's job page, a deletion's page), and
    /// what the link says.
    pub operation_link: Option<(String, String)>,
    pub detail: String,
    pub correlation_id: String,
    /// An operation's later events (someone sent again what it left), oldest first.
    pub later: Vec<LaterEvent>,
}

/// An event of an operation after the one that started it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaterEvent {
    pub when: String,
    pub action: AuditAction,
    pub ok: bool,
    pub upn: Option<String>,
    pub detail: String,
    pub correlation_id: String,
}

/// `/audit`: the row where something happened last first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditView {
    pub rows: Vec<AuditRow>,
    pub page: u32,
    pub has_next: bool,
    /// How many pages there are, when the count agrees with this page.
    pub pages: Option<u32>,
}

text_enum! {
    /// What an audit event records, as stored in `audit_events.action`.
    pub enum AuditAction {
        SignIn = "sign-in",
        SignInFailed = "sign-in-failed",
        UploadSubmitted = "upload-submitted",
        UploadResumed = "upload-resumed",
        DeviceDeleted = "device-deleted",
        ProfileCreated = "profile-created",
        ProfileChanged = "profile-changed",
        ProfileDeleted = "profile-deleted",
        ProfileApplied = "profile-applied",
        ProfileRemoved = "profile-removed",
    }
}

impl AuditAction {
    /// In words, as the audit page shows it.
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::SignIn => "Signed in",
            AuditAction::SignInFailed => "Sign-in failed",
            AuditAction::UploadSubmitted => "Upload submitted",
            AuditAction::UploadResumed => "Upload resumed",
            AuditAction::DeviceDeleted => "Device deleted",
            AuditAction::ProfileCreated => "Profile created",
            AuditAction::ProfileChanged => "Profile changed",
            AuditAction::ProfileDeleted => "Profile deleted",
            AuditAction::ProfileApplied => "Profile applied to devices",
            AuditAction::ProfileRemoved => "Profile removed from devices",
        }
    }
}

text_enum! {
    /// Whether what an audit event records was done, as stored in `audit_events.outcome`.
    pub enum AuditOutcome {
        Ok = "ok",
        Failed = "failed",
    }
}
