//! The preview's buttons, as plain form posts (they work with JavaScript off): remove rows,
//! change the target batch, and submit. Each answers with a redirect (303), so a reload
//! never repeats the post, or with a page that says why not.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;

use super::chunks::Claim;
use super::intake::{chosen_batch, read_input, Input};
use super::judging::check_rows;
use super::store::Upload;
use super::views::{batch_names, load};
use crate::ingest::Check;
use crate::model::operations::OperationState;
use crate::model::AppError;
use crate::partner_center::{BatchId, CustomerId};
use crate::model::audit::AuditAction;
use crate::server::audit::{self, Actor, Event};
use crate::server::auth::SignedIn;
use crate::server::caller::Caller;
use crate::server::operations::OperationId;
use crate::server::path_ids::Ids;
use crate::server::refusal::Refusal;
use crate::server::{unix_now, AppState};
use crate::urls;

pub(super) type Fields = Form<Vec<(String, String)>>;

pub(super) const NOTHING_INCLUDED: &str = "Every row was removed: there is nothing to submit.";

pub(super) fn rows_with_errors(errors: i64) -> String {
    format!(
        "{errors} row(s) still have errors. Remove them (or fix the file and upload it again) \
         before submitting."
    )
}

pub(super) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Where a change to a draft leads: back to the preview when it was made, to the job when
/// the upload had been submitted meanwhile (another tab).
fn after_change(changed: bool, customer_id: &str, upload_id: &str) -> Response {
    match changed {
        true => Redirect::to(&urls::upload(customer_id, upload_id)).into_response(),
        false => Redirect::to(&urls::job(customer_id, upload_id)).into_response(),
    }
}

pub(super) async fn audit_upload(caller: &Caller, upload: &Upload, action: AuditAction, detail: String) {
    audit::record(
        &caller.state,
        Event {
            action,
            ok: true,
            actor: Actor::from(&caller.user),
            customer_id: Some(upload.operation.customer_id.clone()),
            operation_id: Some(upload.operation.id.clone()),
            detail,
            correlation_id: caller.ctx.correlation_id,
        },
    )
    .await;
}

/// The signed-in caller and the upload named in the path, which must be theirs: what every
/// button on the preview starts from. As an extractor, a handler cannot forget the check.
pub struct OwnUpload {
    pub(super) caller: Caller,
    pub(super) upload: Upload,
    pub(super) customer: CustomerId,
}

impl FromRequestParts<AppState> for OwnUpload {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Ids((customer, upload)) =
            Ids::<(CustomerId, OperationId)>::from_request_parts(parts, state)
                .await
                .map_err(IntoResponse::into_response)?;
        let refuse = |e: AppError| Refusal::from(e).into_response();
        let signed_in = SignedIn::of(&parts.extensions)
            .ok_or(AppError::SignedOut)
            .map_err(refuse)?;
        let caller = Caller::new(state.clone(), signed_in)
            .await
            .map_err(refuse)?;
        let upload = load(&caller, &customer.to_string(), &upload.to_string())
            .await
            .map_err(refuse)?;
        if upload.operation.object_id != caller.user.object_id {
            let message = format!("Only {} can change or submit this upload.", upload.operation.upn);
            return Err(Refusal::new(StatusCode::FORBIDDEN, message).into_response());
        }
        Ok(Self {
            caller,
            upload,
            customer,
        })
    }
}

/// `POST …/uploads/{id}/rows`: `action` = `remove-selected` (with `row` fields),
/// `remove-errors`, `remove-registered` or `restore-all`.
pub async fn rows(
    OwnUpload { caller, upload, .. }: OwnUpload,
    Form(fields): Fields,
) -> Result<Response, Refusal> {
    if upload.operation.state != OperationState::Draft {
        return Ok(Redirect::to(&urls::job(&upload.operation.customer_id, &upload.operation.id)).into_response());
    }
    let store = &caller.state.store;
    match field(&fields, "action") {
        Some("remove-selected") => {
            let rows: Vec<u32> = fields
                .iter()
                .filter(|(k, _)| k == "row")
                .filter_map(|(_, v)| v.parse().ok())
                .collect();
            store.set_excluded(&upload.operation.id, &rows, true).await?
        }
        Some("restore-selected") => {
            let rows: Vec<u32> = fields
                .iter()
                .filter(|(k, _)| k == "row")
                .filter_map(|(_, v)| v.parse().ok())
                .collect();
            store.set_excluded(&upload.operation.id, &rows, false).await?
        }
        Some("remove-errors") => store.exclude_where(&upload.operation.id, true, None).await?,
        Some("remove-registered") => {
            store
                .exclude_where(&upload.operation.id, false, Some(&Check::AlreadyRegistered.code()))
                .await?
        }
        _ => return Err(Refusal::new(StatusCode::BAD_REQUEST, "Unknown action.")),
    };
    store.recheck_duplicates(&upload.operation.id).await?;
    Ok(Redirect::to(&urls::upload(&upload.operation.customer_id, &upload.operation.id)).into_response())
}

/// `POST …/uploads/{id}/target`: `target=existing&existing_batch=…` or
/// `target=new&batch_name=…`.
pub async fn target(
    OwnUpload { caller, upload, .. }: OwnUpload,
    Form(fields): Fields,
) -> Result<Response, Refusal> {
    let (target, batch) = chosen_batch(
        field(&fields, "target"),
        field(&fields, "batch_name"),
        field(&fields, "existing_batch"),
    )?;
    let now = unix_now();
    let changed = caller
        .state
        .store
        .set_target(&upload.operation.id, target, batch.as_str(), now)
        .await?;
    Ok(after_change(changed, &upload.operation.customer_id, &upload.operation.id))
}

/// `POST …/uploads/{id}/submit`: the draft becomes a submission once — a double click, a
/// reload or a resubmitted form lands on the same job — and is sent in the background.
pub async fn submit(
    OwnUpload {
        caller,
        upload,
        customer,
    }: OwnUpload,
) -> Result<Response, Refusal> {
    let job = Redirect::to(&urls::job(&upload.operation.customer_id, &upload.operation.id)).into_response();
    if upload.operation.state != OperationState::Draft {
        return Ok(job);
    }
    let store = &caller.state.store;
    let counts = store.row_counts(&upload.operation.id).await?;
    let unprocessable = |message: &str| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, message);
    if counts.errors > 0 {
        return Err(unprocessable(&rows_with_errors(counts.errors)));
    }
    if counts.included() == 0 {
        return Err(unprocessable(NOTHING_INCLUDED));
    }
    let batch = upload.batch_id.clone().unwrap_or_default();
    let names = batch_names(&caller, &customer).await?;
    let taken = BatchId::parse(&batch)
        .ok()
        .and_then(|b| names.iter().find(|n| b.same_batch_as(n)).cloned());
    match (upload.target.is_new(), taken) {
        (true, Some(existing)) => {
            let message = format!("A batch named “{existing}” already exists for this customer. On the preview, choose to add the devices to it, or give the new batch another name.");
            return Err(Refusal::new(StatusCode::CONFLICT, message));
        }
        (false, None) => {
            let message = format!("The batch “{batch}” no longer exists for this customer. On the preview, create it as a new batch or pick another.");
            return Err(Refusal::new(StatusCode::CONFLICT, message));
        }
        _ => {}
    }
    let now = unix_now();
    let claim = store
        .begin_submission(
            &upload.operation.id,
            &caller.user.sign_in_id,
            caller.state.config.upload_chunk_size,
            now,
        )
        .await?;
    match claim {
        Claim::Claimed => {
            tracing::info!(upload = %upload.operation.id, devices = counts.included(), "upload submitted");
            let into = if upload.target.is_new() {
                "the new batch"
            } else {
                "the batch"
            };
            audit_upload(
                &caller,
                &upload,
                AuditAction::UploadSubmitted,
                format!(
                    "{} device(s) from {} into {into} “{batch}”.",
                    counts.included(),
                    upload
                        .file_name
                        .as_deref()
                        .unwrap_or("typed or pasted rows"),
                ),
            )
            .await;
            tokio::spawn(super::submit::run(
                caller.state.clone(),
                caller.user.clone(),
                upload.operation.id.clone(),
            ));
            Ok(job)
        }
        Claim::NotDraft => Ok(job),
        Claim::RowsWithErrors(errors) => Err(unprocessable(&rows_with_errors(errors))),
        Claim::NothingIncluded => Err(unprocessable(NOTHING_INCLUDED)),
    }
}

/// `POST …/uploads/{id}/sheet` with `sheet=…`: reads another sheet of the uploaded workbook
/// in place of the one chosen first.
pub async fn sheet(
    OwnUpload {
        caller,
        upload,
        customer,
    }: OwnUpload,
    Form(fields): Fields,
) -> Result<Response, Refusal> {
    let wanted = field(&fields, "sheet").unwrap_or_default().to_string();
    let file = caller
        .state
        .store
        .upload_file(&upload.operation.id)
        .await?
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::CONFLICT,
                "This upload did not come from a workbook.",
            )
        })?;
    let limits = crate::ingest::Limits {
        max_rows: caller.state.config.upload_max_rows,
        ..Default::default()
    };
    let input = Input::File {
        name: upload.file_name.as_deref(),
        bytes: file.into(),
        sheet: Some(&wanted),
    };
    let (_, _, ingested) = read_input(&caller, input, limits).await?;
    let (report, rows) = check_rows(&caller, &customer, ingested).await;
    let now = unix_now();
    let changed = caller
        .state
        .store
        .replace_draft_rows(&upload.operation.id, &report, &rows, now)
        .await?;
    Ok(after_change(changed, &upload.operation.customer_id, &upload.operation.id))
}

/// `POST …/uploads/{id}/split`: one new draft per group tag, each into a new batch named
/// after its tag (Partner Center's batch name is the devices' group tag).
pub async fn split(OwnUpload { caller, upload, .. }: OwnUpload) -> Result<Response, Refusal> {
    let store = &caller.state.store;
    let tags = store.group_tags(&upload.operation.id).await?;
    if tags.is_empty() {
        return Err(Refusal::new(
            StatusCode::CONFLICT,
            "No row has a group tag: there is nothing to split.",
        ));
    }
    if let Some((tag, why)) = tags
        .iter()
        .find_map(|(tag, _)| BatchId::parse(tag).err().map(|why| (tag, why)))
    {
        let message = format!("The group tag “{tag}” cannot be a batch name ({why}). Fix it in the file and upload again.");
        return Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, message));
    }
    let mut report = upload.report.clone();
    report.findings.retain(|f| f.check != Check::GroupTagPerRow);
    // The parts keep no file of their own: no other sheet to read.
    report.sheets.clear();
    let now = unix_now();
    let changed = store.split_by_group_tag(&upload.operation.id, &report, now).await?;
    if changed {
        tracing::info!(upload = %upload.operation.id, parts = tags.len(), "upload split by group tag");
    }
    Ok(after_change(changed, &upload.operation.customer_id, &upload.operation.id))
}
