//! What a process left unfinished: at start-up, and all along for the operations a replica
//! that died was working on ([`watch`]). A crash or a restart can stop an operation between
//! two parts, or stop the following of an upload's jobs. Nothing is lost, because every part
//! and its `MS-RequestId` were stored before any call: the unsent parts are sent again with
//! those ids (Partner Center answers a repeated id with its first answer, so no second batch
//! appears; an upload's part whose answer is then lost for good is settled by looking, see
//! `server::uploads::settle`), and the jobs are followed again, both with the stored sign-in
//! of the person who started the operation. Without a usable sign-in the operation is marked
//! as stopped, with the button to send the rest.

use crate::model::operations::{OperationKind, OperationState};
use crate::server::auth::{self, SessionUser};
use crate::server::leases::Lease;
use crate::server::operations::follow;
use crate::server::operations::OperationId;
use crate::server::operations::{self, jobs::finished_job_statuses_sql};
use crate::server::store::Store;
use crate::server::uploads::{self, submit};
use crate::server::{unix_now, AppState};

/// An operation a previous process did not finish with.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Unfinished {
    #[sqlx(rename = "id")]
    pub operation_id: OperationId,
    pub kind: OperationKind,
    pub state: OperationState,
    pub sign_in_id: Option<String>,
}

impl Unfinished {
    /// Still `submitting`: parts may be unsent. Otherwise only its jobs are unfollowed.
    fn submitting(&self) -> bool {
        self.state == OperationState::Submitting
    }
}

/// What start-up did, for the log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub resumed: usize,
    pub followed: usize,
    pub stopped: usize,
}

impl Store {
    /// Operations left `submitting`, and uploads with a job Partner Center has not finished.
    pub async fn unfinished_operations(&self) -> Result<Vec<Unfinished>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT id, kind, state, sign_in_id FROM operations u WHERE state = 'submitting' \
             OR EXISTS (SELECT 1 FROM operation_parts c WHERE c.operation_id = u.id \
             AND c.tracking_id IS NOT NULL \
             AND (c.job_status IS NULL OR c.job_status NOT IN {})) \
             ORDER BY created_at",
            finished_job_statuses_sql()
        ))
        .fetch_all(self.pool())
        .await
    }
}

/// Start-up: resumes or follows every unfinished upload in the background; returns at once.
/// Uploads another replica is working on are left to it (their leases are held).
pub async fn at_start(state: &AppState) -> Result<Reconciled, sqlx::Error> {
    take_over(state, |_| true).await
}

/// Runs for the life of the process, every half lease lifetime: sends the uploads left
/// `submitting` with nobody sending them (their replica died, or a step between the click
/// and the lease failed), and follows again the uploads whose follower's replica died.
/// Uploads another task or replica holds are left alone: their leases are live.
pub async fn watch(state: AppState) {
    let mut every = tokio::time::interval(state.config.work_lease / 2);
    every.tick().await;
    loop {
        every.tick().await;
        let lapsed = match state.store.lapsed_leases(unix_now()).await {
            Ok(lapsed) => lapsed,
            Err(error) => {
                tracing::warn!(%error, "could not look for work left by another replica");
                continue;
            }
        };
        let orphaned_followers: std::collections::HashSet<OperationId> = lapsed
            .iter()
            .filter_map(|name| follow::operation_of_follow_lease(name))
            .collect();
        let which = |upload: &Unfinished| {
            upload.submitting() || orphaned_followers.contains(&upload.operation_id)
        };
        match take_over(&state, which).await {
            Ok(done) if done != Reconciled::default() => {
                tracing::info!(?done, "work nobody was doing taken over");
                metrics::counter!(super::metrics::LEASE_TAKEOVERS)
                    .increment((done.resumed + done.followed) as u64);
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "could not take over work left by another replica");
                continue;
            }
        }
        // What is still lapsed now had nothing left to do (finished, or nobody to do it as).
        if let Err(error) = state.store.forget_lapsed_leases(&lapsed, unix_now()).await {
            tracing::warn!(%error, "could not forget lapsed leases");
        }
    }
}

/// Resumes the sending, or the following, of the unfinished uploads `which` picks.
async fn take_over(
    state: &AppState,
    which: impl Fn(&Unfinished) -> bool,
) -> Result<Reconciled, sqlx::Error> {
    let mut done = Reconciled::default();
    for unfinished in state.store.unfinished_operations().await? {
        if !which(&unfinished) {
            continue;
        }
        let submitting = unfinished.submitting();
        let (id, kind) = (unfinished.operation_id, unfinished.kind);
        let name = match submitting {
            true => operations::sending_lease(&id),
            false => follow::follow_lease(&id),
        };
        // Held: another task or replica is on it.
        let Some(lease) = Lease::take(state, name).await else {
            continue;
        };
        let user = match &unfinished.sign_in_id {
            Some(sign_in) => auth::user_of_sign_in(state, sign_in).await,
            None => None,
        };
        match (submitting, user) {
            (true, Some(user)) => {
                tracing::info!(operation = %id, ?kind, "resuming an interrupted operation");
                operations::in_background(id, send(state.clone(), kind, user, id, lease));
                done.resumed += 1;
            }
            (true, None) => {
                stop(state, &id).await?;
                lease.release().await;
                done.stopped += 1;
            }
            (false, Some(user)) => match refresher(kind) {
                Some(refresh) => {
                    operations::in_background(
                        id,
                        follow::follow_holding(state.clone(), user, id, lease, refresh),
                    );
                    done.followed += 1;
                }
                None => lease.release().await,
            },
            // Whoever opens the job page next refreshes it with their own sign-in.
            (false, None) => lease.release().await,
        }
    }
    Ok(done)
}

/// How the jobs of an operation of `kind` are followed; `None` for a kind Partner Center
/// answers at once.
fn refresher(kind: OperationKind) -> Option<follow::Refresh> {
    match kind {
        OperationKind::Upload => Some(uploads::follow::refresher),
        OperationKind::ProfileAssignment => Some(super::assignments::following::refresher),
        OperationKind::DeviceDeletion => None,
    }
}

/// Sends what is left of an operation of `kind`, holding its lease.
async fn send(
    state: AppState,
    kind: OperationKind,
    user: SessionUser,
    id: OperationId,
    lease: Lease,
) {
    match kind {
        OperationKind::Upload => submit::run_holding(state, user, id, lease).await,
        OperationKind::DeviceDeletion => {
            if let Err(error) = super::deletions::run_holding(&state, &user, &id, lease).await {
                tracing::error!(operation = %id, %error, "could not resume a deletion");
            }
        }
        OperationKind::ProfileAssignment => {
            super::assignments::sending::run_holding(state, user, id, lease).await;
        }
    }
}

async fn stop(state: &AppState, operation_id: &OperationId) -> Result<(), sqlx::Error> {
    let chunks = state.store.parts(operation_id).await?;
    if chunks.iter().all(|c| c.state.is_done()) {
        // Every part had gone; only the end of the submission was not written down.
        return state
            .store
            .finish_operation(operation_id, OperationState::Submitted, None, unix_now())
            .await;
    }
    tracing::warn!(operation = %operation_id, "an interrupted operation cannot resume: its sign-in has ended");
    state
        .store
        .finish_operation(
            operation_id,
            OperationState::Failed,
            Some(
                "The dashboard restarted while sending this, and the sign-in that sent it has \
                 ended. Send the rest again (“Send the remaining parts”, “Try again”): a part \
                 never answered goes with the request id it was first sent with, and one whose \
                 answer was lost is looked up in Partner Center first, so nothing is done twice.",
            ),
            unix_now(),
        )
        .await
}
