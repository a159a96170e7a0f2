//! The draft workflow: what the upload form and the preview's and job page's buttons do to
//! an upload, without HTTP. Each handler ([`super::intake`], [`super::actions`],
//! [`super::job_actions`]) reads its request, calls one function here and answers with a
//! redirect; what is refused here is refused in words, with its status ([`Refusal`]).
//!
//! A change to a draft is made only while it is still a draft (the store locks it,
//! `store::lock_draft`); a function that changes one answers `false` when it was
//! submitted meanwhile, and the handler leads to the job instead.

use axum::body::Bytes;
use axum::http::StatusCode;

use super::chunks::Claim;
use super::draft_rows::Excluding;
use super::judging::check_rows;
use super::model::{InputReport, RowFilter, Upload};
use crate::ingest::{self, Check, Ingested, Limits, ReadError, TypedRow};
use crate::model::audit::AuditAction;
use crate::model::operations::{OperationKind, OperationState};
use crate::model::uploads::{BatchTarget, RowsAction, UploadSource, NAME_THE_BATCH_FIRST};
use crate::model::CustomerRow;
use crate::partner_center::{BatchId, CustomerId};
use crate::server::audit::{self, Actor, Event};
use crate::server::caller::{open_customer, Caller};
use crate::server::operations::{self, Operation, OperationId, Resumed};
use crate::server::refusal::Refusal;
use crate::server::unix_now;

/// Where a draft's rows come from: exactly one of the upload form's three ways, or the rows
/// of an earlier upload (typed, as a retry).
pub(crate) enum Input<'a> {
    File {
        name: Option<&'a str>,
        bytes: Bytes,
        sheet: Option<&'a str>,
    },
    Pasted(&'a str),
    Typed(Vec<TypedRow>),
}

/// How much a reading may take: the configured rows, the reader's own bounds otherwise.
fn limits(caller: &Caller) -> Limits {
    Limits {
        max_rows: caller.state.config.upload_max_rows,
        ..Limits::default()
    }
}

/// A new draft: the customer opened (who may upload for it is settled before the input is
/// read: reading is the costly part, and a customer id made up by a signed-in user must not
/// buy any of it), the input read and its rows checked against the customer's devices, then
/// stored, with the file it came from when it is a workbook with other sheets to read later.
pub(crate) async fn create(
    caller: &Caller,
    id: &CustomerId,
    input: Input<'_>,
    batch: (BatchTarget, Option<BatchId>),
) -> Result<Upload, Refusal> {
    let customer = open_customer(caller, id).await?;
    let file = match &input {
        Input::File { bytes, .. } => Some(bytes.clone()),
        _ => None,
    };
    let (source, file_name, ingested) = read_input(caller, input, limits(caller)).await?;
    let (report, rows) = check_rows(caller, id, ingested).await;
    // Kept only to read another of its sheets later: nothing else reads it back, and storing
    // a 40 MB CSV for nothing was a fifth of its upload's time until the preview.
    let file = file.filter(|_| report.has_other_sheets());
    let (target, batch) = batch;
    let upload = new_draft(
        caller,
        (id, &customer),
        source,
        file_name,
        (target, batch.map(|b| b.as_str().to_string())),
        report,
    );
    caller
        .state
        .store
        .insert_draft(&upload, file.as_deref(), &rows)
        .await
        .map_err(|error| {
            tracing::error!(%error, "could not store a draft upload");
            Refusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The dashboard could not store the upload (database error). Try again.",
            )
        })?;
    tracing::info!(upload = %upload.operation.id, rows = rows.len(), customer = %upload.operation.customer_id, "draft upload stored");
    Ok(upload)
}

/// Another sheet of the draft's workbook, read in place of the one read first.
pub(crate) async fn read_sheet(
    caller: &Caller,
    upload: &Upload,
    id: &CustomerId,
    sheet: &str,
) -> Result<bool, Refusal> {
    let store = &caller.state.store;
    let file = store
        .upload_file(&upload.operation.id)
        .await?
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::CONFLICT,
                "This upload did not come from a workbook.",
            )
        })?;
    let input = Input::File {
        name: upload.file_name.as_deref(),
        bytes: file.into(),
        sheet: Some(sheet),
    };
    let (_, _, ingested) = read_input(caller, input, limits(caller)).await?;
    let (report, rows) = check_rows(caller, id, ingested).await;
    Ok(store
        .replace_draft_rows(&upload.operation.id, &report, &rows, unix_now())
        .await?)
}

/// Leaves rows out of the draft or puts them back (`ticked`: the rows a "selected" action
/// names), then checks repeats again among the rows still in: removing the first of two
/// copies frees the second.
pub(crate) async fn change_rows(
    caller: &Caller,
    upload: &Upload,
    action: RowsAction,
    ticked: &[u32],
) -> Result<bool, Refusal> {
    if upload.operation.state != OperationState::Draft {
        return Ok(false);
    }
    let (store, id) = (&caller.state.store, &upload.operation.id);
    match action {
        RowsAction::RemoveSelected => store.set_excluded(id, ticked, true).await?,
        RowsAction::RestoreSelected => store.set_excluded(id, ticked, false).await?,
        RowsAction::RemoveErrors => store.exclude_where(id, Excluding::Errors).await?,
        RowsAction::RemoveRegistered => {
            let registered = Excluding::Found(Check::AlreadyRegistered);
            store.exclude_where(id, registered).await?
        }
    };
    store.recheck_duplicates(id).await?;
    Ok(true)
}

/// Deletes the draft with its file, at its owner's request: nothing was sent, so nothing
/// else changes. `false`: it had been submitted meanwhile (another tab), and stays.
pub(crate) async fn discard(caller: &Caller, upload: &Upload) -> Result<bool, Refusal> {
    if upload.operation.state != OperationState::Draft {
        return Ok(false);
    }
    let discarded = caller
        .state
        .store
        .discard_draft(&upload.operation.id)
        .await?;
    if discarded {
        tracing::info!(upload = %upload.operation.id, "draft discarded by its owner");
    }
    Ok(discarded)
}

/// The batch the devices go to, chosen again on the preview.
pub(crate) async fn choose_batch(
    caller: &Caller,
    upload: &Upload,
    (target, batch): (BatchTarget, BatchId),
) -> Result<bool, Refusal> {
    Ok(caller
        .state
        .store
        .set_target(&upload.operation.id, target, batch.as_str(), unix_now())
        .await?)
}

/// One new draft per group tag, each into a new batch named after its tag (Partner Center's
/// batch name is the devices' group tag).
pub(crate) async fn split_by_group_tag(caller: &Caller, upload: &Upload) -> Result<bool, Refusal> {
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
    let split = store
        .split_by_group_tag(&upload.operation.id, &report, unix_now())
        .await?;
    if split {
        tracing::info!(upload = %upload.operation.id, parts = tags.len(), "upload split by group tag");
    }
    Ok(split)
}

pub(crate) const NOTHING_INCLUDED: &str = "Every row was removed: there is nothing to submit.";

pub(crate) fn rows_with_errors(errors: i64) -> String {
    format!(
        "{errors} row(s) still have errors. Remove them (or fix the file and upload it again) \
         before submitting."
    )
}

/// The draft becomes a submission, once: a double click, a reload or a resubmitted form finds
/// it submitted already and changes nothing. Refused while a row has an error, when no row is
/// left, and when the batch is not as the draft expects (a new one's name taken meanwhile, an
/// existing one gone). Sent in the background on the caller's sign-in.
pub(crate) async fn submit(
    caller: &Caller,
    upload: &Upload,
    id: &CustomerId,
) -> Result<(), Refusal> {
    if upload.operation.state != OperationState::Draft {
        return Ok(());
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
    let Some(batch) = upload.batch_id.clone() else {
        return Err(unprocessable(NAME_THE_BATCH_FIRST));
    };
    let names = batch_names(caller, id).await?;
    let taken = BatchId::parse(&batch)
        .ok()
        .and_then(|b| names.iter().find(|n| b.same_batch_as(n)).cloned());
    match (upload.target, taken) {
        (BatchTarget::New, Some(existing)) => {
            let message = format!("A batch named “{existing}” already exists for this customer. On the preview, choose to add the devices to it, or give the new batch another name.");
            return Err(Refusal::new(StatusCode::CONFLICT, message));
        }
        (BatchTarget::Existing, None) => {
            let message = format!("The batch “{batch}” no longer exists for this customer. On the preview, create it as a new batch or pick another.");
            return Err(Refusal::new(StatusCode::CONFLICT, message));
        }
        _ => {}
    }
    let claim = store
        .begin_submission(
            &upload.operation.id,
            &caller.user.sign_in_id,
            caller.state.config.upload_chunk_size,
            unix_now(),
        )
        .await?;
    match claim {
        Claim::Claimed => {
            tracing::info!(upload = %upload.operation.id, devices = counts.included(), "upload submitted");
            let into = match upload.target {
                BatchTarget::New => "the new batch",
                BatchTarget::Existing => "the batch",
            };
            let from = upload
                .file_name
                .as_deref()
                .unwrap_or("typed or pasted rows");
            let detail = format!(
                "{} device(s) from {from} into {into} “{batch}”.",
                counts.included()
            );
            record(caller, upload, AuditAction::UploadSubmitted, detail).await;
            operations::in_background(
                upload.operation.id,
                super::submit::run(
                    caller.state.clone(),
                    caller.user.clone(),
                    upload.operation.id,
                ),
            );
            Ok(())
        }
        Claim::NotDraft => Ok(()),
        Claim::RowsWithErrors(errors) => Err(unprocessable(&rows_with_errors(errors))),
        Claim::NothingIncluded => Err(unprocessable(NOTHING_INCLUDED)),
    }
}

/// Sends what a failed submission left unsent: a part never answered with the request id it
/// was first sent with, a refused one under a new id, and one whose answer was lost after
/// looking at what Partner Center holds
/// ([`Store::resume_operation`](crate::server::store::Store::resume_operation)). `false`: it
/// had not failed (a second click, another tab), nothing is sent.
pub(crate) async fn resume(caller: &Caller, upload: &Upload) -> Result<bool, Refusal> {
    let lease = match operations::resume(caller, &upload.operation).await? {
        Resumed::NotFailed => return Ok(false),
        Resumed::Elsewhere => None,
        Resumed::Holding(lease) => Some(lease),
    };
    tracing::info!(upload = %upload.operation.id, "submission resumed");
    let detail = "The parts left unsent were sent again.".to_string();
    record(caller, upload, AuditAction::UploadResumed, detail).await;
    if let Some(lease) = lease {
        operations::in_background(
            upload.operation.id,
            super::submit::run_holding(
                caller.state.clone(),
                caller.user.clone(),
                upload.operation.id,
                lease,
            ),
        );
    }
    Ok(true)
}

/// A new draft with the rows of `upload` that failed, for the same batch, read and checked
/// again like any upload.
pub(crate) async fn retry_failed(
    caller: &Caller,
    upload: &Upload,
    id: &CustomerId,
) -> Result<Upload, Refusal> {
    let failed = caller
        .state
        .store
        .rows(&upload.operation.id, RowFilter::Retryable, 0, i64::MAX)
        .await?;
    if failed.is_empty() {
        return Err(Refusal::new(
            StatusCode::CONFLICT,
            "No device of this upload failed in a way a retry can fix: a device already \
             registered (806 with this customer, 808 with another organisation) fails the \
             same way when sent again. Its row on the job page says what to do first.",
        ));
    }
    let customer = open_customer(caller, id).await?;
    let typed = failed.into_iter().map(|row| row.device.into()).collect();
    let (_, _, ingested) = read_input(caller, Input::Typed(typed), limits(caller)).await?;
    let (report, rows) = check_rows(caller, id, ingested).await;
    let name = format!(
        "failed rows of {}",
        upload.file_name.as_deref().unwrap_or("an upload")
    );
    let batch = upload.batch_id.clone().unwrap_or_default();
    let draft = new_draft(
        caller,
        (id, &customer),
        UploadSource::Retry,
        Some(name),
        (BatchTarget::Existing, Some(batch)),
        report,
    );
    caller.state.store.insert_draft(&draft, None, &rows).await?;
    tracing::info!(upload = %upload.operation.id, retry = %draft.operation.id, "failed rows put in a new draft");
    Ok(draft)
}

/// One audit row for what was done to the upload, by the caller.
async fn record(caller: &Caller, upload: &Upload, action: AuditAction, detail: String) {
    let event = Event {
        action,
        ok: true,
        actor: Actor::from(&caller.user),
        customer_id: Some(upload.operation.customer_id),
        operation_id: Some(upload.operation.id),
        detail,
        correlation_id: caller.ctx.correlation_id,
    };
    audit::record(&caller.state, event).await;
}

/// A draft of the caller's, for a customer, to make or fill the batch `batch_id` (`None`: a
/// new batch the preview asks a name for).
fn new_draft(
    caller: &Caller,
    (id, customer): (&CustomerId, &CustomerRow),
    source: UploadSource,
    file_name: Option<String>,
    (target, batch_id): (BatchTarget, Option<String>),
    report: InputReport,
) -> Upload {
    let now = unix_now();
    Upload {
        operation: Operation {
            id: OperationId::new(),
            kind: OperationKind::Upload,
            customer_id: *id,
            customer_name: customer.name.clone(),
            tenant_id: caller.user.tenant_id.clone(),
            object_id: caller.user.object_id.clone(),
            upn: caller.user.upn.clone(),
            state: OperationState::Draft,
            error: None,
            sign_in_id: None,
            created_at: now,
            submitted_at: None,
        },
        source,
        file_name,
        target,
        batch_id,
        report,
    }
}

/// Runs the reader off the async threads (a 50 MB file takes a moment), once the caller has a
/// place among the reads under way ([`super::parsing`]). The place goes with the reader, so a
/// request given up half-way still holds it until the reading ends.
pub(crate) async fn read_input(
    caller: &Caller,
    input: Input<'_>,
    limits: Limits,
) -> Result<(UploadSource, Option<String>, Ingested), Refusal> {
    let user = format!("{}/{}", caller.user.tenant_id, caller.user.object_id);
    let place = caller
        .state
        .parse_limits
        .place(&user)
        .await
        .map_err(|busy| Refusal::new(busy.status(), busy.message()))?;
    let (source, name, job): (
        _,
        _,
        Box<dyn FnOnce() -> Result<Ingested, ReadError> + Send>,
    ) = match input {
        Input::File { name, bytes, sheet } => {
            let sheet = sheet.map(str::to_owned);
            (
                UploadSource::File,
                name.map(str::to_owned),
                Box::new(move || ingest::read_file(&bytes, sheet.as_deref(), &limits)),
            )
        }
        Input::Pasted(text) => {
            let text = text.to_owned();
            (
                UploadSource::Paste,
                None,
                Box::new(move || ingest::read_pasted(&text, &limits)),
            )
        }
        Input::Typed(rows) => (
            UploadSource::Form,
            None,
            Box::new(move || ingest::read_typed(&rows)),
        ),
    };
    let ingested = tokio::task::spawn_blocking(move || {
        let ingested = job();
        drop(place);
        ingested
    })
    .await
    .map_err(|_| {
        Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The file could not be read.",
        )
    })??;
    Ok((source, name, ingested))
}

/// The customer's batch names, newest first.
pub(crate) async fn batch_names(
    caller: &Caller,
    customer: &CustomerId,
) -> Result<Vec<String>, crate::model::AppError> {
    let batches = crate::server::browse::batch_list(caller, customer).await?;
    Ok(batches.iter().map(|b| b.id.clone()).collect())
}
