//! The job page's buttons, as plain form posts: send the remaining parts of a failed
//! submission, and start a new draft from the rows that failed. Like the preview's
//! ([`super::actions`]), each answers with a redirect or a page that says why not.

use axum::http::StatusCode;
use axum::response::Redirect;

use super::actions::{audit_upload, OwnUpload};
use super::intake::new_draft;
use super::judging::check_rows;
use super::store::RowFilter;
use crate::ingest::TypedRow;
use crate::model::audit::AuditAction;
use crate::model::uploads::{BatchTarget, UploadSource};
use crate::server::caller::open_customer;
use crate::server::refusal::Refusal;
use crate::server::unix_now;
use crate::urls;

/// `POST /customers/{id}/jobs/{uploadId}/resume`: sends what a failed submission left
/// unsent: a part never answered with the request id it was first sent with, a refused one
/// under a new id, and one whose answer was lost after looking at what Partner Center holds
/// ([`Store::resume_operation`](crate::server::store::Store::resume_operation)).
pub async fn resume(OwnUpload { caller, upload, .. }: OwnUpload) -> Result<Redirect, Refusal> {
    let now = unix_now();
    let resumed = caller
        .state
        .store
        .resume_operation(&upload.operation.id, &caller.user.sign_in_id, now)
        .await?;
    if resumed {
        tracing::info!(upload = %upload.operation.id, "submission resumed");
        audit_upload(
            &caller,
            &upload,
            AuditAction::UploadResumed,
            "The parts left unsent were sent again.".into(),
        )
        .await;
        tokio::spawn(super::submit::run(
            caller.state.clone(),
            caller.user.clone(),
            upload.operation.id.clone(),
        ));
    }
    Ok(Redirect::to(&urls::job(&upload.operation.customer_id, &upload.operation.id)))
}

/// `POST /customers/{id}/jobs/{uploadId}/retry`: a new draft with the rows that failed, for
/// the same batch, read and checked again like any upload; the user lands on its preview.
pub async fn retry(
    OwnUpload {
        caller,
        upload,
        customer: id,
        ..
    }: OwnUpload,
) -> Result<Redirect, Refusal> {
    let failed = caller
        .state
        .store
        .rows(&upload.operation.id, RowFilter::Failed, 0, i64::MAX)
        .await?;
    if failed.is_empty() {
        return Err(Refusal::new(
            StatusCode::CONFLICT,
            "No device of this upload failed: there is nothing to retry.",
        ));
    }
    let typed: Vec<TypedRow> = failed.into_iter().map(|row| row.device.into()).collect();
    let ingested = crate::ingest::read_typed(&typed)
        .map_err(|e| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let customer = open_customer(&caller, &id).await?;
    let (report, rows) = check_rows(&caller, &id, ingested).await;
    let name = format!(
        "failed rows of {}",
        upload.file_name.as_deref().unwrap_or("an upload")
    );
    let batch = upload.batch_id.clone().unwrap_or_default();
    let draft = new_draft(
        &caller,
        &customer,
        UploadSource::Retry,
        Some(name),
        (BatchTarget::Existing, batch),
        report,
    );
    caller.state.store.insert_draft(&draft, None, &rows).await?;
    tracing::info!(upload = %upload.operation.id, retry = %draft.operation.id, "failed rows put in a new draft");
    Ok(Redirect::to(&urls::upload(&upload.operation.customer_id, &draft.operation.id)))
}
