//! What the dashboard remembers in memory between one sign-in's requests: the customers it
//! may open, the batch lists it just saw, and the cursors of the lists it paged through (and,
//! on SQLite, the sessions themselves: `super::sessions`).
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

use crate::model::{AppError, BatchRow, CustomerRow};
use crate::partner_center::{Continuation, Page, PartnerCenterError};
use crate::server::store::Store;

mod per_partner;
pub use per_partner::{Changing, PerPartner};

/// A map behind a lock that a panicking holder cannot leave unusable, with at most
/// `capacity` keys, each value kept for `lifetime` after it was written.
pub(super) struct BoundedMap<K, V> {
    entries: Mutex<HashMap<K, (Instant, V)>>,
    capacity: usize,
    lifetime: Duration,
}

impl<K: Hash + Eq, V: Clone> BoundedMap<K, V> {
    pub(super) fn new(capacity: usize, lifetime: Duration) -> Self {
        BoundedMap {
            entries: Mutex::new(HashMap::new()),
            capacity,
            lifetime,
        }
    }

    /// The value, if it is within its lifetime.
    pub(super) fn get(&self, key: &K) -> Option<V> {
        let entries = self.lock();
        let (at, value) = entries.get(key)?;
        (at.elapsed() < self.lifetime).then(|| value.clone())
    }

    pub(super) fn insert(&self, key: K, value: V) {
        self.room_for(&key).insert(key, (Instant::now(), value));
    }

    pub(super) fn remove(&self, key: &K) {
        self.lock().remove(key);
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

/// The sign-ins Partner Center refused a profile write for their role (a Sales agent's): the
/// profile pages are read-only for them from then on, with the reason instead of buttons
/// that can only fail. The dashboard cannot know a Partner Center role before it asks.
/// Each replica learns it on its own first refusal; a sign-in lasts at most its lifetime.
#[derive(Clone)]
pub struct ProfileWriteRefusals(Arc<BoundedMap<String, ()>>);

impl Default for ProfileWriteRefusals {
    fn default() -> Self {
        ProfileWriteRefusals(Arc::new(BoundedMap::new(
            10_000,
            Duration::from_secs(24 * 60 * 60),
        )))
    }
}

impl ProfileWriteRefusals {
    pub fn refused(&self, sign_in_id: &str) -> bool {
        self.0.get(&sign_in_id.to_string()).is_some()
    }

    pub fn remember(&self, sign_in_id: &str) {
        self.0.insert(sign_in_id.to_string(), ());
    }
}

/// The batch list each sign-in last saw of each customer, newest first. Reloading the page,
/// or going back to it from a batch, within [`BATCH_LIST_TTL`] costs no Partner Center call.
/// A batch made or changed outside the dashboard shows within that time.
///
/// The dashboard's own changes show at once on every replica: a part of an upload sent, a
/// job of one that ended (its batch's devices and status changed) and a device deleted each
/// count a change of the customer in the shared database ([`BatchLists::customer_changed`]).
/// Each list is kept with the count read before it was fetched, and shown again only while
/// the count is the same, so a list fetched while a change was being made is not kept past
/// that change.
#[derive(Clone)]
pub struct BatchLists(Arc<BoundedMap<SignInCustomer, CountedList>>);

/// A batch list and the customer's count of changes read before it was fetched.
type CountedList = (i64, Arc<Vec<BatchRow>>);

/// How long a batch list is shown again without asking Partner Center
/// (`Config::batch_list_ttl`).
pub const BATCH_LIST_TTL: Duration = Duration::from_secs(5);

impl BatchLists {
    pub fn new(lifetime: Duration) -> Self {
        BatchLists(Arc::new(BoundedMap::new(1_000, lifetime)))
    }

    /// The list this sign-in saw of the customer, if it is recent and the customer has had
    /// no change since (`changes`: the count [`Store::customer_changes`] gives now).
    pub fn recent(
        &self,
        sign_in_id: &str,
        customer_id: &str,
        changes: i64,
    ) -> Option<Arc<Vec<BatchRow>>> {
        let (counted, rows) = self.0.get(&key(sign_in_id, customer_id))?;
        (counted == changes).then_some(rows)
    }

    /// Keeps a list fetched after the count of changes was `changes`.
    pub fn remember(
        &self,
        sign_in_id: &str,
        customer_id: &str,
        changes: i64,
        rows: Arc<Vec<BatchRow>>,
    ) {
        self.0.insert(key(sign_in_id, customer_id), (changes, rows));
    }

    /// After the dashboard creates a batch, adds devices or deletes one, or a job of its own
    /// ends: every sign-in's list of this customer is out of date, on every replica. Also
    /// dropped here at once, so this replica is right even if the database could not count
    /// the change, but for a list being fetched at that moment, which is then kept for its
    /// lifetime (as are the other replicas' lists).
    pub async fn customer_changed(&self, store: &Store, customer_id: &str) {
        let lowercase = customer_id.to_lowercase();
        self.0.retain(|(_, customer)| *customer != lowercase);
        if let Err(error) = store.count_customer_change(customer_id).await {
            tracing::warn!(%error, customer = %customer_id, "could not count a change of the customer's batches");
        }
    }
}

impl Store {
    /// How many times the dashboard has changed the customer's batches (0: never).
    pub async fn customer_changes(&self, customer_id: &str) -> Result<i64, sqlx::Error> {
        let changes: Option<i64> =
            sqlx::query_scalar("SELECT changes FROM customer_changes WHERE customer_id = $1")
                .bind(customer_id.to_lowercase())
                .fetch_optional(self.pool())
                .await?;
        Ok(changes.unwrap_or(0))
    }

    async fn count_customer_change(&self, customer_id: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO customer_changes (customer_id, changes) VALUES ($1, 1) \
             ON CONFLICT (customer_id) DO UPDATE SET changes = customer_changes.changes + 1",
        )
        .bind(customer_id.to_lowercase())
        .execute(self.pool())
        .await?;
        Ok(())
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

/// Each sign-in's whole customer list, as Partner Center gave it: what a device search across
/// customers may show that person (`Config::customer_list_ttl`; its age is shown with the
/// results, so a customer lost or gained since is explained).
#[derive(Clone)]
pub struct CustomerLists(Arc<BoundedMap<String, Arc<CustomerList>>>);

/// The customers a sign-in may open (lowercased id → name), and when they were read.
#[derive(Debug, Default)]
pub struct CustomerList {
    pub read_at: i64,
    pub customers: HashMap<String, String>,
}

impl CustomerLists {
    pub fn new(lifetime: Duration) -> Self {
        CustomerLists(Arc::new(BoundedMap::new(1_000, lifetime)))
    }

    pub fn recent(&self, sign_in_id: &str) -> Option<Arc<CustomerList>> {
        self.0.get(&sign_in_id.to_string())
    }

    pub fn remember(&self, sign_in_id: &str, list: Arc<CustomerList>) {
        self.0.insert(sign_in_id.to_string(), list);
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
    fn batch_lists_are_per_sign_in_and_shown_only_while_the_customer_is_unchanged() {
        let lists = BatchLists::new(BATCH_LIST_TTL);
        lists.remember("s1", "C1", 0, Arc::new(vec![row("a")]));
        lists.remember("s2", "c1", 1, Arc::new(vec![row("b")]));
        assert_eq!(lists.recent("s1", "c1", 0).unwrap()[0].id, "a");
        assert_eq!(lists.recent("s2", "C1", 1).unwrap()[0].id, "b");
        assert!(
            lists.recent("s3", "c1", 0).is_none(),
            "another sign-in sees nothing"
        );
        assert!(
            lists.recent("s1", "c1", 1).is_none(),
            "a list from before a change is not shown after it"
        );
    }

    #[tokio::test]
    async fn a_change_of_a_customer_is_counted_in_the_database_and_drops_its_lists_here() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("changes.db").display());
        let store = Store::open(&url).await.unwrap();
        let lists = BatchLists::new(BATCH_LIST_TTL);
        assert_eq!(store.customer_changes("C1").await.unwrap(), 0);
        lists.remember("s1", "c1", 0, Arc::new(vec![row("a")]));
        lists.remember("s1", "c2", 0, Arc::new(vec![row("c")]));

        lists.customer_changed(&store, "C1").await;
        lists.customer_changed(&store, "c1").await;

        assert_eq!(store.customer_changes("c1").await.unwrap(), 2);
        assert_eq!(store.customer_changes("c2").await.unwrap(), 0);
        assert!(lists.recent("s1", "c1", 0).is_none());
        assert_eq!(lists.recent("s1", "c2", 0).unwrap()[0].id, "c");
    }
}
