//! An isolate's short memory of the records every authenticated request reads: sessions,
//! API keys and private-key records (see [`cacheable`]). [`CachedStore`] wraps a store: a
//! read of such a key is answered from memory for [`RecordCache::ttl_secs`] after it was last
//! read or written here; every write and delete through it updates the memory first, so the
//! isolate that logs out or revokes a key never serves the old record. Other isolates learn
//! of a change when their copy expires: a revocation reaches them within that many seconds
//! on top of KV's own propagation (strict mode asks the Durable Object instead, so its
//! revocations do not wait for any cache).
//!
//! Bounded: at most [`RecordCache::MAX_ENTRIES`] records (a few hundred bytes each); when
//! full, expired entries go first, then everything.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::ports::{Clock, PortError, Store};

/// Whether reads of `key` may be served from an isolate's memory: the records read on every
/// authenticated request, whose ids are random (so a remembered miss is never a record that
/// exists elsewhere, except for the moment after it is written).
pub fn cacheable(key: &str) -> bool {
    ["v1:session:", "v1:apikey:", "v1:privkey:"]
        .iter()
        .any(|prefix| key.starts_with(prefix))
}

/// Remembered records: value (or absence) and when it was learned, in Unix seconds.
#[derive(Debug)]
pub struct RecordCache {
    ttl_secs: i64,
    entries: RefCell<HashMap<String, (Option<String>, i64)>>,
}

impl RecordCache {
    /// The most records remembered at once.
    pub const MAX_ENTRIES: usize = 4096;

    /// A cache keeping records for `ttl_secs` (0: never serve from memory).
    pub fn new(ttl_secs: i64) -> Self {
        Self {
            ttl_secs,
            entries: RefCell::new(HashMap::new()),
        }
    }

    /// How long a remembered record is served.
    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    fn fresh(&self, key: &str, now: i64) -> Option<Option<String>> {
        let entries = self.entries.borrow();
        let (value, at) = entries.get(key)?;
        (now - at < self.ttl_secs).then(|| value.clone())
    }

    fn remember(&self, key: &str, value: Option<String>, now: i64) {
        if self.ttl_secs <= 0 {
            return;
        }
        let mut entries = self.entries.borrow_mut();
        if entries.len() >= Self::MAX_ENTRIES && !entries.contains_key(key) {
            entries.retain(|_, (_, at)| now - *at < self.ttl_secs);
            if entries.len() >= Self::MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key.to_owned(), (value, now));
    }

    fn forget(&self, key: &str) {
        self.entries.borrow_mut().remove(key);
    }

    /// How many records are remembered (expired ones included until they are dropped).
    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A store whose reads of [`cacheable`] keys go through an isolate's [`RecordCache`].
#[derive(Debug)]
pub struct CachedStore<S, C> {
    /// The store of record.
    pub inner: S,
    /// The isolate's memory, shared by its requests.
    pub cache: Rc<RecordCache>,
    /// The time, for expiry.
    pub clock: C,
}

impl<S: Store, C: Clock> Store for CachedStore<S, C> {
    async fn get(&self, key: &str) -> Result<Option<String>, PortError> {
        if !cacheable(key) {
            return self.inner.get(key).await;
        }
        let now = self.clock.now().timestamp();
        if let Some(value) = self.cache.fresh(key, now) {
            return Ok(value);
        }
        let value = self.inner.get(key).await?;
        self.cache.remember(key, value.clone(), now);
        Ok(value)
    }

    async fn put(&self, key: &str, value: &str, ttl_secs: Option<u64>) -> Result<(), PortError> {
        // Forgotten first: if the write fails, the next read asks the store.
        self.cache.forget(key);
        self.inner.put(key, value, ttl_secs).await?;
        if cacheable(key) {
            let now = self.clock.now().timestamp();
            self.cache.remember(key, Some(value.to_owned()), now);
        }
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        self.cache.forget(key);
        self.inner.delete(key).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError> {
        self.inner.list(prefix).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FixedClock, MemoryStore};
    use chrono::DateTime;
    use futures_executor::block_on;

    fn setup(ttl: i64) -> (MemoryStore, Rc<RecordCache>, FixedClock) {
        let clock = FixedClock::new(DateTime::from_timestamp(1_000_000, 0).unwrap());
        let cache = Rc::new(RecordCache::new(ttl));
        (MemoryStore::new(clock.clone()), cache, clock)
    }

    #[test]
    fn reads_are_remembered_for_the_ttl_and_writes_here_are_seen_at_once() {
        let (backing, cache, clock) = setup(10);
        let store = CachedStore {
            inner: &backing,
            cache: Rc::clone(&cache),
            clock: clock.clone(),
        };
        block_on(backing.put("v1:session:a", "live", None)).unwrap();
        assert_eq!(
            block_on(store.get("v1:session:a")).unwrap().as_deref(),
            Some("live")
        );
        // Another isolate revokes it: this one keeps its copy until the TTL is up...
        block_on(backing.put("v1:session:a", "revoked", None)).unwrap();
        let reads = backing.reads();
        assert_eq!(
            block_on(store.get("v1:session:a")).unwrap().as_deref(),
            Some("live")
        );
        assert_eq!(backing.reads(), reads, "served from memory");
        clock.advance(10);
        assert_eq!(
            block_on(store.get("v1:session:a")).unwrap().as_deref(),
            Some("revoked")
        );
        // ...while a write through this isolate is seen here at once.
        block_on(store.put("v1:session:a", "ended", None)).unwrap();
        assert_eq!(
            block_on(store.get("v1:session:a")).unwrap().as_deref(),
            Some("ended")
        );
        block_on(store.delete("v1:session:a")).unwrap();
        assert_eq!(block_on(store.get("v1:session:a")).unwrap(), None);
    }

    #[test]
    fn only_the_hot_records_are_remembered_and_the_memory_is_bounded() {
        let (backing, cache, clock) = setup(10);
        let store = CachedStore {
            inner: &backing,
            cache: Rc::clone(&cache),
            clock,
        };
        block_on(store.get("v1:email:ada@example.com")).unwrap();
        block_on(store.get("v1:refresh:x")).unwrap();
        assert!(cache.is_empty());
        for i in 0..RecordCache::MAX_ENTRIES + 10 {
            block_on(store.get(&format!("v1:apikey:{i}"))).unwrap();
        }
        assert!(cache.len() <= RecordCache::MAX_ENTRIES);
    }

    #[test]
    fn a_zero_ttl_remembers_nothing() {
        let (backing, cache, clock) = setup(0);
        let store = CachedStore {
            inner: &backing,
            cache: Rc::clone(&cache),
            clock,
        };
        block_on(store.get("v1:session:a")).unwrap();
        assert!(cache.is_empty());
    }
}
