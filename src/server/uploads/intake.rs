//! `POST /customers/{customerId}/uploads`: a file, pasted rows or typed rows, and where they
//! go → a stored draft, then the preview. A plain multipart form post, so it works with
//! JavaScript off; the body limit answers 413 before anything is buffered (see start-up).

use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use futures::TryStreamExt;

use super::drafts::{self, Input};
use super::model::Upload;
use crate::ingest::TypedRow;
use crate::model::done::Done;
use crate::model::uploads::BatchTarget;
use crate::model::uploads::{TYPED_FIELDS, TYPED_ROWS};
use crate::partner_center::CustomerId;
use crate::server::auth::SignedIn;
use crate::server::caller::Caller;
use crate::server::done_about;
use crate::server::path_ids::Ids;
use crate::server::refusal::Refusal;
use crate::server::AppState;
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

/// To the preview of the new draft; when the batch chosen could not be used (no name, a name
/// Partner Center refuses), still to the preview, which asks for it, saying why.
pub async fn receive(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids(customer): Ids<CustomerId>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Redirect, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let (upload, refused_name) = intake(&caller, &customer, multipart).await?;
    let preview = urls::upload(customer, upload.operation.id);
    if upload.batch_id.is_some() {
        return Ok(Redirect::to(&preview));
    }
    let asking = urls::with_done(&preview, Done::BatchNameNeeded);
    Ok(Redirect::to(&match refused_name {
        Some(why) => done_about::naming(&caller.state.cipher, &asking, &why),
        None => asking,
    }))
}

/// The draft stored, and why the name typed for its batch was refused, if it was. A batch
/// choice that cannot be used (no name, a name Partner Center would refuse) does not refuse
/// the upload: without JavaScript that would lose the chosen file and every choice with it,
/// for a name the preview can ask for. The draft then has no batch name.
async fn intake(
    caller: &Caller,
    id: &CustomerId,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(Upload, Option<String>), Refusal> {
    let multipart = multipart.map_err(|_| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "The form did not arrive as a file upload (multipart/form-data). Use the upload form.",
        )
    })?;
    let max_mb = caller.state.config.upload_max_bytes / (1024 * 1024);
    let form = read_form(multipart, max_mb).await?;
    let (batch, refused_name) = match super::batch_choice::batch_choice(
        Some(form.target.as_str()).filter(|t| !t.is_empty()),
        Some(&form.batch_name),
        Some(&form.existing_batch),
    ) {
        Ok((target, batch)) => ((target, Some(batch)), None),
        Err(refusal) => {
            let typed = !form.batch_name.trim().is_empty();
            ((BatchTarget::New, None), typed.then_some(refusal.message))
        }
    };
    let upload = drafts::create(caller, id, form_input(&form)?, batch).await?;
    Ok((upload, refused_name))
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
