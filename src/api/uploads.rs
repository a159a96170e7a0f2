//! The uploads' server functions.

use leptos::prelude::*;

use crate::model::uploads::{HistoryView, JobView, PreviewView, UploadFormView};
use crate::model::AppError;

#[server]
pub async fn upload_form(customer_id: String) -> Result<UploadFormView, AppError> {
    crate::server::uploads::views::upload_form(customer_id).await
}

#[server]
pub async fn upload_preview(
    customer_id: String,
    upload_id: String,
    page: u32,
    only_findings: bool,
) -> Result<PreviewView, AppError> {
    crate::server::uploads::views::upload_preview(customer_id, upload_id, page, only_findings).await
}

#[server]
pub async fn upload_job(
    customer_id: String,
    upload_id: String,
    show: String,
    page: u32,
) -> Result<JobView, AppError> {
    crate::server::uploads::views::upload_job(customer_id, upload_id, show, page).await
}

#[server]
pub async fn upload_history(
    customer_id: Option<String>,
    status: String,
    user: String,
    page: u32,
) -> Result<HistoryView, AppError> {
    crate::server::uploads::history::upload_history(customer_id, status, user, page).await
}
