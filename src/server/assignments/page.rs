//! What an assignment's page shows (`/customers/{id}/operations/{operationId}`).

use super::{assignment_of, following, AssignedDevice};
use crate::model::operations::{
    AssignedDeviceView, AssignmentCounts, AssignmentOutcome, AssignmentView, OperationState,
};
use crate::model::AppError;
use crate::server::caller::{open_customer, Caller};
use crate::server::display_time;
use crate::server::operations::parts::Part;
use crate::server::operations::{device_errors, follow, Operation};

/// A device's outcome in words: what Partner Center's code means and what to do.
fn explanation(device: &AssignedDevice) -> Option<String> {
    match device.outcome {
        AssignmentOutcome::Failed => Some(match device.error_code.as_deref().map(str::trim) {
            // Not registered with this customer (any more): deleted since it was chosen.
            Some("807") | Some("812") => "Partner Center has no such device for this customer \
                 (any more): it was deleted, or moved, after it was chosen. Open its batch to \
                 see what is there now."
                .to_string(),
            code => device_errors::explain(code, device.error_description.as_deref()),
        }),
        AssignmentOutcome::Unreported => Some(
            "Partner Center finished without saying what happened to this device. Open its \
             batch: the profile column shows what it has now."
                .to_string(),
        ),
        AssignmentOutcome::Waiting | AssignmentOutcome::Done => None,
    }
}

/// The server side of an assignment's page; refreshes the jobs first when they run.
/// `operation` is an assignment the caller may see (`operation_pages::view` checked).
pub(crate) async fn view(
    caller: &Caller,
    operation: Operation,
) -> Result<AssignmentView, AppError> {
    let (id, operation_id) = (operation.customer_id, operation.id);
    let customer = open_customer(caller, &id).await?;
    let store = &caller.state.store;
    let refresh = following::refresh(&caller.state, &caller.ctx, &operation);
    follow::refresh_for_page(&store.parts(&operation.id).await?, refresh).await;
    // Read again: the refresh may have moved it on.
    let operation = assignment_of(caller, &id, &operation_id).await?;
    let parts = store.parts(&operation.id).await?;
    let choice = store.assignment_choice(&operation.id).await?;
    let devices = store.assigned_devices(&operation.id).await?;
    let counts = AssignmentCounts {
        total: devices.len() as i64,
        done: count(&devices, |o| o == AssignmentOutcome::Done),
        failed: count(&devices, |o| {
            matches!(o, AssignmentOutcome::Failed | AssignmentOutcome::Unreported)
        }),
    };
    let running =
        operation.state == OperationState::Submitting || parts.iter().any(Part::job_running);
    Ok(AssignmentView {
        customer,
        requested: display_time(chrono::DateTime::from_timestamp(operation.created_at, 0))
            .unwrap_or_default(),
        requested_by: operation.upn,
        id: operation.id.to_string(),
        profile: choice.name().map(str::to_string),
        state: operation.state,
        error: operation.error,
        check_error: parts
            .iter()
            .filter(|p| p.job_running())
            .find_map(|p| p.check_error.clone()),
        running,
        counts,
        tracking_ids: parts
            .iter()
            .filter_map(|p| p.tracking_id.map(|t| t.to_string()))
            .collect(),
        devices: in_order_shown(&devices)
            .into_iter()
            .take(DEVICES_SHOWN)
            .map(|device| AssignedDeviceView {
                batch_id: device.batch_id.clone(),
                device_id: device.device_id.clone(),
                serial_number: device.serial_number.clone(),
                model: device.model.clone(),
                outcome: device.outcome,
                error_code: device.error_code.clone(),
                explanation: explanation(device),
            })
            .collect(),
        can_retry: operation.state == OperationState::Failed,
    })
}

/// How many devices an assignment's page lists: what needs the person (failures, then those
/// still waiting) comes first, so a large assignment's page stays light and still shows it;
/// the counts above the list cover every device.
const DEVICES_SHOWN: usize = 500;

fn in_order_shown(devices: &[AssignedDevice]) -> Vec<&AssignedDevice> {
    let mut shown: Vec<&AssignedDevice> = devices.iter().collect();
    shown.sort_by_key(|d| match d.outcome {
        AssignmentOutcome::Failed | AssignmentOutcome::Unreported => 0,
        AssignmentOutcome::Waiting => 1,
        AssignmentOutcome::Done => 2,
    });
    shown
}

fn count(devices: &[AssignedDevice], which: impl Fn(AssignmentOutcome) -> bool) -> i64 {
    devices.iter().filter(|d| which(d.outcome)).count() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_lists_what_needs_the_person_first() {
        let outcomes = [
            AssignmentOutcome::Done,
            AssignmentOutcome::Waiting,
            AssignmentOutcome::Unreported,
            AssignmentOutcome::Failed,
        ];
        let devices: Vec<AssignedDevice> = outcomes
            .iter()
            .enumerate()
            .map(|(i, outcome)| AssignedDevice {
                outcome: *outcome,
                ..AssignedDevice::waiting(i as i64, "x")
            })
            .collect();
        let order: Vec<i64> = in_order_shown(&devices)
            .iter()
            .map(|d| d.position)
            .collect();
        assert_eq!(order, vec![2, 3, 1, 0]);
    }
}
