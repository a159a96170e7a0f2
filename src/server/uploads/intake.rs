//! `POST /customers/{customerId}/uploads`: a file, pasted rows or typed rows, and where they
//! go → a stored draft, then the preview. A plain multipart form post, so it works with
//! JavaScript off; the body limit answers 413 before anything is buffered (see start-up).

use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use futures::TryStreamExt;

use super::judging::check_rows;
use super::store::{InputReport, Upload};
use crate::ingest::TypedRow;
use crate::ingest::{self, Ingested, Limits, ReadError};
use crate::model::operations::{OperationKind, OperationState};
use crate::model::uploads::{BatchTarget, UploadSource, TYPED_FIELDS, TYPED_ROWS};
use crate::model::CustomerRow;
use crate::partner_center::{BatchId, CustomerId};
use crate::server::auth::SignedIn;
use crate::server::caller::{open_customer, Caller};
use crate::server::operations::Operation;
use crate::server::path_ids::Ids;
use crate::server::refusal::Refusal;
use crate::server::{unix_now, AppState};
use crate::urls;

/// What the form carried.
#[derive(Default)]
struct Form {
    file_name: Option<String>,
    /// Shared, not copied, with the reader's thread and the database insert.
    file: Bytes,
    pasted: String,
    typed: Vec<TypedRow>,
    target: String,
    batch_name: String,
    existing_batch: String,
    sheet: String,
}

/// Answers 413 from the `Content-Length` alone, before a byte of the body is read. Bodies
/// without a length are cut off at the same limit while streaming (`DefaultBodyLimit`),
/// which [`read_form`] reports with the same message.
pub async fn refuse_oversized(
    State((limit, max_mb)): State<(usize, usize)>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Refusal::new(StatusCode::PAYLOAD_TOO_LARGE, too_large_message(max_mb))
            .into_response();
    }
    next.run(request).await
}

fn too_large_message(max_mb: usize) -> String {
    format!(
        "Uploads are limited to {max_mb} MB. Split the file, or save only the device sheet as CSV."
    )
}

pub async fn receive(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids(customer): Ids<CustomerId>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Redirect, Refusal> {
    let upload_id = intake(state, signed_in, &customer, multipart).await?;
    Ok(Redirect::to(&urls::upload(
        &customer.to_string(),
        &upload_id,
    )))
}

async fn intake(
    state: AppState,
    signed_in: SignedIn,
    id: &CustomerId,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<String, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let multipart = multipart.map_err(|_| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "The form did not arrive as a file upload (multipart/form-data). Use the upload form.",
        )
    })?;
    let max_mb = caller.state.config.upload_max_bytes / (1024 * 1024);
    let form = read_form(multipart, max_mb).await?;
    // Who may upload for this customer is settled before the file is parsed: parsing is the
    // costly part, and a customer id made up by a signed-in user must not buy any of it.
    let customer = open_customer(&caller, id).await?;
    let (target, batch) = chosen_batch(
        Some(form.target.as_str()).filter(|t| !t.is_empty()),
        Some(&form.batch_name),
        Some(&form.existing_batch),
    )?;
    let limits = Limits {
        max_rows: caller.state.config.upload_max_rows,
        ..Limits::default()
    };
    let (source, file_name, ingested) = read_input(&caller, form_input(&form)?, limits).await?;
    let (report, rows) = check_rows(&caller, id, ingested).await;
    let upload = new_draft(
        &caller,
        &customer,
        source,
        file_name,
        (target, batch.as_str().to_string()),
        report,
    );
    let file = (source == UploadSource::File).then_some(&form.file[..]);
    caller
        .state
        .store
        .insert_draft(&upload, file, &rows)
        .await
        .map_err(|error| {
            tracing::error!(%error, "could not store a draft upload");
            Refusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The dashboard could not store the upload (database error). Try again.",
            )
        })?;
    tracing::info!(upload = %upload.operation.id, rows = rows.len(), customer = %upload.operation.customer_id, "draft upload stored");
    Ok(upload.operation.id)
}

/// A draft of the caller's, for a customer, to make or fill the batch `batch_id`.
pub(crate) fn new_draft(
    caller: &Caller,
    customer: &CustomerRow,
    source: UploadSource,
    file_name: Option<String>,
    (target, batch_id): (BatchTarget, String),
    report: InputReport,
) -> Upload {
    let now = unix_now();
    Upload {
        operation: Operation {
            id: uuid::Uuid::new_v4().to_string(),
            kind: OperationKind::Upload,
            customer_id: customer.id.clone(),
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
        batch_id: Some(batch_id),
        report,
    }
}

async fn read_form(mut multipart: Multipart, max_mb: usize) -> Result<Form, Refusal> {
    let too_large = |error: MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Refusal::new(StatusCode::PAYLOAD_TOO_LARGE, too_large_message(max_mb))
        } else {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "The form could not be read ({}). Try again.",
                    error.body_text()
                ),
            )
        }
    };
    let mut form = Form {
        typed: vec![TypedRow::default(); TYPED_ROWS],
        ..Form::default()
    };
    while let Some(field) = multipart.next_field().await.map_err(too_large)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            // Control characters (a NUL above all, which PostgreSQL text cannot hold) are
            // never part of a real file name.
            form.file_name = field
                .file_name()
                .map(|n| n.chars().filter(|c| !c.is_control()).collect::<String>())
                .filter(|n| !n.is_empty());
            form.file = field
                .into_stream()
                .try_fold(Vec::new(), |mut bytes, chunk| async move {
                    bytes.extend_from_slice(&chunk);
                    Ok(bytes)
                })
                .await
                .map_err(too_large)?
                .into();
            continue;
        }
        let value = field.text().await.map_err(too_large)?;
        match name.as_str() {
            "pasted" => form.pasted = value,
            "target" => form.target = value,
            "batch_name" => form.batch_name = value,
            "existing_batch" => form.existing_batch = value,
            "sheet" => form.sheet = value,
            other => {
                // Manual rows: `row{i}_{field}`.
                let parsed = other
                    .strip_prefix("row")
                    .and_then(|rest| rest.split_once('_'))
                    .and_then(|(i, f)| {
                        Some((
                            i.parse::<usize>().ok()?,
                            TYPED_FIELDS.iter().position(|(name, _)| *name == f)?,
                        ))
                    });
                if let Some(cell) = parsed.and_then(|(row, column)| {
                    form.typed
                        .get_mut(row)
                        .and_then(|typed| typed.cell_mut(column))
                }) {
                    *cell = value;
                }
            }
        }
    }
    Ok(form)
}

pub(crate) enum Input<'a> {
    File {
        name: Option<&'a str>,
        bytes: Bytes,
        sheet: Option<&'a str>,
    },
    Pasted(&'a str),
    Typed(Vec<TypedRow>),
}

/// Exactly one of the three ways in.
fn form_input(form: &Form) -> Result<Input<'_>, Refusal> {
    let typed: Vec<TypedRow> = form
        .typed
        .iter()
        .filter(|row| !row.is_blank())
        .cloned()
        .collect();
    let given = [
        !form.file.is_empty() || form.file_name.is_some(),
        !form.pasted.trim().is_empty(),
        !typed.is_empty(),
    ];
    match given.iter().filter(|g| **g).count() {
        0 => Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, "Nothing to upload: choose a file, paste rows, or type at least one device.")),
        1 if given[0] => Ok(Input::File {
            name: form.file_name.as_deref(),
            bytes: form.file.clone(),
            sheet: Some(form.sheet.trim()).filter(|s| !s.is_empty()),
        }),
        1 if given[1] => Ok(Input::Pasted(&form.pasted)),
        1 => Ok(Input::Typed(typed)),
        _ => Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, "Use one way at a time: a file, pasted rows, or typed rows. Clear the others and send again.")),
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

/// The batch the form chose: a new one (its name checked) or an existing one. Whether a new
/// name is taken is checked on the preview, where the user can choose to add to that batch
/// instead. The upload form and the preview's "change the batch" form both send
/// `target=new&batch_name=…` or `target=existing&existing_batch=…`.
pub(super) fn chosen_batch(
    target: Option<&str>,
    batch_name: Option<&str>,
    existing_batch: Option<&str>,
) -> Result<(BatchTarget, BatchId), Refusal> {
    let refuse = |message: String| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, message);
    let target = BatchTarget::try_from(target.unwrap_or(BatchTarget::New.as_str()))
        .map_err(|_| refuse("Choose a new batch or an existing one.".into()))?;
    let name = match target {
        BatchTarget::New => batch_name,
        BatchTarget::Existing => existing_batch,
    }
    .unwrap_or_default();
    if name.trim().is_empty() {
        return Err(refuse(match target {
            BatchTarget::New => "Give the new batch a name.".into(),
            BatchTarget::Existing => "Pick the batch to add the devices to.".into(),
        }));
    }
    let batch = BatchId::parse(name)
        .map_err(|why| refuse(format!("“{}” cannot be a batch name: {why}.", name.trim())))?;
    Ok((target, batch))
}
