//! An upload's parts ("chunks"): each a stored `MS-RequestId` and the devices it carries,
//! written once when the user confirms, then sent, answered and followed. The submission's
//! side of the uploads' tables.

use sqlx::Row as _;

use super::store::{stored_row_from, UploadState};
use crate::ingest::DeviceRow;
use crate::server::store::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub chunk: i64,
    /// `true`: create the batch with these devices; `false`: add them.
    pub create: bool,
    pub request_id: String,
    pub devices: i64,
    pub state: String,
    pub tracking_id: Option<String>,
    pub error: Option<String>,
    /// The job's status as Partner Center last reported it (`queued` … `finished_with_errors`).
    pub job_status: Option<String>,
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub checked_at: Option<i64>,
    /// Why the last attempt to ask Partner Center failed.
    pub check_error: Option<String>,
}

/// Job statuses after which Partner Center's answer no longer changes: it finished, or it
/// no longer knows the job (404), and what it said last stands.
pub const FINISHED_JOB_STATUSES: [&str; 3] = ["finished", "finished_with_errors", "forgotten"];

/// [`FINISHED_JOB_STATUSES`] as an SQL list, for `job_status NOT IN …`.
pub fn finished_job_statuses_sql() -> String {
    let quoted: Vec<String> = FINISHED_JOB_STATUSES
        .iter()
        .map(|s| format!("'{s}'"))
        .collect();
    format!("({})", quoted.join(", "))
}

impl Chunk {
    /// The numbers of the chunks Partner Center accepted (it gave them a tracking id).
    pub fn accepted(chunks: &[Chunk]) -> Vec<i64> {
        chunks
            .iter()
            .filter(|c| c.tracking_id.is_some())
            .map(|c| c.chunk)
            .collect()
    }

    /// Accepted, and Partner Center has not yet said it finished the job.
    pub fn job_running(&self) -> bool {
        self.tracking_id.is_some()
            && !self
                .job_status
                .as_deref()
                .is_some_and(|s| FINISHED_JOB_STATUSES.contains(&s))
    }
}

/// What [`Store::begin_submission`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This request turned the draft into a submission: send it.
    Claimed,
    /// It was already submitted (a double click, a reload).
    NotDraft,
    RowsWithErrors(i64),
    NothingIncluded,
}

/// Partner Center's answer to one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkOutcome<'a> {
    Accepted { tracking_id: &'a str },
    Refused { error: &'a str },
}

impl Store {
    /// Turns a draft into a submission, exactly once: assigns the included rows to chunks of
    /// `chunk_size` and writes each chunk with its `MS-RequestId`, all in one transaction,
    /// which also re-checks that no included row has an error and that one is included
    /// (another tab may have changed the rows since the page was shown).
    pub async fn begin_submission(
        &self,
        upload_id: &str,
        sign_in_id: &str,
        chunk_size: usize,
        now: i64,
    ) -> Result<Claim, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let claimed = sqlx::query(
            "UPDATE uploads SET state = 'submitting', submitted_at = $1, updated_at = $1, \
             sign_in_id = $3 WHERE id = $2 AND state = 'draft'",
        )
        .bind(now)
        .bind(upload_id)
        .bind(sign_in_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !claimed {
            return Ok(Claim::NotDraft);
        }
        let (included, errors): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(CASE WHEN has_error = 1 THEN 1 END) FROM upload_rows \
             WHERE upload_id = $1 AND excluded = 0",
        )
        .bind(upload_id)
        .fetch_one(&mut *tx)
        .await?;
        if errors > 0 || included == 0 {
            tx.rollback().await?;
            return Ok(if errors > 0 {
                Claim::RowsWithErrors(errors)
            } else {
                Claim::NothingIncluded
            });
        }
        let new_batch: String = sqlx::query_scalar("SELECT target FROM uploads WHERE id = $1")
            .bind(upload_id)
            .fetch_one(&mut *tx)
            .await?;
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT row_number FROM upload_rows WHERE upload_id = $1 AND excluded = 0 \
             ORDER BY row_number",
        )
        .bind(upload_id)
        .fetch_all(&mut *tx)
        .await?;
        for (index, chunk) in rows.chunks(chunk_size.max(1)).enumerate() {
            let (first, last) = (chunk[0], chunk[chunk.len() - 1]);
            sqlx::query(
                "UPDATE upload_rows SET chunk = $1 WHERE upload_id = $2 AND excluded = 0 \
                 AND row_number BETWEEN $3 AND $4",
            )
            .bind(index as i64)
            .bind(upload_id)
            .bind(first)
            .bind(last)
            .execute(&mut *tx)
            .await?;
            let create = index == 0 && new_batch == "new";
            sqlx::query(
                "INSERT INTO upload_chunks (upload_id, chunk, operation, request_id, devices, \
                 state, updated_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
            )
            .bind(upload_id)
            .bind(index as i64)
            .bind(if create { "create" } else { "add" })
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(chunk.len() as i64)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Claim::Claimed)
    }

    pub async fn chunks(&self, upload_id: &str) -> Result<Vec<Chunk>, sqlx::Error> {
        let rows = sqlx::query("SELECT * FROM upload_chunks WHERE upload_id = $1 ORDER BY chunk")
            .bind(upload_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Chunk {
                    chunk: row.try_get("chunk")?,
                    create: row.try_get::<String, _>("operation")? == "create",
                    request_id: row.try_get("request_id")?,
                    devices: row.try_get("devices")?,
                    state: row.try_get("state")?,
                    tracking_id: row.try_get("tracking_id")?,
                    error: row.try_get("error")?,
                    job_status: row.try_get("job_status")?,
                    started_at: row.try_get("started_at")?,
                    completed_at: row.try_get("completed_at")?,
                    checked_at: row.try_get("checked_at")?,
                    check_error: row.try_get("check_error")?,
                })
            })
            .collect()
    }

    /// The devices of one chunk, in row order.
    pub async fn chunk_devices(
        &self,
        upload_id: &str,
        chunk: i64,
    ) -> Result<Vec<DeviceRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT * FROM upload_rows WHERE upload_id = $1 AND chunk = $2 ORDER BY row_number",
        )
        .bind(upload_id)
        .bind(chunk)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| stored_row_from(r).map(|s| s.device))
            .collect()
    }

    /// Writes down Partner Center's answer to one chunk.
    pub async fn record_chunk(
        &self,
        upload_id: &str,
        chunk: i64,
        outcome: ChunkOutcome<'_>,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let (state, tracking_id, error) = match outcome {
            ChunkOutcome::Accepted { tracking_id } => ("accepted", Some(tracking_id), None),
            ChunkOutcome::Refused { error } => ("refused", None, Some(error)),
        };
        sqlx::query(
            "UPDATE upload_chunks SET state = $1, tracking_id = COALESCE($2, tracking_id), \
             error = $3, updated_at = $4 WHERE upload_id = $5 AND chunk = $6",
        )
        .bind(state)
        .bind(tracking_id)
        .bind(error)
        .bind(now)
        .bind(upload_id)
        .bind(chunk)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Ends a submission: `Submitted`, or `Failed` with the reason.
    pub async fn finish_submission(
        &self,
        upload_id: &str,
        state: UploadState,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE uploads SET state = $1, error = $2, updated_at = $3 WHERE id = $4")
            .bind(state.as_str())
            .bind(error)
            .bind(now)
            .bind(upload_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

impl Store {
    /// Sends a failed upload's remaining parts again: refused chunks go back to pending (with
    /// their request ids unchanged). Returns `false` when the upload had not failed.
    pub async fn resume_submission(
        &self,
        upload_id: &str,
        sign_in_id: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let resumed = sqlx::query(
            "UPDATE uploads SET state = 'submitting', error = NULL, updated_at = $1, \
             sign_in_id = $3 WHERE id = $2 AND state = 'failed'",
        )
        .bind(now)
        .bind(upload_id)
        .bind(sign_in_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if resumed {
            sqlx::query(
                "UPDATE upload_chunks SET state = 'pending', error = NULL, updated_at = $1 \
                 WHERE upload_id = $2 AND state = 'refused'",
            )
            .bind(now)
            .bind(upload_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(resumed)
    }
}
