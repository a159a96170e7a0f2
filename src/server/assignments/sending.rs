//! Sending an assignment's parts: one `PATCH DevicePolicyUpdates` each, under its stored
//! request id ([`operations::sending`]), and the audit row of each run.

use super::{following, AssignedDevice, ProfileChoice};
use crate::model::audit::AuditAction;
use crate::model::operations::OperationState;
use crate::model::profiles::ONLY_ADMIN_AGENTS;
use crate::partner_center::{
    CallContext, CustomerId, DevicePolicyUpdate, ErrorKind, PartnerCenterError, PolicyAssignment,
    TrackingId, NO_RELATIONSHIP_CODE,
};
use crate::server::audit;
use crate::server::auth::SessionUser;
use crate::server::leases::Lease;
use crate::server::operations::parts::{Part, PartOutcome};
use crate::server::operations::sending::{self, Run};
use crate::server::operations::OperationId;
use crate::server::operations::{follow, refusals};
use crate::server::AppState;

/// The part's outcome for Partner Center's answer to its `PATCH`: taken as a job, lost (sent
/// again under the same id), or refused (in words; a refusal for the person's role is the
/// one that makes the profile pages read-only for them, [`forbids_profiles`]).
fn answer(result: Result<TrackingId, PartnerCenterError>) -> PartOutcome {
    let error = match result {
        Ok(tracking_id) => {
            return PartOutcome::Accepted {
                tracking_id: Some(tracking_id),
            }
        }
        Err(error) => error,
    };
    match error.kind() {
        ErrorKind::Forbidden if error.code.as_deref() != Some(NO_RELATIONSHIP_CODE) => {
            PartOutcome::Refused {
                error: refusals::with_ids(ONLY_ADMIN_AGENTS.into(), &error),
            }
        }
        _ => refusals::uncertain_or_refused(&error, "whether it took these devices"),
    }
}

/// Partner Center refused this sign-in profile writes: its role (a Sales agent).
fn forbids_profiles(outcome: &PartOutcome) -> bool {
    matches!(outcome, PartOutcome::Refused { error } if error.starts_with(ONLY_ADMIN_AGENTS))
}

/// Sends the assignment's parts that are not done ([`sending::send_parts`]), one `PATCH`
/// each, and writes one audit row for this run. Returns the state it ended in, or `None`
/// when another replica took the work over. The jobs are followed by [`follow`]:
/// [`run_holding`] does both.
pub async fn send_holding(
    state: &AppState,
    user: &SessionUser,
    operation_id: &OperationId,
    lease: Lease,
) -> Result<Option<OperationState>, sqlx::Error> {
    let store = &state.store;
    let choice = store.assignment_choice(operation_id).await?;
    let devices = store.assigned_devices(operation_id).await?;
    let (choice, devices) = (&choice, &devices);
    let run = sending::send_parts(
        state,
        user,
        operation_id,
        lease,
        |ctx, customer_id, part| async move {
            let carried: Vec<&AssignedDevice> =
                devices.iter().filter(|d| d.part == part.number).collect();
            let outcome = send(state, &ctx, &customer_id, choice, &carried, &part).await;
            if forbids_profiles(&outcome) {
                state.profile_write_refusals.remember(&user.sign_in_id);
            }
            outcome
        },
    )
    .await?;
    let Some(run) = run else {
        return Ok(None);
    };
    record(state, user, &run, choice, devices).await;
    Ok(Some(run.ended))
}

/// [`send_holding`], then the jobs followed until Partner Center has finished with every
/// device: what a restart or another replica runs for an assignment left `submitting`.
pub async fn run_holding(
    state: AppState,
    user: SessionUser,
    operation_id: OperationId,
    lease: Lease,
) {
    if let Err(error) = send_holding(&state, &user, &operation_id, lease).await {
        tracing::error!(operation = %operation_id, %error, "could not send an assignment");
        return;
    }
    follow::follow(state, user, operation_id, following::refresher).await;
}

/// One `PATCH`, under the part's stored request id.
async fn send(
    state: &AppState,
    ctx: &CallContext,
    customer: &CustomerId,
    choice: &ProfileChoice,
    devices: &[&AssignedDevice],
    part: &Part,
) -> PartOutcome {
    let updates: Vec<DevicePolicyUpdate> = devices
        .iter()
        .map(|device| DevicePolicyUpdate {
            id: device.device_id.clone(),
            policies: vec![PolicyAssignment::oobe(choice.wire_value())],
        })
        .collect();
    answer(
        state
            .partner_center
            .update_device_policies(ctx, customer, &updates, part.request_id)
            .await,
    )
}

/// The audit row of one run: who applied which profile to how many devices, and how the
/// sending ended. Each device's outcome is on the assignment's page, which the row links.
async fn record(
    state: &AppState,
    user: &SessionUser,
    run: &Run,
    choice: &ProfileChoice,
    devices: &[AssignedDevice],
) {
    let failure = run.failure.as_deref();
    let mut batches: Vec<&str> = devices.iter().map(|d| d.batch_id.as_str()).collect();
    batches.sort_unstable();
    batches.dedup();
    let count = match devices.len() {
        1 => "1 device".to_string(),
        n => format!("{n} devices"),
    };
    let batches = batches
        .iter()
        .map(|b| format!("“{b}”"))
        .collect::<Vec<_>>()
        .join(", ");
    let (action, what) = match choice {
        ProfileChoice::Apply { name, .. } => (
            AuditAction::ProfileApplied,
            format!("The profile “{name}” sent to {count} of the batch {batches}."),
        ),
        ProfileChoice::Remove => (
            AuditAction::ProfileRemoved,
            format!("The profile removal sent for {count} of the batch {batches}."),
        ),
    };
    let detail = match failure {
        None => what,
        Some(why) => format!("{what} Not every part was taken: {why}"),
    };
    audit::record_run(state, user, run, action, detail).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partner_center::RequestId;

    #[test]
    fn a_lost_answer_is_uncertain_a_sales_agent_is_told_why_and_remembered() {
        let error = |kind| {
            Err(PartnerCenterError::new(
                kind,
                RequestId::new(),
                uuid::Uuid::nil(),
                "",
            ))
        };
        assert!(matches!(
            answer(error(ErrorKind::Server)),
            PartOutcome::Uncertain { .. }
        ));
        assert!(matches!(
            answer(error(ErrorKind::Timeout)),
            PartOutcome::Uncertain { .. }
        ));
        let forbidden = answer(error(ErrorKind::Forbidden));
        assert!(forbids_profiles(&forbidden), "{forbidden:?}");
        let mut no_relationship = PartnerCenterError::new(
            ErrorKind::Forbidden,
            RequestId::new(),
            uuid::Uuid::nil(),
            "",
        );
        no_relationship.code = Some(NO_RELATIONSHIP_CODE.into());
        assert!(!forbids_profiles(&answer(Err(no_relationship))));
        assert!(matches!(
            answer(error(ErrorKind::BadRequest)),
            PartOutcome::Refused { .. }
        ));
    }
}
