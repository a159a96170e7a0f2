//! An upload's parts: which of its rows each carries, written once when the user confirms
//! (each part with its `MS-RequestId`, see [`crate::server::operations::parts`]), and what
//! settling a part by looking does to its rows. The submission's side of the uploads' tables.

use super::model::StoredRow;
use crate::ingest::DeviceRow;
use crate::model::operations::PartAction;
use crate::model::uploads::BatchTarget;
use crate::server::operations::parts::insert_part;
use crate::server::operations::OperationId;
use crate::server::store::Store;

/// What an upload's part does: create the batch with its devices, or add them.
pub fn upload_action(create: bool) -> PartAction {
    match create {
        true => PartAction::CreateBatch,
        false => PartAction::AddDevices,
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

impl Store {
    /// Turns a draft into a submission, exactly once: assigns the included rows to chunks of
    /// `chunk_size` and writes each chunk with its `MS-RequestId`, all in one transaction,
    /// which also re-checks that no included row has an error and that one is included
    /// (another tab may have changed the rows since the page was shown).
    pub async fn begin_submission(
        &self,
        upload_id: &OperationId,
        sign_in_id: &str,
        chunk_size: usize,
        now: i64,
    ) -> Result<Claim, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let claimed = sqlx::query(
            "UPDATE operations SET state = 'submitting', submitted_at = $1, updated_at = $1, \
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
        let target: BatchTarget = sqlx::query_scalar("SELECT target FROM uploads WHERE id = $1")
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
            let part = (
                upload_action(index == 0 && target.is_new()),
                chunk.len() as i64,
            );
            insert_part(&mut tx, upload_id, index as i64, part, None, now).await?;
        }
        tx.commit().await?;
        Ok(Claim::Claimed)
    }

    /// The devices of one chunk, in row order.
    pub async fn chunk_devices(
        &self,
        upload_id: &OperationId,
        chunk: i64,
    ) -> Result<Vec<DeviceRow>, sqlx::Error> {
        let rows: Vec<StoredRow> = sqlx::query_as(
            "SELECT * FROM upload_rows WHERE upload_id = $1 AND chunk = $2 ORDER BY row_number",
        )
        .bind(upload_id)
        .bind(chunk)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|row| row.device).collect())
    }

    /// Writes down what looking at Partner Center decided for an uncertain part, at once:
    /// the rows it lists are registered (with the device id it gave them), the part is
    /// settled, and the rest become a new part, with a new request id stored before it is
    /// ever sent. Returns the new part's number, if one was needed; `None` also when the
    /// part was no longer uncertain (settled by another task meanwhile), which changes
    /// nothing.
    pub async fn settle_chunk(
        &self,
        upload_id: &OperationId,
        chunk: i64,
        settlement: &Settlement<'_>,
        now: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let next: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(part), -1) + 1 FROM operation_parts WHERE operation_id = $1",
        )
        .bind(upload_id)
        .fetch_one(&mut *tx)
        .await?;
        let resent_as = (!settlement.rest.is_empty()).then_some(next);
        let settled = sqlx::query(
            "UPDATE operation_parts SET state = 'settled', found = $1, resent_as = $2, \
             updated_at = $3 WHERE operation_id = $4 AND part = $5 AND state = 'uncertain'",
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
            let part = (
                upload_action(settlement.create),
                settlement.rest.len() as i64,
            );
            insert_part(&mut tx, upload_id, new, part, Some(chunk), now).await?;
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
}
