//! The session store: session records in the dashboard's own database (table `sessions`), so
//! that every replica sharing the database knows every session, whichever one it began on.
//! A record holds who is signed in and the sign-in's state, never a token.
//! Rows are keyed by a SHA-256 of the session id, so that reading the table (a backup, a
//! replica's database account) does not give anyone a cookie that signs them in.

use async_trait::async_trait;
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use super::store::Store;

#[derive(Clone)]
pub struct Sessions {
    store: Store,
}

/// The store trait asks for `Debug`; the pool has nothing worth printing.
impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("backend", &self.store.backend())
            .finish()
    }
}

impl Sessions {
    pub fn new(store: Store) -> Self {
        Sessions { store }
    }

    /// Inserts the record, doing `on_conflict` (an `ON CONFLICT (id)` action) when its id is
    /// taken; whether a row was written.
    async fn write(&self, record: &Record, on_conflict: &str) -> session_store::Result<bool> {
        let written = sqlx::query(&format!(
            "INSERT INTO sessions (id, record, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) {on_conflict}"
        ))
        .bind(key(&record.id))
        .bind(encode(record)?)
        .bind(record.expiry_date.unix_timestamp())
        .execute(self.store.pool())
        .await
        .map_err(backend)?;
        Ok(written.rows_affected() == 1)
    }

    /// Runs for the life of the process. With several replicas each one does it; deleting
    /// what has expired twice is harmless.
    pub async fn delete_expired_every(self, period: std::time::Duration) {
        let mut every = tokio::time::interval(period);
        loop {
            every.tick().await;
            if let Err(error) = self.delete_expired().await {
                tracing::warn!(%error, "could not delete expired sessions");
            }
        }
    }
}

/// The row key of a session: its id, hashed.
fn key(id: &Id) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(id.to_string().as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

fn backend(error: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

/// What is stored of a record: its data. Not its id (the row key is the id's hash), nor its
/// expiry (a column of its own).
fn encode(record: &Record) -> session_store::Result<String> {
    serde_json::to_string(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))
}

#[async_trait]
impl SessionStore for Sessions {
    /// A new record under a fresh id: an id already taken (vanishingly unlikely) is drawn again,
    /// never overwritten.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        while !self.write(record, "DO NOTHING").await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(
            record,
            "DO UPDATE SET record = excluded.record, expires_at = excluded.expires_at",
        )
        .await
        .map(|_| ())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let found: Option<(String, i64)> = sqlx::query_as(
            "SELECT record, expires_at FROM sessions WHERE id = $1 AND expires_at > $2",
        )
        .bind(key(id))
        .bind(OffsetDateTime::now_utc().unix_timestamp())
        .fetch_optional(self.store.pool())
        .await
        .map_err(backend)?;
        let Some((data, expires_at)) = found else {
            return Ok(None);
        };
        let decode = |e: String| session_store::Error::Decode(e);
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(|e| decode(e.to_string()))?,
            expiry_date: OffsetDateTime::from_unix_timestamp(expires_at)
                .map_err(|e| decode(e.to_string()))?,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(key(id))
            .execute(self.store.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for Sessions {
    async fn delete_expired(&self) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(OffsetDateTime::now_utc().unix_timestamp())
            .execute(self.store.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }
}
