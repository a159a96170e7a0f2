//! Server side of the dashboard: configuration, start-up, shared state, health checks.

mod access_log;
mod assets;
pub mod assignments;
pub mod audit;
pub mod auth;
mod body_rate;
pub mod browse;
pub mod caches;
pub mod caller;
pub mod config;
mod connections;
pub mod crypto;
mod csrf;
pub mod deletions;
pub mod device_index;
pub mod done_about;
pub mod exports;
pub mod form_fields;
mod headers;
mod health;
pub mod leases;
pub mod memory;
pub mod metrics;
pub mod oidc;
pub mod operation_pages;
pub mod operations;
mod pages_at_once;
pub mod panics;
pub mod path_ids;
pub mod pending_sign_in;
pub mod profiles;
pub mod reconcile;
pub mod refusal;
pub mod request_ids;
mod routes;
mod sealed_note;
pub(crate) mod selection;
mod server_fns;
pub mod sessions;
pub mod sign_in;
pub mod spreadsheet_cells;
pub mod startup;
pub mod store;
mod trailing_slash;
pub mod uploads;

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::partner_center::PartnerCenterClient;
pub use config::Config;

/// What every handler and server function shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    /// The address browsers use (with the real port when started on port 0).
    pub public_url: url::Url,
    pub partner_center: PartnerCenterClient,
    pub store: store::Store,
    pub oidc: Arc<oidc::Oidc>,
    pub cipher: crypto::TokenCipher,
    pub refresh_locks: auth::RefreshLocks,
    pub page_cursors: caches::PageCursors,
    pub customer_checks: caches::CustomerChecks,
    pub batch_lists: caches::BatchLists,
    pub profile_write_refusals: caches::ProfileWriteRefusals,
    pub customer_lists: caches::CustomerLists,
    /// Each partner's device index entries, read at most every two seconds.
    pub index_entries: caches::PerPartner<Arc<Vec<device_index::IndexEntry>>>,
    /// Places for reading uploaded files ([`uploads::parsing`]).
    pub parse_limits: uploads::parsing::ParseLimits,
    /// Places for the device writes of every operation this process sends at once
    /// (`device_writes_at_once`): a search's deletion of several customers' devices is several
    /// operations, and Partner Center throttles the partner, not the operation.
    pub device_writes: Arc<tokio::sync::Semaphore>,
    /// This process among the replicas sharing the database ([`leases::replica_name`]).
    pub replica: Arc<str>,
    /// The browser bundle's file names, and how they are named ([`assets`]).
    pub asset_names: crate::app::AssetNames,
    pub asset_naming: assets::Naming,
}

/// Seconds since 1970, the time unit of every timestamp column.
pub(crate) fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl AppState {
    /// True when the dashboard talks to its built-in sandbox instead of Microsoft.
    pub fn sandbox_mode(&self) -> bool {
        self.config.entra.is_none()
    }

    /// Whether browsers reach the dashboard over HTTPS (a TLS-terminating proxy in front).
    pub fn https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The name of the cookie that carries a started sign-in ([`pending_sign_in`]).
    pub fn pending_sign_in_cookie(&self) -> &'static str {
        pending_sign_in::cookie_name(self.https())
    }

    /// `scheme://host[:port]` of the public URL, as browsers send it in `Origin`.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// One page of a list, fetched as one row more than the page to learn whether another page
/// follows. `page` counts from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageWindow {
    pub offset: i64,
    pub limit: i64,
    per_page: i64,
}

impl PageWindow {
    pub fn new(page: u32, per_page: i64) -> Self {
        PageWindow {
            offset: (i64::from(page.max(1)) - 1) * per_page,
            limit: per_page + 1,
            per_page,
        }
    }

    /// How many pages `count` rows make, when that agrees with `page` and `has_next`
    /// ([`crate::model::page_count`]).
    pub fn pages(&self, page: u32, count: i64, has_next: bool) -> Option<u32> {
        let count = u64::try_from(count).ok()?;
        crate::model::page_count(count, self.per_page as usize, page, has_next)
    }

    /// The rows fetched with this window: the page, and whether another page follows.
    pub fn split<T>(&self, mut rows: Vec<T>) -> (Vec<T>, bool) {
        let more = rows.len() as i64 > self.per_page;
        rows.truncate(self.per_page as usize);
        (rows, more)
    }
}

/// A response body read from `pieces` as the client takes them. Fused: the compression on the
/// way out may ask a body for more once it has ended, and a stream like `unfold` panics when
/// asked past its end (the connection then breaks off mid-download).
pub(crate) fn streamed_body<S, E>(pieces: S) -> axum::body::Body
where
    S: futures::Stream<Item = Result<axum::body::Bytes, E>> + Send + 'static,
    E: Into<axum::BoxError> + 'static,
{
    use futures::StreamExt;
    axum::body::Body::from_stream(pieces.fuse())
}

/// `2025-04-17 09:00 UTC`: rendered on the server, so both sides show the same text.
pub(crate) fn display_time(at: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    at.map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
}
