//! The uploads' server functions.

use leptos::prelude::*;

use crate::model::uploads::{HistoryView, PreviewView, UploadFormView, UploadStatus};
use crate::model::AppError;

#[server(output = crate::api::codec::Answer)]
pub async fn upload_form(customer_id: String) -> Result<UploadFormView, AppError> {
    use crate::server::path_ids::from_address;
    crate::server::uploads::views::upload_form(from_address(&customer_id)?).await
}

#[server(output = crate::api::codec::Answer)]
pub async fn upload_preview(
    customer_id: String,
    upload_id: String,
    page: u32,
    only_findings: bool,
) -> Result<PreviewView, AppError> {
    use crate::server::path_ids::from_address;
    let upload = (from_address(&customer_id)?, from_address(&upload_id)?);
    crate::server::uploads::views::upload_preview(upload, page, only_findings).await
}

#[server(output = crate::api::codec::Answer)]
pub async fn refused_device(
    customer_id: String,
    upload_id: String,
    row: u32,
) -> Result<crate::model::devices::RefusedDeviceView, AppError> {
    use crate::server::path_ids::from_address;
    let upload = (from_address(&customer_id)?, from_address(&upload_id)?);
    crate::server::uploads::refused::refused_device(upload, row).await
}

#[server(output = crate::api::codec::Answer)]
pub async fn upload_history(
    customer_id: Option<String>,
    status: Option<UploadStatus>,
    user: String,
    page: u32,
) -> Result<HistoryView, AppError> {
    use crate::server::path_ids::from_address;
    let customer = customer_id.as_deref().map(from_address).transpose()?;
    crate::server::operation_pages::history::history(customer, status, user, page).await
}
