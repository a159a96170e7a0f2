//! Following an assignment's parts: each part's job asked about through `batchJobStatus`
//! until Partner Center has said what became of every device; what it says stored, and the
//! devices done written into the device index.

use futures::future::BoxFuture;

use super::{AssignedDevice, DeviceAnswer, ProfileChoice};
use crate::model::operations::AssignmentOutcome;
use crate::partner_center::{CallContext, DeviceUploadDetails};
use crate::server::operations::jobs::{self, Asked, JobReport};
use crate::server::operations::{follow, Operation};
use crate::server::{unix_now, AppState};

/// [`refresh`] as the background follower calls it ([`follow::Refresh`]).
pub fn refresher(
    state: AppState,
    ctx: CallContext,
    operation: Operation,
) -> BoxFuture<'static, Result<bool, String>> {
    Box::pin(async move { refresh(&state, &ctx, &operation).await })
}

/// Asks Partner Center about each accepted part whose job is still running and stores what
/// it says of the devices. Returns whether any job still runs, or why Partner Center could
/// not be asked about one (also stored on that part, for the page).
pub async fn refresh(
    state: &AppState,
    ctx: &CallContext,
    operation: &Operation,
) -> Result<bool, String> {
    let asking = ask_and_store(state, ctx, operation);
    follow::one_refresh_at_a_time(state, &operation.id, asking).await
}

async fn ask_and_store(
    state: &AppState,
    ctx: &CallContext,
    operation: &Operation,
) -> Result<bool, String> {
    let store = &state.store;
    let database = |e: sqlx::Error| {
        tracing::error!(operation = %operation.id, error = %e, "database error while following an assignment");
        "The dashboard's database failed while storing the assignment's progress.".to_string()
    };
    let devices = store
        .assigned_devices(&operation.id)
        .await
        .map_err(database)?;
    let choice = store
        .assignment_choice(&operation.id)
        .await
        .map_err(database)?;
    let mut running = false;
    let mut failure = None;
    for part in store.parts(&operation.id).await.map_err(database)? {
        let Some(tracking_id) = part.running_job() else {
            continue;
        };
        let carried: Vec<&AssignedDevice> =
            devices.iter().filter(|d| d.part == part.number).collect();
        let asked = jobs::ask(state, ctx, operation, (part.number, &tracking_id)).await;
        let (report, answers) = match asked.map_err(database)? {
            Asked::Answered(details) => {
                running |= !details.is_terminal();
                let report = JobReport::reported(&details);
                let answers = answers(&carried, &details.devices_status, details.is_terminal());
                (report, answers)
            }
            Asked::Forgotten => (JobReport::forgotten(), answers(&carried, &[], true)),
            Asked::Unavailable(message) => {
                running = true;
                failure = Some(message);
                continue;
            }
        };
        store
            .record_assignment_job(&operation.id, part.number, &report, &answers, unix_now())
            .await
            .map_err(database)?;
        let done: Vec<&str> = answers
            .iter()
            .filter(|a| a.outcome == AssignmentOutcome::Done)
            .filter_map(|a| carried.iter().find(|d| d.position == a.position))
            .map(|d| d.device_id.as_str())
            .collect();
        if !done.is_empty() {
            let profile = match &choice {
                ProfileChoice::Apply { id, name } => Some((id.as_str(), name.as_str())),
                ProfileChoice::Remove => None,
            };
            let (tenant, customer) = (&operation.tenant_id, &operation.customer_id.to_string());
            if let Err(error) = store.index_profile(tenant, customer, &done, profile).await {
                tracing::warn!(%error, "could not note an assignment in the device index");
            }
        }
    }
    match failure {
        Some(message) => Err(message),
        None => Ok(running),
    }
}

/// What Partner Center's per-device answers say of a part's devices that still wait: each
/// answer goes to the device it names by id (Partner Center compares ids without regard to
/// case); answers that name none go, in order, to the devices left when as many are left as
/// devices. Once the job ended (`ended`), a device no answer went to is unreported.
fn answers(
    waiting: &[&AssignedDevice],
    statuses: &[DeviceUploadDetails],
    ended: bool,
) -> Vec<DeviceAnswer> {
    let waiting: Vec<&AssignedDevice> = waiting
        .iter()
        .copied()
        .filter(|d| d.outcome == AssignmentOutcome::Waiting)
        .collect();
    let mut given: Vec<Option<&DeviceUploadDetails>> = vec![None; waiting.len()];
    let mut unnamed = Vec::new();
    for status in statuses {
        let named = status.device_id.as_deref().map(str::trim).and_then(|id| {
            waiting
                .iter()
                .position(|d| d.device_id.trim().eq_ignore_ascii_case(id))
        });
        match named {
            Some(index) => given[index] = Some(status),
            None if status.device_id.is_none() => unnamed.push(status),
            // Names a device this part did not send: not guessed.
            None => {}
        }
    }
    let left: Vec<usize> = (0..waiting.len()).filter(|&i| given[i].is_none()).collect();
    if left.len() == unnamed.len() {
        for (&index, status) in left.iter().zip(unnamed) {
            given[index] = Some(status);
        }
    }
    waiting
        .iter()
        .zip(given)
        .filter_map(|(device, status)| {
            let (outcome, code, description) = match status {
                Some(status) if status.is_failure() => (
                    AssignmentOutcome::Failed,
                    status.error_code.clone(),
                    status.error_description.clone(),
                ),
                Some(status) if status.status.is_terminal() => {
                    (AssignmentOutcome::Done, None, None)
                }
                _ if ended => (AssignmentOutcome::Unreported, None, None),
                _ => return None,
            };
            Some(DeviceAnswer {
                position: device.position,
                outcome,
                error_code: code,
                error_description: description,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partner_center::UploadStatus;

    fn status(id: Option<&str>, status: UploadStatus, code: Option<&str>) -> DeviceUploadDetails {
        DeviceUploadDetails {
            device_id: id.map(Into::into),
            serial_number: None,
            product_key: None,
            status,
            error_code: code.map(Into::into),
            error_description: None,
        }
    }

    #[test]
    fn answers_go_to_the_device_they_name_and_an_ended_job_leaves_none_waiting() {
        let devices = [
            AssignedDevice::waiting(0, "AAA"),
            AssignedDevice::waiting(1, "bbb"),
            AssignedDevice::waiting(2, "ccc"),
        ];
        let waiting: Vec<&AssignedDevice> = devices.iter().collect();
        let statuses = [
            status(Some("BBB"), UploadStatus::Finished, None),
            status(Some("aaa"), UploadStatus::FinishedWithErrors, Some("809")),
            status(Some("zzz"), UploadStatus::Finished, None),
        ];
        let running = answers(&waiting, &statuses, false);
        assert_eq!(
            running
                .iter()
                .map(|a| (a.position, a.outcome))
                .collect::<Vec<_>>(),
            vec![(0, AssignmentOutcome::Failed), (1, AssignmentOutcome::Done)]
        );
        assert_eq!(running[0].error_code.as_deref(), Some("809"));
        let ended = answers(&waiting, &statuses, true);
        assert_eq!(ended[2].outcome, AssignmentOutcome::Unreported);
        // Answers naming no device go in order to the devices left, when they match in
        // number; a device still processing waits.
        let statuses = [
            status(None, UploadStatus::Finished, None),
            status(None, UploadStatus::Processing, None),
            status(None, UploadStatus::Finished, None),
        ];
        let by_order = answers(&waiting, &statuses, false);
        assert_eq!(
            by_order.iter().map(|a| a.position).collect::<Vec<_>>(),
            vec![0, 2]
        );
    }
}
