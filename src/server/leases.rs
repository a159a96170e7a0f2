//! Work that must be done once when several replicas share the database: sending an upload's
//! parts, following its jobs, asking Partner Center for their status. Whoever holds a piece of
//! work's lease (a row in `leases`) does it; nobody else can take the lease until it runs out.
//! The holder renews it in the background while it works and deletes it when done, so a lease
//! only runs out when its process died or lost the database: then another replica's
//! [`watch`](super::uploads::reconcile::watch) takes the work over.
//!
//! Why leases and not PostgreSQL's row or advisory locks: a lease is one conditional write
//! that SQLite and PostgreSQL both make atomically (the same SQL on both), it holds no
//! connection for the minutes an upload takes, and a dead holder's lease ends on a clock that
//! every replica reads the same way, in the database.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::store::Store;
use super::{unix_now, AppState};

/// Which replica this process is: its host and the port it listens on, which no other live
/// process on that host can share. A process that starts under the name of one that died
/// takes the dead one's leases at once ([`Store::free_leases_of`]).
pub fn replica_name(port: u16) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}:{port}")
}

impl Store {
    /// Takes lease `name` for `holder` until `now + lifetime`, or renews it if `holder` has it.
    /// `false` when someone else holds it and it has not run out.
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

/// A lease this process holds, renewed every third of its lifetime until it is released
/// or dropped (a dropped lease runs out by itself).
pub struct Lease {
    store: Store,
    name: String,
    holder: String,
    /// Until when the lease is surely this process's (unix seconds), as of the last renewal.
    held_until: Arc<AtomicI64>,
    renewer: tokio::task::JoinHandle<()>,
}

impl Lease {
    /// The lease on `name`, if nobody else holds it. A database error counts as not taken:
    /// the work is left to whoever can reach the database.
    pub async fn take(state: &AppState, name: String) -> Option<Lease> {
        let (store, lifetime) = (&state.store, state.config.work_lease);
        let replica = state.replica.clone();
        // Per lease, not per process: a second task of this same process must not get it.
        let holder = uuid::Uuid::new_v4().to_string();
        let now = unix_now();
        match store
            .take_lease(&name, (&replica, &holder), now, lifetime)
            .await
        {
            Ok(true) => {}
            Ok(false) => return None,
            Err(error) => {
                tracing::warn!(lease = %name, %error, "could not take a lease");
                return None;
            }
        }
        let held_until = Arc::new(AtomicI64::new(now + lifetime.as_secs() as i64));
        let renewer = tokio::spawn({
            let (store, name, holder) = (store.clone(), name.clone(), holder.clone());
            let replica = replica.clone();
            let held_until = held_until.clone();
            async move {
                let mut every =
                    tokio::time::interval((lifetime / 3).max(Duration::from_millis(100)));
                every.tick().await;
                loop {
                    every.tick().await;
                    let now = unix_now();
                    match store
                        .take_lease(&name, (&replica, &holder), now, lifetime)
                        .await
                    {
                        Ok(true) => {
                            held_until.store(now + lifetime.as_secs() as i64, Ordering::SeqCst)
                        }
                        Ok(false) => {
                            tracing::warn!(lease = %name, "a lease was taken over");
                            held_until.store(0, Ordering::SeqCst);
                            return;
                        }
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
            held_until,
            renewer,
        })
    }

    /// Whether the work may go on: the lease has been renewed and is not about to run out.
    /// Checked before each step that must not happen twice.
    pub fn held(&self) -> bool {
        unix_now() + 1 < self.held_until.load(Ordering::SeqCst)
    }

    /// Done: the lease is deleted, so that nobody takes the work over.
    pub async fn release(self) {
        self.renewer.abort();
        if let Err(error) = self.store.release_lease(&self.name, &self.holder).await {
            tracing::warn!(lease = %self.name, %error, "could not release a lease");
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}
