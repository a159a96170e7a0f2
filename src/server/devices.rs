//! Deleting a device from a batch: the confirmation page's data (the device as Partner
//! Center has it; the page is `pages::device_delete`), then the deletion, a form post
//! recorded in the audit trail, so it works with JavaScript off.

use axum::extract::{Path, State};
use axum::response::Redirect;
use futures::{StreamExt, TryStreamExt};

use super::audit::{self, Action, Actor, Event};
use super::auth::SignedIn;
use super::browse::device_row;
use super::caller::{caller, open_customer, parse_customer, Caller};
use super::refusal::Refusal;
use super::AppState;
use crate::model::{AppError, DeviceToDelete};
use crate::partner_center::{BatchId, RequestId};
use crate::urls;

type DevicePath = Path<(String, String, String)>;

/// What the confirmation page (`GET /customers/{id}/batches/{batchId}/devices/{deviceId}/delete`,
/// a Leptos page) shows: the device as Partner Center lists it in its batch.
pub async fn device_to_delete(
    customer_id: String,
    batch_id: String,
    device_id: String,
) -> Result<DeviceToDelete, AppError> {
    let caller = caller().await?;
    let id = parse_customer(&customer_id)?;
    let batch = parse_batch(&batch_id)?;
    let customer = open_customer(&caller, &id).await?;
    let device = caller
        .state
        .partner_center
        .devices(&caller.ctx, &id, &batch)
        .try_filter(|d| std::future::ready(d.id.as_deref() == Some(device_id.as_str())))
        .boxed()
        .try_next()
        .await?
        .ok_or(AppError::NotFound {
            what: "The device in this batch".into(),
        })?;
    Ok(DeviceToDelete {
        customer,
        batch_id: batch.as_str().to_string(),
        device: device_row(device, None),
    })
}

/// `POST` of the same address: deletes the device, then back to the batch.
pub async fn delete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((customer_id, batch_id, device_id)): DevicePath,
) -> Result<Redirect, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let deleted = async {
        let customer = parse_customer(&customer_id)?;
        let batch = parse_batch(&batch_id)?;
        let answer = caller
            .state
            .partner_center
            .delete_device(&caller.ctx, &customer, &batch, &device_id, RequestId::new())
            .await;
        // The batch's device count changed (or may have, if the answer was lost).
        caller
            .state
            .batch_lists
            .customer_changed(&caller.state.store, &customer.to_string())
            .await;
        answer.map_err(AppError::from)
    }
    .await;
    audit::record(
        &caller.state,
        Event {
            action: Action::DeviceDeleted,
            ok: deleted.is_ok(),
            actor: Actor::from(&caller.user),
            customer_id: Some(customer_id.clone()),
            upload_id: None,
            detail: match &deleted {
                Ok(()) => format!("Device {device_id} deleted from the batch “{batch_id}”."),
                Err(error) => format!(
                    "Device {device_id} could not be deleted from the batch “{batch_id}”: {error}"
                ),
            },
            correlation_id: caller.ctx.correlation_id,
        },
    )
    .await;
    deleted?;
    tracing::info!(customer = %customer_id, batch = %batch_id, device = %device_id, "device deleted");
    Ok(Redirect::to(&format!(
        "{}?deleted={}",
        urls::batch(&customer_id, &batch_id, 1),
        urls::encode(&device_id)
    )))
}

fn parse_batch(batch_id: &str) -> Result<BatchId, AppError> {
    BatchId::parse(batch_id).map_err(|e| AppError::BadInput(e.to_string()))
}
