//! An operation's parts (`operation_parts`): each a stored `MS-RequestId`, the action it asks
//! for and how many items it carries, written before it is ever sent, then answered (and, for
//! kinds Partner Center runs as a job, followed). What the items are is the kind's own table:
//! an upload's rows name their part, a deletion's devices are one a part.

use super::jobs::{finished_job_statuses_sql, JobProgress, JobReport};
use super::OperationId;
use crate::model::operations::{OperationState, PartAction, PartState};
use crate::partner_center::{RequestId, TrackingId};
use crate::server::store::Store;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Part {
    /// From 0, in the order the parts were written.
    #[sqlx(rename = "part")]
    pub number: i64,
    pub action: PartAction,
    pub request_id: RequestId,
    /// How many items (devices) it carries.
    pub items: i64,
    pub state: PartState,
    pub tracking_id: Option<TrackingId>,
    pub error: Option<String>,
    /// What is known of the part's job, once Partner Center was asked.
    pub job_status: Option<JobProgress>,
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub checked_at: Option<i64>,
    /// Why the last attempt to ask Partner Center failed.
    pub check_error: Option<String>,
    /// Settled: how many of its items Partner Center showed done.
    pub found: Option<i64>,
    /// Settled: the part that sent the rest, if any was left.
    pub resent_as: Option<i64>,
    /// The settled part whose rest this part sends.
    pub resends: Option<i64>,
}

impl Part {
    /// The numbers of the parts Partner Center accepted as a job (it gave them a tracking id).
    pub fn accepted(parts: &[Part]) -> Vec<i64> {
        parts
            .iter()
            .filter(|p| p.tracking_id.is_some())
            .map(|p| p.number)
            .collect()
    }

    /// Accepted as a job, and Partner Center has not yet said it finished it.
    pub fn job_running(&self) -> bool {
        self.running_job().is_some()
    }

    /// The job to ask Partner Center about: accepted as a job, and not yet said finished.
    pub fn running_job(&self) -> Option<TrackingId> {
        self.tracking_id
            .filter(|_| !self.job_status.is_some_and(JobProgress::is_finished))
    }

    /// Creates the batch an upload goes to.
    pub fn creates_batch(&self) -> bool {
        self.action == PartAction::CreateBatch
    }
}

/// Partner Center's answer to one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartOutcome {
    /// Taken: as a job with this tracking id, or done at once (`None`).
    Accepted { tracking_id: Option<TrackingId> },
    /// Partner Center said it did nothing with it: sent again under a new id when asked.
    Refused { error: String },
    /// The answer was lost or says nothing about the items; `error` says which. Sent again
    /// under the same id.
    Uncertain { error: String },
}

/// Writes a new part, pending, with a new request id: the id is stored before the part is
/// ever sent, and reused for every retry while its outcome is uncertain.
pub(crate) async fn insert_part(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    operation_id: &OperationId,
    number: i64,
    (action, items): (PartAction, i64),
    resends: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO operation_parts (operation_id, part, action, request_id, items, state, \
         updated_at, resends) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)",
    )
    .bind(operation_id)
    .bind(number)
    .bind(action.as_str())
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(items)
    .bind(now)
    .bind(resends)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes part `number` of an operation being stored (pending, a new request id), dated with
/// the operation: how kinds that store their parts with the operation do it.
pub(crate) async fn insert_part_of(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    operation: &super::Operation,
    number: i64,
    action: (PartAction, i64),
) -> Result<(), sqlx::Error> {
    insert_part(
        tx,
        &operation.id,
        number,
        action,
        None,
        operation.created_at,
    )
    .await
}

/// Stores one answer about a part's job. Returns `false`, changing nothing, when the job was
/// already stored as finished (a page and the follower asked at once, and this answer came
/// second): the kind then leaves its items' outcomes as they are too.
pub(crate) async fn record_job_progress(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    operation_id: &OperationId,
    part: i64,
    job: &JobReport,
    now: i64,
) -> Result<bool, sqlx::Error> {
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
    .bind(operation_id)
    .bind(part)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(updated > 0)
}

impl Store {
    /// Notes that Partner Center could not be asked about a part's job, and why.
    pub async fn record_check_failure(
        &self,
        operation_id: &OperationId,
        part: i64,
        message: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE operation_parts SET checked_at = $1, check_error = $2 \
             WHERE operation_id = $3 AND part = $4",
        )
        .bind(now)
        .bind(message)
        .bind(operation_id)
        .bind(part)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// An operation's parts, in order.
    pub async fn parts(&self, operation_id: &OperationId) -> Result<Vec<Part>, sqlx::Error> {
        sqlx::query_as("SELECT * FROM operation_parts WHERE operation_id = $1 ORDER BY part")
            .bind(operation_id)
            .fetch_all(self.pool())
            .await
    }

    /// Writes down Partner Center's answer to one part.
    pub async fn record_part(
        &self,
        operation_id: &OperationId,
        part: i64,
        outcome: &PartOutcome,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let (state, tracking_id, error) = match outcome {
            PartOutcome::Accepted { tracking_id } => (PartState::Accepted, tracking_id, None),
            PartOutcome::Refused { error } => (PartState::Refused, &None, Some(error)),
            PartOutcome::Uncertain { error } => (PartState::Uncertain, &None, Some(error)),
        };
        sqlx::query(
            "UPDATE operation_parts SET state = $1, tracking_id = COALESCE($2, tracking_id), \
             error = $3, updated_at = $4 WHERE operation_id = $5 AND part = $6 \
             AND state NOT IN ('accepted', 'settled')",
        )
        .bind(state.as_str())
        .bind(tracking_id)
        .bind(error)
        .bind(now)
        .bind(operation_id)
        .bind(part)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Ends the sending of an operation: `Submitted`, or `Failed` with the reason.
    pub async fn finish_operation(
        &self,
        operation_id: &OperationId,
        state: OperationState,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE operations SET state = $1, error = $2, updated_at = $3 WHERE id = $4")
            .bind(state.as_str())
            .bind(error)
            .bind(now)
            .bind(operation_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Sends a failed operation's remaining parts again, as `sign_in_id`. A refused part goes
    /// back to pending under a new request id: Partner Center said it did nothing with it,
    /// and may have kept that refusal under the old id, to answer it again. An uncertain part
    /// stays uncertain: the sending settles it by looking first. Returns `false` when the
    /// operation had not failed.
    pub async fn resume_operation(
        &self,
        operation_id: &OperationId,
        sign_in_id: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let resumed = sqlx::query(
            "UPDATE operations SET state = 'submitting', error = NULL, updated_at = $1, \
             sign_in_id = $3 WHERE id = $2 AND state = 'failed'",
        )
        .bind(now)
        .bind(operation_id)
        .bind(sign_in_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if resumed {
            let refused: Vec<i64> = sqlx::query_scalar(
                "SELECT part FROM operation_parts WHERE operation_id = $1 AND state = 'refused'",
            )
            .bind(operation_id)
            .fetch_all(&mut *tx)
            .await?;
            for part in refused {
                sqlx::query(
                    "UPDATE operation_parts SET state = 'pending', error = NULL, \
                     request_id = $1, updated_at = $2 WHERE operation_id = $3 AND part = $4",
                )
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(now)
                .bind(operation_id)
                .bind(part)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(resumed)
    }
}
