//! The session store: session records in the dashboard's own database (table `sessions`), so
//! that every replica sharing the database knows every session, whichever one it began on.
//! A record holds who is signed in and the sign-in's state, never a token.
//! Rows are keyed by a SHA-256 of the session id, so that reading the table (a backup, a
//! replica's database account) does not give anyone a cookie that signs them in.
//!
//! On SQLite the records are also kept in memory ([`Remembered`]): every request reads its
//! session, and that read was a fifth of the work of serving a page (sqlx hands each SQLite
//! query to a thread of its own and waits for the answer). One process owns a SQLite file,
//! and every write goes through it to both, so memory never disagrees with the table. On
//! PostgreSQL, where a replica cannot see another's writes, every read goes to the database.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use super::caches::BoundedMap;
use super::store::{Backend, Store};

#[derive(Clone)]
pub struct Sessions {
    store: Store,
    remembered: Option<Arc<Remembered>>,
}

/// The records read or written lately, by session id; each also holds its own expiry, which
/// a read checks. At most 10,000 (then forgotten together, and read again from the table).
struct Remembered {
    records: BoundedMap<Id, Record>,
    /// Counts the writes. A record read from the table is remembered only if no write came
    /// between the read and now: a sign-out during a slow read must not bring the session
    /// back. Checked and changed under this lock, with the record set or dropped.
    writes: Mutex<u64>,
}

/// How long a record is answered from memory before it is read again.
const REMEMBERED_FOR: Duration = Duration::from_secs(60);

impl Remembered {
    fn writes(&self) -> MutexGuard<'_, u64> {
        self.writes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// After a write of the table: `record` as it now is there, or none (deleted).
    fn written(&self, id: &Id, record: Option<&Record>) {
        let mut writes = self.writes();
        *writes += 1;
        match record {
            Some(record) => self.records.insert(*id, record.clone()),
            None => self.records.remove(id),
        }
    }

    /// After a read of the table that began when the count of writes was `writes_before`.
    fn read(&self, record: &Record, writes_before: u64) {
        let writes = self.writes();
        if *writes == writes_before {
            self.records.insert(record.id, record.clone());
        }
    }
}

/// The store trait asks for `Debug`; the pool and the records have nothing worth printing.
impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("backend", &self.store.backend())
            .field("remembered", &self.remembered.is_some())
            .finish()
    }
}

impl Sessions {
    pub fn new(store: Store) -> Self {
        let remembered = (store.backend() == Backend::Sqlite).then(|| {
            Arc::new(Remembered {
                records: BoundedMap::new(10_000, REMEMBERED_FOR),
                writes: Mutex::new(0),
            })
        });
        Sessions { store, remembered }
    }

    /// After a write of the table: the record as it now is there, or none (deleted).
    fn written(&self, id: &Id, record: Option<&Record>) {
        if let Some(remembered) = &self.remembered {
            remembered.written(id, record);
        }
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
        self.written(&record.id, Some(record));
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(
            record,
            "DO UPDATE SET record = excluded.record, expires_at = excluded.expires_at",
        )
        .await?;
        self.written(&record.id, Some(record));
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc();
        let mut writes_before = 0;
        if let Some(remembered) = &self.remembered {
            if let Some(record) = remembered.records.get(id) {
                return Ok((record.expiry_date > now).then_some(record));
            }
            writes_before = *remembered.writes();
        }
        let found: Option<(String, i64)> = sqlx::query_as(
            "SELECT record, expires_at FROM sessions WHERE id = $1 AND expires_at > $2",
        )
        .bind(key(id))
        .bind(now.unix_timestamp())
        .fetch_optional(self.store.pool())
        .await
        .map_err(backend)?;
        let Some((data, expires_at)) = found else {
            return Ok(None);
        };
        let decode = |e: String| session_store::Error::Decode(e);
        let record = Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(|e| decode(e.to_string()))?,
            expiry_date: OffsetDateTime::from_unix_timestamp(expires_at)
                .map_err(|e| decode(e.to_string()))?,
        };
        if let Some(remembered) = &self.remembered {
            remembered.read(&record, writes_before);
        }
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(key(id))
            .execute(self.store.pool())
            .await
            .map_err(backend)?;
        self.written(id, None);
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn sqlite_sessions() -> (Sessions, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("ztd-sessions-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/sessions.db", dir.display());
        (Sessions::new(Store::open(&url).await.unwrap()), dir)
    }

    fn record(who: &str) -> Record {
        let mut data = std::collections::HashMap::new();
        data.insert("who".to_string(), serde_json::json!(who));
        Record {
            id: Id::default(),
            data,
            expiry_date: OffsetDateTime::now_utc()
                + tower_sessions::cookie::time::Duration::hours(1),
        }
    }

    #[tokio::test]
    async fn on_sqlite_a_session_is_read_from_memory_and_every_write_goes_to_both() {
        let (sessions, dir) = sqlite_sessions().await;
        let mut signed_in = record("alex");
        sessions.create(&mut signed_in).await.unwrap();
        // The row gone behind the store's back: the record is still answered, from memory.
        sqlx::query("DELETE FROM sessions")
            .execute(sessions.store.pool())
            .await
            .unwrap();
        let read = sessions.load(&signed_in.id).await.unwrap();
        assert_eq!(read.map(|r| r.data), Some(signed_in.data.clone()));

        let mut changed = signed_in.clone();
        changed.data.insert("who".into(), serde_json::json!("sam"));
        sessions.save(&changed).await.unwrap();
        let read = sessions.load(&signed_in.id).await.unwrap();
        assert_eq!(read.map(|r| r.data), Some(changed.data.clone()));

        sessions.delete(&signed_in.id).await.unwrap();
        assert!(sessions.load(&signed_in.id).await.unwrap().is_none());

        // Past its expiry, a remembered record is not answered.
        let mut expired = record("kim");
        expired.expiry_date =
            OffsetDateTime::now_utc() - tower_sessions::cookie::time::Duration::seconds(1);
        sessions.save(&expired).await.unwrap();
        assert!(sessions.load(&expired.id).await.unwrap().is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_record_read_before_a_sign_out_is_not_remembered_after_it() {
        let (sessions, dir) = sqlite_sessions().await;
        let remembered = sessions.remembered.clone().unwrap();
        let mut signed_in = record("alex");
        sessions.create(&mut signed_in).await.unwrap();
        // A slow read began, then the sign-out deleted the session, then the read ended.
        let writes_before = *remembered.writes();
        sessions.delete(&signed_in.id).await.unwrap();
        remembered.read(&signed_in, writes_before);
        assert!(sessions.load(&signed_in.id).await.unwrap().is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
