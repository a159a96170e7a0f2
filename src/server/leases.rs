//! Work that must be done once when several replicas share the database: sending an upload's
//! parts, following its jobs, asking Partner Center for their status. Whoever holds a piece of
//! work's lease (a row in `leases`) does it; nobody else can take the lease until it runs out.
//! The holder renews it in the background while it works and deletes it when done, so a lease
//! only runs out when its process died or lost the database: then another replica's
//! [`watch`](super::reconcile::watch) takes the work over.
//!
//! Why leases and not PostgreSQL's row or advisory locks: a lease is one conditional write
//! that SQLite and PostgreSQL both make atomically (the same SQL on both), and it holds no
//! connection for the minutes an upload takes. Expiry times are written by each replica's
//! clock, so replicas' clocks must agree to within a few seconds (NTP, which Entra ID's token
//! checks need anyway); the holder stops a third of a lifetime before its lease runs out.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::store::Store;
use super::{unix_now, AppState};

/// Which replica this process is: its host and the address it listens on, which no other
/// live process on that host can share. A process that starts under the name of one that died
/// takes the dead one's leases at once ([`Store::free_leases_of`]).
pub fn replica_name(listening: std::net::SocketAddr) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}/{listening}")
}

impl Store {
    /// Takes lease `name` for `holder` until `now + lifetime`. `false` when someone else
    /// holds it and it has not run out.
    pub async fn take_lease(
        &self,
        name: &str,
        (replica, holder): (&str, &str),
        now: i64,
        lifetime: Duration,
    ) -> Result<bool, sqlx::Error> {
        let taken = sqlx::query(
            "INSERT INTO leases (name, replica, holder, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET replica = excluded.replica, \
             holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE leases.holder = excluded.holder OR leases.expires_at <= $5",
        )
        .bind(name)
        .bind(replica)
        .bind(holder)
        .bind(now + lifetime.as_secs() as i64)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(taken.rows_affected() == 1)
    }

    /// Extends a lease `holder` still has; `false` when it no longer has it (released, or
    /// run out and taken over). Never takes a lease anew: a holder that stalled past its
    /// lease must stop, not carry on as if nothing happened.
    pub async fn renew_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        lifetime: Duration,
    ) -> Result<bool, sqlx::Error> {
        let renewed = sqlx::query(
            "UPDATE leases SET expires_at = $1 WHERE name = $2 AND holder = $3 AND expires_at > $4",
        )
        .bind(now + lifetime.as_secs() as i64)
        .bind(name)
        .bind(holder)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(renewed.rows_affected() == 1)
    }

    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Start-up: the leases an earlier process of this same replica held. It is gone (this
    /// one has its address), so its work is free at once instead of when the leases run out.
    pub async fn free_leases_of(&self, replica: &str) -> Result<u64, sqlx::Error> {
        let freed = sqlx::query("DELETE FROM leases WHERE replica = $1")
            .bind(replica)
            .execute(self.pool())
            .await?;
        Ok(freed.rows_affected())
    }

    /// Deletes those of `names` that are still lapsed (nobody took them over).
    pub async fn forget_lapsed_leases(
        &self,
        names: &[String],
        now: i64,
    ) -> Result<(), sqlx::Error> {
        for name in names {
            sqlx::query("DELETE FROM leases WHERE name = $1 AND expires_at <= $2")
                .bind(name)
                .bind(now)
                .execute(self.pool())
                .await?;
        }
        Ok(())
    }

    /// Leases that ran out without being released: work whose holder died.
    pub async fn lapsed_leases(&self, now: i64) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT name FROM leases WHERE expires_at <= $1 ORDER BY name")
            .bind(now)
            .fetch_all(self.pool())
            .await
    }
}

/// A lease this process holds, renewed every third of its lifetime until it is released or
/// dropped. A dropped lease (its task was cancelled, or ended without releasing) is released
/// in the background, so that its work is free at once rather than when the lease runs out.
pub struct Lease {
    store: Store,
    name: String,
    holder: String,
    /// Until when the work may surely go on: the last renewal plus two thirds of the lifetime.
    deadline: Arc<Mutex<Instant>>,
    renewer: tokio::task::JoinHandle<()>,
    released: bool,
}

impl Lease {
    /// The lease on `name`, if nobody else holds it. A database error counts as not taken:
    /// the work is left to whoever can reach the database (the watcher tries again).
    pub async fn take(state: &AppState, name: String) -> Option<Lease> {
        let (store, lifetime) = (&state.store, state.config.work_lease);
        // Per lease, not per process: a second task of this same process must not get it.
        let holder = uuid::Uuid::new_v4().to_string();
        let started = Instant::now();
        match store
            .take_lease(&name, (&state.replica, &holder), unix_now(), lifetime)
            .await
        {
            Ok(true) => {}
            Ok(false) => return None,
            Err(error) => {
                tracing::warn!(lease = %name, %error, "could not take a lease");
                return None;
            }
        }
        let margin = lifetime / 3;
        let deadline = Arc::new(Mutex::new(started + lifetime - margin));
        let renewer = tokio::spawn({
            let (store, name, holder) = (store.clone(), name.clone(), holder.clone());
            let deadline = deadline.clone();
            async move {
                let mut every = tokio::time::interval(margin);
                every.tick().await;
                loop {
                    every.tick().await;
                    let asked = Instant::now();
                    match store
                        .renew_lease(&name, &holder, unix_now(), lifetime)
                        .await
                    {
                        Ok(true) => *lock(&deadline) = asked + lifetime - margin,
                        Ok(false) => {
                            tracing::warn!(lease = %name, "a lease was lost or taken over");
                            *lock(&deadline) = asked;
                            return;
                        }
                        // Not renewed: the deadline stands, and the work stops when it passes.
                        Err(error) => {
                            tracing::warn!(lease = %name, %error, "could not renew a lease")
                        }
                    }
                }
            }
        });
        Some(Lease {
            store: store.clone(),
            name,
            holder,
            deadline,
            renewer,
            released: false,
        })
    }

    /// Whether the work may go on: the lease was renewed lately and is a third of its
    /// lifetime or more from running out. Checked before each step that must not be done
    /// twice.
    pub fn held(&self) -> bool {
        Instant::now() < *lock(&self.deadline)
    }

    /// Done: the lease is deleted, so that nobody takes the work over.
    pub async fn release(mut self) {
        self.renewer.abort();
        self.released = true;
        if let Err(error) = self.store.release_lease(&self.name, &self.holder).await {
            tracing::warn!(lease = %self.name, %error, "could not release a lease");
        }
    }
}

fn lock(deadline: &Mutex<Instant>) -> std::sync::MutexGuard<'_, Instant> {
    deadline.lock().unwrap_or_else(|e| e.into_inner())
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewer.abort();
        if self.released {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (store, name, holder) =
                (self.store.clone(), self.name.clone(), self.holder.clone());
            runtime.spawn(async move {
                let _ = store.release_lease(&name, &holder).await;
            });
        }
    }
}
