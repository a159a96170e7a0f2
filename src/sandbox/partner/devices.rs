//! Device batches, devices, upload job status and device policy updates.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::admin::{require_admin, AdminAgent};
use super::world::{Batch, DeviceInput, JobKind, JobStatus};
use super::{
    accepted, continuation_header, customer_for_devices, decode_cursor, encode_cursor, jobs, render,
};
use crate::sandbox::faults::lock;
use crate::sandbox::identity::Principal;
use crate::sandbox::wire::{codes, json_response, link, parse_body, Fault};
use crate::sandbox::SandboxState;

/// Partner Center lists devices 100 at a time.
const DEVICE_PAGE: usize = 100;
/// Simulated limit: Microsoft documents no maximum batch id length.
const MAX_BATCH_ID: usize = 128;

/// A device as clients send it; property names already lower-cased by [`parse_body`].
#[derive(Deserialize, Default)]
#[serde(default)]
struct DeviceIn {
    id: Option<String>,
    serialnumber: Option<String>,
    productkey: Option<String>,
    hardwarehash: Option<String>,
    oemmanufacturername: Option<String>,
    modelname: Option<String>,
    policies: Option<Vec<PolicyIn>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PolicyIn {
    key: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreationIn {
    batchid: Option<String>,
    devices: Option<Vec<DeviceIn>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PolicyUpdateIn {
    devices: Option<Vec<DeviceIn>>,
}

/// Blank means absent, as it does to Partner Center.
fn clean(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl DeviceIn {
    fn into_input(self) -> DeviceInput {
        DeviceInput {
            serial_number: clean(self.serialnumber),
            product_key: clean(self.productkey),
            hardware_hash: clean(self.hardwarehash),
            manufacturer: clean(self.oemmanufacturername),
            model: clean(self.modelname),
            device_id: clean(self.id),
            policy: self.policies.map(|policies| {
                policies
                    .into_iter()
                    .find(|p| {
                        p.key
                            .as_deref()
                            .is_some_and(|k| k.eq_ignore_ascii_case("o_o_b_e"))
                    })
                    .and_then(|p| clean(p.value))
            }),
        }
    }
}

/// A request's devices, read; Partner Center refuses a request with none.
fn devices_of(sent: Vec<DeviceIn>) -> Result<Vec<DeviceInput>, Fault> {
    if sent.is_empty() {
        return Err(Fault::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID_INPUT,
            "The request must contain at least one device.",
        ));
    }
    Ok(sent.into_iter().map(DeviceIn::into_input).collect())
}

fn batch_not_found(batch_id: &str) -> Fault {
    Fault::new(
        StatusCode::NOT_FOUND,
        codes::BATCH_NOT_FOUND,
        format!("Device batch '{batch_id}' was not found."),
    )
}

fn check_batch_id(batch_id: &str) -> Result<(), Fault> {
    let problem = if batch_id.trim().is_empty() {
        Some("must not be empty")
    } else if batch_id.chars().count() > MAX_BATCH_ID {
        Some("must be at most 128 characters")
    } else if batch_id
        .chars()
        .any(|c| c.is_control() || matches!(c, '/' | '?' | '#'))
    {
        Some("must not contain control characters, '/', '?' or '#'")
    } else {
        None
    };
    match problem {
        Some(why) => Err(Fault::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID_PROPERTY,
            format!("Invalid property 'batchId': it {why}."),
        )),
        None => Ok(()),
    }
}

pub(super) async fn list_batches(
    State(state): State<Arc<SandboxState>>,
    Path(customer_id): Path<String>,
) -> Result<Response, Fault> {
    let world = lock(&state.partner.world);
    let customer = customer_for_devices(&world, &customer_id)?;
    let items = world
        .batches_of(customer.id)
        .iter()
        .map(|batch| render::batch(customer.id, batch))
        .collect();
    let body = render::collection(items, None, None);
    Ok(json_response(StatusCode::OK, &body, state.config.emit_bom))
}

pub(super) async fn create_batch(
    State(state): State<Arc<SandboxState>>,
    Extension(principal): Extension<Principal>,
    Path(customer_id): Path<String>,
    body: Bytes,
) -> Result<Response, Fault> {
    let request: CreationIn = parse_body(&body)?;
    let batch_id = request.batchid.unwrap_or_default().trim().to_string();
    check_batch_id(&batch_id)?;
    let devices = devices_of(request.devices.unwrap_or_default())?;
    let (customer, tracking_id) = {
        let mut world = lock(&state.partner.world);
        let customer = customer_for_devices(&world, &customer_id)?.id;
        if world.batch(customer, &batch_id).is_some() {
            return Err(Fault::new(
                StatusCode::CONFLICT,
                codes::BATCH_EXISTS,
                format!("A device batch named '{batch_id}' already exists for this customer."),
            ));
        }
        world.add_batch(
            customer,
            Batch {
                id: batch_id.clone(),
                created_by: principal.user.upn.to_string(),
                creation_date: Utc::now(),
                devices: Vec::new(),
                status: Some(JobStatus::Queued),
            },
        );
        let tracking_id = world.new_job(customer, Some(batch_id), JobKind::Upload, devices);
        (customer, tracking_id)
    };
    jobs::spawn(state.clone(), tracking_id);
    Ok(accepted(customer, tracking_id))
}

pub(super) async fn add_devices(
    State(state): State<Arc<SandboxState>>,
    Path((customer_id, batch_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Fault> {
    let devices = devices_of(parse_body(&body)?)?;
    let (customer, tracking_id) = {
        let mut world = lock(&state.partner.world);
        let customer = customer_for_devices(&world, &customer_id)?.id;
        let Some(batch) = world.batch_mut(customer, &batch_id) else {
            return Err(batch_not_found(&batch_id));
        };
        batch.status = Some(JobStatus::Queued);
        let canonical_id = batch.id.clone();
        let tracking_id = world.new_job(customer, Some(canonical_id), JobKind::Upload, devices);
        (customer, tracking_id)
    };
    jobs::spawn(state.clone(), tracking_id);
    Ok(accepted(customer, tracking_id))
}

#[derive(Serialize, Deserialize)]
struct DeviceCursor {
    /// Offset of the next page.
    o: usize,
    /// The batch the token belongs to (lower-cased).
    b: String,
}

pub(super) async fn list_devices(
    State(state): State<Arc<SandboxState>>,
    Path((customer_id, batch_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Fault> {
    let offset = match continuation_header(&headers).map(decode_cursor::<DeviceCursor>) {
        None => 0,
        Some(Ok(cursor)) if cursor.b == batch_id.to_lowercase() => cursor.o,
        Some(Ok(_)) => {
            return Err(Fault::new(
                StatusCode::BAD_REQUEST,
                codes::INVALID_INPUT,
                "The continuation token belongs to another batch.",
            ));
        }
        Some(Err(fault)) => return Err(fault),
    };
    let world = lock(&state.partner.world);
    let customer = customer_for_devices(&world, &customer_id)?.id;
    let Some(batch) = world.batch(customer, &batch_id) else {
        return Err(batch_not_found(&batch_id));
    };
    let end = (offset + DEVICE_PAGE).min(batch.devices.len());
    let items = batch
        .devices
        .get(offset..end)
        .unwrap_or_default()
        .iter()
        .map(render::device)
        .collect();
    let uri = format!("/customers/{customer}/deviceBatches/{}/devices", batch.id);
    let token = (end < batch.devices.len()).then(|| {
        encode_cursor(&DeviceCursor {
            o: end,
            b: batch_id.to_lowercase(),
        })
    });
    let mut links = json!({ "self": link(&uri) });
    if let Some(token) = &token {
        links["next"] = render::next_link(&uri, token);
    }
    let body = render::collection(items, Some(links), token.as_deref());
    Ok(json_response(StatusCode::OK, &body, state.config.emit_bom))
}

pub(super) async fn delete_device(
    State(state): State<Arc<SandboxState>>,
    Path((customer_id, batch_id, device_id)): Path<(String, String, String)>,
) -> Result<Response, Fault> {
    let mut world = lock(&state.partner.world);
    let customer = customer_for_devices(&world, &customer_id)?.id;
    if world.batch(customer, &batch_id).is_none() {
        return Err(batch_not_found(&batch_id));
    }
    let deleted = Uuid::parse_str(&device_id)
        .map(|id| world.delete_device(customer, &batch_id, id))
        .unwrap_or(false);
    if deleted {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(Fault::not_found(format!(
            "Device '{device_id}' was not found in batch '{batch_id}'."
        )))
    }
}

/// `PUT …/devices/{deviceId}`: the .NET SDK's undocumented single-device update, which
/// changes the device's profile.
pub(super) async fn update_device(
    State(state): State<Arc<SandboxState>>,
    Extension(principal): Extension<Principal>,
    Path((customer_id, batch_id, device_id)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, Fault> {
    let input = parse_body::<DeviceIn>(&body)?.into_input();
    if input.policy.is_some() {
        require_admin(&principal)?;
    }
    let mut world = lock(&state.partner.world);
    let customer = customer_for_devices(&world, &customer_id)?.id;
    let policy = match input.policy.clone().flatten() {
        None => None,
        Some(text) => match Uuid::parse_str(&text)
            .ok()
            .filter(|id| world.policies_of(customer).iter().any(|p| p.id == *id))
        {
            Some(id) => Some(id),
            None => {
                return Err(Fault::new(
                    StatusCode::BAD_REQUEST,
                    codes::INVALID_PROPERTY,
                    format!("Profile '{text}' does not exist for this customer."),
                ));
            }
        },
    };
    let Some(batch) = world.batch_mut(customer, &batch_id) else {
        return Err(batch_not_found(&batch_id));
    };
    let Some(device) = batch
        .devices
        .iter_mut()
        .find(|device| device.id.to_string() == device_id)
    else {
        return Err(Fault::not_found(format!(
            "Device '{device_id}' was not found in batch '{batch_id}'."
        )));
    };
    if input.policy.is_some() {
        device.policy = policy;
    }
    let body = render::device(device);
    Ok(json_response(StatusCode::OK, &body, state.config.emit_bom))
}

pub(super) async fn job_status(
    State(state): State<Arc<SandboxState>>,
    Path((customer_id, tracking_id)): Path<(String, String)>,
) -> Result<Response, Fault> {
    let world = lock(&state.partner.world);
    let customer = customer_for_devices(&world, &customer_id)?.id;
    let job = Uuid::parse_str(&tracking_id)
        .ok()
        .and_then(|id| world.jobs.get(&id))
        .filter(|job| job.customer_id == customer);
    match job {
        Some(job) => Ok(json_response(
            StatusCode::OK,
            &render::job(job),
            state.config.emit_bom,
        )),
        None => Err(Fault::not_found(format!(
            "Batch upload '{tracking_id}' was not found."
        ))),
    }
}

pub(super) async fn update_policies(
    State(state): State<Arc<SandboxState>>,
    Path(customer_id): Path<String>,
    _: AdminAgent,
    body: Bytes,
) -> Result<Response, Fault> {
    let request: PolicyUpdateIn = parse_body(&body)?;
    let devices = devices_of(request.devices.unwrap_or_default())?;
    if devices
        .iter()
        .any(|d| d.device_id.is_none() || d.policy.is_none())
    {
        return Err(Fault::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID_INPUT,
            "Each device needs an 'id' and 'policies'.",
        ));
    }
    let (customer, tracking_id) = {
        let mut world = lock(&state.partner.world);
        let customer = customer_for_devices(&world, &customer_id)?.id;
        let tracking_id = world.new_job(customer, None, JobKind::PolicyUpdate, devices);
        (customer, tracking_id)
    };
    jobs::spawn(state.clone(), tracking_id);
    Ok(accepted(customer, tracking_id))
}
