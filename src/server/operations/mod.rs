//! The operation model every kind follows (see docs/ARCHITECTURE.md, "Operations"):
//!
//! - an operation (`operations`) is stored, with who started it and the sign-in it runs on,
//!   before Partner Center hears of it; its parts (`operation_parts`, [`parts`]) are written
//!   with their `MS-RequestId` before any is sent;
//! - a part's request id is reused for every retry while its outcome is uncertain for a
//!   transient reason (5xx, 429, a timeout, a dropped connection), so Partner Center does the
//!   work once; a part it refused goes again, when the person asks, under a new id;
//! - when an outcome is settled by looking at what Partner Center holds, what remains to send
//!   is a new part with a new id, stored before it is sent;
//! - one replica at a time sends or follows an operation (a lease); after a crash or on
//!   another replica, the work is taken over on the stored sign-in of the person who started
//!   it, and stops with a button to go on when that sign-in has ended;
//! - one audit row per operation names it, and its page shows every item's outcome.
//!
//! What each kind sends and what its items are lives in the kind's module
//! (`server::uploads`, `server::deletions`).

pub mod device_errors;
pub mod follow;
pub mod jobs;
pub mod parts;
pub mod refusals;
pub mod sending;

use crate::model::operations::{OperationKind, OperationState};
use crate::partner_center::CustomerId;
use crate::server::caller::Caller;
use crate::server::store::Store;

/// An operation's id: a GUID the dashboard gives it when it is stored. Taken from an address
/// only through its `Deserialize`, and from a row through its `Decode`, so text that is not
/// one never reaches a query, and a damaged row is said loudly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OperationId(uuid::Uuid);
crate::partner_center::ids::guid_newtype!(OperationId, "operation id");

impl OperationId {
    /// A new operation's.
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

impl Default for OperationId {
    /// Same as [`OperationId::new`]: there is no meaningful "empty" operation id.
    fn default() -> Self {
        Self::new()
    }
}

/// What every operation has, as stored in `operations`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Operation {
    pub id: OperationId,
    pub kind: OperationKind,
    pub customer_id: CustomerId,
    pub customer_name: String,
    /// Who started it.
    pub tenant_id: String,
    pub object_id: String,
    pub upn: String,
    pub state: OperationState,
    /// Why it stopped, when it failed.
    pub error: Option<String>,
    /// The sign-in it is sent and followed on, also in the background after a restart.
    pub sign_in_id: Option<String>,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
}

impl Operation {
    /// A new operation of `kind` for `customer` (id, name), started by `user` now and sent at
    /// once (`Submitting`), on their sign-in: what a deletion or an assignment stores first.
    pub(crate) fn sent_now(
        kind: OperationKind,
        user: &crate::server::auth::SessionUser,
        customer: (&CustomerId, &str),
    ) -> Operation {
        let now = crate::server::unix_now();
        Operation {
            id: OperationId::new(),
            kind,
            customer_id: *customer.0,
            customer_name: customer.1.to_string(),
            tenant_id: user.tenant_id.clone(),
            object_id: user.object_id.clone(),
            upn: user.upn.clone(),
            state: OperationState::Submitting,
            error: None,
            sign_in_id: Some(user.sign_in_id.clone()),
            created_at: now,
            submitted_at: Some(now),
        }
    }

    /// Whether the caller may see and act on it: it was started in their organisation, for
    /// this customer. Every page and button of an operation starts from this check, and says
    /// "not here" alike for one that does not exist and one of another organisation.
    pub(crate) fn is_for(&self, caller: &Caller, customer: &CustomerId) -> bool {
        self.tenant_id == caller.user.tenant_id && self.customer_id == *customer
    }
}

/// The lease of sending an operation's parts: one task of one replica at a time.
pub fn sending_lease(operation_id: &OperationId) -> String {
    format!("submit:{operation_id}")
}

/// Writes an operation's own row; the kind writes its items and parts in the same
/// transaction.
pub(crate) async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    operation: &Operation,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO operations (id, kind, customer_id, customer_name, tenant_id, object_id, \
         upn, state, error, sign_in_id, created_at, updated_at, submitted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)",
    )
    .bind(operation.id)
    .bind(operation.kind.as_str())
    .bind(operation.customer_id)
    .bind(&operation.customer_name)
    .bind(&operation.tenant_id)
    .bind(&operation.object_id)
    .bind(&operation.upn)
    .bind(operation.state.as_str())
    .bind(&operation.error)
    .bind(&operation.sign_in_id)
    .bind(operation.created_at)
    .bind(operation.submitted_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Runs work on operation `id` in the background: every line it logs carries the operation's
/// id (the `operation` span), as a request's lines carry the request's.
pub fn in_background<F>(id: OperationId, work: F) -> tokio::task::JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    use tracing::Instrument;
    tokio::spawn(work.instrument(tracing::info_span!("operation", id = %id)))
}

impl Store {
    pub async fn operation(&self, id: &OperationId) -> Result<Option<Operation>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, kind, customer_id, customer_name, tenant_id, object_id, upn, state, \
             error, sign_in_id, created_at, submitted_at FROM operations WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await
    }

    /// How many operations there are of each kind in each state, for the metrics.
    pub async fn operations_by_kind_and_state(
        &self,
    ) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
        sqlx::query_as("SELECT kind, state, COUNT(*) FROM operations GROUP BY kind, state")
            .fetch_all(self.pool())
            .await
    }
}

/// The operation `id`, of any kind, if it is the caller's organisation's and this customer's
/// ([`Operation::is_for`]).
pub(crate) async fn of_caller(
    caller: &Caller,
    customer: &CustomerId,
    id: &OperationId,
) -> Result<Operation, crate::model::AppError> {
    of_kind(caller, customer, id, None).await
}

/// The operation `id`, when it is of `kind` (`None`: any) and the caller's organisation's and
/// this customer's ([`Operation::is_for`]); otherwise "not here", alike for each.
pub(crate) async fn of_kind(
    caller: &Caller,
    customer: &CustomerId,
    id: &OperationId,
    kind: Option<OperationKind>,
) -> Result<Operation, crate::model::AppError> {
    let what = kind.map_or("This operation", OperationKind::this);
    caller
        .state
        .store
        .operation(id)
        .await?
        .filter(|o| kind.is_none_or(|kind| o.kind == kind) && o.is_for(caller, customer))
        .ok_or_else(|| crate::model::AppError::NotFound { what: what.into() })
}

/// What pressing "Try again" on a failed operation came to.
pub(crate) enum Resumed {
    /// It had not failed (a second click, another tab): its page says where it stands.
    NotFailed,
    /// Resumed as the caller; this task holds the sending lease and sends it.
    Holding(crate::server::leases::Lease),
    /// Resumed; another task or replica is sending it.
    Elsewhere,
}

/// Resumes a failed operation as the caller ([`Store::resume_operation`]) and takes its
/// sending lease for the kind to send it.
pub(crate) async fn resume(
    caller: &Caller,
    operation: &Operation,
) -> Result<Resumed, crate::model::AppError> {
    let now = crate::server::unix_now();
    let store = &caller.state.store;
    if !store
        .resume_operation(&operation.id, &caller.user.sign_in_id, now)
        .await?
    {
        return Ok(Resumed::NotFailed);
    }
    let lease =
        crate::server::leases::Lease::take(&caller.state, sending_lease(&operation.id)).await;
    Ok(lease.map_or(Resumed::Elsewhere, Resumed::Holding))
}

/// A kind's "Try again": resumes a failed operation as the caller ([`resume`]) and, when this
/// task holds its sending lease, runs `send` with it; then back to the operation's `page`, with
/// `done` unless it had not failed (a second click, or another replica got there first).
pub(crate) async fn retry<Sender, Sending, T>(
    caller: &Caller,
    operation: &Operation,
    page: String,
    done: crate::model::done::Done,
    send: Sender,
) -> Result<axum::response::Redirect, crate::server::refusal::Refusal>
where
    Sender: FnOnce(crate::server::leases::Lease) -> Sending,
    Sending: std::future::Future<Output = Result<T, sqlx::Error>>,
{
    use axum::response::Redirect;
    match resume(caller, operation).await? {
        Resumed::NotFailed => return Ok(Redirect::to(&page)),
        Resumed::Elsewhere => {}
        Resumed::Holding(lease) => {
            send(lease).await?;
        }
    }
    Ok(Redirect::to(&crate::urls::with_done(&page, done)))
}
