//! The job page's downloads: the failed rows, ready to fix and upload again, and the full
//! report of every row. CSV in UTF-8 with a byte-order mark (so Excel shows accents), every
//! cell safe to open in a spreadsheet. Both stream from the database a page of rows at a
//! time, so ten people downloading the report of a 50,000-device upload cost ten pages, not
//! ten copies of the upload.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use super::access::load;
use super::model::{RowFilter, StoredRow, Upload};
use super::views::job_device_row;
use crate::ingest::header::REPORT_COLUMNS;
use crate::ingest::{DeviceRow, Field};
use crate::model::uploads::JobDeviceRow;
use crate::model::AppError;
use crate::partner_center::CustomerId;
use crate::server::auth::SignedIn;
use crate::server::caller::{open_customer, Caller};
use crate::server::operations::parts::Part;
use crate::server::operations::OperationId;
use crate::server::path_ids::Ids;
use crate::server::refusal::Refusal;
use crate::server::spreadsheet_cells::line;
use crate::server::store::Store;
use crate::server::AppState;

const ROW: &str = REPORT_COLUMNS[0];
const STATUS: &str = REPORT_COLUMNS[1];
const ERROR_CODE: &str = REPORT_COLUMNS[2];
const EXPLANATION: &str = REPORT_COLUMNS[3];

/// `GET /customers/{id}/operations/{uploadId}/failed.csv`: the failed devices in the columns they
/// came in, with the error code and what to do. Uploaded again, the extra columns are ignored.
pub async fn failed_rows(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids(ids): Ids<(CustomerId, OperationId)>,
) -> Result<Response, Refusal> {
    download(state, signed_in, ids, Which::Failed).await
}

/// `GET /customers/{id}/operations/{uploadId}/report.csv`: every row sent, with its outcome.
pub async fn report(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids(ids): Ids<(CustomerId, OperationId)>,
) -> Result<Response, Refusal> {
    download(state, signed_in, ids, Which::Report).await
}

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Failed,
    Report,
}

/// Rows read from the database for each piece of a download: a download holds one page at a
/// time, whatever the upload's size, and no database connection between pages (a browser
/// that reads slowly must not keep one of the pool's few connections).
const ROWS_PER_PIECE: i64 = 500;

async fn download(
    state: AppState,
    signed_in: SignedIn,
    ids: (CustomerId, OperationId),
    which: Which,
) -> Result<Response, Refusal> {
    let (caller, upload, accepted) = prepare(state, signed_in, ids).await?;
    let name = format!(
        "{}-{}.csv",
        if which == Which::Failed {
            "failed-rows"
        } else {
            "report"
        },
        file_name_part(upload.batch_id.as_deref().unwrap_or("upload"))
    );
    let columns = columns(&upload);
    let head = header_line(&columns, which);
    let pieces = pieces(
        caller.state.store.clone(),
        upload.operation.id,
        accepted,
        columns,
        which,
    );
    let body = crate::server::streamed_body(
        futures::stream::once(async move { Ok(Bytes::from(head)) }).chain(pieces),
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// Everything checked before the first byte is sent: the sign-in, the customer (as on the
/// job page, Partner Center must let this user see it), the upload, and its parts.
async fn prepare(
    state: AppState,
    signed_in: SignedIn,
    (customer, upload_id): (CustomerId, OperationId),
) -> Result<(Caller, Upload, Vec<i64>), AppError> {
    let caller = Caller::new(state, signed_in).await?;
    open_customer(&caller, &customer).await?;
    let upload = load(&caller, &customer, &upload_id).await?;
    let accepted = Part::accepted(&caller.state.store.parts(&upload.operation.id).await?);
    Ok((caller, upload, accepted))
}

/// The CSV's lines after the header, a page of rows at a time, read as the browser takes them.
fn pieces(
    store: Store,
    upload_id: OperationId,
    accepted: Vec<i64>,
    columns: Vec<(String, Field)>,
    which: Which,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let filter = match which {
        Which::Failed => RowFilter::Failed,
        Which::Report => RowFilter::Included,
    };
    // Each piece starts after the last row of the one before (row numbers, not offsets: a
    // row whose outcome changes meanwhile must not shift the rest).
    futures::stream::unfold(Some(0_i64), move |after| {
        let (store, upload_id, accepted, columns) =
            (store.clone(), upload_id, accepted.clone(), columns.clone());
        async move {
            let after = after?;
            let rows = match store
                .rows_after(&upload_id, filter, after, ROWS_PER_PIECE)
                .await
            {
                Ok(rows) => rows,
                Err(error) => {
                    // The status line has gone: ending the body early is all that is left,
                    // and the browser reports the download as failed.
                    tracing::warn!(%error, upload = %upload_id, "a download stopped: database error");
                    return Some((Err(std::io::Error::other("database error")), None));
                }
            };
            if rows.is_empty() {
                return None;
            }
            let next = (rows.len() as i64 == ROWS_PER_PIECE)
                .then(|| rows.last().map(|row| i64::from(row.device.row)))
                .flatten();
            let mut out = String::new();
            for stored in &rows {
                let shown = job_device_row(stored, &accepted);
                row_line(&mut out, &columns, stored, &shown, which);
            }
            Some((Ok(Bytes::from(out)), next))
        }
    })
}

/// The device columns of the original input, in its order and under its names (Partner
/// Center's five when it had none).
fn columns(upload: &Upload) -> Vec<(String, Field)> {
    let columns: Vec<(String, Field)> = upload
        .report
        .columns
        .iter()
        .filter_map(|(header, field)| {
            let field = Field::from_header(field.as_deref()?)?;
            (field != Field::AssignedUser).then(|| (header.clone(), field))
        })
        .collect();
    if !columns.is_empty() {
        return columns;
    }
    [
        Field::SerialNumber,
        Field::ProductKey,
        Field::HardwareHash,
        Field::Manufacturer,
        Field::Model,
    ]
    .into_iter()
    .map(|f| (f.label().to_string(), f))
    .collect()
}

/// The byte-order mark and the header: the device columns, then the outcome columns.
fn header_line(columns: &[(String, Field)], which: Which) -> String {
    let mut out = String::from("\u{FEFF}");
    let mut header: Vec<&str> = Vec::new();
    if which == Which::Report {
        header.push(ROW);
    }
    header.extend(columns.iter().map(|(name, _)| name.as_str()));
    if which == Which::Report {
        header.push(STATUS);
    }
    header.extend([ERROR_CODE, EXPLANATION]);
    line(&mut out, header);
    out
}

fn row_line(
    out: &mut String,
    columns: &[(String, Field)],
    stored: &StoredRow,
    shown: &JobDeviceRow,
    which: Which,
) {
    let number = stored.device.row.to_string();
    let mut cells: Vec<&str> = Vec::with_capacity(columns.len() + 4);
    if which == Which::Report {
        cells.push(&number);
    }
    cells.extend(
        columns
            .iter()
            .map(|(_, field)| value(&stored.device, *field).unwrap_or_default()),
    );
    if which == Which::Report {
        cells.push(shown.status.label());
    }
    cells.push(shown.error_code.as_deref().unwrap_or_default());
    cells.push(shown.explanation.as_deref().unwrap_or_default());
    line(out, cells);
}

fn value(device: &DeviceRow, field: Field) -> Option<&str> {
    match field {
        Field::SerialNumber => device.serial_number.as_deref(),
        Field::ProductKey => device.product_key.as_deref(),
        Field::HardwareHash => device.hardware_hash.as_deref(),
        Field::Manufacturer => device.manufacturer.as_deref(),
        Field::Model => device.model.as_deref(),
        Field::GroupTag => device.group_tag.as_deref(),
        Field::AssignedUser => None,
    }
}

/// A batch name as part of a file name: letters, digits, `-` and `_`.
pub(crate) fn file_name_part(name: &str) -> String {
    let part: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    if part.trim_matches('-').is_empty() {
        "upload".into()
    } else {
        part
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_names_become_safe_file_names() {
        assert_eq!(file_name_part("Contoso PO 4711/ä"), "Contoso-PO-4711--");
        assert_eq!(file_name_part("\"; rm"), "---rm");
        assert_eq!(file_name_part("äö"), "upload");
    }
}
