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

use axum::extract::State;
use axum::response::Redirect;

use super::audit::{self, Actor, Event};
use super::auth::{SessionUser, SignedIn};
use super::caller::{caller, open_customer, Caller};
use super::leases::Lease;
use super::operations::parts::{Part, PartOutcome};
use super::operations::{self, refusals, Operation, OperationId};
use super::path_ids::Ids;
use super::refusal::Refusal;
use super::store::Store;
use super::{display_time, unix_now, AppState};
use crate::model::audit::AuditAction;
use crate::model::done::Done;
use crate::model::operations::{
    DeletedDeviceView, DeletionView, OperationKind, OperationState, PartAction, PartState,
};
use crate::model::AppError;
use crate::partner_center::{
    BatchId, CallContext, CustomerId, ErrorKind, PartnerCenterError, RequestId,
};
use crate::urls;

/// One device a deletion removes, as the person confirmed it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeviceToRemove {
    pub batch_id: String,
    pub device_id: String,
    pub serial_number: Option<String>,
    pub product_key: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
}

impl Store {
    /// Writes a deletion, `submitting`, with one part per device, each with its request id,
    /// in one transaction: nothing is sent before all of it is stored.
    pub async fn insert_deletion(
        &self,
        operation: &Operation,
        devices: &[DeviceToRemove],
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        operations::insert(&mut tx, operation).await?;
        for (part, device) in devices.iter().enumerate() {
            let part = part as i64;
            sqlx::query(
                "INSERT INTO device_deletions (operation_id, part, batch_id, device_id, \
                 serial_number, product_key, manufacturer, model) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&operation.id)
            .bind(part)
            .bind(&device.batch_id)
            .bind(&device.device_id)
            .bind(&device.serial_number)
            .bind(&device.product_key)
            .bind(&device.manufacturer)
            .bind(&device.model)
            .execute(&mut *tx)
            .await?;
            let action = (PartAction::DeleteDevice, 1);
            operations::parts::insert_part(
                &mut tx,
                &operation.id,
                part,
                action,
                None,
                operation.created_at,
            )
            .await?;
        }
        tx.commit().await
    }

    /// A deletion's devices, by part.
    pub async fn devices_to_remove(
        &self,
        operation_id: &str,
    ) -> Result<Vec<DeviceToRemove>, sqlx::Error> {
        sqlx::query_as(
            "SELECT batch_id, device_id, serial_number, product_key, manufacturer, model \
             FROM device_deletions WHERE operation_id = $1 ORDER BY part",
        )
        .bind(operation_id)
        .fetch_all(self.pool())
        .await
    }
}

/// What one `DELETE` came to, for its part.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Deleted,
    /// Partner Center may have done it: sent again under the same request id.
    Uncertain(String),
    /// Partner Center did nothing: sent again under a new request id, when asked.
    Refused(String),
}

/// The part's outcome for Partner Center's answer. A 404 means the device is not in the
/// batch: deleted, by this request's first try (its answer lost) or by anyone since the
/// person confirmed; either way what they asked for holds.
fn answer(result: Result<(), PartnerCenterError>) -> Answer {
    let Err(error) = result else {
        return Answer::Deleted;
    };
    match error.kind() {
        ErrorKind::NotFound => Answer::Deleted,
        ErrorKind::Server
        | ErrorKind::Timeout
        | ErrorKind::Transport
        | ErrorKind::InvalidResponse => Answer::Uncertain(refusals::with_ids(
            "Partner Center could not be reached or kept failing, so whether the device was \
             deleted is not known. Try again: the same request goes again, and Partner Center \
             does it at most once."
                .into(),
            &error,
        )),
        _ => Answer::Refused(refusals::in_words(&error, "Try again")),
    }
}

/// Sends the deletion's parts that are not done, each under its stored request id, never
/// stopping at the first failure; ends the deletion `Submitted` or `Failed` (with the first
/// reason), and writes one audit row for this run. Returns the state it ended in, or `None`
/// when another replica took the work over.
pub async fn run_holding(
    state: &AppState,
    user: &SessionUser,
    operation_id: &str,
    lease: Lease,
) -> Result<Option<OperationState>, sqlx::Error> {
    let store = &state.store;
    let Some(operation) = store.operation(operation_id).await? else {
        lease.release().await;
        return Ok(None);
    };
    let devices = store.devices_to_remove(operation_id).await?;
    let parts = store.parts(operation_id).await?;
    // Without a token nothing is sent and no part changes: one whose answer was lost keeps
    // its request id for whoever tries again.
    let ctx = match super::auth::access_token(state, user).await {
        Ok(token) => Some(CallContext::new(token, uuid::Uuid::new_v4())),
        Err(_) => None,
    };
    let to_send = |p: &&Part| matches!(p.state, PartState::Pending | PartState::Uncertain);
    for part in parts.iter().filter(to_send) {
        let Some(ctx) = &ctx else {
            break;
        };
        if !lease.held() {
            tracing::warn!(operation = %operation_id, "stopped deleting: the work was taken over");
            return Ok(None);
        }
        let Some(device) = devices.get(part.number as usize) else {
            continue;
        };
        let result = send(state, ctx, &operation.customer_id, device, part).await;
        let outcome = match &result {
            Answer::Deleted => PartOutcome::Accepted { tracking_id: None },
            Answer::Uncertain(error) => PartOutcome::Uncertain { error },
            Answer::Refused(error) => PartOutcome::Refused { error },
        };
        store
            .record_part(operation_id, part.number, outcome, unix_now())
            .await?;
    }
    // Also what an earlier run left refused: the deletion failed until the person sends it
    // again, which gives those parts new ids.
    let first_failure = store
        .parts(operation_id)
        .await?
        .into_iter()
        .find(|p| !p.state.is_done())
        .map(|p| match (&ctx, p.error) {
            (None, _) => "The sign-in that asked for this deletion has ended, so nothing was \
                          sent. Sign in and press “Try again”."
                .to_string(),
            (Some(_), Some(error)) => error,
            (Some(_), None) => "A device was not deleted.".to_string(),
        });
    let ended = match &first_failure {
        None => OperationState::Submitted,
        Some(_) => OperationState::Failed,
    };
    store
        .finish_operation(operation_id, ended, first_failure.as_deref(), unix_now())
        .await?;
    lease.release().await;
    record(
        state,
        user,
        &operation,
        &devices,
        first_failure.as_deref(),
        ctx.as_ref(),
    )
    .await;
    Ok(Some(ended))
}

/// One `DELETE`, under the part's stored request id.
async fn send(
    state: &AppState,
    ctx: &CallContext,
    customer_id: &str,
    device: &DeviceToRemove,
    part: &Part,
) -> Answer {
    let ids = (
        CustomerId::parse(customer_id),
        BatchId::parse(&device.batch_id),
        RequestId::parse(&part.request_id),
    );
    let (Ok(customer), Ok(batch), Ok(request_id)) = ids else {
        return Answer::Refused("The stored deletion is damaged: its ids do not parse.".into());
    };
    let result = state
        .partner_center
        .delete_device(ctx, &customer, &batch, &device.device_id, request_id)
        .await;
    // The batch's device count changed, or may have, if the answer was lost.
    state
        .batch_lists
        .customer_changed(&state.store, &customer.to_string())
        .await;
    answer(result)
}

/// The audit row of one run of a deletion: what was asked and how it ended.
async fn record(
    state: &AppState,
    user: &SessionUser,
    operation: &Operation,
    devices: &[DeviceToRemove],
    failure: Option<&str>,
    ctx: Option<&CallContext>,
) {
    let done = match failure {
        None => "deleted",
        Some(_) => "could not be deleted",
    };
    let mut detail = devices
        .iter()
        .map(|d| {
            format!(
                "Device {} {done} from the batch “{}”.",
                d.device_id, d.batch_id
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(why) = failure {
        detail = format!("{detail} {why}");
    }
    audit::record(
        state,
        Event {
            action: AuditAction::DeviceDeleted,
            ok: failure.is_none(),
            actor: Actor::from(user),
            customer_id: Some(operation.customer_id.clone()),
            operation_id: Some(operation.id.clone()),
            detail,
            correlation_id: ctx
                .map(|c| c.correlation_id)
                .unwrap_or_else(uuid::Uuid::new_v4),
        },
    )
    .await;
}

/// A new deletion of `devices` of `customer` for `user`, stored and sent at once. Returns its
/// id and the state it ended in (`None`: another replica is sending it).
pub async fn delete_now(
    state: &AppState,
    user: &SessionUser,
    customer: (&CustomerId, &str),
    devices: &[DeviceToRemove],
) -> Result<(String, Option<OperationState>), sqlx::Error> {
    let now = unix_now();
    let operation = Operation {
        id: uuid::Uuid::new_v4().to_string(),
        kind: OperationKind::DeviceDeletion,
        customer_id: customer.0.to_string(),
        customer_name: customer.1.to_string(),
        tenant_id: user.tenant_id.clone(),
        object_id: user.object_id.clone(),
        upn: user.upn.clone(),
        state: OperationState::Submitting,
        error: None,
        sign_in_id: Some(user.sign_in_id.clone()),
        created_at: now,
        submitted_at: Some(now),
    };
    state.store.insert_deletion(&operation, devices).await?;
    let Some(lease) = Lease::take(state, operations::sending_lease(&operation.id)).await else {
        return Ok((operation.id, None));
    };
    let ended = run_holding(state, user, &operation.id, lease).await?;
    Ok((operation.id, ended))
}

/// The deletion, if it is the caller's organisation's and this customer's.
async fn deletion_of(
    caller: &Caller,
    customer: &CustomerId,
    operation_id: &OperationId,
) -> Result<Operation, AppError> {
    caller
        .state
        .store
        .operation(&operation_id.to_string())
        .await?
        .filter(|o| o.kind == OperationKind::DeviceDeletion && o.is_for(caller, customer))
        .ok_or_else(|| AppError::NotFound {
            what: "This deletion".into(),
        })
}

/// The server side of a deletion's page.
pub async fn view((id, operation_id): (CustomerId, OperationId)) -> Result<DeletionView, AppError> {
    let caller = caller().await?;
    let customer = open_customer(&caller, &id).await?;
    let store = &caller.state.store;
    let operation = deletion_of(&caller, &id, &operation_id).await?;
    let parts = store.parts(&operation.id).await?;
    let devices = store.devices_to_remove(&operation.id).await?;
    let can_retry = operation.state == OperationState::Failed;
    Ok(DeletionView {
        customer,
        requested: display_time(chrono::DateTime::from_timestamp(operation.created_at, 0))
            .unwrap_or_default(),
        requested_by: operation.upn,
        id: operation.id,
        state: operation.state,
        error: operation.error,
        devices: devices
            .into_iter()
            .zip(parts)
            .map(|(device, part)| DeletedDeviceView {
                batch_id: device.batch_id,
                device_id: device.device_id,
                serial_number: device.serial_number,
                model: device.model,
                state: part.state,
                error: part.error,
                request_id: part.request_id,
            })
            .collect(),
        can_retry,
    })
}

/// `POST /customers/{id}/deletions/{operationId}/retry`: sends a failed deletion's devices
/// again (uncertain ones under their request id, refused ones under a new one), as the
/// person asking, then back to its page.
pub async fn retry(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids((customer, operation_id)): Ids<(CustomerId, OperationId)>,
) -> Result<Redirect, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let store = &caller.state.store;
    let operation = deletion_of(&caller, &customer, &operation_id).await?;
    let page = urls::deletion(&customer.to_string(), &operation.id);
    let resumed = store
        .resume_operation(&operation.id, &caller.user.sign_in_id, unix_now())
        .await
        .map_err(AppError::from)?;
    // Not failed (a second click, another tab): its page says where it stands.
    if !resumed {
        return Ok(Redirect::to(&page));
    }
    if let Some(lease) = Lease::take(&caller.state, operations::sending_lease(&operation.id)).await
    {
        run_holding(&caller.state, &caller.user, &operation.id, lease)
            .await
            .map_err(AppError::from)?;
    }
    Ok(Redirect::to(&urls::with_done(&page, Done::DeletionRetried)))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(answer(Ok(())), Answer::Deleted);
        assert_eq!(answer(error(ErrorKind::NotFound)), Answer::Deleted);
        for lost in [ErrorKind::Server, ErrorKind::Timeout, ErrorKind::Transport] {
            assert!(
                matches!(answer(error(lost)), Answer::Uncertain(_)),
                "{lost:?}"
            );
        }
        for refused in [
            ErrorKind::Forbidden,
            ErrorKind::Throttled,
            ErrorKind::BadRequest,
        ] {
            assert!(
                matches!(answer(error(refused)), Answer::Refused(_)),
                "{refused:?}"
            );
        }
    }
}
