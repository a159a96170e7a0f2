//! An Autopilot profile applied to devices, or removed from them, as an operation (see
//! [`super::operations`]): the devices and the profile are written down with the parts that
//! carry them (up to `upload_chunk_size` devices each), every part with its `MS-RequestId`,
//! before Partner Center hears of it; each part is one `PATCH DevicePolicyUpdates`, which
//! Partner Center answers with a job, followed through `batchJobStatus` until it said what
//! became of every device.
//!
//! The rules every kind follows, for this one: a `PATCH` whose answer was lost or kept failing
//! leaves its part uncertain and goes again under the same request id (Partner Center answers
//! a repeated id with its first answer; and giving a device the same profile twice leaves it
//! as once). A refusal goes again under a new id when the person asks. A process that dies
//! mid-way leaves the operation `submitting`, and the next one (or another replica) sends the
//! rest on the stored sign-in of the person who asked, then follows the jobs.
//!
//! Removing a profile sends the assignment with a `null` value, as the API reference
//! describes; that is not confirmed against the real Partner Center (the reference marks it
//! unconfirmed), and the pages say so.
//!
//! - [`sending`]: one `PATCH` a part, each answer recorded, the audit row;
//! - [`following`]: the parts' jobs asked about until every device has its outcome;
//! - [`page`]: the assignment's page and its "Try again";
//! - [`forms`]: the batch page's and the job page's forms that start one.

pub mod following;
pub mod forms;
pub mod page;
pub mod sending;

use super::auth::SessionUser;
use super::caller::Caller;
use super::leases::Lease;
use super::operations::{self, follow, parts, Operation, OperationId};
use super::store::Store;
use super::AppState;
use crate::model::operations::{AssignmentOutcome, OperationKind, PartAction};
use crate::model::AppError;
use crate::partner_center::CustomerId;
use crate::server::operations::jobs::JobReport;

/// One device an assignment acts on, as the person chose it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeviceToAssign {
    pub batch_id: String,
    pub device_id: String,
    pub serial_number: Option<String>,
    pub model: Option<String>,
}

/// What an assignment does to its devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileChoice {
    /// Gives them the customer's profile `id`, named `name` when it was chosen.
    Apply { id: String, name: String },
    /// Takes their Autopilot profile away.
    Remove,
}

impl ProfileChoice {
    /// The assignment's `value` on the wire: the profile's id, or `null` to remove it.
    fn wire_value(&self) -> Option<String> {
        match self {
            ProfileChoice::Apply { id, .. } => Some(id.clone()),
            ProfileChoice::Remove => None,
        }
    }

    /// The profile's name, for the pages and the audit trail; `None` for a removal.
    fn name(&self) -> Option<&str> {
        match self {
            ProfileChoice::Apply { name, .. } => Some(name),
            ProfileChoice::Remove => None,
        }
    }
}

/// A device of an assignment as stored, with what became of it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct AssignedDevice {
    position: i64,
    part: i64,
    batch_id: String,
    device_id: String,
    serial_number: Option<String>,
    model: Option<String>,
    outcome: AssignmentOutcome,
    error_code: Option<String>,
    error_description: Option<String>,
}

/// What Partner Center said of one device, to store.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DeviceAnswer {
    position: i64,
    outcome: AssignmentOutcome,
    error_code: Option<String>,
    error_description: Option<String>,
}

impl Store {
    /// Writes an assignment, `submitting`, with its devices and the parts that carry them
    /// (`per_part` devices each), every part with its request id, in one transaction:
    /// nothing is sent before all of it is stored.
    pub async fn insert_assignment(
        &self,
        operation: &Operation,
        choice: &ProfileChoice,
        devices: &[DeviceToAssign],
        per_part: usize,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        operations::insert(&mut tx, operation).await?;
        let profile_id = choice.wire_value();
        sqlx::query(
            "INSERT INTO profile_assignments (operation_id, profile_id, profile_name) \
             VALUES ($1, $2, $3)",
        )
        .bind(operation.id)
        .bind(&profile_id)
        .bind(choice.name())
        .execute(&mut *tx)
        .await?;
        for (part, carried) in devices.chunks(per_part.max(1)).enumerate() {
            let part = part as i64;
            for (offset, device) in carried.iter().enumerate() {
                let position = part * per_part.max(1) as i64 + offset as i64;
                sqlx::query(
                    "INSERT INTO profile_assignment_devices (operation_id, position, part, \
                     batch_id, device_id, serial_number, model) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(operation.id)
                .bind(position)
                .bind(part)
                .bind(&device.batch_id)
                .bind(&device.device_id)
                .bind(&device.serial_number)
                .bind(&device.model)
                .execute(&mut *tx)
                .await?;
            }
            let action = (PartAction::AssignProfile, carried.len() as i64);
            parts::insert_part_of(&mut tx, operation, part, action).await?;
        }
        tx.commit().await
    }

    /// The profile an assignment gives its devices.
    async fn assignment_choice(
        &self,
        operation_id: &OperationId,
    ) -> Result<ProfileChoice, sqlx::Error> {
        let (id, name): (Option<String>, Option<String>) = sqlx::query_as(
            "SELECT profile_id, profile_name FROM profile_assignments WHERE operation_id = $1",
        )
        .bind(operation_id)
        .fetch_one(self.pool())
        .await?;
        Ok(match id {
            Some(id) => ProfileChoice::Apply {
                name: name.unwrap_or_else(|| id.clone()),
                id,
            },
            None => ProfileChoice::Remove,
        })
    }

    /// An assignment's devices, in the order chosen.
    async fn assigned_devices(
        &self,
        operation_id: &OperationId,
    ) -> Result<Vec<AssignedDevice>, sqlx::Error> {
        sqlx::query_as(
            "SELECT position, part, batch_id, device_id, serial_number, model, outcome, \
             error_code, error_description FROM profile_assignment_devices \
             WHERE operation_id = $1 ORDER BY position",
        )
        .bind(operation_id)
        .fetch_all(self.pool())
        .await
    }

    /// Stores one answer about a part's job and what it said of its devices, at once. An
    /// answer arriving after the job was stored as finished changes nothing.
    async fn record_assignment_job(
        &self,
        operation_id: &OperationId,
        part: i64,
        job: &JobReport,
        answers: &[DeviceAnswer],
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        if !parts::record_job_progress(&mut tx, operation_id, part, job, now).await? {
            return tx.commit().await;
        }
        for answer in answers {
            sqlx::query(
                "UPDATE profile_assignment_devices SET outcome = $1, error_code = $2, \
                 error_description = $3 WHERE operation_id = $4 AND position = $5",
            )
            .bind(answer.outcome.as_str())
            .bind(&answer.error_code)
            .bind(&answer.error_description)
            .bind(operation_id)
            .bind(answer.position)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }
}

/// Sends the parts now, for the page the person is led to next to say how it went, and
/// follows the jobs in the background.
pub(crate) async fn send_then_follow(
    state: &AppState,
    user: &SessionUser,
    operation_id: &OperationId,
    lease: Lease,
) -> Result<(), sqlx::Error> {
    sending::send_holding(state, user, operation_id, lease).await?;
    let follower = follow::follow(
        state.clone(),
        user.clone(),
        *operation_id,
        following::refresher,
    );
    operations::in_background(*operation_id, follower);
    Ok(())
}

/// Starts an assignment of `choice` to `devices` of `customer` for `user`: stored, sent at
/// once, then followed in the background. Returns its id.
pub async fn start(
    state: &AppState,
    user: &SessionUser,
    customer: (&CustomerId, &str),
    choice: &ProfileChoice,
    devices: &[DeviceToAssign],
) -> Result<OperationId, sqlx::Error> {
    let operation = Operation::sent_now(OperationKind::ProfileAssignment, user, customer);
    let per_part = state.config.upload_chunk_size;
    state
        .store
        .insert_assignment(&operation, choice, devices, per_part)
        .await?;
    if let Some(lease) = Lease::take(state, operations::sending_lease(&operation.id)).await {
        send_then_follow(state, user, &operation.id, lease).await?;
    }
    Ok(operation.id)
}

/// The assignment, if it is the caller's organisation's and this customer's.
async fn assignment_of(
    caller: &Caller,
    customer: &CustomerId,
    operation_id: &OperationId,
) -> Result<Operation, AppError> {
    let kind = Some(OperationKind::ProfileAssignment);
    operations::of_kind(caller, customer, operation_id, kind).await
}

impl Store {
    /// The devices an upload registered, with the ids Partner Center gave them.
    pub async fn registered_devices(
        &self,
        upload_id: &OperationId,
    ) -> Result<Vec<DeviceToAssign>, sqlx::Error> {
        sqlx::query_as(
            "SELECT d.batch_id, r.device_id, r.serial_number, r.model FROM upload_rows r \
             JOIN uploads d ON d.id = r.upload_id WHERE r.upload_id = $1 \
             AND r.outcome = 'registered' AND r.device_id IS NOT NULL ORDER BY r.row_number",
        )
        .bind(upload_id)
        .fetch_all(self.pool())
        .await
    }
}

#[cfg(test)]
impl AssignedDevice {
    /// A device of part 0 that waits, for the tests of the submodules.
    fn waiting(position: i64, id: &str) -> AssignedDevice {
        AssignedDevice {
            position,
            part: 0,
            batch_id: "b".into(),
            device_id: id.into(),
            serial_number: None,
            model: None,
            outcome: AssignmentOutcome::Waiting,
            error_code: None,
            error_description: None,
        }
    }
}
