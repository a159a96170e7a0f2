//! Following an operation's jobs until Partner Center has finished with every item: the kinds
//! Partner Center runs as jobs (an upload's parts, a profile assignment's) are asked about
//! through `batchJobStatus` by their own [`Refresh`], which this calls in the background after
//! the parts were sent, with growing pauses, so outcomes are stored even if nobody keeps the
//! page open. A page viewed refreshes too ([`refresh_for_page`]).

use std::future::Future;
use std::time::Duration;

use futures::future::BoxFuture;
use uuid::Uuid;

use super::parts::Part;
use super::Operation;
use super::OperationId;
use crate::partner_center::CallContext;
use crate::server::auth::{self, SessionUser};
use crate::server::leases::Lease;
use crate::server::{unix_now, AppState};

/// A kind's refresh: asks Partner Center about the operation's running jobs, stores what it
/// says, and says whether any job still runs (or why Partner Center could not be asked). A
/// plain function, so that `reconcile` can pick a kind's by its `OperationKind`.
pub type Refresh = fn(AppState, CallContext, Operation) -> BoxFuture<'static, Result<bool, String>>;

/// How long the background follower keeps asking. Real jobs take seconds to minutes; one
/// still running after this is refreshed when someone opens its page.
const FOLLOW_FOR: Duration = Duration::from_secs(60 * 60);
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const LONGEST_PAUSE: Duration = Duration::from_secs(60);

const FOLLOW_LEASE: &str = "follow:";

/// The lease of following an operation's jobs in the background.
pub fn follow_lease(operation_id: &OperationId) -> String {
    format!("{FOLLOW_LEASE}{operation_id}")
}

/// The operation a follow lease is about; `None` for other leases (and a damaged name).
pub fn operation_of_follow_lease(name: &str) -> Option<OperationId> {
    name.strip_prefix(FOLLOW_LEASE)?.parse().ok()
}

/// Runs `asking` (a kind's refresh: ask Partner Center about the running jobs, store the
/// answers, say whether any still runs) unless another refresh of the operation is under way,
/// across replicas (a page and the follower at once): then it leaves it to that one and
/// reports the jobs as running.
pub async fn one_refresh_at_a_time(
    state: &AppState,
    operation_id: &OperationId,
    asking: impl Future<Output = Result<bool, String>>,
) -> Result<bool, String> {
    let Some(lease) = Lease::take(state, format!("refresh:{operation_id}")).await else {
        return Ok(true);
    };
    let refreshed = asking.await;
    lease.release().await;
    refreshed
}

/// Refreshes the operation's jobs with the sign-in of the person who started it until they
/// have all finished, pausing longer each time (1 s, 2 s, 4 s … a minute), for an hour at
/// most. One replica follows an operation at a time: this returns at once when another holds
/// its follow lease.
pub async fn follow(
    state: AppState,
    user: SessionUser,
    operation_id: OperationId,
    refresh: Refresh,
) {
    let Some(lease) = Lease::take(&state, follow_lease(&operation_id)).await else {
        return;
    };
    follow_holding(state, user, operation_id, lease, refresh).await
}

/// [`follow`], with the operation's follow lease already taken.
pub async fn follow_holding(
    state: AppState,
    user: SessionUser,
    operation_id: OperationId,
    lease: Lease,
    refresh: Refresh,
) {
    keep_asking(&state, &user, &operation_id, &lease, refresh).await;
    lease.release().await;
}

async fn keep_asking(
    state: &AppState,
    user: &SessionUser,
    operation_id: &OperationId,
    lease: &Lease,
    refresh: Refresh,
) {
    let started = tokio::time::Instant::now();
    let mut pause = FIRST_PAUSE;
    while started.elapsed() < FOLLOW_FOR && lease.held() {
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
        let operation = match state.store.operation(operation_id).await {
            Ok(Some(operation)) => operation,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(operation = %operation_id, %error, "could not load an operation to follow");
                continue;
            }
        };
        let Ok(token) = auth::access_token(state, user).await else {
            // Signed out: whoever opens the page next refreshes it with their sign-in.
            return;
        };
        let ctx = CallContext::new(token, Uuid::new_v4());
        if let Ok(false) = refresh(state.clone(), ctx, operation).await {
            return;
        }
    }
}

/// How long a stored job status is trusted before a page asks Partner Center again.
const STALE_AFTER_SECS: i64 = 3;
/// How long a page waits for Partner Center before showing what is stored.
const PAGE_REFRESH_TIMEOUT: Duration = Duration::from_secs(10);

/// Before a page shows an operation's jobs: runs `refresh` (the kind's, with the viewer's
/// sign-in) when a job runs and what is stored of it is older than a few seconds. A slow
/// Partner Center only delays the page by the timeout; what is stored is shown, with the
/// reason the refresh stored.
pub async fn refresh_for_page(parts: &[Part], refresh: impl Future<Output = Result<bool, String>>) {
    let now = unix_now();
    let stale = |p: &Part| p.checked_at.is_none_or(|at| now - at >= STALE_AFTER_SECS);
    if parts.iter().any(|p| p.job_running() && stale(p))
        && tokio::time::timeout(PAGE_REFRESH_TIMEOUT, refresh)
            .await
            .is_err()
    {
        tracing::warn!("a job status refresh for a page timed out");
    }
}
