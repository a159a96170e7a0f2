//! The dashboard's database. Queries use `$n` placeholders and portable types, which SQLite
//! and PostgreSQL both accept, so a second backend needs no second copy of them.

use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::SqlitePool;

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

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Store, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
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
