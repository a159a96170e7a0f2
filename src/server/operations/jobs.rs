//! What is known of a part's job, for the kinds Partner Center runs as a job (an upload's
//! parts, followed through `batchJobStatus`; a profile assignment's): stored in
//! `operation_parts.job_status`, so a page renders at once and keeps its history after
//! Partner Center forgets the job.

use crate::partner_center::{BatchUploadDetails, UploadStatus};

/// A job's status as Partner Center reported it, with its times (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobReport {
    pub status: JobProgress,
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
}

impl JobReport {
    /// What Partner Center said of the job.
    pub fn reported(details: &BatchUploadDetails) -> Self {
        JobReport {
            status: JobProgress::Reported(details.status),
            started_at: details.started_time.map(|t| t.timestamp()),
            completed_at: details.completed_time.map(|t| t.timestamp()),
        }
    }

    /// Partner Center answered 404 for the job: it no longer knows it.
    pub fn forgotten() -> Self {
        JobReport {
            status: JobProgress::Forgotten,
            started_at: None,
            completed_at: None,
        }
    }
}

/// What is known of a part's job (`operation_parts.job_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobProgress {
    /// As Partner Center last reported it.
    Reported(UploadStatus),
    /// Partner Center answered 404 for the job: it no longer knows it, and what it said
    /// last stands. Not Partner Center's word: the dashboard's.
    Forgotten,
}

impl JobProgress {
    /// Every value after which Partner Center's answer no longer changes.
    const FINISHED: [JobProgress; 3] = [
        JobProgress::Reported(UploadStatus::Finished),
        JobProgress::Reported(UploadStatus::FinishedWithErrors),
        JobProgress::Forgotten,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobProgress::Reported(status) => status.as_str(),
            JobProgress::Forgotten => "forgotten",
        }
    }

    pub fn is_finished(self) -> bool {
        Self::FINISHED.contains(&self)
    }
}

impl TryFrom<&str> for JobProgress {
    type Error = sqlx::Error;

    /// Only what [`JobProgress::as_str`] writes; anything else is a damaged row, said loudly.
    fn try_from(text: &str) -> Result<Self, Self::Error> {
        let reported = [
            UploadStatus::Unknown,
            UploadStatus::Queued,
            UploadStatus::Processing,
            UploadStatus::Finished,
            UploadStatus::FinishedWithErrors,
        ]
        .map(JobProgress::Reported);
        reported
            .into_iter()
            .chain([JobProgress::Forgotten])
            .find(|p| p.as_str() == text)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown job status {text:?}").into()))
    }
}

/// Read back from `operation_parts.job_status` (a row field, or an `Option` of one).
impl sqlx::Type<sqlx::Any> for JobProgress {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <String as sqlx::Type<sqlx::Any>>::type_info()
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for JobProgress {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
        Ok(JobProgress::try_from(text.as_str())?)
    }
}

/// The finished job statuses as an SQL list, for `job_status NOT IN …`.
pub fn finished_job_statuses_sql() -> String {
    let quoted: Vec<String> = JobProgress::FINISHED
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("({})", quoted.join(", "))
}

/// What asking Partner Center about a part's job came to.
pub(crate) enum Asked {
    /// Its status, and each of its devices' so far.
    Answered(BatchUploadDetails),
    /// Partner Center answered 404: it no longer knows the job. What it said last stands;
    /// the devices it never reported get an unknown outcome instead of waiting forever.
    Forgotten,
    /// It could not be asked (throttled, failing, unreachable); why, in words, is stored on
    /// the part for its page, and the job counts as running: the follower asks again.
    Unavailable(String),
}

/// Asks Partner Center about the job of `part` of `operation` (it has the tracking id `job`),
/// on the person's call context `ctx`: one way for every kind Partner Center runs as a job.
pub(crate) async fn ask(
    state: &crate::server::AppState,
    ctx: &crate::partner_center::CallContext,
    operation: &super::Operation,
    (part, job): (i64, &crate::partner_center::TrackingId),
) -> Result<Asked, sqlx::Error> {
    use crate::partner_center::ErrorKind;
    let answer = state
        .partner_center
        .batch_job_status(ctx, &operation.customer_id, job)
        .await;
    let error = match answer {
        Ok(details) => return Ok(Asked::Answered(details)),
        Err(error) if error.kind() == ErrorKind::NotFound => {
            tracing::warn!(operation = %operation.id, part, "Partner Center forgot a job");
            return Ok(Asked::Forgotten);
        }
        Err(error) => error,
    };
    let message = format!(
        "Partner Center could not be asked how the {} is going ({}). What is shown is what it \
         said last; the dashboard asks again by itself.",
        operation.kind.noun(),
        error.kind().as_str()
    );
    tracing::warn!(operation = %operation.id, %error, "job status unavailable");
    state
        .store
        .record_check_failure(&operation.id, part, &message, crate::server::unix_now())
        .await?;
    Ok(Asked::Unavailable(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_progress_reads_back_what_it_wrote_and_refuses_anything_else() {
        for status in [
            "unknown",
            "queued",
            "processing",
            "finished",
            "finished_with_errors",
        ] {
            let progress = JobProgress::try_from(status).unwrap();
            assert_eq!(progress.as_str(), status);
        }
        assert_eq!(
            JobProgress::try_from("forgotten").unwrap(),
            JobProgress::Forgotten
        );
        assert!(JobProgress::try_from("Finished").is_err());
        assert!(JobProgress::try_from("").is_err());
        assert_eq!(
            finished_job_statuses_sql(),
            "('finished', 'finished_with_errors', 'forgotten')"
        );
    }
}
