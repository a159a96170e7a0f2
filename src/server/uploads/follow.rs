//! Following a submitted upload until Partner Center has finished with every device.
//!
//! Partner Center processes an upload as a job, reported by `batchJobStatus/{trackingId}`.
//! [`refresh`] asks about every accepted chunk whose job has not finished and stores the
//! answer ([`Store::record_job`](crate::server::store::Store::record_job)); [`follow`] does
//! that in the background after a submission, with growing pauses, so the outcomes are stored
//! even if nobody keeps the job page open. The page refreshes too when it is viewed.

use std::time::Duration;

use uuid::Uuid;

use super::outcomes::JobReport;
use super::store::{DeviceOutcome, Upload};
use crate::ingest::DeviceRow;
use crate::partner_center::{CallContext, CustomerId, DeviceUploadDetails, TrackingId};
use crate::server::auth::{self, SessionUser};
use crate::server::{unix_now, AppState};

/// How long the background follower keeps asking. Real jobs take seconds to minutes; one
/// still running after this is refreshed when someone opens its page.
const FOLLOW_FOR: Duration = Duration::from_secs(60 * 60);
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const LONGEST_PAUSE: Duration = Duration::from_secs(60);

/// Asks Partner Center about each accepted chunk whose job is still running, and stores the
/// answers. Returns whether any job is still running afterwards, or why Partner Center could
/// not be asked (also stored on the chunk, for the page to show).
pub async fn refresh(state: &AppState, ctx: &CallContext, upload: &Upload) -> Result<bool, String> {
    let store = &state.store;
    let database = |e: sqlx::Error| {
        tracing::error!(upload = %upload.id, error = %e, "database error while following a job");
        "The dashboard's database failed while storing the job's progress.".to_string()
    };
    let customer = CustomerId::parse(&upload.customer_id).map_err(|e| e.to_string())?;
    let mut running = false;
    for chunk in store.chunks(&upload.id).await.map_err(database)? {
        if !chunk.job_running() {
            continue;
        }
        let Some(tracking_id) = chunk
            .tracking_id
            .as_deref()
            .and_then(|t| TrackingId::parse(t).ok())
        else {
            continue;
        };
        let details = match state
            .partner_center
            .batch_job_status(ctx, &customer, &tracking_id)
            .await
        {
            Ok(details) => details,
            Err(error) => {
                let message = format!(
                    "Partner Center could not be asked how the upload is going ({}). What is \
                     shown is what it said last; the dashboard asks again by itself.",
                    error.kind().as_str()
                );
                tracing::warn!(upload = %upload.id, %error, "job status unavailable");
                store
                    .record_check_failure(&upload.id, chunk.chunk, &message, unix_now())
                    .await
                    .map_err(database)?;
                return Err(message);
            }
        };
        let rows = store
            .chunk_devices(&upload.id, chunk.chunk)
            .await
            .map_err(database)?;
        let outcomes: Vec<(u32, DeviceOutcome)> = pair(&rows, &details.devices_status)
            .into_iter()
            .filter_map(|(row, status)| outcome(status).map(|o| (row, o)))
            .collect();
        let report = JobReport {
            status: details.status.as_str(),
            started_at: details.started_time.map(|t| t.timestamp()),
            completed_at: details.completed_time.map(|t| t.timestamp()),
        };
        store
            .record_job(&upload.id, chunk.chunk, &report, &outcomes, unix_now())
            .await
            .map_err(database)?;
        running |= !details.is_terminal();
    }
    Ok(running)
}

/// Refreshes the upload's jobs with the submitter's sign-in until they have all finished,
/// pausing longer each time (1 s, 2 s, 4 s … a minute), for an hour at most.
pub async fn follow(state: AppState, user: SessionUser, upload_id: String) {
    let started = tokio::time::Instant::now();
    let mut pause = FIRST_PAUSE;
    while started.elapsed() < FOLLOW_FOR {
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
        let upload = match state.store.upload(&upload_id).await {
            Ok(Some(upload)) => upload,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(upload = %upload_id, %error, "could not load an upload to follow");
                continue;
            }
        };
        let Ok(token) = auth::access_token(&state, &user).await else {
            // Signed out: whoever opens the job page next refreshes it with their sign-in.
            return;
        };
        let ctx = CallContext::new(token, Uuid::new_v4());
        if let Ok(false) = refresh(&state, &ctx, &upload).await {
            return;
        }
    }
}

/// A device's outcome once Partner Center has finished with it; `None` while it has not.
fn outcome(status: &DeviceUploadDetails) -> Option<DeviceOutcome> {
    if !status.is_failure() && !status.status.is_terminal() {
        return None;
    }
    Some(DeviceOutcome {
        registered: !status.is_failure(),
        error_code: status.error_code.clone(),
        error_description: status.error_description.clone(),
        device_id: status.device_id.clone(),
    })
}

/// Pairs Partner Center's per-device answers with the chunk's rows (row numbers). It lists a
/// job's devices in the order they were sent; where it names a serial number or product key
/// that disagrees with that row, the row is found by them instead.
fn pair<'s>(
    rows: &[DeviceRow],
    statuses: &'s [DeviceUploadDetails],
) -> Vec<(u32, &'s DeviceUploadDetails)> {
    let same = |ours: &Option<String>, theirs: &Option<String>| match (ours, theirs) {
        (Some(a), Some(b)) => a.trim().eq_ignore_ascii_case(b.trim()),
        _ => false,
    };
    let agrees = |row: &DeviceRow, status: &DeviceUploadDetails| {
        let differs = |ours: &Option<String>, theirs: &Option<String>| {
            ours.is_some() && theirs.is_some() && !same(ours, theirs)
        };
        !differs(&row.serial_number, &status.serial_number)
            && !differs(&row.product_key, &status.product_key)
    };
    let mut taken = vec![false; rows.len()];
    let mut pairs = Vec::with_capacity(statuses.len());
    for (i, status) in statuses.iter().enumerate() {
        let found = if i < rows.len() && !taken[i] && agrees(&rows[i], status) {
            Some(i)
        } else {
            (0..rows.len()).find(|&j| {
                !taken[j]
                    && (same(&rows[j].serial_number, &status.serial_number)
                        || same(&rows[j].product_key, &status.product_key))
            })
        };
        if let Some(j) = found {
            taken[j] = true;
            pairs.push((rows[j].row, status));
        }
    }
    pairs
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

    #[test]
    fn answers_pair_by_position_unless_their_serial_says_otherwise() {
        let rows = [row(2, "A"), row(3, "B"), row(4, "C")];
        let statuses = [
            status(Some("b"), Some("808")),
            status(None, None),
            status(Some("A"), None),
        ];
        let pairs: Vec<(u32, Option<&str>)> = pair(&rows, &statuses)
            .into_iter()
            .map(|(row, s)| (row, s.error_code.as_deref()))
            .collect();
        // "b" is row 3 (not row 2); the second answer names nothing and is row 3's place, but
        // row 3 is taken, so it is not guessed; "A" is row 2.
        assert_eq!(pairs, vec![(3, Some("808")), (2, None)]);
    }

    #[test]
    fn a_device_still_processing_has_no_outcome_yet() {
        let mut processing = status(Some("A"), None);
        processing.status = UploadStatus::Processing;
        assert_eq!(outcome(&processing), None);
        let failed = outcome(&status(Some("A"), Some("806"))).unwrap();
        assert!(!failed.registered);
        assert!(outcome(&status(Some("A"), None)).unwrap().registered);
    }
}
