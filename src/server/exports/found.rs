//! Exporting every device a search finds (not only the first page shown), as the device
//! index holds them: found in one query, at most `upload_max_rows` (what one upload reads
//! back), then written a piece at a time with the hashes the dashboard knows.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use futures::StreamExt;

use super::{respond, ExportRow, Format};
use crate::partner_center::CustomerId;
use crate::server::auth::SignedIn;
use crate::server::caller::Caller;
use crate::server::device_index::search::found;
use crate::server::device_index::IndexedDevice;
use crate::server::refusal::Refusal;
use crate::server::AppState;

/// The search an export of search results repeats: `q`, and `customer` when it was limited
/// to one.
#[derive(Debug, serde::Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    customer: Option<String>,
}

/// `GET /devices/export.csv?q=…&customer=…`: every device the search finds (not only the
/// first page shown), as the device index holds them, as CSV.
pub async fn found_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(search): Query<SearchQuery>,
) -> Result<Response, Refusal> {
    export_found(state, signed_in, search, Format::Csv).await
}

/// `GET /devices/export.xlsx?q=…&customer=…`: the same, as XLSX.
pub async fn found_xlsx(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(search): Query<SearchQuery>,
) -> Result<Response, Refusal> {
    export_found(state, signed_in, search, Format::Xlsx).await
}

/// Devices of a search export given their hashes at once.
const FOUND_PER_PIECE: usize = 100;

/// A search's devices are found in one query (at most `upload_max_rows`, what one upload
/// may read back), then written a piece at a time.
async fn export_found(
    state: AppState,
    signed_in: SignedIn,
    search: SearchQuery,
    format: Format,
) -> Result<Response, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let customer: Option<CustomerId> = match search.customer.filter(|c| !c.is_empty()) {
        Some(id) => Some(crate::server::path_ids::from_address(&id)?),
        None => None,
    };
    let most = caller.state.config.upload_max_rows;
    let found = found(&caller, &search.q, customer.as_ref(), most + 1).await?;
    let every_one = found.every_one(most)?;
    let names: HashMap<String, String> = every_one
        .iter()
        .map(|d| (d.customer_id.clone(), found.customer_name(&d.customer_id)))
        .collect();
    let (store, tenant) = (caller.state.store.clone(), caller.user.tenant_id.clone());
    let pieces: Vec<Vec<IndexedDevice>> = every_one
        .chunks(FOUND_PER_PIECE)
        .map(<[IndexedDevice]>::to_vec)
        .collect();
    let rows = futures::stream::iter(pieces).then(move |piece| {
        let (store, tenant, names) = (store.clone(), tenant.clone(), names.clone());
        async move {
            let ids: Vec<&str> = piece.iter().map(|d| d.device_id.as_str()).collect();
            let hashes = store.known_hashes(&tenant, &ids).await?;
            Ok(piece
                .into_iter()
                .map(|d| {
                    let hash = hashes.get(&d.device_id);
                    let name = names.get(&d.customer_id).cloned().unwrap_or_default();
                    ExportRow::indexed(d, name, hash)
                })
                .collect())
        }
    });
    let what = match search.q.trim() {
        "" => "search".to_string(),
        q => format!("search-{q}"),
    };
    Ok(respond(rows, &what, format))
}
