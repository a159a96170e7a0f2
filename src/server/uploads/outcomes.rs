//! What Partner Center did with a submitted upload, as stored: each accepted chunk's job
//! status and each device's outcome (see `migrations/…_job_outcomes.sql`). The job page reads
//! only this, so it renders at once and keeps its history after Partner Center forgets a job.

use super::model::DeviceOutcome;
use crate::model::uploads::RowOutcome;
use crate::server::operations::device_errors::UNREPORTED;
use crate::server::operations::jobs::JobReport;
use crate::server::operations::parts;
use crate::server::operations::OperationId;
use crate::server::store::Store;

/// How the devices of an upload stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct OutcomeCounts {
    /// Rows sent or to be sent (not removed in the preview).
    pub total: i64,
    pub registered: i64,
    pub failed: i64,
    /// Of the failed, those already registered ([`ALREADY_REGISTERED`]): sent again as they
    /// are, they fail the same way.
    pub already_registered: i64,
}

/// The rows Partner Center refused as already registered, in SQL: with this customer (806)
/// or with another organisation (808). Something must be done about the device first
/// (deleted where it is, released), so no retry is offered for them as they are.
pub(super) const ALREADY_REGISTERED: &str = "outcome = 'failed' AND error_code IN ('806', '808')";

impl OutcomeCounts {
    /// Devices Partner Center has finished with, either way.
    pub fn processed(&self) -> i64 {
        self.registered + self.failed
    }
}

impl Store {
    /// Stores one answer about a chunk's job, and the devices it has finished with, at once.
    /// `unreported`: rows of a finished job that Partner Center did not report, which get an
    /// unknown outcome rather than waiting forever. An answer arriving after the job was
    /// stored as finished (a page and the follower asked at once) changes nothing.
    pub async fn record_job(
        &self,
        upload_id: &OperationId,
        chunk: i64,
        job: &JobReport,
        devices: &[(u32, DeviceOutcome)],
        unreported: &[u32],
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        if !parts::record_job_progress(&mut tx, upload_id, chunk, job, now).await? {
            return tx.commit().await;
        }
        for row in unreported {
            sqlx::query(
                "UPDATE upload_rows SET outcome = $1, error_code = $2, \
                 error_description = $2 WHERE upload_id = $3 AND row_number = $4 \
                 AND outcome IS NULL",
            )
            .bind(RowOutcome::Failed)
            .bind(UNREPORTED)
            .bind(upload_id)
            .bind(*row as i64)
            .execute(&mut *tx)
            .await?;
        }
        for (row, outcome) in devices {
            sqlx::query(
                "UPDATE upload_rows SET outcome = $1, error_code = $2, error_description = $3, \
                 device_id = $4 WHERE upload_id = $5 AND row_number = $6",
            )
            .bind(RowOutcome::of(outcome.registered))
            .bind(&outcome.error_code)
            .bind(&outcome.error_description)
            .bind(&outcome.device_id)
            .bind(upload_id)
            .bind(*row as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    pub async fn outcome_counts(
        &self,
        upload_id: &OperationId,
    ) -> Result<OutcomeCounts, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT COALESCE(SUM(CASE WHEN excluded = 0 THEN 1 ELSE 0 END), 0) AS total, \
             COALESCE(SUM(CASE WHEN outcome = 'registered' THEN 1 ELSE 0 END), 0) AS registered, \
             COALESCE(SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END), 0) AS failed, \
             COALESCE(SUM(CASE WHEN {ALREADY_REGISTERED} THEN 1 ELSE 0 END), 0) \
             AS already_registered \
             FROM upload_rows WHERE upload_id = $1"
        ))
        .bind(upload_id)
        .fetch_one(self.pool())
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::RowFilter;
    use super::ALREADY_REGISTERED;
    use crate::model::devices::{ALREADY_IN_THIS_CUSTOMER, REGISTERED_ELSEWHERE};

    /// The two conditions are written out (SQL constants); both name Partner Center's codes.
    #[test]
    fn already_registered_and_retryable_name_the_same_codes() {
        for code in [ALREADY_IN_THIS_CUSTOMER, REGISTERED_ELSEWHERE] {
            let quoted = format!("'{code}'");
            assert!(ALREADY_REGISTERED.contains(&quoted));
            assert!(RowFilter::Retryable.condition().contains(&quoted));
        }
    }
}
