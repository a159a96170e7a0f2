//! Device exports: a batch's devices, or every device of a customer, as CSV or XLSX, in the
//! columns an upload reads (so an export uploaded again is a device list), then where each
//! device is and what it has. Partner Center is read a page (100 devices) at a time as the
//! file is written, so an export holds one page in memory whatever the customer's size:
//! the CSV goes out as it is read, the XLSX once its sheet is complete ([`xlsx`]). A search's
//! devices come from the device index instead ([`found`]).
//!
//! Partner Center lists no hardware hashes; a device the dashboard uploaded gets the hash it
//! was uploaded with (found by the id Partner Center gave it), any other an empty cell.

mod found;
mod xlsx;

use std::collections::{HashMap, VecDeque};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::{Stream, StreamExt};

use super::auth::SignedIn;
use super::caller::{open_customer, Caller};
use super::device_index::IndexedDevice;
use super::path_ids::Ids;
use super::refusal::Refusal;
use super::spreadsheet_cells::line;
use super::store::Store;
use super::uploads::downloads::file_name_part;
use super::{streamed_body, AppState};
use crate::ingest::header::EXPORT_COLUMNS;
use crate::ingest::Field;
use crate::model::AppError;
use crate::partner_center::{BatchId, CallContext, Continuation, CustomerId, Device};

/// The exports' addresses.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/customers/{customer}/devices.csv", get(customer_csv))
        .route("/customers/{customer}/devices.xlsx", get(customer_xlsx))
        .route(
            "/customers/{customer}/batches/{batch}/devices.csv",
            get(batch_csv),
        )
        .route(
            "/customers/{customer}/batches/{batch}/devices.xlsx",
            get(batch_xlsx),
        )
        .route("/devices/export.csv", get(found::found_csv))
        .route("/devices/export.xlsx", get(found::found_xlsx))
}

/// A file's format, from the address's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => XLSX_CONTENT_TYPE,
        }
    }
}

/// An Excel workbook's media type: a zip file, never compressed again on the way out.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The device columns, under the names Partner Center's own upload uses, in its order.
const DEVICE_FIELDS: [Field; 5] = [
    Field::SerialNumber,
    Field::ProductKey,
    Field::HardwareHash,
    Field::Manufacturer,
    Field::Model,
];

/// Every column's name: the device columns, then [`EXPORT_COLUMNS`].
fn header() -> Vec<&'static str> {
    DEVICE_FIELDS
        .iter()
        .map(|f| f.label())
        .chain(EXPORT_COLUMNS)
        .collect()
}

/// One device of an export, its cells in [`header`]'s order.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRow(pub Vec<String>);

impl ExportRow {
    /// A device as Partner Center listed it in `batch` of `customer`.
    fn listed(
        device: Device,
        (customer, batch): (&str, &BatchId),
        profiles: &Profiles,
        hash: Option<&String>,
    ) -> Self {
        let profile = device
            .oobe_policy_id()
            .map(|id| profiles.get(id).map_or(id, String::as_str).to_string());
        ExportRow(vec![
            device.serial_number.unwrap_or_default(),
            device.product_key.unwrap_or_default(),
            hash.cloned().unwrap_or_default(),
            device.oem_manufacturer_name.unwrap_or_default(),
            device.model_name.unwrap_or_default(),
            customer.to_string(),
            batch.to_string(),
            profile.unwrap_or_default(),
            device.uploaded_date.map(utc).unwrap_or_default(),
            device.id.unwrap_or_default(),
        ])
    }

    /// A device as the device index holds it, of the customer named `customer`.
    pub(super) fn indexed(device: IndexedDevice, customer: String, hash: Option<&String>) -> Self {
        let uploaded = device
            .uploaded_at
            .and_then(|at| chrono::DateTime::from_timestamp(at, 0));
        ExportRow(vec![
            device.serial_number.unwrap_or_default(),
            device.product_key.unwrap_or_default(),
            hash.cloned().unwrap_or_default(),
            device.manufacturer.unwrap_or_default(),
            device.model.unwrap_or_default(),
            customer,
            device.batch_id,
            device
                .profile_name
                .or(device.profile_id)
                .unwrap_or_default(),
            uploaded.map(utc).unwrap_or_default(),
            device.device_id,
        ])
    }
}

/// A time as a spreadsheet sorts it, saying its zone.
fn utc(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Profile names by id, so the export says "Standard" rather than a GUID.
type Profiles = HashMap<String, String>;

/// What is read, page after page: the batches left, and where in the first of them.
struct Reading {
    state: AppState,
    ctx: CallContext,
    tenant: String,
    customer: CustomerId,
    customer_name: String,
    profiles: Profiles,
    batches: VecDeque<BatchId>,
    /// Every batch of the customer, as listed when the export began.
    whole_customer: bool,
    next: Option<Continuation>,
}

/// The export's rows, a page of a batch at a time, every batch in turn.
fn pages(reading: Reading) -> impl Stream<Item = Result<Vec<ExportRow>, AppError>> + Send {
    futures::stream::unfold(Some(reading), |reading| async move {
        let mut r = reading?;
        loop {
            let batch = r.batches.front()?.clone();
            let page = r
                .state
                .partner_center
                .devices_page(&r.ctx, &r.customer, &batch, r.next.as_ref())
                .await;
            let page = match page.map_err(AppError::from) {
                Ok(page) => page,
                // A batch of the customer's list deleted since it was read: nothing of it to
                // export (an export of one batch is refused before it starts).
                Err(AppError::NotFound { .. }) if r.whole_customer => {
                    r.batches.pop_front();
                    r.next = None;
                    continue;
                }
                Err(error) => return Some((Err(error), None)),
            };
            r.next = page.next;
            if r.next.is_none() {
                r.batches.pop_front();
            }
            if page.items.is_empty() {
                continue;
            }
            let ids: Vec<&str> = page.items.iter().filter_map(|d| d.id.as_deref()).collect();
            let hashes = match r.state.store.known_hashes(&r.tenant, &ids).await {
                Ok(hashes) => hashes,
                Err(error) => return Some((Err(AppError::from(error)), None)),
            };
            let rows = page
                .items
                .into_iter()
                .map(|device| {
                    let hash = device.id.as_ref().and_then(|id| hashes.get(id));
                    let at = (r.customer_name.as_str(), &batch);
                    ExportRow::listed(device, at, &r.profiles, hash)
                })
                .collect();
            return Some((Ok(rows), Some(r)));
        }
    })
}

impl Store {
    /// The hardware hashes the dashboard uploaded the devices `ids` with, by device id: those
    /// it registered, in any upload of this partner (Partner Center's device ids are GUIDs,
    /// one customer's never another's).
    pub async fn known_hashes(
        &self,
        tenant: &str,
        ids: &[&str],
    ) -> Result<HashMap<String, String>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let places: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT r.device_id, r.hardware_hash FROM upload_rows r \
             JOIN operations o ON o.id = r.upload_id \
             WHERE o.tenant_id = $1 AND r.hardware_hash IS NOT NULL \
             AND r.device_id IN ({})",
            places.join(", ")
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql).bind(tenant);
        for id in ids {
            query = query.bind(*id);
        }
        Ok(query.fetch_all(self.pool()).await?.into_iter().collect())
    }
}

/// `GET /customers/{id}/batches/{batchId}/devices.csv`: the batch's devices as CSV.
pub async fn batch_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids((customer, batch)): Ids<(CustomerId, BatchId)>,
) -> Result<Response, Refusal> {
    export(state, signed_in, customer, Some(batch), Format::Csv).await
}

/// `GET /customers/{id}/batches/{batchId}/devices.xlsx`: the batch's devices as XLSX.
pub async fn batch_xlsx(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids((customer, batch)): Ids<(CustomerId, BatchId)>,
) -> Result<Response, Refusal> {
    export(state, signed_in, customer, Some(batch), Format::Xlsx).await
}

/// `GET /customers/{id}/devices.csv`: every device of every batch of the customer, as CSV.
pub async fn customer_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids(customer): Ids<CustomerId>,
) -> Result<Response, Refusal> {
    export(state, signed_in, customer, None, Format::Csv).await
}

/// `GET /customers/{id}/devices.xlsx`: every device of the customer, as XLSX.
pub async fn customer_xlsx(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids(customer): Ids<CustomerId>,
) -> Result<Response, Refusal> {
    export(state, signed_in, customer, None, Format::Xlsx).await
}

/// Checks everything that can be refused before the first byte (the sign-in, the customer,
/// the batch, Partner Center's first page), then streams the file. A failure after that can
/// only end the download early, which the browser reports as failed.
async fn export(
    state: AppState,
    signed_in: SignedIn,
    customer: CustomerId,
    batch: Option<BatchId>,
    format: Format,
) -> Result<Response, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let opened = open_customer(&caller, &customer).await?;
    let client = &caller.state.partner_center;
    let batches: VecDeque<BatchId> = match &batch {
        Some(batch) => VecDeque::from([batch.clone()]),
        None => client
            .device_batches(&caller.ctx, &customer)
            .await?
            .into_iter()
            .filter_map(|b| {
                let parsed = b.id.parse().ok();
                if parsed.is_none() {
                    // Partner Center's own addresses cannot name it either.
                    tracing::warn!(batch = %b.id, "a batch whose name cannot be addressed is left out of an export");
                }
                parsed
            })
            .collect(),
    };
    let profiles: Profiles = client
        .policies(&caller.ctx, &customer)
        .await
        .map(|listed| {
            listed
                .into_iter()
                .filter_map(|p| Some((p.id?, p.name.unwrap_or_default())))
                .collect()
        })
        .unwrap_or_default();
    let Caller { state, user, ctx } = caller;
    // Fused: an export with no device at all has its first read end the stream, and the chain
    // below asks it again (an unfold panics when polled past its end).
    let mut rows = Box::pin(
        pages(Reading {
            state,
            ctx,
            tenant: user.tenant_id,
            customer,
            customer_name: opened.name.clone(),
            profiles,
            batches,
            whole_customer: batch.is_none(),
            next: None,
        })
        .fuse(),
    );
    let first = match rows.next().await {
        Some(Err(AppError::NotFound { .. })) => {
            return Err(AppError::NotFound {
                what: "The batch".into(),
            }
            .into())
        }
        Some(Err(error)) => return Err(error.about(&opened).into()),
        Some(Ok(rows)) => rows,
        None => Vec::new(),
    };
    let rows = futures::stream::once(async { Ok(first) }).chain(rows);
    let name = batch.as_ref().map_or(opened.name.as_str(), BatchId::as_str);
    Ok(respond(rows, name, format))
}

/// The file `rows` make, named after `what` (a batch, a customer, a search).
pub(super) fn respond(
    rows: impl Stream<Item = Result<Vec<ExportRow>, AppError>> + Send + 'static,
    what: &str,
    format: Format,
) -> Response {
    let name = format!("{}-devices.{}", file_name_part(what), format.extension());
    let body = match format {
        Format::Csv => streamed_body(csv(rows)),
        Format::Xlsx => streamed_body(xlsx::write(rows)),
    };
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// The CSV: a byte-order mark (so Excel shows accents) and the header, then a piece per page.
fn csv(
    rows: impl Stream<Item = Result<Vec<ExportRow>, AppError>> + Send + 'static,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let mut head = String::from("\u{FEFF}");
    line(&mut head, header());
    let pieces = rows.map(|page| match page {
        Ok(page) => {
            let mut out = String::new();
            for row in page {
                line(&mut out, row.0);
            }
            Ok(Bytes::from(out))
        }
        Err(error) => {
            tracing::warn!(%error, "an export stopped: Partner Center or the database failed");
            Err(std::io::Error::other(error.to_string()))
        }
    });
    futures::stream::once(async move { Ok(Bytes::from(head)) }).chain(pieces)
}
