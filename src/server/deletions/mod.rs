//! Deleting devices from their batch, as operations (see [`super::operations`]): the
//! deletion is written down with one part per device, each with its `MS-RequestId`, before
//! Partner Center hears of it; then each device gets one `DELETE`, answered at once.
//!
//! The rules every kind follows, for this one: a `DELETE` whose answer was lost or kept
//! failing (5xx, a timeout, a dropped connection) leaves its part uncertain, and goes again
//! under the same request id, when the person asks or when a restart takes the work over;
//! Partner Center's 404 to it then means the first one did it, and counts as deleted. A
//! refusal (403, a throttling that did not end) goes again under a new id. A process that
//! dies mid-way leaves the deletion `submitting`, and the next one (or another replica) sends
//! the rest on the stored sign-in of the person who asked.

pub mod forms;
mod store;

use crate::model::audit::AuditAction;
use crate::model::operations::{DeletedDeviceView, DeletionView, OperationKind, OperationState};
use crate::model::AppError;
use crate::partner_center::{
    BatchId, CallContext, CustomerId, Device, ErrorKind, PartnerCenterError,
};
use crate::server::audit;
use crate::server::auth::SessionUser;
use crate::server::caller::{open_customer, Caller};
use crate::server::leases::Lease;
use crate::server::operations::parts::{Part, PartOutcome};
use crate::server::operations::sending::{self, Run};
use crate::server::operations::{self, refusals, Operation, OperationId};
use crate::server::{display_time, AppState};

/// One device a deletion removes, as the person confirmed it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeviceToRemove {
    pub batch_id: BatchId,
    pub device_id: String,
    pub serial_number: Option<String>,
    pub product_key: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
}

impl DeviceToRemove {
    /// `device` of `batch` as Partner Center listed it; `None` when it has no id to delete.
    pub fn listed(batch: &BatchId, device: Device) -> Option<DeviceToRemove> {
        Some(DeviceToRemove {
            batch_id: batch.clone(),
            device_id: device.id?,
            serial_number: device.serial_number,
            product_key: device.product_key,
            manufacturer: device.oem_manufacturer_name,
            model: device.model_name,
        })
    }

    /// The device in the words a person knows it by: "5CG1234 (EliteBook 840)", its serial
    /// number alone, or its Partner Center id.
    pub fn name(&self) -> String {
        match (&self.serial_number, &self.model) {
            (Some(serial), Some(model)) => format!("{serial} ({model})"),
            (Some(serial), None) => serial.clone(),
            (None, _) => format!("with id {}", self.device_id),
        }
    }
}

/// The part's outcome for Partner Center's answer. A 404 means the device is not in the
/// batch: deleted, by this request's first try (its answer lost) or by anyone since the
/// person confirmed; either way what they asked for holds.
fn answer(result: Result<(), PartnerCenterError>) -> PartOutcome {
    let Err(error) = result else {
        return PartOutcome::Accepted { tracking_id: None };
    };
    match error.kind() {
        ErrorKind::NotFound => PartOutcome::Accepted { tracking_id: None },
        _ => refusals::uncertain_or_refused(&error, "whether the device was deleted"),
    }
}

/// Sends the deletion's parts that are not done ([`sending::send_parts`]), one `DELETE` each,
/// and writes one audit row for this run. Returns the state it ended in, or `None` when
/// another replica took the work over.
pub async fn run_holding(
    state: &AppState,
    user: &SessionUser,
    operation_id: &OperationId,
    lease: Lease,
) -> Result<Option<OperationState>, sqlx::Error> {
    let devices = state.store.devices_to_remove(operation_id).await?;
    let devices = &devices;
    let run = sending::send_parts(
        state,
        user,
        operation_id,
        lease,
        |ctx, customer_id, part| async move {
            match devices.get(part.number as usize) {
                Some(device) => {
                    let outcome = send(state, &ctx, &customer_id, device, &part).await;
                    if let PartOutcome::Accepted { .. } = outcome {
                        let (tenant, id) = (&user.tenant_id, &device.device_id);
                        let customer = customer_id.to_string();
                        if let Err(error) = state.store.unindex_device(tenant, &customer, id).await {
                            tracing::warn!(%error, "could not take a deleted device out of the index");
                        }
                    }
                    outcome
                }
                None => PartOutcome::Refused {
                    error: "The stored deletion is damaged: a part has no device.".into(),
                },
            }
        },
    )
    .await?;
    let Some(run) = run else {
        return Ok(None);
    };
    // The batches' device counts changed, or may have, where an answer was lost.
    let customer = run.operation.customer_id.to_string();
    state
        .batch_lists
        .customer_changed(&state.store, &customer)
        .await;
    record(state, user, &run, devices).await;
    Ok(Some(run.ended))
}

/// One `DELETE`, under the part's stored request id.
async fn send(
    state: &AppState,
    ctx: &CallContext,
    customer: &CustomerId,
    device: &DeviceToRemove,
    part: &Part,
) -> PartOutcome {
    let (batch, request_id) = (&device.batch_id, part.request_id);
    let result = state
        .partner_center
        .delete_device(ctx, customer, batch, &device.device_id, request_id)
        .await;
    answer(result)
}

/// Batches an audit row of a deletion names; it counts the rest.
const BATCHES_NAMED: usize = 3;

/// The audit row of one run of a deletion: what was asked and how it ended, in the words the
/// person would search for (serial number, batch, customer's name; the ids are on the row
/// and on the operation's page). One device is named; many are counted (each one's outcome
/// is on the operation's page, one link away).
async fn record(state: &AppState, user: &SessionUser, run: &Run, devices: &[DeviceToRemove]) {
    let failure = run.failure.as_deref();
    let customer = &run.operation.customer_name;
    let mut detail = match devices {
        [device] => {
            let done = match failure {
                None => "deleted",
                Some(_) => "could not be deleted",
            };
            format!(
                "Device {} {done} from the batch “{}” of {customer}.",
                device.name(),
                device.batch_id
            )
        }
        _ => {
            let batches: std::collections::BTreeSet<&str> =
                devices.iter().map(|d| d.batch_id.as_str()).collect();
            let named: Vec<String> = batches
                .iter()
                .take(BATCHES_NAMED)
                .map(|b| format!("“{b}”"))
                .collect();
            let batches = match batches.len().saturating_sub(BATCHES_NAMED) {
                0 => named.join(", "),
                more => format!("{} and {more} more batches", named.join(", ")),
            };
            let asked = devices.len();
            match failure {
                None => format!("{asked} devices deleted from {batches} of {customer}."),
                Some(_) => format!(
                    "Not all of {asked} devices could be deleted from {batches} of {customer}."
                ),
            }
        }
    };
    if let Some(why) = failure {
        detail = format!("{detail} {why}");
    }
    audit::record_run(state, user, run, AuditAction::DeviceDeleted, detail).await;
}

/// New deletions for `user`, one per customer of `by_customer` with its devices, stored
/// together (all or none) and not sent yet. Returns their ids, in the same order.
pub async fn store_new(
    state: &AppState,
    user: &SessionUser,
    by_customer: &[((&CustomerId, &str), &[DeviceToRemove])],
) -> Result<Vec<OperationId>, sqlx::Error> {
    let deletions: Vec<(Operation, &[DeviceToRemove])> = by_customer
        .iter()
        .map(|(customer, devices)| {
            let kind = OperationKind::DeviceDeletion;
            (Operation::sent_now(kind, user, *customer), *devices)
        })
        .collect();
    state.store.insert_deletions(&deletions).await?;
    Ok(deletions.into_iter().map(|(o, _)| o.id).collect())
}

/// A new deletion of `devices` of `customer` for `user`, stored and not sent yet.
pub async fn store_one(
    state: &AppState,
    user: &SessionUser,
    customer: (&CustomerId, &str),
    devices: &[DeviceToRemove],
) -> Result<OperationId, sqlx::Error> {
    let operation = Operation::sent_now(OperationKind::DeviceDeletion, user, customer);
    let id = operation.id;
    state
        .store
        .insert_deletions(&[(operation, devices)])
        .await?;
    Ok(id)
}

/// A new deletion of `devices` of `customer` for `user`, stored and sent at once. Returns its
/// id and the state it ended in (`None`: another replica is sending it).
pub async fn delete_now(
    state: &AppState,
    user: &SessionUser,
    customer: (&CustomerId, &str),
    devices: &[DeviceToRemove],
) -> Result<(OperationId, Option<OperationState>), sqlx::Error> {
    let id = store_one(state, user, customer, devices).await?;
    let Some(lease) = Lease::take(state, operations::sending_lease(&id)).await else {
        return Ok((id, None));
    };
    let ended = run_holding(state, user, &id, lease).await?;
    Ok((id, ended))
}

/// Sends the stored deletion `id` in the background (a thousand `DELETE`s take minutes): its
/// page follows it. Should the process stop first, a restart sends it.
pub fn send_in_background(state: &AppState, user: &SessionUser, id: OperationId) {
    let (state, user) = (state.clone(), user.clone());
    operations::in_background(id, async move {
        let Some(lease) = Lease::take(&state, operations::sending_lease(&id)).await else {
            return;
        };
        if let Err(error) = run_holding(&state, &user, &id, lease).await {
            // The operation stays `submitting`: reconcile sends the rest.
            tracing::warn!(%error, operation = %id, "a deletion stopped: database error");
        }
    });
}

/// Devices a deletion's page lists at a time.
const DEVICES_PER_PAGE: usize = 100;

/// The server side of a deletion's page: page `page` of its devices, those not deleted
/// first, and how many are deleted of how many.
/// `operation` is a deletion the caller may see (`operation_pages::view` checked).
pub(crate) async fn view(
    caller: &Caller,
    operation: Operation,
    page: u32,
) -> Result<DeletionView, AppError> {
    let customer = open_customer(caller, &operation.customer_id).await?;
    let store = &caller.state.store;
    let (total, deleted) = store.deletion_counts(&operation.id).await?;
    let page = page.max(1);
    let skip = (page as usize - 1) * DEVICES_PER_PAGE;
    let has_next = skip + DEVICES_PER_PAGE < total;
    let devices = store
        .deletion_page(&operation.id, skip, DEVICES_PER_PAGE)
        .await?
        .into_iter()
        .map(|d| DeletedDeviceView {
            batch_id: d.batch_id.to_string(),
            device_id: d.device_id,
            serial_number: d.serial_number,
            model: d.model,
            state: d.state,
            error: d.error,
            request_id: d.request_id.to_string(),
        })
        .collect();
    Ok(DeletionView {
        customer,
        requested: display_time(chrono::DateTime::from_timestamp(operation.created_at, 0))
            .unwrap_or_default(),
        requested_by: operation.upn,
        id: operation.id.to_string(),
        can_retry: operation.state == OperationState::Failed,
        state: operation.state,
        error: operation.error,
        devices,
        total,
        deleted,
        page,
        has_next,
        pages: crate::model::page_count(total as u64, DEVICES_PER_PAGE, page, has_next),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partner_center::RequestId;

    fn error(kind: ErrorKind) -> Result<(), PartnerCenterError> {
        Err(PartnerCenterError::new(
            kind,
            RequestId::new(),
            uuid::Uuid::nil(),
            "",
        ))
    }

    #[test]
    fn a_lost_answer_is_uncertain_a_404_is_deleted_and_a_refusal_is_refused() {
        let deleted = PartOutcome::Accepted { tracking_id: None };
        assert_eq!(answer(Ok(())), deleted);
        assert_eq!(answer(error(ErrorKind::NotFound)), deleted);
        for lost in [ErrorKind::Server, ErrorKind::Timeout, ErrorKind::Transport] {
            assert!(
                matches!(answer(error(lost)), PartOutcome::Uncertain { .. }),
                "{lost:?}"
            );
        }
        for refused in [
            ErrorKind::Forbidden,
            ErrorKind::Throttled,
            ErrorKind::BadRequest,
        ] {
            assert!(
                matches!(answer(error(refused)), PartOutcome::Refused { .. }),
                "{refused:?}"
            );
        }
    }
}
