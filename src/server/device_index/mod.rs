//! An index of the partner's devices in the dashboard's database, to find a device by its
//! serial number, product key or hardware hash across customers. Partner Center has no such
//! call: it lists devices 100 a page per batch and returns no hashes.
//!
//! - Each customer's entry (`device_index_customers`) is made when someone opens the customer,
//!   with that sign-in; the customer is then read whole in the background ([`crawl`]): its
//!   batches, each batch's devices (continuation followed, throttling honoured by the
//!   client), and its rows replaced in one transaction. One replica reads a customer at a time
//!   (a lease). It is read again once older than `device_index_refresh_secs` ([`keep_fresh`],
//!   on the stored sign-in; when that sign-in has ended the rows stay and the page says how
//!   old they are), at once when someone asks ("check again"), and every customer of a
//!   person's list when they ask for that ("read all customers", `device_index_reads_at_once`
//!   at a time).
//! - Hashes: Partner Center returns none, so a device's hash is known only when the dashboard
//!   uploaded it (its `upload_rows`); stored as the SHA-256 of the decoded bytes, so padding
//!   and line breaks in a pasted hash do not matter.
//! - What a search may show is judged from the searcher's own customer list ([`search`]);
//!   the same rule for the preview's and the job page's questions about an upload's rows
//!   ([`whereabouts`]).

pub mod actions;
pub mod crawl;
pub mod search;
pub mod whereabouts;

use std::sync::Arc;

use crate::ingest::identity::{hash_digest, product_key, serial_key};
use crate::server::operations::OperationId;
use crate::server::store::Store;

/// Why an entry is no longer read: its rows stay, and the search page says how old they are.
/// Cleared when someone opens the customer again (their sign-in reads it from then on).
pub const SIGN_IN_ENDED: &str =
    "The sign-in it was read on has ended; opening the customer or “check again” reads it on yours.";

/// One device as the index holds it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IndexedDevice {
    pub customer_id: String,
    pub batch_id: String,
    pub device_id: String,
    pub serial_number: Option<String>,
    pub product_key: Option<String>,
    pub hash_digest: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub profile_id: Option<String>,
    pub profile_name: Option<String>,
    pub uploaded_at: Option<i64>,
}

/// A partner's entries, by customer name, as pages use them: read at most every two seconds
/// per partner (`AppState::index_entries`), so that 50 people searching at once do not each
/// read 1,250 rows (that was most of a search's time on SQLite). While this process changes
/// them they are read afresh, and forgotten once the change is committed
/// (`PerPartner::changing`), so "check again" shows its own outcome and a search never shows
/// the devices a read wrote beside the entry as it was before that read.
pub(crate) async fn entries(
    state: &crate::server::AppState,
    tenant_id: &str,
) -> Result<Arc<Vec<IndexEntry>>, sqlx::Error> {
    let read = async { Ok(Arc::new(state.store.index_entries_of(tenant_id).await?)) };
    state.index_entries.get_or_read(tenant_id, read).await
}

/// A customer's entry: when it was read, on which sign-in, and why the last read failed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IndexEntry {
    pub tenant_id: String,
    pub customer_id: String,
    pub customer_name: String,
    pub sign_in_id: Option<String>,
    pub checked_at: Option<i64>,
    pub error: Option<String>,
}

impl Store {
    /// Makes or updates a customer's entry when someone opens it: the index reads it on this
    /// sign-in from now on. Returns the entry as it is now.
    pub async fn note_index_customer(
        &self,
        tenant_id: &str,
        customer_id: &str,
        customer_name: &str,
        sign_in_id: &str,
    ) -> Result<IndexEntry, sqlx::Error> {
        sqlx::query(
            "INSERT INTO device_index_customers (tenant_id, customer_id, customer_name, \
             sign_in_id) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, customer_id) DO \
             UPDATE SET customer_name = excluded.customer_name, sign_in_id = excluded.sign_in_id, \
             error = CASE WHEN device_index_customers.error = $5 THEN NULL \
             ELSE device_index_customers.error END",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .bind(customer_name)
        .bind(sign_in_id)
        .bind(SIGN_IN_ENDED)
        .execute(self.pool())
        .await?;
        self.index_entry(tenant_id, customer_id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    pub async fn index_entry(
        &self,
        tenant_id: &str,
        customer_id: &str,
    ) -> Result<Option<IndexEntry>, sqlx::Error> {
        sqlx::query_as(
            "SELECT tenant_id, customer_id, customer_name, sign_in_id, checked_at, error \
             FROM device_index_customers WHERE tenant_id = $1 AND customer_id = $2",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .fetch_optional(self.pool())
        .await
    }

    /// Makes an entry, read on this sign-in, for each of `customers` (id, name) that has none:
    /// "read every customer". Entries already there keep their sign-in and age.
    pub async fn note_index_customers(
        &self,
        tenant_id: &str,
        customers: &[(&str, &str)],
        sign_in_id: &str,
    ) -> Result<(), sqlx::Error> {
        const AT_ONCE: usize = 200;
        let mut tx = self.pool().begin().await?;
        for chunk in customers.chunks(AT_ONCE) {
            // Numbered in the order they first appear, as SQLite numbers them too.
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| format!("($1, $2, ${}, ${})", 3 + 2 * i, 4 + 2 * i))
                .collect();
            let sql = format!(
                "INSERT INTO device_index_customers (tenant_id, sign_in_id, customer_id, \
                 customer_name) VALUES {} ON CONFLICT (tenant_id, customer_id) DO NOTHING",
                rows.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(tenant_id).bind(sign_in_id);
            for (id, name) in chunk {
                query = query.bind(*id).bind(*name);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await
    }

    /// Every entry of every partner, least recently read first (never read before all).
    pub async fn index_entries(&self) -> Result<Vec<IndexEntry>, sqlx::Error> {
        sqlx::query_as(
            "SELECT tenant_id, customer_id, customer_name, sign_in_id, checked_at, error \
             FROM device_index_customers ORDER BY COALESCE(checked_at, 0), customer_id",
        )
        .fetch_all(self.pool())
        .await
    }

    /// A partner's entries, by customer name.
    pub async fn index_entries_of(&self, tenant_id: &str) -> Result<Vec<IndexEntry>, sqlx::Error> {
        sqlx::query_as(
            "SELECT tenant_id, customer_id, customer_name, sign_in_id, checked_at, error \
             FROM device_index_customers WHERE tenant_id = $1 ORDER BY customer_name",
        )
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await
    }

    /// Replaces what the index holds of a customer with `devices`, read whole at `now`.
    pub async fn replace_indexed_customer(
        &self,
        tenant_id: &str,
        customer_id: &str,
        devices: &[IndexedDevice],
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM device_index WHERE tenant_id = $1 AND customer_id = $2")
            .bind(tenant_id)
            .bind(customer_id)
            .execute(&mut *tx)
            .await?;
        for device in devices {
            insert_device(&mut tx, tenant_id, device).await?;
        }
        sqlx::query(
            "UPDATE device_index_customers SET checked_at = $1, error = NULL \
             WHERE tenant_id = $2 AND customer_id = $3",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// Notes why a customer could not be read; what the index held of it stays.
    pub async fn index_read_failed(
        &self,
        tenant_id: &str,
        customer_id: &str,
        error: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE device_index_customers SET error = $1 WHERE tenant_id = $2 \
             AND customer_id = $3",
        )
        .bind(error)
        .bind(tenant_id)
        .bind(customer_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The digests of the hashes the dashboard uploaded for a customer's registered devices,
    /// by device id.
    pub async fn uploaded_hashes(
        &self,
        customer_id: &str,
    ) -> Result<Vec<(String, String)>, sqlx::Error> {
        sqlx::query_as(
            "SELECT r.device_id, r.hardware_hash FROM upload_rows r \
             JOIN operations o ON o.id = r.upload_id WHERE o.customer_id = $1 \
             AND r.outcome = 'registered' AND r.device_id IS NOT NULL \
             AND r.hardware_hash IS NOT NULL",
        )
        .bind(customer_id)
        .fetch_all(self.pool())
        .await
    }
}

async fn insert_device(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant_id: &str,
    device: &IndexedDevice,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO device_index (tenant_id, customer_id, batch_id, device_id, serial_number, \
         serial_key, product_key, hash_digest, manufacturer, model, profile_id, profile_name, \
         uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (tenant_id, customer_id, device_id) DO NOTHING",
    )
    .bind(tenant_id)
    .bind(&device.customer_id)
    .bind(&device.batch_id)
    .bind(&device.device_id)
    .bind(&device.serial_number)
    .bind(device.serial_number.as_deref().map(serial_key))
    .bind(device.product_key.as_deref().map(product_key))
    .bind(&device.hash_digest)
    .bind(&device.manufacturer)
    .bind(&device.model)
    .bind(&device.profile_id)
    .bind(&device.profile_name)
    .bind(device.uploaded_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The dashboard's own changes, written into the index at once (a search right after an
/// upload, a deletion or an assignment finds what was done, not what the last read saw).
impl Store {
    /// The devices an upload registered, as its rows hold them (the hash too).
    pub async fn index_registered(&self, upload_id: &OperationId) -> Result<(), sqlx::Error> {
        #[derive(sqlx::FromRow)]
        struct Registered {
            tenant_id: String,
            customer_id: String,
            batch_id: String,
            device_id: String,
            serial_number: Option<String>,
            product_key: Option<String>,
            hardware_hash: Option<String>,
            manufacturer: Option<String>,
            model: Option<String>,
        }
        let rows: Vec<Registered> = sqlx::query_as(
            "SELECT o.tenant_id, o.customer_id, d.batch_id, r.device_id, r.serial_number, \
             r.product_key, r.hardware_hash, r.manufacturer, r.model FROM upload_rows r \
             JOIN uploads d ON d.id = r.upload_id JOIN operations o ON o.id = r.upload_id \
             WHERE r.upload_id = $1 AND r.outcome = 'registered' AND r.device_id IS NOT NULL",
        )
        .bind(upload_id)
        .fetch_all(self.pool())
        .await?;
        let mut tx = self.pool().begin().await?;
        for row in rows {
            let device = IndexedDevice {
                customer_id: row.customer_id,
                batch_id: row.batch_id,
                device_id: row.device_id,
                serial_number: row.serial_number,
                product_key: row.product_key,
                hash_digest: row.hardware_hash.as_deref().and_then(hash_digest),
                manufacturer: row.manufacturer,
                model: row.model,
                profile_id: None,
                profile_name: None,
                uploaded_at: Some(crate::server::unix_now()),
            };
            insert_device(&mut tx, &row.tenant_id, &device).await?;
        }
        tx.commit().await
    }

    /// A device the dashboard deleted.
    pub async fn unindex_device(
        &self,
        tenant_id: &str,
        customer_id: &str,
        device_id: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "DELETE FROM device_index WHERE tenant_id = $1 AND customer_id = $2 \
             AND device_id = $3",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .bind(device_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Devices an assignment changed: their profile now (`None`: removed).
    pub async fn index_profile(
        &self,
        tenant_id: &str,
        customer_id: &str,
        device_ids: &[&str],
        profile: Option<(&str, &str)>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        for device_id in device_ids {
            sqlx::query(
                "UPDATE device_index SET profile_id = $1, profile_name = $2 \
                 WHERE tenant_id = $3 AND customer_id = $4 AND device_id = $5",
            )
            .bind(profile.map(|(id, _)| id))
            .bind(profile.map(|(_, name)| name))
            .bind(tenant_id)
            .bind(customer_id)
            .bind(device_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }
}

impl Store {
    /// A partner's indexed devices with any of these serial keys, product keys or hash
    /// digests (as [`crate::ingest::identity`] makes them), a few hundred at a time.
    pub async fn indexed_matching(
        &self,
        tenant_id: &str,
        serials: &[String],
        product_keys: &[String],
        digests: &[String],
    ) -> Result<Vec<IndexedDevice>, sqlx::Error> {
        const AT_ONCE: usize = 300;
        let mut found: Vec<IndexedDevice> = Vec::new();
        for (column, values) in [
            ("serial_key", serials),
            ("product_key", product_keys),
            ("hash_digest", digests),
        ] {
            for chunk in values.chunks(AT_ONCE) {
                let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
                let sql = format!(
                    "SELECT customer_id, batch_id, device_id, serial_number, product_key, \
                     hash_digest, manufacturer, model, profile_id, profile_name, uploaded_at \
                     FROM device_index WHERE tenant_id = $1 AND {column} IN ({})",
                    marks.join(", ")
                );
                let mut query = sqlx::query_as(&sql).bind(tenant_id);
                for value in chunk {
                    query = query.bind(value);
                }
                found.extend(query.fetch_all(self.pool()).await?);
            }
        }
        found.sort_by(|a, b| (&a.customer_id, &a.device_id).cmp(&(&b.customer_id, &b.device_id)));
        found.dedup_by(|a, b| a.customer_id == b.customer_id && a.device_id == b.device_id);
        Ok(found)
    }
}
