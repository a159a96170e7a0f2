//! Deleting a device from a batch: the confirmation page's data (the device as Partner
//! Center has it; the page is `pages::device_delete`), then the deletion, a form post (so it
//! works with JavaScript off) that starts a deletion operation ([`super::deletions`]).

use axum::extract::State;
use axum::response::Redirect;
use futures::{StreamExt, TryStreamExt};

use super::auth::SignedIn;
use super::browse::device_row;
use super::caller::{caller, open_customer, Caller};
use super::deletions::{self, DeviceToRemove};
use super::path_ids::Ids;
use super::refusal::Refusal;
use super::AppState;
use crate::model::done::Done;
use crate::model::operations::OperationState;
use crate::model::{AppError, DeviceToDelete};
use crate::partner_center::{BatchId, CustomerId, Device};
use crate::urls;

/// The device `device_id` as Partner Center lists it in `batch`; not found when it is not
/// there (deleted meanwhile, or never in this batch).
async fn listed_device(
    caller: &Caller,
    customer: &CustomerId,
    batch: &BatchId,
    device_id: &str,
) -> Result<Device, AppError> {
    caller
        .state
        .partner_center
        .devices(&caller.ctx, customer, batch)
        .try_filter(|d| std::future::ready(d.id.as_deref() == Some(device_id)))
        .boxed()
        .try_next()
        .await?
        .ok_or(AppError::NotFound {
            what: "The device in this batch".into(),
        })
}

/// What the confirmation page (`GET /customers/{id}/batches/{batchId}/devices/{deviceId}/delete`,
/// a Leptos page) shows: the device as Partner Center lists it in its batch.
pub async fn device_to_delete(
    id: CustomerId,
    batch: BatchId,
    device_id: String,
) -> Result<DeviceToDelete, AppError> {
    let caller = caller().await?;
    let customer = open_customer(&caller, &id).await?;
    let device = listed_device(&caller, &id, &batch, &device_id).await?;
    Ok(DeviceToDelete {
        customer,
        batch_id: batch.to_string(),
        device: device_row(device, None),
    })
}

/// `POST` of the same address: deletes the device as an operation of one device (see
/// [`super::deletions`]), stored first with what the person confirmed, then back to the batch;
/// when it did not succeed, to the deletion's page, which says why and offers to try again.
pub async fn delete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids((customer, batch, device_id)): Ids<(CustomerId, BatchId, String)>,
) -> Result<Redirect, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let (customer_id, batch_id) = (customer.to_string(), batch.to_string());
    let opened = open_customer(&caller, &customer).await?;
    let device = listed_device(&caller, &customer, &batch, &device_id).await?;
    let removed = DeviceToRemove {
        batch_id: batch.clone(),
        device_id: device_id.clone(),
        serial_number: device.serial_number,
        product_key: device.product_key,
        manufacturer: device.oem_manufacturer_name,
        model: device.model_name,
    };
    let (operation_id, ended) = deletions::delete_now(
        &caller.state,
        &caller.user,
        (&customer, &opened.name),
        &[removed],
    )
    .await?;
    if ended == Some(OperationState::Submitted) {
        tracing::info!(customer = %customer_id, batch = %batch_id, device = %device_id, "device deleted");
        let batch = urls::batch(&customer_id, &batch_id, 1);
        return Ok(Redirect::to(&urls::with_done(&batch, Done::DeviceDeleted)));
    }
    Ok(Redirect::to(&urls::operation(&customer_id, operation_id)))
}
