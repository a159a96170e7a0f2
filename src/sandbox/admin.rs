//! `/_sandbox/…`: change faults, reset to the seed, and look inside, while the sandbox runs.
//! Unauthenticated by design: mounted only when the sandbox listens on loopback, and it holds
//! only made-up data.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use uuid::Uuid;

use super::faults::{lock, FaultSettings};
use super::identity::users::DEMO_USERS;
use super::SandboxState;

pub(crate) fn routes() -> Router<Arc<SandboxState>> {
    Router::new()
        .route("/_sandbox", get(index))
        .route("/_sandbox/faults", get(get_faults).put(put_faults))
        .route("/_sandbox/reset", post(reset))
        .route("/_sandbox/requests", get(requests).delete(clear_requests))
        .route("/_sandbox/revoke-refresh-tokens", post(revoke))
        .route("/_sandbox/tokens", get(tokens))
        .route("/_sandbox/customers/{customer}/devices", get(devices))
}

async fn index(State(state): State<Arc<SandboxState>>) -> Response {
    let users: Vec<_> = DEMO_USERS
        .iter()
        .map(|u| json!({"upn": u.upn, "name": u.name, "oid": u.oid, "purpose": u.purpose}))
        .collect();
    let clients: Vec<_> = state
        .config
        .clients
        .iter()
        .map(|c| json!({"clientId": c.client_id, "redirectUris": c.redirect_uris}))
        .collect();
    Json(json!({
        "authority": format!("{}/{}", state.base_url, state.config.partner_tenant_id),
        "partnerCenter": format!("{}/v1", state.base_url),
        "users": users,
        "clients": clients,
        "admin": {
            "GET|PUT /_sandbox/faults": "fault settings (JSON)",
            "POST /_sandbox/reset": "back to the seed data and the start-up faults",
            "GET|DELETE /_sandbox/requests": "the Partner Center requests received",
            "POST /_sandbox/revoke-refresh-tokens": "make every refresh token invalid",
            "GET /_sandbox/tokens": "every access and refresh token issued, and the token requests received (leak tests)",
            "GET /_sandbox/customers/{id}/devices": "every device of a customer, hashes included",
        }
    }))
    .into_response()
}

async fn get_faults(State(state): State<Arc<SandboxState>>) -> Json<FaultSettings> {
    Json(state.faults.settings())
}

async fn put_faults(
    State(state): State<Arc<SandboxState>>,
    Json(settings): Json<FaultSettings>,
) -> Json<FaultSettings> {
    tracing::info!(?settings, "sandbox: faults changed");
    state.faults.replace(settings);
    Json(state.faults.settings())
}

async fn reset(State(state): State<Arc<SandboxState>>) -> StatusCode {
    state.partner.reset();
    state.faults.replace(state.config.faults.clone());
    state.faults.clear_log();
    StatusCode::NO_CONTENT
}

async fn requests(State(state): State<Arc<SandboxState>>) -> Response {
    Json(state.faults.log()).into_response()
}

async fn clear_requests(State(state): State<Arc<SandboxState>>) -> StatusCode {
    state.faults.clear_log();
    StatusCode::NO_CONTENT
}

async fn revoke(State(state): State<Arc<SandboxState>>) -> Response {
    let revoked = state.identity.revoke_refresh_tokens();
    Json(json!({ "revoked": revoked })).into_response()
}

/// The last tokens issued, so a test can search the dashboard's pages and log for them, and
/// how many token requests came in. The sandbox's tokens open nothing but the sandbox.
async fn tokens(State(state): State<Arc<SandboxState>>) -> Response {
    let (issued, requests) = state.identity.tokens();
    Json(json!({"issued": issued, "requests": requests})).into_response()
}

/// Every device of a customer, with its batch and hardware hash, which the public API does
/// not return: tests compare it with what the dashboard believes.
async fn devices(State(state): State<Arc<SandboxState>>, Path(customer): Path<Uuid>) -> Response {
    let world = lock(&state.partner.world);
    let devices: Vec<_> = world
        .batches_of(customer)
        .iter()
        .flat_map(|batch| {
            batch.devices.iter().map(move |d| {
                json!({
                    "batchId": batch.id,
                    "id": d.id,
                    "serialNumber": d.serial_number,
                    "productKey": d.product_key,
                    "hardwareHash": d.hardware_hash,
                    "oemManufacturerName": d.manufacturer,
                    "modelName": d.model,
                    "policy": d.policy,
                })
            })
        })
        .collect();
    Json(devices).into_response()
}
