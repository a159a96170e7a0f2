//! The index asked about an upload's rows: before submitting (the preview flags a device
//! registered with another of the partner's customers, [`indexed_matches`]) and after (the job
//! page says where a device Partner Center refused with 806 or 808 is, [`of_refused`]).
//! What it may name is judged from the person's own customer list, as the search does.

use std::collections::HashMap;

use crate::ingest::identity::{self, RowKeys};
use crate::ingest::known_devices::matching;
use crate::ingest::{DeviceRow, IndexedMatch};
use crate::model::devices::{IndexCoverage, Whereabouts};
use crate::partner_center::CustomerId;
use crate::server::caller::Caller;
use crate::server::device_index::search;
use crate::server::operations::device_errors::{ALREADY_IN_THIS_CUSTOMER, REGISTERED_ELSEWHERE};

/// The devices the index holds that the rows name (by serial number, product key or hash),
/// with the customer each is registered with, named only when the person can open it.
pub(crate) async fn indexed_matches(
    caller: &Caller,
    customer: &CustomerId,
    rows: &[RowKeys],
) -> Result<Vec<IndexedMatch>, sqlx::Error> {
    let keys = |key: fn(&RowKeys) -> &Option<String>| -> Vec<String> {
        let mut keys: Vec<String> = rows.iter().filter_map(|r| key(r).clone()).collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    };
    let serials = keys(|r| &r.serial);
    let product_keys = keys(|r| &r.product_key);
    let digests = keys(|r| &r.hash_digest);
    if serials.is_empty() && product_keys.is_empty() && digests.is_empty() {
        return Ok(Vec::new());
    }
    let found = caller
        .state
        .store
        .indexed_matching(&caller.user.tenant_id, &serials, &product_keys, &digests)
        .await?;
    let names = match search::customer_list(caller).await {
        Ok(list) => Some(list),
        Err(error) => {
            tracing::warn!(%error, "could not read the customer list for the device index check");
            None
        }
    };
    let this = customer.to_string();
    Ok(found
        .into_iter()
        .map(|d| IndexedMatch {
            this_customer: d.customer_id.eq_ignore_ascii_case(&this),
            customer: names
                .as_ref()
                .and_then(|list| list.customers.get(&d.customer_id.to_lowercase()).cloned()),
            customer_id: d.customer_id,
            batch: d.batch_id,
            device_id: d.device_id,
            serial_key: d.serial_number.as_deref().map(identity::serial_key),
            product_key: d.product_key.as_deref().map(identity::product_key),
            hash_digest: d.hash_digest,
            manufacturer: d.manufacturer,
            model: d.model,
        })
        .collect())
}

/// Where the index finds each of these rows that Partner Center refused as already
/// registered (each row with the error code it failed with, if it failed): an 806 in this
/// customer, an 808 with another customer. Rows it does not find are left out; a failed
/// lookup leaves them all out (the page still explains the code).
pub(crate) async fn of_refused<'a>(
    caller: &Caller,
    customer: &CustomerId,
    rows: impl Iterator<Item = (&'a DeviceRow, Option<&'a str>)>,
) -> HashMap<u32, Whereabouts> {
    let refused: Vec<(RowKeys, bool)> = rows
        .filter_map(|(device, failed_with)| {
            let here = match failed_with? {
                ALREADY_IN_THIS_CUSTOMER => true,
                REGISTERED_ELSEWHERE => false,
                _ => return None,
            };
            Some((RowKeys::of(device), here))
        })
        .collect();
    if refused.is_empty() {
        return HashMap::new();
    }
    let keys: Vec<RowKeys> = refused.iter().map(|(keys, _)| keys.clone()).collect();
    let indexed = match indexed_matches(caller, customer, &keys).await {
        Ok(indexed) => indexed,
        Err(error) => {
            tracing::warn!(%error, "could not look refused devices up in the device index");
            return HashMap::new();
        }
    };
    refused
        .iter()
        .filter_map(|(keys, here)| {
            let candidates = indexed.iter().filter(|m| m.this_customer == *here);
            let (found, surely) = matching(keys, candidates)?;
            Some((keys.row, whereabouts(found, surely)))
        })
        .collect()
}

fn whereabouts(found: &IndexedMatch, surely: bool) -> Whereabouts {
    match &found.customer {
        Some(name) => Whereabouts::Found {
            customer_id: found.customer_id.clone(),
            customer_name: name.clone(),
            this_customer: found.this_customer,
            batch_id: found.batch.clone(),
            device_id: found.device_id.clone(),
            by_serial: !surely,
        },
        None => Whereabouts::Hidden,
    }
}

/// How many of the customers the person can open the index has read at least once.
pub(crate) async fn coverage(caller: &Caller) -> Result<IndexCoverage, crate::model::AppError> {
    let list = search::customer_list(caller).await?;
    let entries = super::entries(&caller.state, &caller.user.tenant_id).await?;
    let in_scope = entries
        .iter()
        .filter(|e| list.customers.contains_key(&e.customer_id.to_lowercase()));
    Ok(search::covered(in_scope, list.customers.len()))
}
