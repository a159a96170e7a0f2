//! An upload's buttons on its operation page, as plain form posts: send the remaining parts of a failed
//! submission, and start a new draft from the rows that failed. Like the preview's
//! ([`super::actions`]), each answers with a redirect or a page that says why not.

use axum::response::Redirect;

use super::actions::OwnUpload;
use super::drafts;
use crate::model::done::Done;
use crate::server::refusal::Refusal;
use crate::urls;

/// Sends what a failed submission left unsent ([`drafts::resume`]): an upload's part of
/// `POST …/operations/{operationId}/resume` (`server::operation_pages::resume`).
pub async fn resume(own: OwnUpload) -> Result<Redirect, Refusal> {
    let job = urls::operation(own.upload.operation.customer_id, own.upload.operation.id);
    Ok(match drafts::resume(&own.caller, &own.upload).await? {
        true => Redirect::to(&urls::with_done(&job, Done::Resumed)),
        // Not failed (a second click, another tab): the job page says where it stands.
        false => Redirect::to(&job),
    })
}

/// `POST /customers/{id}/operations/{uploadId}/retry`: a new draft with the rows that failed, for
/// the same batch, read and checked again like any upload; the user lands on its preview.
pub async fn retry(own: OwnUpload) -> Result<Redirect, Refusal> {
    let draft = drafts::retry_failed(&own.caller, &own.upload, &own.customer).await?;
    let preview = urls::upload(draft.operation.customer_id, draft.operation.id);
    Ok(Redirect::to(&urls::with_done(
        &preview,
        Done::FailedRowsCopied,
    )))
}
