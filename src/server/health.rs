//! `/healthz`: the process answers. `/readyz`: its own dependency, the database, answers too.
//!
//! Readiness never waits on Partner Center: a Microsoft outage must not take every replica out
//! of a load balancer (they would all be "not ready" at once, and nobody could even read the
//! page that explains the outage), and an address anyone may open must not make the dashboard
//! call Microsoft. How Partner Center answered this replica's last real request is reported
//! beside it, for people and monitoring, without changing the status.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use super::AppState;

pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

/// 200 when the database answers, else 503.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let database = state.store.ping().await;
    let status = if database {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let partner_center = match state.partner_center.last_contact() {
        Some(contact) => json!({
            "last_request": contact.reachability.as_str(),
            "at": chrono::DateTime::from_timestamp(contact.at, 0)
                .map(|at| at.to_rfc3339())
                .unwrap_or_default(),
        }),
        None => json!({ "last_request": "none yet" }),
    };
    (
        status,
        Json(json!({
            "database": if database { "ok" } else { "unavailable" },
            "partner_center": partner_center,
        })),
    )
}
