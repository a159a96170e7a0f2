//! Sending a confirmed upload to Partner Center, chunk by chunk.
//!
//! Every chunk and its `MS-RequestId` were written to the database when the user confirmed
//! ([`Store::begin_submission`](crate::server::store::Store::begin_submission)); this only
//! sends the pending ones, in order, and records each answer. Sending a chunk again — after a
//! dropped connection, or from a later run — reuses its request id, so Partner Center does
//! the work once. A part whose answer was lost for good is settled by looking at what
//! Partner Center holds ([`super::settle`]), never resent under its id forever.

use uuid::Uuid;

use super::settle;
use crate::ingest::DeviceRow;
use crate::model::operations::OperationState;
use crate::model::operations::PartState;
use crate::partner_center::{
    BatchId, CallContext, CustomerId, ErrorKind, NewDevice, PartnerCenterError,
};
use crate::server::auth::{self, SessionUser, TokenFailure};
use crate::server::leases::Lease;
use crate::server::operations::parts::{Part, PartOutcome};
use crate::server::operations::OperationId;
use crate::server::operations::{refusals, sending_lease};
use crate::server::{unix_now, AppState};

fn to_new_device(row: DeviceRow) -> NewDevice {
    NewDevice {
        serial_number: row.serial_number,
        product_key: row.product_key,
        hardware_hash: row.hardware_hash,
        oem_manufacturer_name: row.manufacturer,
        model_name: row.model,
    }
}

/// Sends the upload's pending chunks; ends it as `Submitted` or `Failed`. Errors are
/// recorded on the upload, never lost in a log alone. Then follows the accepted chunks' jobs
/// until Partner Center has finished with them.
///
/// Only the holder of the upload's lease sends: when another task or replica holds it, this
/// returns at once; when the lease is taken over mid-way (this process stalled past its
/// lifetime), it stops before the next part and leaves the rest to the new holder.
pub async fn run(state: AppState, user: SessionUser, upload_id: OperationId) {
    let Some(lease) = Lease::take(&state, sending_lease(&upload_id)).await else {
        tracing::info!(upload = %upload_id, "another task or replica is sending this upload");
        return;
    };
    run_holding(state, user, upload_id, lease).await
}

/// [`run`], with the upload's lease already taken.
pub async fn run_holding(state: AppState, user: SessionUser, upload_id: OperationId, lease: Lease) {
    let outcome = send_pending(&state, &user, &upload_id, &lease).await;
    let (final_state, error) = match outcome {
        Ok(Sent::All) => (OperationState::Submitted, None),
        Ok(Sent::LeaseLost) => return,
        Err(message) => (OperationState::Failed, Some(message)),
    };
    if let Err(e) = state
        .store
        .finish_operation(&upload_id, final_state, error.as_deref(), unix_now())
        .await
    {
        tracing::error!(upload = %upload_id, error = %e, "could not record the end of a submission");
    }
    lease.release().await;
    crate::server::operations::follow::follow(state, user, upload_id, super::follow::refresher)
        .await;
}

/// How sending ended, short of a refusal.
enum Sent {
    All,
    /// Another replica holds the upload now and sends the rest.
    LeaseLost,
}

async fn send_pending(
    state: &AppState,
    user: &SessionUser,
    upload_id: &OperationId,
    lease: &Lease,
) -> Result<Sent, String> {
    let store = &state.store;
    let database = |e: sqlx::Error| {
        tracing::error!(upload = %upload_id, error = %e, "database error while submitting");
        "The dashboard's database failed while sending; send the remaining parts again.".to_string()
    };
    let upload = store
        .upload(upload_id)
        .await
        .map_err(database)?
        .ok_or("The upload is gone.")?;
    let customer = upload.operation.customer_id;
    let batch = BatchId::parse(upload.batch_id.as_deref().unwrap_or_default())
        .map_err(|e| e.to_string())?;
    // Devices are added to a new batch only once Partner Center lists it: checked before the
    // first addition of this run, also when a restart resumes after the creation, and again
    // after a part that creates it is sent again.
    let mut batch_listed = !upload.target.is_new();
    loop {
        if !lease.held() {
            tracing::warn!(upload = %upload_id, "stopped sending: the upload was taken over");
            return Ok(Sent::LeaseLost);
        }
        let chunks = store.parts(upload_id).await.map_err(database)?;
        let Some(chunk) = next_to_send(&chunks) else {
            break;
        };
        let token = auth::access_token(state, user).await.map_err(|failure| match failure {
            TokenFailure::SignedOut => "Your sign-in ended before every part was sent; sign in and send the remaining parts.".to_string(),
            TokenFailure::Unavailable => "The sign-in service could not be reached to renew your token; send the remaining parts later.".to_string(),
        })?;
        let ctx = CallContext::new(token, Uuid::new_v4());
        if chunk.state == PartState::Uncertain {
            settle::settle(state, &ctx, upload_id, &customer, &batch, chunk).await?;
            continue;
        }
        if chunk.creates_batch() {
            batch_listed = false;
        } else if !batch_listed {
            wait_for_batch(state, &ctx, &customer, &batch).await?;
            batch_listed = true;
        }
        let devices: Vec<NewDevice> = store
            .chunk_devices(upload_id, chunk.number)
            .await
            .map_err(database)?
            .into_iter()
            .map(to_new_device)
            .collect();
        let request_id = chunk.request_id;
        let client = &state.partner_center;
        let answer = if chunk.creates_batch() {
            client
                .create_device_batch(&ctx, &customer, &batch, &devices, request_id)
                .await
        } else {
            client
                .add_devices(&ctx, &customer, &batch, &devices, request_id)
                .await
        };
        // Even an error may come after Partner Center took the request.
        state
            .batch_lists
            .customer_changed(&state.store, &customer.to_string())
            .await;
        let error = match answer {
            Ok(tracking_id) => {
                let outcome = PartOutcome::Accepted {
                    tracking_id: Some(tracking_id),
                };
                store
                    .record_part(upload_id, chunk.number, &outcome, unix_now())
                    .await
                    .map_err(database)?;
                continue;
            }
            Err(error) => error,
        };
        let message = explain(&error, chunk, &batch);
        let uncertain = settle::leaves_uncertain(&error, chunk);
        let outcome = match uncertain {
            true => PartOutcome::Uncertain {
                error: message.clone(),
            },
            false => PartOutcome::Refused {
                error: message.clone(),
            },
        };
        store
            .record_part(upload_id, chunk.number, &outcome, unix_now())
            .await
            .map_err(database)?;
        // Settled by looking on the next turn; but a part that already sends again what a
        // lost one left, lost too, ends this run: the person (or the next restart) decides
        // when to look again, so a Partner Center in trouble is not asked in a loop.
        if !uncertain || chunk.resends.is_some() {
            return Err(message);
        }
    }
    Ok(Sent::All)
}

/// The part to deal with next: an uncertain one first (what it left decides what goes next),
/// then one that creates the batch, then the others in order.
fn next_to_send(chunks: &[Part]) -> Option<&Part> {
    chunks
        .iter()
        .filter(|c| matches!(c.state, PartState::Uncertain | PartState::Pending))
        .min_by_key(|c| {
            (
                c.state != PartState::Uncertain,
                !c.creates_batch(),
                c.number,
            )
        })
}

/// Creating a batch is asynchronous: the devices that follow are added only once Partner
/// Center lists the batch (what adding to a batch still being created does is not
/// documented). Polls with growing pauses, for about two minutes at most.
async fn wait_for_batch(
    state: &AppState,
    ctx: &CallContext,
    customer: &CustomerId,
    batch: &BatchId,
) -> Result<(), String> {
    let mut pause = std::time::Duration::from_millis(250);
    for _ in 0..12 {
        match state.partner_center.device_batches(ctx, customer).await {
            Ok(batches) if batches.iter().any(|b| batch.same_batch_as(&b.id)) => return Ok(()),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "listing batches while waiting for a new one"),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_secs(15));
    }
    Err(format!(
        "Partner Center accepted the new batch “{batch}” but did not list it within two \
         minutes, so the remaining devices were not sent yet. Send the remaining parts later."
    ))
}

/// A refusal of a whole chunk in words, with the ids support needs.
fn explain(error: &PartnerCenterError, chunk: &Part, batch: &BatchId) -> String {
    let create = chunk.creates_batch();
    let what = match error.kind() {
        ErrorKind::Conflict if create && chunk.resends.is_some() => format!("Partner Center says the batch “{batch}” exists now: the part whose answer was lost probably created it. Send the remaining parts: the dashboard looks at the batch again and sends only what is missing."),
        ErrorKind::Conflict if create => format!("A batch named “{batch}” already exists for this customer. Upload again and add to that batch, or choose another name."),
        ErrorKind::NotFound if !create => format!("The batch “{batch}” no longer exists for this customer."),
        _ => return refusals::in_words(error, "Send the remaining parts"),
    };
    refusals::with_ids(what, error)
}
