//! The preview's buttons, as plain form posts (they work with JavaScript off): remove rows,
//! change the target batch, read another sheet, split by group tag, and submit. Each reads
//! its form, asks [`super::drafts`] to do it, and answers with a redirect (303) whose address
//! says what was done ([`Done`]), so a reload never repeats the post; or with a page that
//! says why not ([`Refusal`]).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Redirect;
use axum::Form;

use super::access::load;
use super::drafts;
use super::model::Upload;
use crate::model::done::Done;
use crate::model::uploads::{AfterDiscard, RowsAction};
use crate::model::AppError;
use crate::partner_center::CustomerId;
use crate::server::auth::SignedIn;
use crate::server::caller::Caller;
use crate::server::done_about;
use crate::server::form_fields::{every, field, Fields};
use crate::server::operations::{Operation, OperationId};
use crate::server::path_ids::Ids;
use crate::server::refusal::Refusal;
use crate::server::AppState;
use crate::urls;

/// Where a change to a draft leads: back to the preview, saying what was `done`, when it was
/// made; to the job when the upload had been submitted meanwhile (another tab).
fn after_change(changed: bool, upload: &Upload, done: Done) -> Redirect {
    let Operation {
        id, customer_id, ..
    } = &upload.operation;
    match changed {
        true => Redirect::to(&urls::with_done(&urls::upload(customer_id, id), done)),
        false => Redirect::to(&urls::operation(customer_id, id)),
    }
}

/// The signed-in caller and the upload named in the path, which must be theirs: what every
/// button on the preview starts from. As an extractor, a handler cannot forget the check.
pub struct OwnUpload {
    pub(super) caller: Caller,
    pub(super) upload: Upload,
    pub(super) customer: CustomerId,
}

impl FromRequestParts<AppState> for OwnUpload {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        let Ids((customer, upload)) =
            Ids::<(CustomerId, OperationId)>::from_request_parts(parts, state).await?;
        let signed_in = SignedIn::of(&parts.extensions).ok_or(AppError::SignedOut)?;
        let caller = Caller::new(state.clone(), signed_in).await?;
        OwnUpload::of(caller, customer, &upload).await
    }
}

impl OwnUpload {
    /// The upload `id` of `customer`, when the caller is the person who started it.
    pub(crate) async fn of(
        caller: Caller,
        customer: CustomerId,
        id: &OperationId,
    ) -> Result<OwnUpload, Refusal> {
        let upload = load(&caller, &customer, id).await?;
        if upload.operation.object_id != caller.user.object_id {
            let message = format!(
                "Only {} can change or submit this upload.",
                upload.operation.upn
            );
            return Err(Refusal::new(StatusCode::FORBIDDEN, message));
        }
        Ok(Self {
            caller,
            upload,
            customer,
        })
    }
}

/// `POST …/uploads/{id}/rows`: one of the preview's row buttons ([`RowsAction`]), with the
/// ticked rows as `row` fields.
pub async fn rows(own: OwnUpload, Form(fields): Fields) -> Result<Redirect, Refusal> {
    let action = field(&fields, "action")
        .and_then(|action| RowsAction::try_from(action).ok())
        .ok_or_else(|| Refusal::new(StatusCode::BAD_REQUEST, "Unknown action."))?;
    let ticked: Vec<u32> = every(&fields, "row")
        .filter_map(|row| row.parse().ok())
        .collect();
    let changed = drafts::change_rows(&own.caller, &own.upload, action, &ticked).await?;
    let done = match action {
        RowsAction::RestoreSelected => Done::RowsRestored,
        _ => Done::RowsRemoved,
    };
    Ok(after_change(changed, &own.upload, done))
}

/// `POST …/uploads/{id}/target`: `target=existing&existing_batch=…` or
/// `target=new&batch_name=…`.
pub async fn target(own: OwnUpload, Form(fields): Fields) -> Result<Redirect, Refusal> {
    let batch = super::batch_choice::batch_choice(
        field(&fields, "target"),
        field(&fields, "batch_name"),
        field(&fields, "existing_batch"),
    )?;
    let changed = drafts::choose_batch(&own.caller, &own.upload, batch).await?;
    Ok(after_change(changed, &own.upload, Done::BatchChanged))
}

/// `POST …/uploads/{id}/submit`: the draft becomes a submission once — a double click, a
/// reload or a resubmitted form lands on the same job — and is sent in the background.
pub async fn submit(own: OwnUpload) -> Result<Redirect, Refusal> {
    drafts::submit(&own.caller, &own.upload, &own.customer).await?;
    let Operation {
        id, customer_id, ..
    } = &own.upload.operation;
    Ok(Redirect::to(&urls::operation(customer_id, id)))
}

/// `POST …/uploads/{id}/sheet` with `sheet=…`: reads another sheet of the uploaded workbook
/// in place of the one chosen first.
pub async fn sheet(own: OwnUpload, Form(fields): Fields) -> Result<Redirect, Refusal> {
    let sheet = field(&fields, "sheet").unwrap_or_default();
    let changed = drafts::read_sheet(&own.caller, &own.upload, &own.customer, sheet).await?;
    Ok(after_change(changed, &own.upload, Done::SheetRead))
}

/// `POST …/uploads/{id}/discard` with `then` ([`AfterDiscard`]: `new-upload`, `uploads` or
/// `customer-uploads`): the draft and its file deleted, then a new upload form or that
/// history, saying which draft went. A draft submitted meanwhile is not discarded: its job page says so.
pub async fn discard(own: OwnUpload, Form(fields): Fields) -> Result<Redirect, Refusal> {
    let then = field(&fields, "then")
        .and_then(|then| AfterDiscard::try_from(then).ok())
        .ok_or_else(|| Refusal::new(StatusCode::BAD_REQUEST, "Unknown place to go next."))?;
    if !drafts::discard(&own.caller, &own.upload).await? {
        return Ok(after_change(false, &own.upload, Done::DraftDiscarded));
    }
    let customer = own.customer.to_string();
    let next = match then {
        AfterDiscard::NewUpload => urls::new_upload(&customer),
        AfterDiscard::AllUploads => "/uploads".to_string(),
        AfterDiscard::CustomerUploads => urls::customer_uploads(&customer),
    };
    let next = urls::with_done(&next, Done::DraftDiscarded);
    let draft = own.upload.source.describe(own.upload.file_name.as_deref());
    Ok(Redirect::to(&done_about::naming(
        &own.caller.state.cipher,
        &next,
        &draft,
    )))
}

/// `POST …/uploads/{id}/split`: one new draft per group tag, each into a new batch named
/// after its tag.
pub async fn split(own: OwnUpload) -> Result<Redirect, Refusal> {
    let changed = drafts::split_by_group_tag(&own.caller, &own.upload).await?;
    Ok(after_change(changed, &own.upload, Done::SplitByGroupTag))
}
