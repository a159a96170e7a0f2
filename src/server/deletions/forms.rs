//! The forms that delete devices from a batch, each a form post (so it works with JavaScript
//! off) after a confirmation page: one device (`pages::device_delete`), deleted at once; or
//! the devices the batch page's form chose (`pages::batch_delete`: the ticked ones, or
//! every device of the batch), deleted in the background. Both start a deletion operation
//! ([`super`]).

use axum::extract::State;
use axum::response::Redirect;
use futures::{StreamExt, TryStreamExt};

use super::DeviceToRemove;
use crate::model::done::Done;
use crate::model::operations::OperationState;
use crate::model::selection::Selection;
use crate::model::{AppError, DeviceToDelete, DevicesToDelete};
use crate::partner_center::{BatchId, CustomerId, Device};
use crate::server::auth::SignedIn;
use crate::server::browse::device_row;
use crate::server::caller::{caller, open_customer, Caller};
use crate::server::form_fields::Fields;
use crate::server::path_ids::Ids;
use crate::server::refusal::Refusal;
use crate::server::selection::chosen_devices;
use crate::server::AppState;
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
    let Some(removed) = DeviceToRemove::listed(&batch, device) else {
        return Err(AppError::NotFound {
            what: "The device in this batch".into(),
        }
        .into());
    };
    let name = removed.name();
    let (operation_id, ended) = super::delete_now(
        &caller.state,
        &caller.user,
        (&customer, &opened.name),
        &[removed],
    )
    .await?;
    if ended == Some(OperationState::Submitted) {
        tracing::info!(customer = %customer_id, batch = %batch_id, device = %device_id, "device deleted");
        let batch = urls::with_done(
            &urls::batch(&customer_id, &batch_id, 1),
            Done::DeviceDeleted,
        );
        let named = crate::server::done_about::naming(&caller.state.cipher, &batch, &name);
        return Ok(Redirect::to(&named));
    }
    Ok(Redirect::to(&urls::operation(&customer_id, operation_id)))
}

/// How many of the chosen devices the bulk confirmation names; it counts the rest.
const NAMED_AT_MOST: usize = 50;

/// What the bulk confirmation page (`GET /customers/{id}/batches/{batchId}/delete?devices=…`,
/// a Leptos page) shows: how many devices the batch page's form chose, as Partner Center
/// lists them now, and the first of them.
pub async fn devices_to_delete(
    id: CustomerId,
    batch: BatchId,
    selection: Selection,
) -> Result<DevicesToDelete, AppError> {
    let caller = caller().await?;
    let customer = open_customer(&caller, &id).await?;
    let chosen = chosen_devices(&caller, &id, &batch, &selection).await?;
    Ok(DevicesToDelete {
        customer,
        batch_id: batch.to_string(),
        selection,
        count: chosen.len(),
        shown: chosen
            .into_iter()
            .take(NAMED_AT_MOST)
            .map(|device| device_row(device, None))
            .collect(),
    })
}

/// `POST /customers/{id}/batches/{batchId}/delete`: deletes the devices the confirmation
/// carried on (`devices`, `device`, and how many it showed, `confirmed`), read again from
/// Partner Center as they are now, as one operation stored, then sent in the background
/// ([`super::send_in_background`]); then to its page, which follows it.
pub async fn delete_chosen(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids((customer, batch)): Ids<(CustomerId, BatchId)>,
    axum::Form(fields): Fields,
) -> Result<Redirect, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let opened = open_customer(&caller, &customer).await?;
    let selection = Selection::of_form(&fields)?;
    let devices: Vec<DeviceToRemove> = chosen_devices(&caller, &customer, &batch, &selection)
        .await?
        .into_iter()
        .filter_map(|device| DeviceToRemove::listed(&batch, device))
        .collect();
    Selection::as_confirmed(&fields, devices.len())?;
    let (state, user) = (&caller.state, &caller.user);
    let id = super::store_one(state, user, (&customer, &opened.name), &devices).await?;
    super::send_in_background(&caller.state, &caller.user, id);
    tracing::info!(customer = %customer, batch = %batch, operation = %id, devices = devices.len(), "deletion started");
    Ok(Redirect::to(&urls::with_done(
        &urls::operation(customer, id),
        Done::DeletionStarted,
    )))
}
