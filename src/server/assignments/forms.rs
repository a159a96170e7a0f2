//! The forms that start an assignment: the batch page's (ticked devices, or every device of
//! the batch on all its pages) and the job page's (the devices an upload registered). Each
//! is refused before anything is stored when it cannot be sent as asked.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Redirect;

use super::{start, DeviceToAssign, ProfileChoice};
use crate::model::done::Done;
use crate::model::profiles::REMOVE_PROFILE;
use crate::model::selection::Selection;
use crate::model::AppError;
use crate::partner_center::{BatchId, CustomerId};
use crate::server::auth::SignedIn;
use crate::server::caller::{open_customer, Caller};
use crate::server::form_fields::{field, Fields};
use crate::server::operations::OperationId;
use crate::server::path_ids::Ids;
use crate::server::profiles;
use crate::server::refusal::Refusal;
use crate::server::selection::chosen_devices;
use crate::server::AppState;
use crate::urls;

/// The profile a form chose: `profile` is one of the customer's profile ids, or `none` to
/// remove the profile. Refused before anything is stored when the sign-in may not write
/// profiles, nothing is chosen, or the profile is no longer in Partner Center.
pub(crate) async fn chosen_profile(
    caller: &Caller,
    customer: &CustomerId,
    fields: &[(String, String)],
) -> Result<ProfileChoice, Refusal> {
    if let Some(why) = profiles::read_only(caller) {
        return Err(Refusal::new(StatusCode::FORBIDDEN, why));
    }
    let chosen = field(fields, "profile").map(str::trim).unwrap_or_default();
    if chosen.is_empty() {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "Choose the profile to apply, or “No profile” to remove the one the devices have.",
        ));
    }
    if chosen == REMOVE_PROFILE {
        return Ok(ProfileChoice::Remove);
    }
    let listed = caller
        .state
        .partner_center
        .policies(&caller.ctx, customer)
        .await?;
    listed
        .into_iter()
        .find(|p| p.id.as_deref() == Some(chosen))
        .map(|p| ProfileChoice::Apply {
            name: p.name.unwrap_or_else(|| chosen.to_string()),
            id: chosen.to_string(),
        })
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::CONFLICT,
                "That profile is no longer in Partner Center: it was deleted after the page was \
                 opened. Nothing was sent. Go back, reload the page and choose again.",
            )
        })
}

/// Starts the assignment a form asked for ([`start`]) and leads to its page, which says it
/// was sent. At most `upload_max_rows` devices: one setting bounds what one operation stores.
pub(crate) async fn start_and_show(
    caller: &Caller,
    customer: (&CustomerId, &str),
    choice: &ProfileChoice,
    devices: &[DeviceToAssign],
) -> Result<Redirect, Refusal> {
    let most = caller.state.config.upload_max_rows;
    if devices.len() > most {
        return Err(AppError::TooMany {
            most,
            chosen: devices.len(),
        }
        .into());
    }
    let id = start(&caller.state, &caller.user, customer, choice, devices).await?;
    Ok(Redirect::to(&urls::with_done(
        &urls::operation(customer.0, id),
        Done::AssignmentSent,
    )))
}

/// `POST /customers/{id}/batches/{batchId}/profile`: `profile` (an id, or `none`) for the
/// devices the form chose ([`Selection`]: the ticked ones, or every device of the batch on
/// every page), read from Partner Center as they are now ([`chosen_devices`]).
pub async fn apply_to_batch(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids((customer, batch)): Ids<(CustomerId, BatchId)>,
    axum::Form(fields): Fields,
) -> Result<Redirect, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let opened = open_customer(&caller, &customer).await?;
    let choice = chosen_profile(&caller, &customer, &fields).await?;
    let selection = Selection::of_form(&fields)?;
    let devices: Vec<DeviceToAssign> = chosen_devices(&caller, &customer, &batch, &selection)
        .await?
        .into_iter()
        .filter_map(|device| {
            Some(DeviceToAssign {
                batch_id: batch.as_str().to_string(),
                device_id: device.id?,
                serial_number: device.serial_number,
                model: device.model_name,
            })
        })
        .collect();
    start_and_show(&caller, (&customer, &opened.name), &choice, &devices).await
}

/// `POST /customers/{id}/operations/{uploadId}/profile`: `profile` applied to (or removed from)
/// every device the upload registered.
pub async fn apply_to_upload(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids((customer, upload_id)): Ids<(CustomerId, OperationId)>,
    axum::Form(fields): Fields,
) -> Result<Redirect, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let opened = open_customer(&caller, &customer).await?;
    let upload = crate::server::uploads::access::load(&caller, &customer, &upload_id).await?;
    let choice = chosen_profile(&caller, &customer, &fields).await?;
    let devices = caller
        .state
        .store
        .registered_devices(&upload.operation.id)
        .await?;
    if devices.is_empty() {
        return Err(Refusal::new(
            StatusCode::CONFLICT,
            "No device of this upload is registered yet: wait until Partner Center has \
             registered them, then apply the profile.",
        ));
    }
    start_and_show(&caller, (&customer, &opened.name), &choice, &devices).await
}
