//! Prometheus metrics, on a listener of their own (`metrics_addr`, off by default: the
//! numbers are for the partner's monitoring, not for anyone who can reach the dashboard).
//! Counted where it happens, through the `metrics` facade: HTTP requests by route and status
//! with their latency ([`super::access_log`]), Partner Center calls by operation and outcome,
//! retries included (`partner_center::client`), work taken over from a dead replica
//! ([`super::reconcile`]), panics ([`super::panics`]). Read when scraped: operations by kind
//! and state, the database pool's use, and the build's version. `metrics` has one recorder per process: the first
//! dashboard of a process with a metrics listener installs it, and every later one (tests
//! start many) shares it.

use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::AppState;
use crate::model::operations::{OperationKind, OperationState};

pub const HTTP_REQUESTS: &str = "ztd_http_requests_total";
pub const HTTP_DURATION: &str = "ztd_http_request_duration_seconds";
pub const PARTNER_CENTER_CALLS: &str = "ztd_partner_center_calls_total";
pub const PARTNER_CENTER_RETRIES: &str = "ztd_partner_center_retries_total";
pub const LEASE_TAKEOVERS: &str = "ztd_lease_takeovers_total";
pub const PANICS: &str = "ztd_panics_total";
const OPERATIONS: &str = "ztd_operations";
const POOL_CONNECTIONS: &str = "ztd_db_pool_connections";
const BUILD_INFO: &str = "ztd_build_info";

/// Latency buckets, in seconds: a page answers in milliseconds, an upload's read in seconds.
const SECONDS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process's recorder, installed once.
pub(super) fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS)
            .expect("the buckets are not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed in this process")
    })
}

/// Serves `GET /metrics` on `addr` for the life of the process; returns the bound address.
pub async fn serve(addr: SocketAddr, state: AppState) -> std::io::Result<SocketAddr> {
    recorder();
    // Shown from the start, so that an alert on its increase has a series to watch.
    metrics::counter!(PANICS).increment(0);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(scrape))
        .with_state(state);
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "the metrics listener stopped");
        }
    });
    tracing::info!("metrics on http://{bound}/metrics");
    Ok(bound)
}

/// What is read rather than counted, then everything in Prometheus' text format.
async fn scrape(State(state): State<AppState>) -> String {
    let handle = recorder();
    let pool = state.store.pool();
    let idle = pool.num_idle() as f64;
    metrics::gauge!(POOL_CONNECTIONS, "state" => "idle").set(idle);
    metrics::gauge!(POOL_CONNECTIONS, "state" => "busy").set(f64::from(pool.size()) - idle);
    metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    match state.store.operations_by_kind_and_state().await {
        Ok(counts) => {
            // A kind and state with none left has no row: its gauge goes back to 0.
            for kind in OperationKind::ALL {
                for operation_state in OperationState::ALL {
                    let labels = [("kind", kind.as_str()), ("state", operation_state.as_str())];
                    metrics::gauge!(OPERATIONS, &labels).set(0.0);
                }
            }
            for (kind, operation_state, n) in counts {
                metrics::gauge!(OPERATIONS, "kind" => kind, "state" => operation_state)
                    .set(n as f64);
            }
        }
        Err(error) => tracing::warn!(%error, "could not count the operations for the metrics"),
    }
    handle.run_upkeep();
    handle.render()
}
