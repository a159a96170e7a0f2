//! Deleting a device from a batch: a confirmation page that shows the device as Partner
//! Center has it, then the deletion, recorded in the audit trail. Plain pages and a form
//! post, so it works with JavaScript off.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use futures::{StreamExt, TryStreamExt};

use super::audit::{self, Action, Actor, Event};
use super::auth::SignedIn;
use super::pages_data::{parse_customer, Caller};
use super::AppState;
use crate::api::AppError;
use crate::html::{escape, page};
use crate::partner_center::{BatchId, Device, RequestId};
use crate::urls;

type DevicePath = Path<(String, String, String)>;

/// `GET /customers/{id}/batches/{batchId}/devices/{deviceId}/delete`: are you sure?
pub async fn confirm(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((customer_id, batch_id, device_id)): DevicePath,
) -> Response {
    let found = async {
        let caller = Caller::new(state, signed_in).await?;
        let customer = parse_customer(&customer_id)?;
        let batch = parse_batch(&batch_id)?;
        let device = caller
            .state
            .partner_center
            .devices(&caller.ctx, &customer, &batch)
            .try_filter(|d| std::future::ready(d.id.as_deref() == Some(device_id.as_str())))
            .boxed()
            .try_next()
            .await?;
        device.ok_or(AppError::NotFound {
            what: "The device in this batch".into(),
        })
    };
    match found.await {
        Ok(device) => confirmation(&customer_id, &batch_id, &device_id, &device),
        Err(error) => failure(&customer_id, &batch_id, &error),
    }
}

/// `POST` of the same address: deletes the device, then back to the batch.
pub async fn delete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((customer_id, batch_id, device_id)): DevicePath,
) -> Response {
    let caller = match Caller::new(state, signed_in).await {
        Ok(caller) => caller,
        Err(error) => return failure(&customer_id, &batch_id, &error),
    };
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
    match deleted {
        Ok(()) => {
            tracing::info!(customer = %customer_id, batch = %batch_id, device = %device_id, "device deleted");
            Redirect::to(&format!(
                "{}?deleted={}",
                urls::batch(&customer_id, &batch_id, 1),
                urls::encode(&device_id)
            ))
            .into_response()
        }
        Err(error) => failure(&customer_id, &batch_id, &error),
    }
}

fn parse_batch(batch_id: &str) -> Result<BatchId, AppError> {
    BatchId::parse(batch_id).map_err(|e| AppError::BadInput(e.to_string()))
}

fn confirmation(customer_id: &str, batch_id: &str, device_id: &str, device: &Device) -> Response {
    let field = |label: &str, value: &Option<String>| {
        format!(
            "<dt>{label}</dt><dd>{}</dd>",
            escape(value.as_deref().unwrap_or("—"))
        )
    };
    let action = escape(&format!(
        "{}/devices/{}/delete",
        urls::batch(customer_id, batch_id, 1),
        urls::encode(device_id)
    ));
    let body = format!(
        "<h1>Delete this device?</h1>\
         <p>It is removed from the batch “{batch}” and stops being registered for Autopilot \
         with this customer. To register it again, upload it again.</p>\
         <dl class=\"facts\">{serial}{key}{make}{model}<dt>Device id</dt><dd><code>{id}</code></dd></dl>\
         <form method=\"post\" action=\"{action}\" class=\"actions\">\
         <button type=\"submit\">Delete the device</button>\
         <a class=\"button secondary\" href=\"{back}\">Cancel</a></form>",
        batch = escape(batch_id),
        serial = field("Serial number", &device.serial_number),
        key = field("Product key", &device.product_key),
        make = field("Manufacturer", &device.oem_manufacturer_name),
        model = field("Model", &device.model_name),
        id = escape(device_id),
        back = escape(&urls::batch(customer_id, batch_id, 1)),
    );
    page(StatusCode::OK, "Delete a device", &body)
}

fn failure(customer_id: &str, batch_id: &str, error: &AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_GATEWAY);
    let body = format!(
        "<h1>The device was not deleted</h1><div class=\"notice error\" role=\"alert\"><p>{}</p></div>\
         <p><a class=\"button\" href=\"{}\">Back to the batch</a></p>",
        escape(&error.to_string()),
        escape(&urls::batch(customer_id, batch_id, 1))
    );
    page(status, "Not deleted", &body)
}
