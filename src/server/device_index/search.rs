//! Finding a device in the index: by serial number (exact or the start of it, without regard
//! to case), product key, or hardware hash (matched on its decoded bytes), within one customer
//! or across every customer the signed-in person can open, judged from their own customer
//! list ([`customer_list`]) so results never show a customer they cannot open.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Redirect;
use futures::TryStreamExt;

use super::crawl::{self, When};
use super::{IndexEntry, IndexedDevice};
use crate::ingest::identity::{hash_digest, product_key, serial_key};
use crate::model::devices::{ago, DeviceSearchView, FoundDevice, IndexCoverage, IndexFreshness};
use crate::model::done::Done;
use crate::model::{AppError, CustomerRow};
use crate::partner_center::{CustomerId, CustomerQuery};
use crate::server::auth::SignedIn;
use crate::server::caches::CustomerList;
use crate::server::caller::{caller, open_customer, Caller};
use crate::server::form_fields::{field, Fields};
use crate::server::path_ids::Ids;
use crate::server::refusal::Refusal;
use crate::server::store::Store;
use crate::server::{display_time, unix_now, AppState};
use crate::urls;

/// How many devices a search shows at most; more say so.
const MOST_SHOWN: usize = 200;
/// A hardware hash decodes to kilobytes; a serial number or product key is far shorter.
const HASH_MIN_CHARS: usize = 64;

/// What the search text asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wanted {
    Nothing,
    /// A serial number (exact, or its start; lowercased) or a product key (uppercased).
    Text {
        serial: String,
        product_key: String,
    },
    /// A hardware hash's digest.
    Hash(String),
}

fn wanted(query: &str) -> Wanted {
    let query = query.trim();
    if query.is_empty() {
        return Wanted::Nothing;
    }
    let compact: String = query.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() >= HASH_MIN_CHARS {
        if let Some(digest) = hash_digest(&compact) {
            return Wanted::Hash(digest);
        }
    }
    Wanted::Text {
        serial: serial_key(query),
        product_key: product_key(query),
    }
}

impl Store {
    /// A partner's indexed devices that match, at most `limit`: by hash digest; or by serial
    /// number (its start) and by product key, each an indexed lookup in one query. The start of
    /// a serial is a range (`>=` it, `<` it followed by the highest character), not `LIKE`:
    /// neither SQLite (case-insensitive `LIKE`) nor PostgreSQL (a bound pattern) would use the
    /// index for it, and a scan of 50,000 rows under 50 people searching took seconds. An
    /// exact match is sorted here, not by `ORDER BY customer_id`: SQLite, which keeps no
    /// statistics, would walk the primary key (in that order) instead of the lookup's index.
    async fn find_indexed(
        &self,
        tenant_id: &str,
        wanted: &Wanted,
        limit: i64,
    ) -> Result<Vec<IndexedDevice>, sqlx::Error> {
        let select = "SELECT customer_id, batch_id, device_id, serial_number, product_key, \
                      hash_digest, manufacturer, model, profile_id, profile_name, uploaded_at \
                      FROM device_index WHERE tenant_id = $1 AND";
        match wanted {
            Wanted::Nothing => Ok(Vec::new()),
            Wanted::Hash(digest) => {
                let mut found: Vec<IndexedDevice> =
                    sqlx::query_as(&format!("{select} hash_digest = $2 LIMIT $3"))
                        .bind(tenant_id)
                        .bind(digest)
                        .bind(limit)
                        .fetch_all(self.pool())
                        .await?;
                found.sort_by(|a, b| {
                    (&a.customer_id, &a.batch_id).cmp(&(&b.customer_id, &b.batch_id))
                });
                Ok(found)
            }
            Wanted::Text {
                serial,
                product_key,
            } => {
                // One round trip: the start of a serial, and a product key.
                let mut found: Vec<IndexedDevice> = sqlx::query_as(&format!(
                    "SELECT * FROM ({select} serial_key >= $2 AND serial_key < $3 \
                     ORDER BY serial_key, customer_id LIMIT $4) AS by_serial UNION ALL \
                     SELECT * FROM ({select} product_key = $5 LIMIT $4) AS by_key"
                ))
                .bind(tenant_id)
                .bind(serial)
                .bind(format!("{serial}{}", char::MAX))
                .bind(limit)
                .bind(product_key)
                .fetch_all(self.pool())
                .await?;
                // Serial numbers first, in their order; then product keys.
                let by_serial = |d: &IndexedDevice| {
                    d.serial_number
                        .as_deref()
                        .map(serial_key)
                        .filter(|key| key.starts_with(serial.as_str()))
                };
                found.sort_by(|a, b| {
                    let (ka, kb) = (by_serial(a), by_serial(b));
                    (ka.is_none(), ka, &a.customer_id).cmp(&(kb.is_none(), kb, &b.customer_id))
                });
                found.dedup_by(|a, b| a.customer_id == b.customer_id && a.device_id == b.device_id);
                found.truncate(limit as usize);
                Ok(found)
            }
        }
    }
}

/// The customers the caller may open, from their own customer list: kept for
/// `customer_list_ttl_secs`, then read again from Partner Center.
pub(crate) async fn customer_list(caller: &Caller) -> Result<Arc<CustomerList>, AppError> {
    let lists = &caller.state.customer_lists;
    if let Some(list) = lists.recent(&caller.user.sign_in_id) {
        return Ok(list);
    }
    let query = CustomerQuery {
        filter: None,
        size: Some(500),
    };
    let customers: Vec<_> = caller
        .state
        .partner_center
        .customers(&caller.ctx, &query)
        .try_collect()
        .await?;
    let list = Arc::new(CustomerList {
        read_at: unix_now(),
        customers: customers
            .into_iter()
            .map(|c| {
                let row = crate::server::caller::customer_row(&c);
                (row.id.to_lowercase(), row.name)
            })
            .collect(),
    });
    lists.remember(&caller.user.sign_in_id, list.clone());
    Ok(list)
}

/// Customers whose index freshness the search page lists by name, at most.
const FRESHNESS_LISTED: usize = 25;

/// How many of `in_scope`'s customers the index has read at least once, of the `of` the
/// person can open there: the one count both the search page and the 808 page show.
pub(crate) fn covered<'a>(
    in_scope: impl Iterator<Item = &'a IndexEntry>,
    of: usize,
) -> IndexCoverage {
    IndexCoverage {
        read: in_scope.filter(|e| e.checked_at.is_some()).count(),
        of,
    }
}

/// What a search finds among the devices the caller may see: those of their own customer
/// list, or of the one customer they opened.
pub(crate) struct Found {
    /// In the search's order, at most the limit asked for.
    pub devices: Vec<IndexedDevice>,
    pub list: Arc<CustomerList>,
    /// The customer the search is limited to.
    pub one: Option<CustomerRow>,
    pub by_hash: bool,
    /// Every device the search finds is in `devices`: the index had no more, and none in
    /// scope was cut by the limit.
    pub complete: bool,
}

impl Found {
    /// Whether the caller may see the devices of `customer_id` in this search: a customer of
    /// their own list, and the one the search is limited to, if any.
    pub fn in_scope(&self, customer_id: &str) -> bool {
        let id = customer_id.to_lowercase();
        self.list.customers.contains_key(&id)
            && self
                .one
                .as_ref()
                .is_none_or(|c| c.id.eq_ignore_ascii_case(&id))
    }

    /// Every device the search finds, for an action on all of them or an export of them;
    /// refused in words when they are more than `most`, or more than the index was asked for.
    pub fn every_one(&self, most: usize) -> Result<&[IndexedDevice], AppError> {
        if self.complete && self.devices.len() <= most {
            return Ok(&self.devices);
        }
        Err(AppError::TooManyFound { most })
    }

    /// A found device's customer, by name.
    pub fn customer_name(&self, customer_id: &str) -> String {
        self.list
            .customers
            .get(&customer_id.to_lowercase())
            .map_or_else(|| customer_id.to_string(), |n| n.clone())
    }
}

/// The devices `query` finds, in `customer` or in every customer the caller may open, at most
/// `limit` of them (the index is asked for more, as some may be out of scope).
pub(crate) async fn found(
    caller: &Caller,
    query: &str,
    customer: Option<&CustomerId>,
    limit: usize,
) -> Result<Found, AppError> {
    if query.chars().count() > 20_000 {
        return Err(AppError::BadInput(
            "That is longer than any serial number, product key or hardware hash.".into(),
        ));
    }
    let one = match customer {
        Some(id) => Some(open_customer(caller, id).await?),
        None => None,
    };
    let list = customer_list(caller).await?;
    let wanted = wanted(query);
    let asked = limit * 4;
    let indexed = caller
        .state
        .store
        .find_indexed(&caller.user.tenant_id, &wanted, asked as i64)
        .await?;
    let whole = indexed.len() < asked;
    let mut found = Found {
        devices: indexed,
        list,
        one,
        by_hash: matches!(wanted, Wanted::Hash(_)),
        complete: false,
    };
    let devices = std::mem::take(&mut found.devices);
    found.devices = devices
        .into_iter()
        .filter(|d| found.in_scope(&d.customer_id))
        .collect();
    found.complete = whole && found.devices.len() <= limit;
    found.devices.truncate(limit);
    Ok(found)
}

/// The server side of `/devices?q=…&customer=…`.
pub async fn find(
    query: String,
    customer: Option<CustomerId>,
) -> Result<DeviceSearchView, AppError> {
    let caller = caller().await?;
    let found = found(&caller, &query, customer.as_ref(), MOST_SHOWN + 1).await?;
    let mut results: Vec<FoundDevice> = found
        .devices
        .iter()
        .cloned()
        .map(|d| FoundDevice {
            customer_name: found.customer_name(&d.customer_id),
            customer_id: d.customer_id,
            batch_id: d.batch_id,
            device_id: d.device_id,
            serial_number: d.serial_number,
            product_key: d.product_key,
            model: match (d.manufacturer, d.model) {
                (Some(m), Some(model)) => Some(format!("{m} {model}")),
                (m, model) => m.or(model),
            },
            profile: d.profile_name.or(d.profile_id),
            uploaded: display_time(
                d.uploaded_at
                    .and_then(|at| chrono::DateTime::from_timestamp(at, 0)),
            ),
        })
        .collect();
    let tenant = &caller.user.tenant_id;
    let more = results.len() > MOST_SHOWN;
    results.truncate(MOST_SHOWN);
    let now = unix_now();
    let entries = super::entries(&caller.state, tenant).await?;
    let in_scope: Vec<&IndexEntry> = entries
        .iter()
        .filter(|e| found.in_scope(&e.customer_id))
        .collect();
    let coverage = covered(
        in_scope.iter().copied(),
        match &found.one {
            Some(_) => 1,
            None => found.list.customers.len(),
        },
    );
    // All of them when they are few; else those the results are from and those whose last
    // read failed (a list of 1,250 customers would bury both).
    let listed_all = in_scope.len() <= FRESHNESS_LISTED;
    let shown = |e: &IndexEntry| {
        results
            .iter()
            .any(|d| d.customer_id.eq_ignore_ascii_case(&e.customer_id))
    };
    let freshness = in_scope
        .into_iter()
        .filter(|e| listed_all || e.error.is_some() || shown(e))
        .take(FRESHNESS_LISTED)
        .map(|e| IndexFreshness {
            checked: match e.checked_at {
                Some(at) => format!("checked {}", ago(now - at)),
                None => "not read yet".to_string(),
            },
            customer_id: e.customer_id.clone(),
            customer_name: e.customer_name.clone(),
            error: e.error.clone(),
        })
        .collect();
    // Profiles are offered for devices of one customer, when there is something to give.
    let profiles = match (&found.one, results.is_empty()) {
        (Some(customer), false) => {
            let id: CustomerId = crate::server::path_ids::from_address(&customer.id)?;
            caller
                .state
                .partner_center
                .policies(&caller.ctx, &id)
                .await
                .map(crate::server::profiles::options)
                .unwrap_or_default()
        }
        _ => Vec::new(),
    };
    Ok(DeviceSearchView {
        profiles,
        profiles_read_only: crate::server::profiles::read_only(&caller),
        query: query.trim().to_string(),
        customer: found.one,
        results,
        more,
        by_hash: found.by_hash,
        freshness,
        coverage,
        customer_list_age: ago(now - found.list.read_at),
    })
}

/// `POST /devices/check/{customerId}`: reads the customer again now, on the caller's sign-in
/// (unless another task is reading it), then back to the search (`q` kept).
pub async fn check_again(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids(customer): Ids<CustomerId>,
    axum::Form(fields): Fields,
) -> Result<Redirect, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let opened = open_customer(&caller, &customer).await?;
    let user = &caller.user;
    let entry = caller
        .state
        .store
        .note_index_customer(&user.tenant_id, &opened.id, &opened.name, &user.sign_in_id)
        .await?;
    let read = crawl::read_in_background(caller.state.clone(), user.clone(), entry, When::Now);
    if let Err(error) = read.await {
        return Err(Refusal::new(
            axum::http::StatusCode::BAD_GATEWAY,
            format!("The customer's devices could not be read again: {error}. Try again later."),
        ));
    }
    let query = field(&fields, "q").unwrap_or_default();
    Ok(Redirect::to(&urls::with_done(
        &urls::devices(query),
        Done::IndexChecked,
    )))
}

/// `POST /devices/read-all`: every customer in the caller's list gets an entry read on their
/// sign-in (those without one), and every entry due is read in the background, a few at a
/// time; back to the search (`q` kept), which says how far it is.
pub async fn read_all(
    State(state): State<AppState>,
    signed_in: SignedIn,
    axum::Form(fields): Fields,
) -> Result<Redirect, Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let list = customer_list(&caller).await?;
    let customers: Vec<(&str, &str)> = list
        .customers
        .iter()
        .map(|(id, name)| (id.as_str(), name.as_str()))
        .collect();
    let (store, user) = (&caller.state.store, &caller.user);
    let change = caller.state.index_entries.changing(&user.tenant_id);
    store
        .note_index_customers(&user.tenant_id, &customers, &user.sign_in_id)
        .await?;
    drop(change);
    // Read once into the partner's cache, which the searches that follow use too.
    let entries = super::entries(&caller.state, &user.tenant_id).await?;
    let state = caller.state.clone();
    tokio::spawn(async move { crawl::read_due(&state, Vec::clone(&entries)).await });
    let query = field(&fields, "q").unwrap_or_default();
    Ok(Redirect::to(&urls::with_done(
        &urls::devices(query),
        Done::IndexReadingAll,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_base64_text_is_a_hash_and_anything_else_a_serial_or_key() {
        use base64::Engine;
        let hash = base64::engine::general_purpose::STANDARD.encode([1u8; 200]);
        assert!(matches!(wanted(&hash), Wanted::Hash(_)));
        assert_eq!(wanted("  "), Wanted::Nothing);
        assert_eq!(
            wanted(" Pf3abc "),
            Wanted::Text {
                serial: "pf3abc".into(),
                product_key: "PF3ABC".into()
            }
        );
    }
}
