//! What a process left unfinished: at start-up, and all along for the uploads a replica that
//! died was working on ([`watch`]). A crash or a restart can stop an upload between two
//! parts, or stop the following of its jobs. Nothing is lost, because every part
//! and its `MS-RequestId` were stored before any call: the unsent parts are sent again with
//! those ids (Partner Center answers a repeated id with its first answer, so no second batch
//! appears; a part whose answer is then lost for good is settled by looking, see
//! [`super::settle`]), and the jobs are followed again, both with the submitter's stored
//! sign-in.
//! Without a usable sign-in the upload is marked as stopped, with the button to send the rest.

use sqlx::Row as _;

use super::store::{finished_job_statuses_sql, UploadState};
use crate::server::auth;
use crate::server::leases::Lease;
use crate::server::store::Store;
use crate::server::{unix_now, AppState};

/// An upload a previous process did not finish with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    pub upload_id: String,
    /// Still `submitting`: parts may be unsent. Otherwise only its jobs are unfollowed.
    pub submitting: bool,
    pub sign_in_id: Option<String>,
}

/// What start-up did, for the log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub resumed: usize,
    pub followed: usize,
    pub stopped: usize,
}

impl Store {
    /// Uploads left `submitting`, and uploads with a job Partner Center has not finished.
    pub async fn unfinished_uploads(&self) -> Result<Vec<Unfinished>, sqlx::Error> {
        let rows = sqlx::query(&format!(
            "SELECT id, state, sign_in_id FROM uploads u WHERE state = 'submitting' \
             OR EXISTS (SELECT 1 FROM upload_chunks c WHERE c.upload_id = u.id \
             AND c.tracking_id IS NOT NULL \
             AND (c.job_status IS NULL OR c.job_status NOT IN {})) \
             ORDER BY created_at",
            finished_job_statuses_sql()
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Unfinished {
                    upload_id: row.try_get("id")?,
                    submitting: row.try_get::<String, _>("state")? == "submitting",
                    sign_in_id: row.try_get("sign_in_id")?,
                })
            })
            .collect()
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
        let orphaned_followers: std::collections::HashSet<String> = lapsed
            .iter()
            .filter_map(|name| super::follow::upload_of_follow_lease(name))
            .map(str::to_string)
            .collect();
        let which = |upload: &Unfinished| {
            upload.submitting || orphaned_followers.contains(&upload.upload_id)
        };
        match take_over(&state, which).await {
            Ok(done) if done != Reconciled::default() => {
                tracing::info!(?done, "work nobody was doing taken over")
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
    for unfinished in state.store.unfinished_uploads().await? {
        if !which(&unfinished) {
            continue;
        }
        let id = unfinished.upload_id;
        let name = match unfinished.submitting {
            true => super::submit::lease_name(&id),
            false => super::follow::follow_lease(&id),
        };
        // Held: another task or replica is on it.
        let Some(lease) = Lease::take(state, name).await else {
            continue;
        };
        let user = match &unfinished.sign_in_id {
            Some(sign_in) => auth::user_of_sign_in(state, sign_in).await,
            None => None,
        };
        match (unfinished.submitting, user) {
            (true, Some(user)) => {
                tracing::info!(upload = %id, "resuming an interrupted submission");
                tokio::spawn(super::submit::run_holding(state.clone(), user, id, lease));
                done.resumed += 1;
            }
            (true, None) => {
                stop(state, &id).await?;
                lease.release().await;
                done.stopped += 1;
            }
            (false, Some(user)) => {
                tokio::spawn(super::follow::follow_holding(
                    state.clone(),
                    user,
                    id,
                    lease,
                ));
                done.followed += 1;
            }
            // Whoever opens the job page next refreshes it with their own sign-in.
            (false, None) => lease.release().await,
        }
    }
    Ok(done)
}

async fn stop(state: &AppState, upload_id: &str) -> Result<(), sqlx::Error> {
    let chunks = state.store.chunks(upload_id).await?;
    if chunks.iter().all(|c| c.state.is_done()) {
        // Every part had gone; only the end of the submission was not written down.
        return state
            .store
            .finish_submission(upload_id, UploadState::Submitted, None, unix_now())
            .await;
    }
    tracing::warn!(upload = %upload_id, "an interrupted submission cannot resume: its sign-in has ended");
    state
        .store
        .finish_submission(
            upload_id,
            UploadState::Failed,
            Some(
                "The dashboard restarted while sending this upload, and the sign-in that sent it \
                 has ended. Press “Send the remaining parts”: a part never answered goes with the \
                 request id it was first sent with, and one whose answer was lost is looked up \
                 in Partner Center first, so nothing is registered twice.",
            ),
            unix_now(),
        )
        .await
}
