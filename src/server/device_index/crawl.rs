//! Reading a customer whole into the index: its batches, then each batch's devices, page
//! after page, on the sign-in the customer's entry names; then its rows replaced at once.
//! One replica reads a customer at a time (the lease `index:{tenant}:{customer}`).

use std::collections::HashMap;
use std::time::Duration;

use futures::TryStreamExt;
use uuid::Uuid;

use super::{IndexEntry, IndexedDevice};
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

/// The customer was opened by the caller: its entry now reads on this sign-in, and when it is
/// due, it is read in the background.
pub(crate) async fn opened(state: &AppState, user: &SessionUser, customer: &CustomerRow) {
    let noted = state
        .store
        .note_index_customer(
            &user.tenant_id,
            &customer.id,
            &customer.name,
            &user.sign_in_id,
        )
        .await;
    match noted {
        Ok(entry) if due(&entry, state.config.device_index_refresh, unix_now()) => {
            tokio::spawn(read_in_background(state.clone(), user.clone(), entry));
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "could not note a customer for the device index"),
    }
}

/// Reads the entry's customer as `user`, unless another task or replica is reading it.
/// Returns how many devices were read, or why it could not be read (also stored on the
/// entry); `Ok(None)` when another task had it.
pub async fn read_in_background(
    state: AppState,
    user: SessionUser,
    entry: IndexEntry,
) -> Result<Option<usize>, String> {
    let Some(lease) = Lease::take(&state, lease_name(&entry.tenant_id, &entry.customer_id)).await
    else {
        return Ok(None);
    };
    let read = match auth::access_token(&state, &user).await {
        Ok(token) => {
            let ctx = CallContext::new(token, Uuid::new_v4());
            read_customer(&state, &ctx, &entry).await
        }
        Err(_) => Err("The sign-in the index reads this customer on has ended.".to_string()),
    };
    if let Err(error) = &read {
        tracing::warn!(customer = %entry.customer_id, %error, "could not read a customer for the device index");
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
    let words = |e: PartnerCenterError| format!("Partner Center: {}", e.kind().as_str());
    let customer = CustomerId::parse(&entry.customer_id).map_err(|e| e.to_string())?;
    let client = &state.partner_center;
    let batches = client.device_batches(ctx, &customer).await.map_err(words)?;
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
                profile_name: profile_id.as_ref().and_then(|p| profiles.get(p).cloned()),
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
        let entries = match state.store.index_entries().await {
            Ok(entries) => entries,
            Err(error) => {
                tracing::warn!(%error, "could not list the device index's customers");
                continue;
            }
        };
        for entry in entries {
            if !due(&entry, refresh, unix_now()) {
                continue;
            }
            let Some(sign_in) = entry.sign_in_id.clone() else {
                continue;
            };
            let Some(user) = auth::user_of_sign_in(&state, &sign_in).await else {
                continue;
            };
            let _ = read_in_background(state.clone(), user, entry).await;
        }
    }
}
