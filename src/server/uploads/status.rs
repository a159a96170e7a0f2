//! Where an upload stands, in one word ([`UploadStatus`]), worked out in one place: in SQL,
//! so that the history can filter and page by it, and the job page reads the same.

use crate::model::uploads::UploadStatus;
use crate::partner_center::UploadStatus as JobStatus;
use crate::server::operations::jobs::{finished_job_statuses_sql, JobProgress};
use crate::server::operations::OperationId;
use crate::server::store::Store;

/// The status of the upload `u` (an alias of `uploads`), as an SQL expression.
pub fn status_sql() -> String {
    format!(
        "CASE \
         WHEN u.state IN ('draft', 'submitting', 'failed') THEN u.state \
         WHEN EXISTS (SELECT 1 FROM operation_parts c WHERE c.operation_id = u.id \
             AND c.tracking_id IS NOT NULL \
             AND (c.job_status IS NULL OR c.job_status NOT IN {finished})) THEN \
             CASE WHEN EXISTS (SELECT 1 FROM operation_parts c WHERE c.operation_id = u.id \
                 AND c.job_status = '{processing}') \
             OR EXISTS (SELECT 1 FROM upload_rows r WHERE r.upload_id = u.id \
                 AND r.outcome IS NOT NULL) \
             OR EXISTS (SELECT 1 FROM profile_assignment_devices a WHERE a.operation_id = u.id \
                 AND a.outcome <> 'waiting') \
             THEN 'processing' ELSE 'queued' END \
         WHEN EXISTS (SELECT 1 FROM upload_rows r WHERE r.upload_id = u.id \
             AND r.outcome = 'failed') \
         OR EXISTS (SELECT 1 FROM profile_assignment_devices a WHERE a.operation_id = u.id \
             AND a.outcome IN ('failed', 'unreported')) THEN 'finished_with_errors' \
         ELSE 'finished' END",
        finished = finished_job_statuses_sql(),
        processing = JobProgress::Reported(JobStatus::Processing).as_str(),
    )
}

impl Store {
    /// Where the upload stands; `None` when there is no such upload.
    pub async fn upload_status(
        &self,
        upload_id: &OperationId,
    ) -> Result<Option<UploadStatus>, sqlx::Error> {
        let sql = format!(
            "SELECT {} AS status FROM operations u WHERE u.id = $1",
            status_sql()
        );
        sqlx::query_scalar(&sql)
            .bind(upload_id)
            .fetch_optional(self.pool())
            .await
    }
}
