//! Reading a customer whole into the index: its batches, then each batch's devices, page
//! after page, on the sign-in the customer's entry names; then its rows replaced at once.
//! One replica reads a customer at a time (the lease `index:{tenant}:{customer}`).

use std::collections::HashMap;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use uuid::Uuid;

use super::{IndexEntry, IndexedDevice, SIGN_IN_ENDED};
use crate::ingest::identity::hash_digest;
use crate::model::CustomerRow;
use crate::partner_center::{BatchId, CallContext, CustomerId, PartnerCenterError};
use crate::server::auth::{self, SessionUser};
use crate::server::leases::Lease;
use crate::server::{unix_now, AppState};

/// The lease of reading one customer of one partner.
fn lease_name(tenant_id: &str, customer_id: &str) -> String {
    format!("index:{tenant_id}:{}", customer_id.to_lowercase())
}

/// Whether an entry is due to be read: never read, or read longer ago than the refresh time.
pub fn due(entry: &IndexEntry, refresh: Duration, now: i64) -> bool {
    entry
        .checked_at
        .is_none_or(|at| now - at >= refresh.as_secs() as i64)
}

/// Whether a read goes ahead when the entry was read meanwhile (by another task or replica
/// that had its lease a moment ago).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Only if it is still due: the schedule, a customer opened, "read every customer".
    Due,
    /// Whatever its age: someone asked ("check again").
    Now,
}

/// The customer was opened by the caller: its entry now reads on this sign-in, and when it is
/// due, it is read in the background.
///
/// This runs on every view of a customer's pages, so the entry is looked up in the partner's
/// cached entries first and written only when it is missing or names another sign-in or name.
pub(crate) async fn opened(state: &AppState, user: &SessionUser, customer: &CustomerRow) {
    let known = super::entries(state, &user.tenant_id)
        .await
        .ok()
        .and_then(|all| {
            all.iter()
                .find(|e| e.customer_id.eq_ignore_ascii_case(&customer.id))
                .cloned()
        });
    let noted = match known {
        Some(entry)
            if entry.sign_in_id.as_deref() == Some(user.sign_in_id.as_str())
                && entry.customer_name == customer.name =>
        {
            Ok(entry)
        }
        _ => {
            let _change = state.index_entries.changing(&user.tenant_id);
            state
                .store
                .note_index_customer(
                    &user.tenant_id,
                    &customer.id,
                    &customer.name,
                    &user.sign_in_id,
                )
                .await
        }
    };
    match noted {
        Ok(entry) if due(&entry, state.config.device_index_refresh, unix_now()) => {
            tokio::spawn(read_in_background(
                state.clone(),
                user.clone(),
                entry,
                When::Due,
            ));
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "could not note a customer for the device index"),
    }
}

/// Reads the entry's customer as `user`, unless another task or replica is reading it (or,
/// with [`When::Due`], has just read it). Returns how many devices were read, or why it could
/// not be read (also stored on the entry); `Ok(None)` when it was left to another.
pub async fn read_in_background(
    state: AppState,
    user: SessionUser,
    entry: IndexEntry,
    when: When,
) -> Result<Option<usize>, String> {
    let Some(lease) = Lease::take(&state, lease_name(&entry.tenant_id, &entry.customer_id)).await
    else {
        return Ok(None);
    };
    if when == When::Due {
        // The entry was looked at before the lease was taken: someone may have read it since.
        let now = state
            .store
            .index_entry(&entry.tenant_id, &entry.customer_id)
            .await;
        if let Ok(Some(now)) = now {
            if !due(&now, state.config.device_index_refresh, unix_now()) {
                lease.release().await;
                return Ok(None);
            }
        }
    }
    let read = match auth::access_token(&state, &user).await {
        Ok(token) => {
            let ctx = CallContext::new(token, Uuid::new_v4());
            read_customer(&state, &ctx, &entry).await
        }
        Err(_) => Err(SIGN_IN_ENDED.to_string()),
    };
    if let Err(error) = &read {
        tracing::warn!(customer = %entry.customer_id, %error, "could not read a customer for the device index");
        let _change = state.index_entries.changing(&entry.tenant_id);
        if let Err(e) = state
            .store
            .index_read_failed(&entry.tenant_id, &entry.customer_id, error)
            .await
        {
            tracing::warn!(error = %e, "could not note a failed index read");
        }
    }
    lease.release().await;
    read.map(Some)
}

/// Reads one customer whole and replaces its rows. Batches whose names Partner Center's
/// addresses cannot carry are skipped (named in the log).
async fn read_customer(
    state: &AppState,
    ctx: &CallContext,
    entry: &IndexEntry,
) -> Result<usize, String> {
    // As the customer's own pages would say it (a 403 names the role and the relationship).
    let words = |e: PartnerCenterError| crate::model::AppError::from(e).to_string();
    let customer = CustomerId::parse(&entry.customer_id).map_err(|e| e.to_string())?;
    let client = &state.partner_center;
    let batches = client.device_batches(ctx, &customer).await.map_err(words)?;
    let hashes: HashMap<String, String> = state
        .store
        .uploaded_hashes(&entry.customer_id)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter_map(|(device, hash)| Some((device.to_lowercase(), hash_digest(&hash)?)))
        .collect();
    let mut devices = Vec::new();
    for batch in batches {
        let Ok(batch_id) = BatchId::parse(&batch.id) else {
            tracing::warn!(customer = %entry.customer_id, batch = %batch.id, "a batch the index cannot read");
            continue;
        };
        let listed: Vec<_> = client
            .devices(ctx, &customer, &batch_id)
            .try_collect()
            .await
            .map_err(words)?;
        for device in listed {
            let Some(id) = device.id.clone() else {
                continue;
            };
            let profile_id = device.oobe_policy_id().map(str::to_string);
            devices.push(IndexedDevice {
                customer_id: entry.customer_id.clone(),
                batch_id: batch.id.clone(),
                hash_digest: hashes.get(&id.to_lowercase()).cloned(),
                profile_name: None,
                profile_id,
                device_id: id,
                serial_number: device.serial_number,
                product_key: device.product_key.filter(|k| !k.is_empty()),
                manufacturer: device.oem_manufacturer_name,
                model: device.model_name,
                uploaded_at: device.uploaded_date.map(|d| d.timestamp()),
            });
        }
    }
    // Profile names, asked for only when a device has a profile: most customers have none,
    // and a call saved per customer is a good part of a whole partner's read.
    if devices.iter().any(|d| d.profile_id.is_some()) {
        let profiles: HashMap<String, String> = client
            .policies(ctx, &customer)
            .await
            .map(|policies| {
                policies
                    .into_iter()
                    .filter_map(|p| Some((p.id?, p.name.unwrap_or_default())))
                    .collect()
            })
            .unwrap_or_default();
        for device in &mut devices {
            device.profile_name = device
                .profile_id
                .as_ref()
                .and_then(|p| profiles.get(p).cloned());
        }
    }
    let _change = state.index_entries.changing(&entry.tenant_id);
    state
        .store
        .replace_indexed_customer(&entry.tenant_id, &entry.customer_id, &devices, unix_now())
        .await
        .map_err(|e| e.to_string())?;
    Ok(devices.len())
}

/// Runs for the life of the process: reads again every customer whose entry is due, on the
/// sign-in it names. An entry whose sign-in has ended keeps its rows; the search page says
/// how old they are. Each replica runs it; the lease keeps a customer to one reader.
pub async fn keep_fresh(state: AppState) {
    let refresh = state.config.device_index_refresh;
    let mut every = tokio::time::interval(
        refresh
            .div_f64(20.0)
            .clamp(Duration::from_secs(5), Duration::from_secs(600)),
    );
    loop {
        every.tick().await;
        match state.store.index_entries().await {
            Ok(entries) => read_due(&state, entries).await,
            Err(error) => tracing::warn!(%error, "could not list the device index's customers"),
        }
    }
}

/// Reads those of `entries` that are due, `device_index_reads_at_once` at a time, each on the
/// sign-in its entry names: the schedule's round, and "read every customer".
pub async fn read_due(state: &AppState, entries: Vec<IndexEntry>) {
    let now = unix_now();
    let due_now = entries
        .into_iter()
        .filter(|entry| due(entry, state.config.device_index_refresh, now));
    futures::stream::iter(due_now)
        .for_each_concurrent(state.config.device_index_reads_at_once, |entry| async move {
            let user = match &entry.sign_in_id {
                Some(sign_in) => auth::user_of_sign_in(state, sign_in).await,
                None => None,
            };
            match user {
                Some(user) => {
                    let _ = read_in_background(state.clone(), user, entry, When::Due).await;
                }
                // Said once on the entry, not written again at every round.
                None if entry.error.as_deref() != Some(SIGN_IN_ENDED) => {
                    let change = state.index_entries.changing(&entry.tenant_id);
                    let noted = state
                        .store
                        .index_read_failed(&entry.tenant_id, &entry.customer_id, SIGN_IN_ENDED)
                        .await;
                    drop(change);
                    if let Err(error) = noted {
                        tracing::warn!(%error, "could not note an ended sign-in on the device index");
                    }
                }
                None => {}
            }
        })
        .await;
}
