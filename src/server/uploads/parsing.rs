//! How many uploaded files are read at once. Reading a 50 MB workbook takes a core for a
//! second or more and memory in proportion, so a signed-in user who sends many at once (or a
//! script that does) could take the server from everyone else. Every read, a new upload or
//! another sheet of a stored one, takes a place here first:
//!
//! - at most [`Config::parse_per_user`] for one user: more are refused at once, in words (429);
//! - at most [`Config::parse_concurrency`] in all: more wait their turn, for up to
//!   [`WAIT_FOR_A_PLACE`], then are refused in words (503).
//!
//! Per replica: each process guards its own cores and memory.
//!
//! [`Config::parse_per_user`]: crate::server::Config::parse_per_user
//! [`Config::parse_concurrency`]: crate::server::Config::parse_concurrency

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a read waits for a place before it is refused.
pub const WAIT_FOR_A_PLACE: Duration = Duration::from_secs(20);

/// Why a read cannot start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// This user already has as many files being read as allowed.
    User { at_once: usize },
    /// The server is reading as many files as it may, and none finished in time.
    Server,
}

impl Busy {
    pub fn status(self) -> axum::http::StatusCode {
        match self {
            Busy::User { .. } => axum::http::StatusCode::TOO_MANY_REQUESTS,
            Busy::Server => axum::http::StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn message(self) -> String {
        match self {
            Busy::User { at_once: 1 } => "Another of your files is still being read. Wait for \
                                          its preview, then send this one again."
                .into(),
            Busy::User { at_once } => format!(
                "{at_once} of your files are still being read. Wait for their previews, then \
                 send this one again."
            ),
            Busy::Server => "The dashboard is reading other people's files right now. Send \
                             this one again in a minute."
                .into(),
        }
    }
}

/// The places, shared by every request of this process. Cheap to clone.
#[derive(Clone)]
pub struct ParseLimits {
    everyone: Arc<Semaphore>,
    per_user: usize,
    /// Reads under way per user.
    users: Arc<Mutex<HashMap<String, usize>>>,
    wait: Duration,
}

/// A place taken: the read may run while this lives.
pub struct Place {
    _permit: OwnedSemaphorePermit,
    user: String,
    users: Arc<Mutex<HashMap<String, usize>>>,
}

impl Drop for Place {
    fn drop(&mut self) {
        release(&self.users, &self.user);
    }
}

fn release(users: &Mutex<HashMap<String, usize>>, user: &str) {
    let mut users = users.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(count) = users.get_mut(user) {
        *count -= 1;
        if *count == 0 {
            users.remove(user);
        }
    }
}

impl ParseLimits {
    pub fn new(at_once: usize, per_user: usize) -> ParseLimits {
        ParseLimits {
            everyone: Arc::new(Semaphore::new(at_once)),
            per_user,
            users: Arc::default(),
            wait: WAIT_FOR_A_PLACE,
        }
    }

    /// The same limits, waiting `wait` for a place instead of [`WAIT_FOR_A_PLACE`] (tests).
    pub fn waiting(mut self, wait: Duration) -> ParseLimits {
        self.wait = wait;
        self
    }

    /// A place for a read by `user` (any stable key of the signed-in user).
    pub async fn place(&self, user: &str) -> Result<Place, Busy> {
        {
            let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
            let count = users.entry(user.to_string()).or_default();
            if *count >= self.per_user {
                return Err(Busy::User {
                    at_once: self.per_user,
                });
            }
            *count += 1;
        }
        match tokio::time::timeout(self.wait, self.everyone.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Place {
                _permit: permit,
                user: user.to_string(),
                users: self.users.clone(),
            }),
            _ => {
                release(&self.users, user);
                Err(Busy::Server)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_user_gets_a_place_at_a_time_and_everyone_waits_their_turn() {
        let limits = ParseLimits::new(2, 1).waiting(Duration::from_millis(200));
        let first = limits.place("avery").await.unwrap();
        assert_eq!(
            limits.place("avery").await.err(),
            Some(Busy::User { at_once: 1 })
        );
        let other = limits.place("blake").await.unwrap();
        // Both places in use: a third user waits, then is refused.
        assert_eq!(limits.place("casey").await.err(), Some(Busy::Server));
        // A refused wait keeps no count: casey may try again at once.
        drop(other);
        let casey = limits.place("casey").await.unwrap();
        drop(first);
        let again = limits.place("avery").await.unwrap();
        drop((casey, again));
        assert!(limits.users.lock().unwrap().is_empty(), "nothing kept");
    }

    #[tokio::test]
    async fn a_waiting_read_starts_as_soon_as_a_place_frees() {
        let limits = ParseLimits::new(1, 1);
        let first = limits.place("avery").await.unwrap();
        let waiting = tokio::spawn({
            let limits = limits.clone();
            async move { limits.place("blake").await.is_ok() }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished());
        drop(first);
        assert!(waiting.await.unwrap());
    }
}
