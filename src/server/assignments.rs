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

use std::collections::HashSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Redirect;
use futures::future::BoxFuture;
use futures::TryStreamExt;

use super::audit::{self, Actor, Event};
use super::auth::{SessionUser, SignedIn};
use super::caller::{caller, open_customer, Caller};
use super::form_fields::{every, field, Fields};
use super::leases::Lease;
use super::operations::jobs::{JobProgress, JobReport};
use super::operations::parts::{self, Part, PartOutcome};
use super::operations::sending::{self, Run};
use super::operations::{self, device_errors, follow, refusals, Operation, OperationId, Resumed};
use super::path_ids::Ids;
use super::refusal::Refusal;
use super::store::Store;
use super::{display_time, profiles, unix_now, AppState};
use crate::model::audit::AuditAction;
use crate::model::done::Done;
use crate::model::operations::{
    AssignedDeviceView, AssignmentCounts, AssignmentOutcome, AssignmentView, OperationKind,
    OperationState, PartAction,
};
use crate::model::profiles::{ONLY_ADMIN_AGENTS, REMOVE_PROFILE};
use crate::model::AppError;
use crate::partner_center::{
    BatchId, CallContext, CustomerId, DevicePolicyUpdate, DeviceUploadDetails, ErrorKind,
    PartnerCenterError, PolicyAssignment, RequestId, TrackingId, NO_RELATIONSHIP_CODE,
};
use crate::urls;

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
        .bind(&operation.id)
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
                .bind(&operation.id)
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
            parts::insert_part(
                &mut tx,
                &operation.id,
                part,
                action,
                None,
                operation.created_at,
            )
            .await?;
        }
        tx.commit().await
    }

    /// The profile an assignment gives its devices.
    async fn assignment_choice(&self, operation_id: &str) -> Result<ProfileChoice, sqlx::Error> {
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
        operation_id: &str,
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
        operation_id: &str,
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

/// The part's outcome for Partner Center's answer to its `PATCH`: taken as a job, lost (sent
/// again under the same id), or refused (in words; a refusal for the person's role is the
/// one that makes the profile pages read-only for them, [`forbids_profiles`]).
fn answer(result: Result<TrackingId, PartnerCenterError>) -> PartOutcome {
    let error = match result {
        Ok(tracking_id) => {
            return PartOutcome::Accepted {
                tracking_id: Some(tracking_id.to_string()),
            }
        }
        Err(error) => error,
    };
    match error.kind() {
        ErrorKind::Server
        | ErrorKind::Timeout
        | ErrorKind::Transport
        | ErrorKind::InvalidResponse => PartOutcome::Uncertain {
            error: refusals::with_ids(
                "Partner Center could not be reached or kept failing, so whether it took \
                 these devices is not known. Try again: the same request goes again, and \
                 Partner Center does it at most once."
                    .into(),
                &error,
            ),
        },
        ErrorKind::Forbidden if error.code.as_deref() != Some(NO_RELATIONSHIP_CODE) => {
            PartOutcome::Refused {
                error: refusals::with_ids(ONLY_ADMIN_AGENTS.into(), &error),
            }
        }
        _ => PartOutcome::Refused {
            error: refusals::in_words(&error, "Try again"),
        },
    }
}

/// Partner Center refused this sign-in profile writes: its role (a Sales agent).
fn forbids_profiles(outcome: &PartOutcome) -> bool {
    matches!(outcome, PartOutcome::Refused { error } if error.starts_with(ONLY_ADMIN_AGENTS))
}

/// Sends the assignment's parts that are not done ([`sending::send_parts`]), one `PATCH`
/// each, and writes one audit row for this run. Returns the state it ended in, or `None`
/// when another replica took the work over. The jobs are followed by [`follow`]:
/// [`run_holding`] does both.
pub async fn send_holding(
    state: &AppState,
    user: &SessionUser,
    operation_id: &str,
    lease: Lease,
) -> Result<Option<OperationState>, sqlx::Error> {
    let store = &state.store;
    let choice = store.assignment_choice(operation_id).await?;
    let devices = store.assigned_devices(operation_id).await?;
    let (choice, devices) = (&choice, &devices);
    let run = sending::send_parts(
        state,
        user,
        operation_id,
        lease,
        |ctx, customer_id, part| async move {
            let carried: Vec<&AssignedDevice> =
                devices.iter().filter(|d| d.part == part.number).collect();
            let outcome = send(state, &ctx, &customer_id, choice, &carried, &part).await;
            if forbids_profiles(&outcome) {
                state.profile_write_refusals.remember(&user.sign_in_id);
            }
            outcome
        },
    )
    .await?;
    let Some(run) = run else {
        return Ok(None);
    };
    record(state, user, &run, choice, devices).await;
    Ok(Some(run.ended))
}

/// [`send_holding`], then the jobs followed until Partner Center has finished with every
/// device: what a restart or another replica runs for an assignment left `submitting`.
pub async fn run_holding(state: AppState, user: SessionUser, operation_id: String, lease: Lease) {
    if let Err(error) = send_holding(&state, &user, &operation_id, lease).await {
        tracing::error!(operation = %operation_id, %error, "could not send an assignment");
        return;
    }
    follow::follow(state, user, operation_id, refresher).await;
}

/// One `PATCH`, under the part's stored request id.
async fn send(
    state: &AppState,
    ctx: &CallContext,
    customer_id: &str,
    choice: &ProfileChoice,
    devices: &[&AssignedDevice],
    part: &Part,
) -> PartOutcome {
    let (Ok(customer), Ok(request_id)) = (
        CustomerId::parse(customer_id),
        RequestId::parse(&part.request_id),
    ) else {
        return PartOutcome::Refused {
            error: "The stored assignment is damaged: its ids do not parse.".into(),
        };
    };
    let updates: Vec<DevicePolicyUpdate> = devices
        .iter()
        .map(|device| DevicePolicyUpdate {
            id: device.device_id.clone(),
            policies: vec![PolicyAssignment::oobe(choice.wire_value())],
        })
        .collect();
    answer(
        state
            .partner_center
            .update_device_policies(ctx, &customer, &updates, request_id)
            .await,
    )
}

/// The audit row of one run: who applied which profile to how many devices, and how the
/// sending ended. Each device's outcome is on the assignment's page, which the row links.
async fn record(
    state: &AppState,
    user: &SessionUser,
    run: &Run,
    choice: &ProfileChoice,
    devices: &[AssignedDevice],
) {
    let (operation, failure) = (&run.operation, run.failure.as_deref());
    let mut batches: Vec<&str> = devices.iter().map(|d| d.batch_id.as_str()).collect();
    batches.sort_unstable();
    batches.dedup();
    let count = match devices.len() {
        1 => "1 device".to_string(),
        n => format!("{n} devices"),
    };
    let batches = batches
        .iter()
        .map(|b| format!("“{b}”"))
        .collect::<Vec<_>>()
        .join(", ");
    let (action, what) = match choice {
        ProfileChoice::Apply { name, .. } => (
            AuditAction::ProfileApplied,
            format!("The profile “{name}” sent to {count} of the batch {batches}."),
        ),
        ProfileChoice::Remove => (
            AuditAction::ProfileRemoved,
            format!("The profile removal sent for {count} of the batch {batches}."),
        ),
    };
    let detail = match failure {
        None => what,
        Some(why) => format!("{what} Not every part was taken: {why}"),
    };
    audit::record(
        state,
        Event {
            action,
            ok: failure.is_none(),
            actor: Actor::from(user),
            customer_id: Some(operation.customer_id.clone()),
            operation_id: Some(operation.id.clone()),
            detail,
            correlation_id: run
                .ctx
                .as_ref()
                .map(|c| c.correlation_id)
                .unwrap_or_else(uuid::Uuid::new_v4),
        },
    )
    .await;
}

/// [`refresh`] as the background follower calls it ([`follow::Refresh`]).
pub fn refresher(
    state: AppState,
    ctx: CallContext,
    operation: Operation,
) -> BoxFuture<'static, Result<bool, String>> {
    Box::pin(async move { refresh(&state, &ctx, &operation).await })
}

/// Asks Partner Center about each accepted part whose job is still running and stores what
/// it says of the devices. Returns whether any job still runs, or why Partner Center could
/// not be asked about one (also stored on that part, for the page).
pub async fn refresh(
    state: &AppState,
    ctx: &CallContext,
    operation: &Operation,
) -> Result<bool, String> {
    let asking = ask_and_store(state, ctx, operation);
    follow::one_refresh_at_a_time(state, &operation.id, asking).await
}

async fn ask_and_store(
    state: &AppState,
    ctx: &CallContext,
    operation: &Operation,
) -> Result<bool, String> {
    let store = &state.store;
    let database = |e: sqlx::Error| {
        tracing::error!(operation = %operation.id, error = %e, "database error while following an assignment");
        "The dashboard's database failed while storing the assignment's progress.".to_string()
    };
    let customer = CustomerId::parse(&operation.customer_id).map_err(|e| e.to_string())?;
    let devices = store
        .assigned_devices(&operation.id)
        .await
        .map_err(database)?;
    let choice = store
        .assignment_choice(&operation.id)
        .await
        .map_err(database)?;
    let mut running = false;
    let mut failure = None;
    for part in store.parts(&operation.id).await.map_err(database)? {
        if !part.job_running() {
            continue;
        }
        let Some(tracking_id) = part
            .tracking_id
            .as_deref()
            .and_then(|t| TrackingId::parse(t).ok())
        else {
            continue;
        };
        let carried: Vec<&AssignedDevice> =
            devices.iter().filter(|d| d.part == part.number).collect();
        let (report, answers) = match state
            .partner_center
            .batch_job_status(ctx, &customer, &tracking_id)
            .await
        {
            Ok(details) => {
                running |= !details.is_terminal();
                let report = JobReport {
                    status: JobProgress::Reported(details.status),
                    started_at: details.started_time.map(|t| t.timestamp()),
                    completed_at: details.completed_time.map(|t| t.timestamp()),
                };
                let answers = answers(&carried, &details.devices_status, details.is_terminal());
                (report, answers)
            }
            // Partner Center no longer knows the job: the devices it never reported get an
            // unknown outcome instead of waiting forever.
            Err(error) if error.kind() == ErrorKind::NotFound => {
                tracing::warn!(operation = %operation.id, part = part.number, "Partner Center forgot an assignment job");
                let report = JobReport {
                    status: JobProgress::Forgotten,
                    started_at: None,
                    completed_at: None,
                };
                (report, answers(&carried, &[], true))
            }
            Err(error) => {
                let message = format!(
                    "Partner Center could not be asked how the assignment is going ({}). What \
                     is shown is what it said last; the dashboard asks again by itself.",
                    error.kind().as_str()
                );
                tracing::warn!(operation = %operation.id, %error, "assignment job status unavailable");
                store
                    .record_check_failure(&operation.id, part.number, &message, unix_now())
                    .await
                    .map_err(database)?;
                running = true;
                failure = Some(message);
                continue;
            }
        };
        store
            .record_assignment_job(&operation.id, part.number, &report, &answers, unix_now())
            .await
            .map_err(database)?;
        let done: Vec<&str> = answers
            .iter()
            .filter(|a| a.outcome == AssignmentOutcome::Done)
            .filter_map(|a| carried.iter().find(|d| d.position == a.position))
            .map(|d| d.device_id.as_str())
            .collect();
        if !done.is_empty() {
            let profile = match &choice {
                ProfileChoice::Apply { id, name } => Some((id.as_str(), name.as_str())),
                ProfileChoice::Remove => None,
            };
            let (tenant, customer) = (&operation.tenant_id, &operation.customer_id);
            if let Err(error) = store.index_profile(tenant, customer, &done, profile).await {
                tracing::warn!(%error, "could not note an assignment in the device index");
            }
        }
    }
    match failure {
        Some(message) => Err(message),
        None => Ok(running),
    }
}

/// What Partner Center's per-device answers say of a part's devices that still wait: each
/// answer goes to the device it names by id (Partner Center compares ids without regard to
/// case); answers that name none go, in order, to the devices left when as many are left as
/// devices. Once the job ended (`ended`), a device no answer went to is unreported.
fn answers(
    waiting: &[&AssignedDevice],
    statuses: &[DeviceUploadDetails],
    ended: bool,
) -> Vec<DeviceAnswer> {
    let waiting: Vec<&AssignedDevice> = waiting
        .iter()
        .copied()
        .filter(|d| d.outcome == AssignmentOutcome::Waiting)
        .collect();
    let mut given: Vec<Option<&DeviceUploadDetails>> = vec![None; waiting.len()];
    let mut unnamed = Vec::new();
    for status in statuses {
        let named = status.device_id.as_deref().map(str::trim).and_then(|id| {
            waiting
                .iter()
                .position(|d| d.device_id.trim().eq_ignore_ascii_case(id))
        });
        match named {
            Some(index) => given[index] = Some(status),
            None if status.device_id.is_none() => unnamed.push(status),
            // Names a device this part did not send: not guessed.
            None => {}
        }
    }
    let left: Vec<usize> = (0..waiting.len()).filter(|&i| given[i].is_none()).collect();
    if left.len() == unnamed.len() {
        for (&index, status) in left.iter().zip(unnamed) {
            given[index] = Some(status);
        }
    }
    waiting
        .iter()
        .zip(given)
        .filter_map(|(device, status)| {
            let (outcome, code, description) = match status {
                Some(status) if status.is_failure() => (
                    AssignmentOutcome::Failed,
                    status.error_code.clone(),
                    status.error_description.clone(),
                ),
                Some(status) if status.status.is_terminal() => {
                    (AssignmentOutcome::Done, None, None)
                }
                _ if ended => (AssignmentOutcome::Unreported, None, None),
                _ => return None,
            };
            Some(DeviceAnswer {
                position: device.position,
                outcome,
                error_code: code,
                error_description: description,
            })
        })
        .collect()
}

/// A device's outcome in words: what Partner Center's code means and what to do.
fn explanation(device: &AssignedDevice) -> Option<String> {
    match device.outcome {
        AssignmentOutcome::Failed => Some(match device.error_code.as_deref().map(str::trim) {
            // Not registered with this customer (any more): deleted since it was chosen.
            Some("807") | Some("812") => "Partner Center has no such device for this customer \
                 (any more): it was deleted, or moved, after it was chosen. Open its batch to \
                 see what is there now."
                .to_string(),
            code => device_errors::explain(code, device.error_description.as_deref()),
        }),
        AssignmentOutcome::Unreported => Some(
            "Partner Center finished without saying what happened to this device. Open its \
             batch: the profile column shows what it has now."
                .to_string(),
        ),
        AssignmentOutcome::Waiting | AssignmentOutcome::Done => None,
    }
}

/// Sends the parts now, for the page the person is led to next to say how it went, and
/// follows the jobs in the background.
async fn send_then_follow(
    state: &AppState,
    user: &SessionUser,
    operation_id: &str,
    lease: Lease,
) -> Result<(), sqlx::Error> {
    send_holding(state, user, operation_id, lease).await?;
    let follower = follow::follow(
        state.clone(),
        user.clone(),
        operation_id.to_string(),
        refresher,
    );
    tokio::spawn(follower);
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
) -> Result<String, sqlx::Error> {
    let now = unix_now();
    let operation = Operation {
        id: uuid::Uuid::new_v4().to_string(),
        kind: OperationKind::ProfileAssignment,
        customer_id: customer.0.to_string(),
        customer_name: customer.1.to_string(),
        tenant_id: user.tenant_id.clone(),
        object_id: user.object_id.clone(),
        upn: user.upn.clone(),
        state: OperationState::Submitting,
        error: None,
        sign_in_id: Some(user.sign_in_id.clone()),
        created_at: now,
        submitted_at: Some(now),
    };
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
    let kind = OperationKind::ProfileAssignment;
    operations::of_kind(
        caller,
        customer,
        operation_id,
        kind,
        "This profile assignment",
    )
    .await
}

/// The server side of an assignment's page; refreshes the jobs first when they run.
pub async fn view(
    (id, operation_id): (CustomerId, OperationId),
) -> Result<AssignmentView, AppError> {
    let caller = caller().await?;
    let customer = open_customer(&caller, &id).await?;
    let store = &caller.state.store;
    let operation = assignment_of(&caller, &id, &operation_id).await?;
    let refresh = refresh(&caller.state, &caller.ctx, &operation);
    follow::refresh_for_page(&store.parts(&operation.id).await?, refresh).await;
    // Read again: the refresh may have moved it on.
    let operation = assignment_of(&caller, &id, &operation_id).await?;
    let parts = store.parts(&operation.id).await?;
    let choice = store.assignment_choice(&operation.id).await?;
    let devices = store.assigned_devices(&operation.id).await?;
    let counts = AssignmentCounts {
        total: devices.len() as i64,
        done: count(&devices, |o| o == AssignmentOutcome::Done),
        failed: count(&devices, |o| {
            matches!(o, AssignmentOutcome::Failed | AssignmentOutcome::Unreported)
        }),
    };
    let running =
        operation.state == OperationState::Submitting || parts.iter().any(Part::job_running);
    Ok(AssignmentView {
        customer,
        requested: display_time(chrono::DateTime::from_timestamp(operation.created_at, 0))
            .unwrap_or_default(),
        requested_by: operation.upn,
        id: operation.id,
        profile: choice.name().map(str::to_string),
        state: operation.state,
        error: operation.error,
        check_error: parts
            .iter()
            .filter(|p| p.job_running())
            .find_map(|p| p.check_error.clone()),
        running,
        counts,
        tracking_ids: parts.iter().filter_map(|p| p.tracking_id.clone()).collect(),
        devices: in_order_shown(&devices)
            .into_iter()
            .take(DEVICES_SHOWN)
            .map(|device| AssignedDeviceView {
                batch_id: device.batch_id.clone(),
                device_id: device.device_id.clone(),
                serial_number: device.serial_number.clone(),
                model: device.model.clone(),
                outcome: device.outcome,
                error_code: device.error_code.clone(),
                explanation: explanation(device),
            })
            .collect(),
        can_retry: operation.state == OperationState::Failed,
    })
}

/// How many devices an assignment's page lists: what needs the person (failures, then those
/// still waiting) comes first, so a large assignment's page stays light and still shows it;
/// the counts above the list cover every device.
const DEVICES_SHOWN: usize = 500;

fn in_order_shown(devices: &[AssignedDevice]) -> Vec<&AssignedDevice> {
    let mut shown: Vec<&AssignedDevice> = devices.iter().collect();
    shown.sort_by_key(|d| match d.outcome {
        AssignmentOutcome::Failed | AssignmentOutcome::Unreported => 0,
        AssignmentOutcome::Waiting => 1,
        AssignmentOutcome::Done => 2,
    });
    shown
}

fn count(devices: &[AssignedDevice], which: impl Fn(AssignmentOutcome) -> bool) -> i64 {
    devices.iter().filter(|d| which(d.outcome)).count() as i64
}

/// `POST /customers/{id}/assignments/{operationId}/retry`: sends a failed assignment's parts
/// again (uncertain ones under their request id, refused ones under a new one), as the person
/// asking, then back to its page.
pub async fn retry(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids((customer, operation_id)): Ids<(CustomerId, OperationId)>,
) -> Result<Redirect, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let operation = assignment_of(&caller, &customer, &operation_id).await?;
    let page = urls::assignment(&customer.to_string(), &operation.id);
    match operations::resume(&caller, &operation).await? {
        Resumed::NotFailed => return Ok(Redirect::to(&page)),
        Resumed::Elsewhere => {}
        Resumed::Holding(lease) => {
            send_then_follow(&caller.state, &caller.user, &operation.id, lease)
                .await
                .map_err(AppError::from)?;
        }
    }
    Ok(Redirect::to(&urls::with_done(
        &page,
        Done::AssignmentRetried,
    )))
}

/// The profile a form chose: `profile` is one of the customer's profile ids, or `none` to
/// remove the profile. Refused before anything is stored when the sign-in may not write
/// profiles, nothing is chosen, or the profile is no longer in Partner Center.
async fn chosen_profile(
    caller: &Caller,
    customer: &CustomerId,
    fields: &[(String, String)],
) -> Result<ProfileChoice, Refusal> {
    if let Some(why) = profiles::read_only(caller) {
        return Err(Refusal::new(StatusCode::FORBIDDEN, why));
    }
    let chosen = field(fields, "profile").map(str::trim).unwrap_or_default();
    if chosen.is_empty() {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "Choose the profile to apply, or “No profile” to remove the one the devices have.",
        ));
    }
    if chosen == REMOVE_PROFILE {
        return Ok(ProfileChoice::Remove);
    }
    let listed = caller
        .state
        .partner_center
        .policies(&caller.ctx, customer)
        .await
        .map_err(AppError::from)?;
    listed
        .into_iter()
        .find(|p| p.id.as_deref() == Some(chosen))
        .map(|p| ProfileChoice::Apply {
            name: p.name.unwrap_or_else(|| chosen.to_string()),
            id: chosen.to_string(),
        })
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::CONFLICT,
                "That profile is no longer in Partner Center: it was deleted after the page was \
                 opened. Nothing was sent. Go back, reload the page and choose again.",
            )
        })
}

/// Starts the assignment a form asked for ([`start`]) and leads to its page, which says it
/// was sent. At most `upload_max_rows` devices: one setting bounds what one operation stores.
async fn start_and_show(
    caller: &Caller,
    customer: (&CustomerId, &str),
    choice: &ProfileChoice,
    devices: &[DeviceToAssign],
) -> Result<Redirect, Refusal> {
    let most = caller.state.config.upload_max_rows;
    if devices.len() > most {
        return Err(Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "At most {most} devices can be changed at once, and {} were chosen. Choose \
                 fewer, and do the rest in a second step.",
                devices.len()
            ),
        ));
    }
    let id = start(&caller.state, &caller.user, customer, choice, devices)
        .await
        .map_err(AppError::from)?;
    Ok(Redirect::to(&urls::with_done(
        &urls::assignment(&customer.0.to_string(), &id),
        Done::AssignmentSent,
    )))
}

/// `POST /customers/{id}/batches/{batchId}/profile`: `profile` (an id, or `none`), `devices`
/// (`selected`, with a `device` field for each ticked device, or `all` the batch's devices,
/// on every page). The devices are read from Partner Center as they are now: a ticked device
/// no longer in the batch refuses the whole request, so nothing is sent that the person did
/// not see.
pub async fn apply_to_batch(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids((customer, batch)): Ids<(CustomerId, BatchId)>,
    axum::Form(fields): Fields,
) -> Result<Redirect, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let opened = open_customer(&caller, &customer).await?;
    let choice = chosen_profile(&caller, &customer, &fields).await?;
    let whole_batch = match field(&fields, "devices") {
        Some("all") => true,
        Some("selected") | None => false,
        Some(_) => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "Choose the ticked devices or every device of the batch.",
            ))
        }
    };
    let ticked: HashSet<&str> = every(&fields, "device").collect();
    if !whole_batch && ticked.is_empty() {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "Tick the devices to change, or choose every device of the batch.",
        ));
    }
    let listed: Vec<_> = caller
        .state
        .partner_center
        .devices(&caller.ctx, &customer, &batch)
        .try_collect()
        .await
        .map_err(AppError::from)?;
    let devices: Vec<DeviceToAssign> = listed
        .into_iter()
        .filter_map(|device| {
            let id = device.id?;
            (whole_batch || ticked.contains(id.as_str())).then(|| DeviceToAssign {
                batch_id: batch.as_str().to_string(),
                device_id: id,
                serial_number: device.serial_number,
                model: device.model_name,
            })
        })
        .collect();
    if !whole_batch && devices.len() < ticked.len() {
        return Err(Refusal::new(
            StatusCode::CONFLICT,
            format!(
                "{} of the {} devices you ticked are no longer in this batch: deleted or moved \
                 since the page was shown. Nothing was sent. Go back, reload the batch and tick \
                 them again.",
                ticked.len() - devices.len(),
                ticked.len()
            ),
        ));
    }
    if devices.is_empty() {
        return Err(Refusal::new(
            StatusCode::CONFLICT,
            "This batch has no devices: nothing to change.",
        ));
    }
    start_and_show(&caller, (&customer, &opened.name), &choice, &devices).await
}

/// `POST /customers/{id}/jobs/{uploadId}/profile`: `profile` applied to (or removed from)
/// every device the upload registered.
pub async fn apply_to_upload(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids((customer, upload_id)): Ids<(CustomerId, OperationId)>,
    axum::Form(fields): Fields,
) -> Result<Redirect, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let opened = open_customer(&caller, &customer).await?;
    let upload = caller
        .state
        .store
        .upload(&upload_id.to_string())
        .await
        .map_err(AppError::from)?
        .filter(|u| u.operation.is_for(&caller, &customer))
        .ok_or(AppError::NotFound {
            what: "This upload".into(),
        })?;
    let choice = chosen_profile(&caller, &customer, &fields).await?;
    let devices = caller
        .state
        .store
        .registered_devices(&upload.operation.id)
        .await
        .map_err(AppError::from)?;
    if devices.is_empty() {
        return Err(Refusal::new(
            StatusCode::CONFLICT,
            "No device of this upload is registered yet: wait until Partner Center has \
             registered them, then apply the profile.",
        ));
    }
    start_and_show(&caller, (&customer, &opened.name), &choice, &devices).await
}

impl Store {
    /// The devices an upload registered, with the ids Partner Center gave them.
    pub async fn registered_devices(
        &self,
        upload_id: &str,
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
mod tests {
    use super::*;
    use crate::partner_center::UploadStatus;

    fn device(position: i64, id: &str) -> AssignedDevice {
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

    fn status(id: Option<&str>, status: UploadStatus, code: Option<&str>) -> DeviceUploadDetails {
        DeviceUploadDetails {
            device_id: id.map(Into::into),
            serial_number: None,
            product_key: None,
            status,
            error_code: code.map(Into::into),
            error_description: None,
        }
    }

    #[test]
    fn answers_go_to_the_device_they_name_and_an_ended_job_leaves_none_waiting() {
        let devices = [device(0, "AAA"), device(1, "bbb"), device(2, "ccc")];
        let waiting: Vec<&AssignedDevice> = devices.iter().collect();
        let statuses = [
            status(Some("BBB"), UploadStatus::Finished, None),
            status(Some("aaa"), UploadStatus::FinishedWithErrors, Some("809")),
            status(Some("zzz"), UploadStatus::Finished, None),
        ];
        let running = answers(&waiting, &statuses, false);
        assert_eq!(
            running
                .iter()
                .map(|a| (a.position, a.outcome))
                .collect::<Vec<_>>(),
            vec![(0, AssignmentOutcome::Failed), (1, AssignmentOutcome::Done)]
        );
        assert_eq!(running[0].error_code.as_deref(), Some("809"));
        let ended = answers(&waiting, &statuses, true);
        assert_eq!(ended[2].outcome, AssignmentOutcome::Unreported);
        // Answers naming no device go in order to the devices left, when they match in
        // number; a device still processing waits.
        let statuses = [
            status(None, UploadStatus::Finished, None),
            status(None, UploadStatus::Processing, None),
            status(None, UploadStatus::Finished, None),
        ];
        let by_order = answers(&waiting, &statuses, false);
        assert_eq!(
            by_order.iter().map(|a| a.position).collect::<Vec<_>>(),
            vec![0, 2]
        );
    }

    #[test]
    fn a_page_lists_what_needs_the_person_first() {
        let outcomes = [
            AssignmentOutcome::Done,
            AssignmentOutcome::Waiting,
            AssignmentOutcome::Unreported,
            AssignmentOutcome::Failed,
        ];
        let devices: Vec<AssignedDevice> = outcomes
            .iter()
            .enumerate()
            .map(|(i, outcome)| AssignedDevice {
                outcome: *outcome,
                ..device(i as i64, "x")
            })
            .collect();
        let order: Vec<i64> = in_order_shown(&devices)
            .iter()
            .map(|d| d.position)
            .collect();
        assert_eq!(order, vec![2, 3, 1, 0]);
    }

    #[test]
    fn a_lost_answer_is_uncertain_a_sales_agent_is_told_why_and_remembered() {
        let error = |kind| {
            Err(PartnerCenterError::new(
                kind,
                RequestId::new(),
                uuid::Uuid::nil(),
                "",
            ))
        };
        assert!(matches!(
            answer(error(ErrorKind::Server)),
            PartOutcome::Uncertain { .. }
        ));
        assert!(matches!(
            answer(error(ErrorKind::Timeout)),
            PartOutcome::Uncertain { .. }
        ));
        let forbidden = answer(error(ErrorKind::Forbidden));
        assert!(forbids_profiles(&forbidden), "{forbidden:?}");
        let mut no_relationship = PartnerCenterError::new(
            ErrorKind::Forbidden,
            RequestId::new(),
            uuid::Uuid::nil(),
            "",
        );
        no_relationship.code = Some(NO_RELATIONSHIP_CODE.into());
        assert!(!forbids_profiles(&answer(Err(no_relationship))));
        assert!(matches!(
            answer(error(ErrorKind::BadRequest)),
            PartOutcome::Refused { .. }
        ));
    }
}
