//! What every person of a partner sees alike, read at most once per `lifetime` per partner
//! (the device index's entries: `device_index::entries`), so that people searching at once
//! do not each read it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::BoundedMap;

#[derive(Clone)]
pub struct PerPartner<V> {
    values: Arc<BoundedMap<String, V>>,
    /// One read at a time: when a value runs out under 50 people searching, one reads it and
    /// the others wait for that (without it, each read it at once, every time it ran out).
    reading: Arc<tokio::sync::Mutex<()>>,
    changes: Arc<Mutex<Changes>>,
}

/// The changes this process is making to what the values are read from.
///
/// A page reads its other data (the devices a search found) from the database, not from
/// here, so a value remembered from before a change must not be shown once the change is
/// committed: not between the commit and the moment its task forgets the value (under load,
/// a search answered there said "not read yet" beside the devices that read had written),
/// nor kept when its read began before the commit and ended after it.
#[derive(Default)]
struct Changes {
    /// Partners with a change under way, and how many: their values are read afresh, and
    /// not kept, until the change is committed and its [`Changing`] dropped.
    under_way: HashMap<String, usize>,
    /// Counts the changes begun and ended: a value read while the count moved is returned
    /// to its reader, not kept (it may predate the change).
    count: u64,
}

impl<V: Clone> PerPartner<V> {
    pub fn new(lifetime: Duration) -> Self {
        PerPartner {
            values: Arc::new(BoundedMap::new(1_000, lifetime)),
            reading: Arc::default(),
            changes: Arc::default(),
        }
    }

    fn changes(&self) -> MutexGuard<'_, Changes> {
        self.changes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The partner's value, or `read`'s when it has none, it ran out, or it is being changed.
    pub async fn get_or_read<E, Read>(&self, tenant_id: &str, read: Read) -> Result<V, E>
    where
        Read: std::future::Future<Output = Result<V, E>>,
    {
        let key = tenant_id.to_string();
        if let Some(value) = self.remembered(&key) {
            return Ok(value);
        }
        let _one_reader = self.reading.lock().await;
        if let Some(value) = self.remembered(&key) {
            return Ok(value);
        }
        let count_before = self.changes().count;
        let value = read.await?;
        let changes = self.changes();
        if changes.count == count_before && !changes.under_way.contains_key(&key) {
            self.values.insert(key, value.clone());
        }
        Ok(value)
    }

    fn remembered(&self, key: &String) -> Option<V> {
        let changes = self.changes();
        if changes.under_way.contains_key(key) {
            return None;
        }
        self.values.get(key)
    }

    /// Before this process changes what the partner's value is read from: hold the guard
    /// until the change is committed (or failed); the value is read afresh from then on.
    pub fn changing(&self, tenant_id: &str) -> Changing<V> {
        let mut changes = self.changes();
        changes.count += 1;
        *changes.under_way.entry(tenant_id.to_string()).or_default() += 1;
        Changing {
            of: self.clone(),
            tenant_id: tenant_id.to_string(),
        }
    }
}

/// A change of a partner's value under way ([`PerPartner::changing`]); dropped, the value
/// is forgotten.
#[must_use = "the value is forgotten when this is dropped, after the change is committed"]
pub struct Changing<V: Clone> {
    of: PerPartner<V>,
    tenant_id: String,
}

impl<V: Clone> Drop for Changing<V> {
    fn drop(&mut self) {
        let mut changes = self.of.changes();
        changes.count += 1;
        if let Some(under_way) = changes.under_way.get_mut(&self.tenant_id) {
            *under_way -= 1;
            if *under_way == 0 {
                changes.under_way.remove(&self.tenant_id);
            }
        }
        let tenant_id = &self.tenant_id;
        self.of.values.retain(|key| key != tenant_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(value: u32) -> Result<u32, ()> {
        Ok(value)
    }

    #[tokio::test]
    async fn a_value_is_read_afresh_while_a_change_is_under_way_and_kept_again_after() {
        let values = PerPartner::<u32>::new(Duration::MAX);
        assert_eq!(values.get_or_read("t", read(1)).await, Ok(1));
        assert_eq!(values.get_or_read("t", read(2)).await, Ok(1), "kept");

        let change = values.changing("t");
        // Between the commit and the guard's drop, a page must not see the old value.
        assert_eq!(values.get_or_read("t", read(3)).await, Ok(3));
        assert_eq!(
            values.get_or_read("t", read(4)).await,
            Ok(4),
            "nor keep one"
        );
        assert_eq!(
            values.get_or_read("u", read(5)).await,
            Ok(5),
            "others are kept"
        );
        drop(change);

        assert_eq!(values.get_or_read("t", read(6)).await, Ok(6));
        assert_eq!(values.get_or_read("t", read(7)).await, Ok(6), "kept again");
        assert_eq!(values.get_or_read("u", read(8)).await, Ok(5));
    }

    #[tokio::test]
    async fn a_value_whose_read_a_change_overtook_is_not_kept() {
        let values = PerPartner::<u32>::new(Duration::MAX);
        let (committed, read_on) = tokio::sync::oneshot::channel::<()>();
        // A read that began before a change and ends after it was committed.
        let reader = {
            let values = values.clone();
            tokio::spawn(async move {
                let stale = async {
                    read_on.await.unwrap();
                    Ok::<_, ()>(1)
                };
                values.get_or_read("t", stale).await
            })
        };
        tokio::task::yield_now().await;
        drop(values.changing("t"));
        committed.send(()).unwrap();
        assert_eq!(reader.await.unwrap(), Ok(1), "its reader still gets it");

        assert_eq!(values.get_or_read("t", read(2)).await, Ok(2), "read again");
        assert_eq!(values.get_or_read("t", read(3)).await, Ok(2), "and kept");
    }
}
