//! The dashboard's database: SQLite in a file on one machine, or PostgreSQL shared by several
//! replicas when the URL says `postgres://`. Queries go through sqlx's `any` driver with `$n`
//! placeholders and portable SQL and types (text, 64-bit integers, bytes), which both accept,
//! so there is one copy of each; only the migrations come in two folders, kept in step.

use std::str::FromStr;

use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AnyPool, ConnectOptions as _, Connection as _};

/// Who a user is: (`tid`, `oid`), never an e-mail address or a name.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UserKey {
    pub tenant_id: String,
    pub object_id: String,
}

/// A sign-in and its (encrypted) tokens.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SignInRow {
    pub id: String,
    pub tenant_id: String,
    pub object_id: String,
    pub upn: String,
    pub display_name: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub access_expires_at: i64,
    pub created_at: i64,
}

#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct RecentCustomer {
    pub customer_id: String,
    pub company_name: String,
    pub domain: String,
}

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Option<Backend> {
        let scheme = url.split(':').next()?.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens (creating a SQLite file if needed) the database and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Store, sqlx::Error> {
        let backend = Backend::of(url).ok_or_else(|| {
            sqlx::Error::Configuration(
                "the database URL must start with sqlite:// or postgres://".into(),
            )
        })?;
        sqlx::any::install_default_drivers();
        if backend == Backend::Sqlite {
            // Created, and switched to write-ahead logging (which the file keeps), once here:
            // the pool's connections then open it as it is.
            SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .connect()
                .await?
                .close()
                .await?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .connect(url)
            .await?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
        }
        Ok(Store { pool, backend })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers, for `/readyz`.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn insert_sign_in(&self, row: &SignInRow) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO sign_ins (id, tenant_id, object_id, upn, display_name, access_token, \
             refresh_token, access_expires_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(&row.id)
        .bind(&row.tenant_id)
        .bind(&row.object_id)
        .bind(&row.upn)
        .bind(&row.display_name)
        .bind(&row.access_token)
        .bind(&row.refresh_token)
        .bind(row.access_expires_at)
        .bind(row.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The stored sign-in; `None` once it ended (signed out, refused or expired elsewhere).
    pub async fn sign_in(&self, id: &str) -> Result<Option<SignInRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, tenant_id, object_id, upn, display_name, access_token, refresh_token, \
             access_expires_at, created_at FROM sign_ins WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Stores rotated tokens, but only if the refresh token is still the one they replace:
    /// a concurrent refresh that lost the race changes nothing.
    pub async fn rotate_tokens(
        &self,
        id: &str,
        previous_refresh_token: Option<&str>,
        access_token: &str,
        refresh_token: Option<&str>,
        access_expires_at: i64,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let result = sqlx::query(
            "UPDATE sign_ins SET access_token = $1, refresh_token = $2, access_expires_at = $3, \
             updated_at = $4 WHERE id = $5 AND refresh_token IS NOT DISTINCT FROM $6",
        )
        .bind(access_token)
        .bind(refresh_token)
        .bind(access_expires_at)
        .bind(now)
        .bind(id)
        .bind(previous_refresh_token)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    pub async fn delete_sign_in(&self, id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sign_ins WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes a sign-in whose refresh token was refused, unless another replica has rotated
    /// it since (its refresh token is no longer `refused`). Returns whether it was deleted.
    pub async fn delete_refused_sign_in(
        &self,
        id: &str,
        refused: Option<&str>,
    ) -> Result<bool, sqlx::Error> {
        let result = sqlx::query(
            "DELETE FROM sign_ins WHERE id = $1 AND refresh_token IS NOT DISTINCT FROM $2",
        )
        .bind(id)
        .bind(refused)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Deletes the sign-ins created before `created_before` (past their absolute lifetime),
    /// and with them their tokens; returns how many.
    pub async fn delete_sign_ins_created_before(
        &self,
        created_before: i64,
    ) -> Result<u64, sqlx::Error> {
        let result = sqlx::query("DELETE FROM sign_ins WHERE created_at < $1")
            .bind(created_before)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected())
    }

    pub async fn touch_recent_customer(
        &self,
        user: &UserKey,
        customer: &RecentCustomer,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO recent_customers (tenant_id, object_id, customer_id, company_name, domain, used_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (tenant_id, object_id, customer_id) DO UPDATE SET \
             company_name = excluded.company_name, domain = excluded.domain, used_at = excluded.used_at",
        )
        .bind(&user.tenant_id)
        .bind(&user.object_id)
        .bind(&customer.customer_id)
        .bind(&customer.company_name)
        .bind(&customer.domain)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn recent_customers(
        &self,
        user: &UserKey,
        limit: i64,
    ) -> Result<Vec<RecentCustomer>, sqlx::Error> {
        sqlx::query_as(
            "SELECT customer_id, company_name, domain FROM recent_customers \
             WHERE tenant_id = $1 AND object_id = $2 ORDER BY used_at DESC LIMIT $3",
        )
        .bind(&user.tenant_id)
        .bind(&user.object_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::Backend;

    /// The two migration folders hold the same versions under the same names, so that both
    /// backends have the same schema at every version.
    #[test]
    fn the_migrations_of_both_backends_are_in_step() {
        let names = |backend: &str| {
            let folder = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
            let mut names: Vec<String> = std::fs::read_dir(folder)
                .expect("the migrations folder")
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        let sqlite = names("sqlite");
        assert!(sqlite.len() >= 8, "{sqlite:?}");
        assert_eq!(sqlite, names("postgres"));
    }

    #[test]
    fn the_backend_comes_from_the_url_scheme() {
        assert_eq!(Backend::of("sqlite://data/x.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of("postgres://u@h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::of("PostgreSQL://u@h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::of("mysql://u@h/db"), None);
        assert_eq!(Backend::of("data/x.db"), None);
    }
}
