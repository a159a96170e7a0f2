//! `/healthz`: the process answers. `/readyz`: its dependencies answer too.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use super::AppState;

pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

/// Ready when the database answers and Partner Center's host answers HTTP at all (any
/// status: even a 401 proves it is up).
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let upstream = state.partner_center.probe().await;
    let database = state.store.ping().await;
    let status = if upstream.is_ok() && database {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "database": if database { "ok" } else { "unavailable" },
            "partner_center": upstream.map(|_| "reachable".to_string()).unwrap_or_else(|why| why),
        })),
    )
}
