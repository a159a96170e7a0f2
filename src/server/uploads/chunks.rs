//! An upload's parts ("chunks"): each a stored `MS-RequestId` and the devices it carries,
//! written once when the user confirms, then sent, answered and followed. The submission's
//! side of the uploads' tables.

use sqlx::Row as _;

use super::outcomes::JobProgress;
use super::store::{stored_row_from, UploadState};
use crate::ingest::DeviceRow;
use crate::model::uploads::ChunkState;
use crate::server::store::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub chunk: i64,
    /// `true`: create the batch with these devices; `false`: add them.
    pub create: bool,
    pub request_id: String,
    pub devices: i64,
    pub state: ChunkState,
    pub tracking_id: Option<String>,
    pub error: Option<String>,
    /// What is known of the part's job, once Partner Center was asked.
    pub job_status: Option<JobProgress>,
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub checked_at: Option<i64>,
    /// Why the last attempt to ask Partner Center failed.
    pub check_error: Option<String>,
    /// Settled: how many of its devices Partner Center listed in the batch.
    pub found: Option<i64>,
    /// Settled: the part that sent the rest, if any was left.
    pub resent_as: Option<i64>,
    /// The settled part whose rest this part sends: its 806 answers mean "registered".
    pub resends: Option<i64>,
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
        self.tracking_id.is_some() && !self.job_status.is_some_and(JobProgress::is_finished)
    }
}

/// What looking at Partner Center decided for an uncertain part ([`Store::settle_chunk`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement<'a> {
    /// The part's rows Partner Center lists in the batch, with the device id it gave each.
    pub found: &'a [(u32, Option<String>)],
    /// The part's rows it does not list: they go again, as a new part.
    pub rest: &'a [u32],
    /// The batch was not there: the new part creates it.
    pub create: bool,
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
    Accepted {
        tracking_id: &'a str,
    },
    Refused {
        error: &'a str,
    },
    /// The answer was lost or says nothing about the devices; `error` says which.
    Uncertain {
        error: &'a str,
    },
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
                    state: ChunkState::try_from(row.try_get::<&str, _>("state")?)
                        .map_err(|why| sqlx::Error::Decode(why.into()))?,
                    tracking_id: row.try_get("tracking_id")?,
                    error: row.try_get("error")?,
                    job_status: row
                        .try_get::<Option<&str>, _>("job_status")?
                        .map(JobProgress::try_from)
                        .transpose()?,
                    started_at: row.try_get("started_at")?,
                    completed_at: row.try_get("completed_at")?,
                    checked_at: row.try_get("checked_at")?,
                    check_error: row.try_get("check_error")?,
                    found: row.try_get("found")?,
                    resent_as: row.try_get("resent_as")?,
                    resends: row.try_get("resends")?,
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
            ChunkOutcome::Accepted { tracking_id } => {
                (ChunkState::Accepted, Some(tracking_id), None)
            }
            ChunkOutcome::Refused { error } => (ChunkState::Refused, None, Some(error)),
            ChunkOutcome::Uncertain { error } => (ChunkState::Uncertain, None, Some(error)),
        };
        sqlx::query(
            "UPDATE upload_chunks SET state = $1, tracking_id = COALESCE($2, tracking_id), \
             error = $3, updated_at = $4 WHERE upload_id = $5 AND chunk = $6",
        )
        .bind(state.as_str())
        .bind(tracking_id)
        .bind(error)
        .bind(now)
        .bind(upload_id)
        .bind(chunk)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Writes down what looking at Partner Center decided for an uncertain part, at once:
    /// the rows it lists are registered (with the device id it gave them), the part is
    /// settled, and the rest become a new part, with a new request id stored before it is
    /// ever sent. Returns the new part's number, if one was needed; `None` also when the
    /// part was no longer uncertain (settled by another task meanwhile), which changes
    /// nothing.
    pub async fn settle_chunk(
        &self,
        upload_id: &str,
        chunk: i64,
        settlement: &Settlement<'_>,
        now: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let next: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(chunk), -1) + 1 FROM upload_chunks WHERE upload_id = $1",
        )
        .bind(upload_id)
        .fetch_one(&mut *tx)
        .await?;
        let resent_as = (!settlement.rest.is_empty()).then_some(next);
        let settled = sqlx::query(
            "UPDATE upload_chunks SET state = 'settled', found = $1, resent_as = $2, \
             updated_at = $3 WHERE upload_id = $4 AND chunk = $5 AND state = 'uncertain'",
        )
        .bind(settlement.found.len() as i64)
        .bind(resent_as)
        .bind(now)
        .bind(upload_id)
        .bind(chunk)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !settled {
            tx.rollback().await?;
            return Ok(None);
        }
        for (row, device_id) in settlement.found {
            sqlx::query(
                "UPDATE upload_rows SET outcome = 'registered', device_id = $1 \
                 WHERE upload_id = $2 AND row_number = $3",
            )
            .bind(device_id)
            .bind(upload_id)
            .bind(*row as i64)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(new) = resent_as {
            sqlx::query(
                "INSERT INTO upload_chunks (upload_id, chunk, operation, request_id, devices, \
                 state, updated_at, resends) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)",
            )
            .bind(upload_id)
            .bind(new)
            .bind(if settlement.create { "create" } else { "add" })
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(settlement.rest.len() as i64)
            .bind(now)
            .bind(chunk)
            .execute(&mut *tx)
            .await?;
            for row in settlement.rest {
                sqlx::query(
                    "UPDATE upload_rows SET chunk = $1 WHERE upload_id = $2 AND row_number = $3",
                )
                .bind(new)
                .bind(upload_id)
                .bind(*row as i64)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(resent_as)
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
    /// Sends a failed upload's remaining parts again. A refused part goes back to pending
    /// under a new request id: Partner Center said it did nothing with it, and may have kept
    /// that refusal under the old id, to answer it again. An uncertain part stays uncertain:
    /// the sending settles it by looking first. Returns `false` when the upload had not
    /// failed.
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
            let refused: Vec<i64> = sqlx::query_scalar(
                "SELECT chunk FROM upload_chunks WHERE upload_id = $1 AND state = 'refused'",
            )
            .bind(upload_id)
            .fetch_all(&mut *tx)
            .await?;
            for chunk in refused {
                sqlx::query(
                    "UPDATE upload_chunks SET state = 'pending', error = NULL, request_id = $1, \
                     updated_at = $2 WHERE upload_id = $3 AND chunk = $4",
                )
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(now)
                .bind(upload_id)
                .bind(chunk)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(resumed)
    }
}
