//! Following a submitted upload until Partner Center has finished with every device.
//!
//! Partner Center processes an upload as a job, reported by `batchJobStatus/{trackingId}`.
//! [`refresh`] asks about every accepted chunk whose job has not finished and stores the
//! answer ([`Store::record_job`](crate::server::store::Store::record_job));
//! [`operations::follow`](crate::server::operations::follow) does that in the background
//! after a submission, so the outcomes are stored even if nobody keeps the job page open. The
//! page refreshes too when it is viewed.

use super::model::{DeviceOutcome, Upload};
use crate::ingest::DeviceRow;
use crate::partner_center::{CallContext, DeviceUploadDetails};
use futures::future::BoxFuture;

use crate::server::operations::device_errors::ALREADY_IN_THIS_CUSTOMER;
use crate::server::operations::jobs::{self, Asked, JobReport};
use crate::server::operations::{follow, Operation};
use crate::server::{unix_now, AppState};

/// Asks Partner Center about each accepted chunk whose job is still running, and stores the
/// answers. Returns whether any job is still running afterwards, or why Partner Center could
/// not be asked about one of them (also stored on that chunk, for the page to show); the
/// other chunks are asked all the same.
///
/// One refresh of an upload at a time, across replicas: when another is under way (a page
/// and the follower at once), this leaves it to that one and reports the jobs as running.
pub async fn refresh(state: &AppState, ctx: &CallContext, upload: &Upload) -> Result<bool, String> {
    let asking = ask_and_store(state, ctx, upload);
    follow::one_refresh_at_a_time(state, &upload.operation.id, asking).await
}

/// [`refresh`] as the background follower calls it ([`follow::Refresh`]): the upload read
/// first. One that is gone has nothing left to follow.
pub fn refresher(
    state: AppState,
    ctx: CallContext,
    operation: Operation,
) -> BoxFuture<'static, Result<bool, String>> {
    Box::pin(async move {
        match state.store.upload(&operation.id).await {
            Ok(Some(upload)) => refresh(&state, &ctx, &upload).await,
            Ok(None) => Ok(false),
            Err(error) => {
                tracing::warn!(upload = %operation.id, %error, "could not load an upload to follow");
                Err("The dashboard's database could not be read.".into())
            }
        }
    })
}

async fn ask_and_store(
    state: &AppState,
    ctx: &CallContext,
    upload: &Upload,
) -> Result<bool, String> {
    let store = &state.store;
    let database = |e: sqlx::Error| {
        tracing::error!(upload = %upload.operation.id, error = %e, "database error while following a job");
        "The dashboard's database failed while storing the job's progress.".to_string()
    };
    let mut running = false;
    let mut failure = None;
    // A job that ended changed its batch (its devices, its status) in Partner Center.
    let mut ended = false;
    for chunk in store.parts(&upload.operation.id).await.map_err(database)? {
        let Some(tracking_id) = chunk.running_job() else {
            continue;
        };
        let rows = store
            .chunk_devices(&upload.operation.id, chunk.number)
            .await
            .map_err(database)?;
        let asked = jobs::ask(state, ctx, &upload.operation, (chunk.number, &tracking_id)).await;
        let (report, outcomes, unreported) = match asked.map_err(database)? {
            Asked::Answered(details) => {
                let pairs = pair(&rows, &details.devices_status);
                let unreported = if details.is_terminal() {
                    unpaired(&rows, &pairs)
                } else {
                    Vec::new()
                };
                let resends = chunk.resends.is_some();
                let outcomes: Vec<(u32, DeviceOutcome)> = pairs
                    .into_iter()
                    .filter_map(|(row, status)| outcome(status, resends).map(|o| (row, o)))
                    .collect();
                let report = JobReport::reported(&details);
                running |= !details.is_terminal();
                ended |= details.is_terminal();
                (report, outcomes, unreported)
            }
            Asked::Forgotten => (JobReport::forgotten(), Vec::new(), unpaired(&rows, &[])),
            Asked::Unavailable(message) => {
                running = true;
                failure = Some(message);
                continue;
            }
        };
        store
            .record_job(
                &upload.operation.id,
                chunk.number,
                &report,
                &outcomes,
                &unreported,
                unix_now(),
            )
            .await
            .map_err(database)?;
        if report.status.is_finished() {
            if let Err(error) = store.index_registered(&upload.operation.id).await {
                tracing::warn!(%error, "could not add an upload's devices to the device index");
            }
        }
    }
    if ended {
        state
            .batch_lists
            .customer_changed(store, &upload.operation.customer_id.to_string())
            .await;
    }
    match failure {
        Some(message) => Err(message),
        None => Ok(running),
    }
}

/// A device's outcome once Partner Center has finished with it; `None` while it has not.
/// `resends`: the part sends again what a part whose answer was lost left; an 806 (already
/// in this customer) then means that lost part registered the device.
fn outcome(status: &DeviceUploadDetails, resends: bool) -> Option<DeviceOutcome> {
    if !status.is_failure() && !status.status.is_terminal() {
        return None;
    }
    let registered_before =
        resends && status.error_code.as_deref().map(str::trim) == Some(ALREADY_IN_THIS_CUSTOMER);
    Some(DeviceOutcome {
        registered: !status.is_failure() || registered_before,
        error_code: status.error_code.clone(),
        error_description: status.error_description.clone(),
        device_id: status.device_id.clone(),
    })
}

/// Pairs Partner Center's per-device answers with the chunk's rows (row numbers), in answer
/// order. First by what an answer names: the exact serial number or product key of a row
/// (Partner Center compares them exactly). Then by position, as it lists a job's devices in
/// the order they were sent, where nothing the answer names contradicts the row. Then what is
/// left, in order, when as many answers as rows are left. An answer that fits no row is left
/// out rather than guessed.
fn pair<'s>(
    rows: &[DeviceRow],
    statuses: &'s [DeviceUploadDetails],
) -> Vec<(u32, &'s DeviceUploadDetails)> {
    let same = |ours: &Option<String>, theirs: &Option<String>| match (ours, theirs) {
        (Some(a), Some(b)) => a.trim() == b.trim(),
        _ => false,
    };
    let names = |row: &DeviceRow, status: &DeviceUploadDetails| {
        same(&row.serial_number, &status.serial_number)
            || same(&row.product_key, &status.product_key)
    };
    let agrees = |row: &DeviceRow, status: &DeviceUploadDetails| {
        let differs = |ours: &Option<String>, theirs: &Option<String>| {
            ours.is_some() && theirs.is_some() && !same(ours, theirs)
        };
        !differs(&row.serial_number, &status.serial_number)
            && !differs(&row.product_key, &status.product_key)
    };
    let mut row_of: Vec<Option<usize>> = vec![None; statuses.len()];
    let mut taken = vec![false; rows.len()];
    for (i, status) in statuses.iter().enumerate() {
        if let Some(j) = (0..rows.len()).find(|&j| !taken[j] && names(&rows[j], status)) {
            taken[j] = true;
            row_of[i] = Some(j);
        }
    }
    for (i, status) in statuses.iter().enumerate() {
        if row_of[i].is_none() && i < rows.len() && !taken[i] && agrees(&rows[i], status) {
            taken[i] = true;
            row_of[i] = Some(i);
        }
    }
    let answers_left: Vec<usize> = (0..statuses.len())
        .filter(|&i| row_of[i].is_none())
        .collect();
    let rows_left: Vec<usize> = (0..rows.len()).filter(|&j| !taken[j]).collect();
    if answers_left.len() == rows_left.len() {
        for (&i, &j) in answers_left.iter().zip(&rows_left) {
            if agrees(&rows[j], &statuses[i]) {
                row_of[i] = Some(j);
            }
        }
    }
    row_of
        .into_iter()
        .zip(statuses)
        .filter_map(|(j, status)| j.map(|j| (rows[j].row, status)))
        .collect()
}

/// The rows no answer was paired with.
fn unpaired(rows: &[DeviceRow], pairs: &[(u32, &DeviceUploadDetails)]) -> Vec<u32> {
    rows.iter()
        .map(|r| r.row)
        .filter(|row| !pairs.iter().any(|(paired, _)| paired == row))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partner_center::UploadStatus;

    fn row(row: u32, serial: &str) -> DeviceRow {
        DeviceRow {
            row,
            serial_number: Some(serial.into()),
            ..Default::default()
        }
    }

    fn status(serial: Option<&str>, code: Option<&str>) -> DeviceUploadDetails {
        DeviceUploadDetails {
            device_id: None,
            serial_number: serial.map(Into::into),
            product_key: None,
            status: if code.is_some() {
                UploadStatus::FinishedWithErrors
            } else {
                UploadStatus::Finished
            },
            error_code: code.map(Into::into),
            error_description: None,
        }
    }

    fn hash_only(row: u32) -> DeviceRow {
        DeviceRow {
            row,
            hardware_hash: Some("QUJD".into()),
            ..Default::default()
        }
    }

    fn paired(rows: &[DeviceRow], statuses: &[DeviceUploadDetails]) -> Vec<(u32, Option<String>)> {
        pair(rows, statuses)
            .into_iter()
            .map(|(row, s)| (row, s.serial_number.clone()))
            .collect()
    }

    #[test]
    fn answers_pair_by_what_they_name_then_by_position_then_by_what_is_left() {
        // Row 3 was sent by hash only; Partner Center names it by the serial in its hash, and
        // answers in another order.
        let rows = [row(2, "A"), hash_only(3)];
        let statuses = [status(Some("X"), Some("808")), status(Some("A"), None)];
        assert_eq!(
            paired(&rows, &statuses),
            vec![(3, Some("X".into())), (2, Some("A".into()))]
        );
        // In the order sent, naming nothing: by position.
        let statuses = [status(None, None), status(None, Some("806"))];
        assert_eq!(paired(&rows, &statuses), vec![(2, None), (3, None)]);
    }

    #[test]
    fn serial_numbers_pair_exactly_and_a_contradicting_answer_is_not_guessed() {
        let rows = [row(2, "abc"), row(3, "ABC")];
        let statuses = [status(Some("ABC"), None), status(Some("abc"), Some("808"))];
        assert_eq!(
            paired(&rows, &statuses),
            vec![(3, Some("ABC".into())), (2, Some("abc".into()))]
        );
        let statuses = [status(Some("ZZZ"), None)];
        assert_eq!(paired(&rows[..1], &statuses), vec![]);
        assert_eq!(unpaired(&rows[..1], &pair(&rows[..1], &statuses)), vec![2]);
    }

    #[test]
    fn a_device_still_processing_has_no_outcome_yet() {
        let mut processing = status(Some("A"), None);
        processing.status = UploadStatus::Processing;
        assert_eq!(outcome(&processing, false), None);
        let failed = outcome(&status(Some("A"), Some("806")), false).unwrap();
        assert!(!failed.registered);
        assert!(outcome(&status(Some("A"), None), false).unwrap().registered);
    }

    #[test]
    fn an_806_in_a_part_sent_again_means_the_lost_part_registered_the_device() {
        let again = outcome(&status(Some("A"), Some("806")), true).unwrap();
        assert!(again.registered);
        assert_eq!(again.error_code.as_deref(), Some("806"));
        assert!(
            !outcome(&status(Some("A"), Some("808")), true)
                .unwrap()
                .registered
        );
    }
}
