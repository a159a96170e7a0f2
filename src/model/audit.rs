//! The audit trail page's data.

use serde::{Deserialize, Serialize};

/// One event of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub when: String,
    /// `sign-in`, `sign-in-failed`, `upload-submitted`, `upload-resumed`, `device-deleted`.
    pub action: String,
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
}

/// `/audit`: newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditView {
    pub rows: Vec<AuditRow>,
    pub page: u32,
    pub has_next: bool,
}

/// An audit action in words.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "sign-in" => "Signed in",
        "sign-in-failed" => "Sign-in failed",
        "upload-submitted" => "Upload submitted",
        "upload-resumed" => "Upload resumed",
        "device-deleted" => "Device deleted",
        _ => "Other",
    }
}
