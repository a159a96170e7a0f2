//! One run of sending an operation's parts, for the kinds whose parts are sent one call each
//! with nothing to settle by looking (a deletion's `DELETE`, an assignment's `PATCH`): every
//! pending or uncertain part goes under its stored request id, several at once, never
//! stopping at the first failure, and a part whose answer was lost goes again in a later
//! round; each answer is recorded; the operation ends `Submitted`, or `Failed` with the first
//! reason a part is not done (also one an earlier run left refused, until the person sends it
//! again, which gives it a new id). The kind gives the one call and says its answer in words.

use std::future::Future;
use std::time::Duration;

use futures::StreamExt;

use super::parts::{Part, PartOutcome};
use super::Operation;
use super::OperationId;
use crate::model::operations::{OperationState, PartState};
use crate::partner_center::{CallContext, CustomerId};
use crate::server::auth::{self, SessionUser};
use crate::server::leases::Lease;
use crate::server::{unix_now, AppState};

/// Rounds of one run: the parts whose answer was lost (after the client's own retries, which
/// wait out 429s and back off after 5xx) go again under the same request id after a pause,
/// so that a bulk deletion through a few bad seconds ends with every outcome known instead
/// of asking the person to press a button.
const ROUNDS: u32 = 3;
/// The pause before the second round; the third waits twice as long.
const PAUSE_BEFORE_ROUND: Duration = Duration::from_secs(1);

/// How one run ended, for the kind's audit row.
pub(crate) struct Run {
    pub operation: Operation,
    pub ended: OperationState,
    /// Why it failed: the first part not done, in words.
    pub failure: Option<String>,
    /// What the calls ran on; `None` when the sign-in had ended and nothing was sent.
    pub ctx: Option<CallContext>,
}

impl Run {
    /// The correlation id of the run's calls, for its audit row (a new one when nothing was
    /// sent).
    pub fn correlation_id(&self) -> uuid::Uuid {
        self.ctx
            .as_ref()
            .map_or_else(uuid::Uuid::new_v4, |c| c.correlation_id)
    }
}

/// Sends the parts of `operation_id` that are not done with `send` (the kind's call for one
/// part of the customer it is given, under the part's stored request id),
/// `device_writes_at_once` at a time and in up to [`ROUNDS`] rounds, holding its sending
/// `lease`, and releases it. `None` when the operation is gone or another replica took the
/// work over mid-way.
pub(crate) async fn send_parts<F, Fut>(
    state: &AppState,
    user: &SessionUser,
    operation_id: &OperationId,
    lease: Lease,
    mut send: F,
) -> Result<Option<Run>, sqlx::Error>
where
    F: FnMut(CallContext, CustomerId, Part) -> Fut,
    Fut: Future<Output = PartOutcome>,
{
    let store = &state.store;
    let Some(operation) = store.operation(operation_id).await? else {
        lease.release().await;
        return Ok(None);
    };
    // Without a token nothing is sent and no part changes: one whose answer was lost keeps
    // its request id for whoever tries again.
    let ctx = match auth::access_token(state, user).await {
        Ok(token) => Some(CallContext::new(token, uuid::Uuid::new_v4())),
        Err(_) => None,
    };
    let to_send = |p: &Part| matches!(p.state, PartState::Pending | PartState::Uncertain);
    let at_once = state.config.device_writes_at_once;
    for round in 0..ROUNDS {
        let Some(ctx) = &ctx else {
            break;
        };
        let due: Vec<Part> = store
            .parts(operation_id)
            .await?
            .into_iter()
            .filter(to_send)
            .collect();
        if due.is_empty() {
            break;
        }
        if round > 0 {
            tokio::time::sleep(PAUSE_BEFORE_ROUND * round).await;
        }
        if !lease.held() {
            tracing::warn!(operation = %operation_id, "stopped sending: the work was taken over");
            return Ok(None);
        }
        // `at_once` calls of this operation under way, and no more than the process's
        // `device_writes` places of every operation together. Once the lease is lost nothing
        // more is recorded: the calls under way are dropped with `answers` (their parts keep
        // their request ids), and the replica that took the work over sends them again.
        let writes = &state.device_writes;
        let mut answers = futures::stream::iter(due)
            .map(|part| {
                let number = part.number;
                let call = send(ctx.clone(), operation.customer_id, part);
                async move {
                    let _place = writes.acquire().await;
                    (number, call.await)
                }
            })
            .buffer_unordered(at_once);
        while let Some((number, outcome)) = answers.next().await {
            if !lease.held() {
                tracing::warn!(operation = %operation_id, "stopped sending: the work was taken over");
                return Ok(None);
            }
            store
                .record_part(operation_id, number, &outcome, unix_now())
                .await?;
        }
    }
    let failure = store
        .parts(operation_id)
        .await?
        .into_iter()
        .find(|p| !p.state.is_done())
        .map(|p| match (&ctx, p.error) {
            (None, _) => "The sign-in that asked for this has ended, so nothing was sent. Sign \
                          in and press “Try again”."
                .to_string(),
            (Some(_), Some(error)) => error,
            (Some(_), None) => "Not every part was sent.".to_string(),
        });
    let ended = match &failure {
        None => OperationState::Submitted,
        Some(_) => OperationState::Failed,
    };
    store
        .finish_operation(operation_id, ended, failure.as_deref(), unix_now())
        .await?;
    lease.release().await;
    Ok(Some(Run {
        operation,
        ended,
        failure,
        ctx,
    }))
}
