//! What the dashboard remembers in memory between one sign-in's requests: the customers it
//! may open, the batch lists it just saw, and the cursors of the lists it paged through.
//!
//! All of it spares Partner Center (its quota is per partner) and the user repeated calls,
//! and the first two keep pages working through a moment of Partner Center trouble. None of
//! it survives a restart. Each map forgets what is past its lifetime, and everything when it
//! is still full, so no number of sign-ins can grow it without limit.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::api::{AppError, BatchRow, CustomerRow};
use crate::partner_center::{Continuation, Page, PartnerCenterError};

/// A map behind a lock that a panicking holder cannot leave unusable, with at most
/// `capacity` keys, each value kept for `lifetime` after it was written.
struct BoundedMap<K, V> {
    entries: Mutex<HashMap<K, (Instant, V)>>,
    capacity: usize,
    lifetime: Duration,
}

impl<K: Hash + Eq, V: Clone> BoundedMap<K, V> {
    fn new(capacity: usize, lifetime: Duration) -> Self {
        BoundedMap {
            entries: Mutex::new(HashMap::new()),
            capacity,
            lifetime,
        }
    }

    /// The value, if it is within its lifetime.
    fn get(&self, key: &K) -> Option<V> {
        let entries = self.lock();
        let (at, value) = entries.get(key)?;
        (at.elapsed() < self.lifetime).then(|| value.clone())
    }

    fn insert(&self, key: K, value: V) {
        self.room_for(&key).insert(key, (Instant::now(), value));
    }

    /// Changes the value in place, starting from the default when there is none.
    fn update(&self, key: K, change: impl FnOnce(&mut V))
    where
        V: Default,
    {
        let mut entries = self.room_for(&key);
        let (at, value) = entries
            .entry(key)
            .or_insert_with(|| (Instant::now(), V::default()));
        *at = Instant::now();
        change(value);
    }

    fn retain(&self, mut keep: impl FnMut(&K) -> bool) {
        self.lock().retain(|key, _| keep(key));
    }

    /// The locked map, with room for `key`: a new key first drops what is past its lifetime,
    /// then, if there is still no room, everything.
    fn room_for(&self, key: &K) -> MutexGuard<'_, HashMap<K, (Instant, V)>> {
        let mut entries = self.lock();
        if !entries.contains_key(key) {
            let lifetime = self.lifetime;
            entries.retain(|_, (at, _)| at.elapsed() < lifetime);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, (Instant, V)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A sign-in id and a customer id.
type SignInCustomer = (String, String);

fn key(sign_in_id: &str, customer_id: &str) -> SignInCustomer {
    (sign_in_id.to_string(), customer_id.to_lowercase())
}

/// Customers each sign-in was recently allowed to open, so that the pages of one customer
/// (a job page polled every few seconds, above all) do not each ask Partner Center again, and
/// a moment of Partner Center trouble does not fail the pages served from the dashboard's own
/// database. A lost role or reseller relationship takes effect within [`CUSTOMER_CHECK_TTL`].
#[derive(Clone)]
pub struct CustomerChecks(Arc<BoundedMap<SignInCustomer, CustomerRow>>);

/// How long an allowed customer stays allowed without asking Partner Center.
pub const CUSTOMER_CHECK_TTL: Duration = Duration::from_secs(60);

impl Default for CustomerChecks {
    fn default() -> Self {
        CustomerChecks(Arc::new(BoundedMap::new(10_000, CUSTOMER_CHECK_TTL)))
    }
}

impl CustomerChecks {
    pub fn allowed(&self, sign_in_id: &str, customer_id: &str) -> Option<CustomerRow> {
        self.0.get(&key(sign_in_id, customer_id))
    }

    pub fn remember(&self, sign_in_id: &str, customer_id: &str, row: &CustomerRow) {
        self.0.insert(key(sign_in_id, customer_id), row.clone());
    }
}

/// The batch list each sign-in last saw of each customer, newest first. Reloading the page,
/// or going back to it from a batch, within [`BATCH_LIST_TTL`] costs no Partner Center call.
/// A batch made or changed elsewhere shows within that time; the dashboard's own submissions
/// and deletions clear the customer's lists at once on the replica that made them
/// ([`BatchLists::forget_customer`]; other replicas within the lifetime), though a list that
/// was being fetched at that moment may still be kept for its lifetime.
#[derive(Clone)]
pub struct BatchLists(Arc<BoundedMap<SignInCustomer, Arc<Vec<BatchRow>>>>);

/// How long a batch list is shown again without asking Partner Center
/// (`Config::batch_list_ttl`).
pub const BATCH_LIST_TTL: Duration = Duration::from_secs(5);

impl BatchLists {
    pub fn new(lifetime: Duration) -> Self {
        BatchLists(Arc::new(BoundedMap::new(1_000, lifetime)))
    }

    pub fn recent(&self, sign_in_id: &str, customer_id: &str) -> Option<Arc<Vec<BatchRow>>> {
        self.0.get(&key(sign_in_id, customer_id))
    }

    pub fn remember(&self, sign_in_id: &str, customer_id: &str, rows: Arc<Vec<BatchRow>>) {
        self.0.insert(key(sign_in_id, customer_id), rows);
    }

    /// After the dashboard creates a batch or adds devices: every sign-in's list of this
    /// customer is out of date.
    pub fn forget_customer(&self, customer_id: &str) {
        let customer_id = customer_id.to_lowercase();
        self.0.retain(|(_, customer)| *customer != customer_id);
    }
}

/// The continuation tokens met while paging a list, so page N of a bookmarked URL can be
/// reached (Partner Center pages only forward).
#[derive(Clone)]
pub struct PageCursors(Arc<BoundedMap<String, Vec<Continuation>>>);

impl Default for PageCursors {
    fn default() -> Self {
        PageCursors(Arc::new(BoundedMap::new(10_000, Duration::MAX)))
    }
}

impl PageCursors {
    fn known(&self, key: &str) -> Vec<Continuation> {
        self.0.get(&key.to_string()).unwrap_or_default()
    }

    /// Records the cursor of page `page + 1`.
    fn remember(&self, key: &str, page: u32, next: &Continuation) {
        self.0.update(key.to_string(), |list| {
            let index = page as usize - 1;
            if index == list.len() {
                list.push(next.clone());
            } else if index < list.len() {
                list[index] = next.clone();
            }
        });
    }

    /// Page `page` (1-based) of a list, walking forward from the last page whose cursor is
    /// known. Past the end: an empty page.
    pub async fn page<T, F, Fut>(&self, key: &str, page: u32, fetch: F) -> Result<Page<T>, AppError>
    where
        F: Fn(Option<Continuation>) -> Fut,
        Fut: Future<Output = Result<Page<T>, PartnerCenterError>>,
    {
        let page = page.max(1);
        let known = self.known(key);
        let (mut current, mut cursor) = if page == 1 {
            (1, None)
        } else if let Some(cursor) = known.get(page as usize - 2) {
            (page, Some(cursor.clone()))
        } else {
            (known.len() as u32 + 1, known.last().cloned())
        };
        loop {
            let result = fetch(cursor.clone()).await?;
            if let Some(next) = &result.next {
                self.remember(key, current, next);
            }
            if current == page {
                return Ok(result);
            }
            match result.next {
                Some(next) => {
                    cursor = Some(next);
                    current += 1;
                }
                None => {
                    return Ok(Page {
                        items: Vec::new(),
                        total_count: Some(0),
                        next: None,
                    })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str) -> BatchRow {
        BatchRow {
            id: id.into(),
            created: None,
            devices: None,
            status: None,
        }
    }

    #[test]
    fn a_full_map_forgets_everything_rather_than_grow() {
        let map = BoundedMap::<u32, u32>::new(3, Duration::MAX);
        for n in 0..3 {
            map.insert(n, n);
        }
        map.insert(1, 10);
        assert_eq!(map.get(&1), Some(10), "a known key is replaced");
        assert_eq!(map.get(&0), Some(0), "and nothing else is dropped");
        map.insert(3, 3);
        assert_eq!(map.lock().len(), 1);
        assert_eq!(map.get(&3), Some(3));
    }

    #[test]
    fn values_past_their_lifetime_are_neither_returned_nor_kept() {
        let map = BoundedMap::<u32, u32>::new(100, Duration::from_millis(10));
        map.insert(1, 1);
        assert_eq!(map.get(&1), Some(1));
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(map.get(&1), None);
        map.insert(2, 2);
        assert_eq!(
            map.lock().len(),
            1,
            "the expired value went with the next new key"
        );
    }

    #[test]
    fn batch_lists_are_per_sign_in_and_cleared_per_customer() {
        let lists = BatchLists::new(BATCH_LIST_TTL);
        lists.remember("s1", "C1", Arc::new(vec![row("a")]));
        lists.remember("s2", "c1", Arc::new(vec![row("b")]));
        lists.remember("s1", "c2", Arc::new(vec![row("c")]));
        assert_eq!(lists.recent("s1", "c1").unwrap()[0].id, "a");
        assert_eq!(lists.recent("s2", "C1").unwrap()[0].id, "b");
        assert!(
            lists.recent("s3", "c1").is_none(),
            "another sign-in sees nothing"
        );
        lists.forget_customer("C1");
        assert!(lists.recent("s1", "c1").is_none());
        assert!(lists.recent("s2", "c1").is_none());
        assert_eq!(lists.recent("s1", "c2").unwrap()[0].id, "c");
    }
}
