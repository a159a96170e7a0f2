//! The audit trail's server function.

use leptos::prelude::*;

use crate::model::audit::AuditView;
use crate::model::AppError;

#[server(output = crate::api::codec::Answer)]
pub async fn audit_trail(page: u32) -> Result<AuditView, AppError> {
    crate::server::audit::page(page).await
}
