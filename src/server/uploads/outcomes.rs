//! What Partner Center did with a submitted upload, as stored: each accepted chunk's job
//! status and each device's outcome (see `migrations/…_job_outcomes.sql`). The job page reads
//! only this, so it renders at once and keeps its history after Partner Center forgets a job.

use super::store::DeviceOutcome;
use crate::server::operations::jobs::{finished_job_statuses_sql, JobProgress};
use crate::server::store::Store;

/// The error code stored for a device that Partner Center finished a job without reporting.
pub const UNREPORTED: &str = "OutcomeUnknown";

/// A job's status as Partner Center reported it, with its times (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobReport {
    pub status: JobProgress,
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
}

/// How the devices of an upload stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct OutcomeCounts {
    /// Rows sent or to be sent (not removed in the preview).
    pub total: i64,
    pub registered: i64,
    pub failed: i64,
}

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
        upload_id: &str,
        chunk: i64,
        job: &JobReport,
        devices: &[(u32, DeviceOutcome)],
        unreported: &[u32],
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let updated = sqlx::query(&format!(
            "UPDATE operation_parts SET job_status = $1, started_at = COALESCE($2, started_at), \
             completed_at = COALESCE($3, completed_at), checked_at = $4, check_error = NULL \
             WHERE operation_id = $5 AND part = $6 \
             AND (job_status IS NULL OR job_status NOT IN {})",
            finished_job_statuses_sql()
        ))
        .bind(job.status.as_str())
        .bind(job.started_at)
        .bind(job.completed_at)
        .bind(now)
        .bind(upload_id)
        .bind(chunk)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return tx.commit().await;
        }
        for row in unreported {
            sqlx::query(
                "UPDATE upload_rows SET outcome = 'failed', error_code = $1, \
                 error_description = $1 WHERE upload_id = $2 AND row_number = $3 \
                 AND outcome IS NULL",
            )
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
            .bind(if outcome.registered {
                "registered"
            } else {
                "failed"
            })
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

    /// Notes that Partner Center could not be asked about a chunk's job, and why.
    pub async fn record_check_failure(
        &self,
        upload_id: &str,
        chunk: i64,
        message: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE operation_parts SET checked_at = $1, check_error = $2 \
             WHERE operation_id = $3 AND part = $4",
        )
        .bind(now)
        .bind(message)
        .bind(upload_id)
        .bind(chunk)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn outcome_counts(&self, upload_id: &str) -> Result<OutcomeCounts, sqlx::Error> {
        sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN excluded = 0 THEN 1 ELSE 0 END), 0) AS total, \
             COALESCE(SUM(CASE WHEN outcome = 'registered' THEN 1 ELSE 0 END), 0) AS registered, \
             COALESCE(SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END), 0) AS failed \
             FROM upload_rows WHERE upload_id = $1",
        )
        .bind(upload_id)
        .fetch_one(self.pool())
        .await
    }
}
