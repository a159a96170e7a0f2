//! Autopilot profiles ("configuration policies"): list, create (200), get, update (PUT),
//! delete (204). Only Admin agents may change them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::admin::AdminAgent;
use super::world::Policy;
use super::{customer_for_devices, render};
use crate::sandbox::faults::lock;
use crate::sandbox::wire::{codes, json_response, parse_body, Fault};
use crate::sandbox::SandboxState;

const SETTINGS: [&str; 6] = [
    "none",
    "remove_oem_preinstalls",
    "oobe_user_not_local_admin",
    "skip_express_settings",
    "skip_oem_registration",
    "skip_eula",
];

#[derive(Deserialize, Default)]
#[serde(default)]
struct PolicyIn {
    name: Option<String>,
    category: Option<String>,
    description: Option<String>,
    policysettings: Option<Vec<String>>,
}

/// Name, category `o_o_b_e` and known settings are required, on create and on update.
fn validate(input: PolicyIn) -> Result<(String, Option<String>, Vec<String>), Fault> {
    let bad = |why: String| Fault::new(StatusCode::BAD_REQUEST, codes::INVALID_PROPERTY, why);
    let name = input
        .name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad("Invalid property 'name': it is required.".into()))?;
    if !input
        .category
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("o_o_b_e"))
    {
        return Err(bad(
            "Invalid property 'category': it must be 'o_o_b_e'.".into()
        ));
    }
    let settings = input
        .policysettings
        .ok_or_else(|| bad("Invalid property 'policySettings': it is required.".into()))?;
    if let Some(unknown) = settings
        .iter()
        .find(|s| !SETTINGS.contains(&s.to_ascii_lowercase().as_str()))
    {
        return Err(bad(format!(
            "Invalid property 'policySettings': unknown setting '{unknown}'."
        )));
    }
    let settings = settings.iter().map(|s| s.to_ascii_lowercase()).collect();
    Ok((name, input.description, settings))
}

fn policy_not_found(policy_id: &str) -> Fault {
    Fault::not_found(format!("Policy '{policy_id}' was not found."))
}

pub(super) async fn list(
    State(state): State<Arc<SandboxState>>,
    Path(customer_id): Path<String>,
) -> Result<Response, Fault> {
    let world = lock(&state.partner.world);
    let customer = customer_for_devices(&world, &customer_id)?.id;
    let items = world
        .policies_of(customer)
        .iter()
        .map(|policy| render::policy(policy, world.assigned_count(customer, policy.id)))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &render::collection(items, None, None),
        state.config.emit_bom,
    ))
}

pub(super) async fn get_one(
    State(state): State<Arc<SandboxState>>,
    Path((customer_id, policy_id)): Path<(String, String)>,
) -> Result<Response, Fault> {
    let world = lock(&state.partner.world);
    let customer = customer_for_devices(&world, &customer_id)?.id;
    match world
        .policies_of(customer)
        .iter()
        .find(|p| p.id.to_string() == policy_id.to_lowercase())
    {
        Some(policy) => Ok(json_response(
            StatusCode::OK,
            &render::policy(policy, world.assigned_count(customer, policy.id)),
            state.config.emit_bom,
        )),
        None => Err(policy_not_found(&policy_id)),
    }
}

pub(super) async fn create(
    State(state): State<Arc<SandboxState>>,
    Path(customer_id): Path<String>,
    _: AdminAgent,
    body: Bytes,
) -> Result<Response, Fault> {
    let (name, description, settings) = parse_body(&body).and_then(validate)?;
    let mut world = lock(&state.partner.world);
    let customer = customer_for_devices(&world, &customer_id)?.id;
    let now = Utc::now();
    let policy = Policy {
        id: Uuid::new_v4(),
        name,
        description,
        settings,
        created: now,
        modified: now,
    };
    let body = render::policy(&policy, 0);
    world.policies.entry(customer).or_default().push(policy);
    Ok(json_response(StatusCode::OK, &body, state.config.emit_bom))
}

pub(super) async fn update(
    State(state): State<Arc<SandboxState>>,
    Path((customer_id, policy_id)): Path<(String, String)>,
    _: AdminAgent,
    body: Bytes,
) -> Result<Response, Fault> {
    let (name, description, settings) = parse_body(&body).and_then(validate)?;
    let mut world = lock(&state.partner.world);
    let customer = customer_for_devices(&world, &customer_id)?.id;
    let Some(policy) = world.policies.get_mut(&customer).and_then(|list| {
        list.iter_mut()
            .find(|p| p.id.to_string() == policy_id.to_lowercase())
    }) else {
        return Err(policy_not_found(&policy_id));
    };
    policy.name = name;
    policy.description = description;
    policy.settings = settings;
    policy.modified = Utc::now();
    let id = policy.id;
    let assigned = world.assigned_count(customer, id);
    let body = world
        .policies_of(customer)
        .iter()
        .find(|p| p.id == id)
        .map(|policy| render::policy(policy, assigned))
        .unwrap_or_default();
    Ok(json_response(StatusCode::OK, &body, state.config.emit_bom))
}

/// Deleting a profile also unassigns it from the customer's devices.
pub(super) async fn delete(
    State(state): State<Arc<SandboxState>>,
    Path((customer_id, policy_id)): Path<(String, String)>,
    _: AdminAgent,
) -> Result<Response, Fault> {
    let mut world = lock(&state.partner.world);
    let customer = customer_for_devices(&world, &customer_id)?.id;
    let Some(list) = world.policies.get_mut(&customer) else {
        return Err(policy_not_found(&policy_id));
    };
    let Some(position) = list
        .iter()
        .position(|p| p.id.to_string() == policy_id.to_lowercase())
    else {
        return Err(policy_not_found(&policy_id));
    };
    let removed = list.remove(position).id;
    for device in world
        .batches
        .get_mut(&customer)
        .into_iter()
        .flatten()
        .flat_map(|batch| batch.devices.iter_mut())
        .filter(|device| device.policy == Some(removed))
    {
        device.policy = None;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
