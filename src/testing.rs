//! Test doubles for the ports: a store that enforces KV's rules, a clock that moves only when
//! told, and a deterministic RNG. Used by this crate's tests and by embedders' tests.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use chrono::{DateTime, TimeDelta, Utc};

use crate::ports::{
    Atomic, Attempt, AttemptCounter, Claim, Clock, PortError, Random, Revocable, Rotation, Store,
    MIN_TTL_SECS,
};

/// A clock that stands still until advanced. Clones share the same time.
#[derive(Debug, Clone)]
pub struct FixedClock(Rc<Cell<DateTime<Utc>>>);

impl FixedClock {
    /// A clock stopped at `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self(Rc::new(Cell::new(now)))
    }

    /// Moves the clock forward.
    pub fn advance(&self, secs: i64) {
        self.0.set(self.0.get() + TimeDelta::seconds(secs));
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.get()
    }
}

/// A deterministic RNG (SplitMix64): the same seed gives the same bytes. Never for production.
#[derive(Debug)]
pub struct SeqRandom(Cell<u64>);

impl SeqRandom {
    /// An RNG seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(Cell::new(seed))
    }
}

impl Random for SeqRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), PortError> {
        for chunk in buf.chunks_mut(8) {
            let state = self.0.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
            self.0.set(state);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

/// A stored value and when it expires.
type Entry = (String, Option<DateTime<Utc>>);

/// An in-memory [`Store`] with Workers KV's rules: a TTL below 60 s is refused, and records
/// expire by the given clock. It counts reads, so tests can assert that none happened.
#[derive(Debug)]
pub struct MemoryStore {
    clock: FixedClock,
    records: RefCell<BTreeMap<String, Entry>>,
    reads: Cell<usize>,
}

impl MemoryStore {
    /// An empty store whose records expire by `clock`.
    pub fn new(clock: FixedClock) -> Self {
        Self {
            clock,
            records: RefCell::new(BTreeMap::new()),
            reads: Cell::new(0),
        }
    }

    /// How many `get`s and `list`s have been made.
    pub fn reads(&self) -> usize {
        self.reads.get()
    }

    /// Every live key and value, for asserting what is (not) stored.
    pub fn dump(&self) -> Vec<(String, String)> {
        let now = self.clock.now();
        self.records
            .borrow()
            .iter()
            .filter(|(_, (_, expiry))| expiry.is_none_or(|at| at > now))
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect()
    }

    fn live(&self, key: &str) -> Option<String> {
        let now = self.clock.now();
        let records = self.records.borrow();
        let (value, expiry) = records.get(key)?;
        expiry.is_none_or(|at| at > now).then(|| value.clone())
    }
}

impl Store for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<String>, PortError> {
        self.reads.set(self.reads.get() + 1);
        Ok(self.live(key))
    }

    async fn put(&self, key: &str, value: &str, ttl_secs: Option<u64>) -> Result<(), PortError> {
        if key.is_empty() || key.len() > 512 {
            return Err(PortError(format!(
                "KV key length {} out of range",
                key.len()
            )));
        }
        let expiry = match ttl_secs {
            Some(ttl) if ttl < MIN_TTL_SECS => {
                return Err(PortError(format!("KV expiration_ttl {ttl} is below 60")));
            }
            Some(ttl) => Some(self.clock.now() + TimeDelta::seconds(ttl as i64)),
            None => None,
        };
        self.records
            .borrow_mut()
            .insert(key.to_owned(), (value.to_owned(), expiry));
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        self.records.borrow_mut().remove(key);
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError> {
        self.reads.set(self.reads.get() + 1);
        let now = self.clock.now();
        Ok(self
            .records
            .borrow()
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .filter(|(_, (_, expiry))| expiry.is_none_or(|at| at > now))
            .map(|(k, _)| k.clone())
            .collect())
    }
}

/// [`Atomic`] in memory, with the Durable Object's guarantees: one holder per email, one use
/// per single-use record, one successor per refresh token, exact counts, revocation at once.
#[derive(Debug, Default)]
pub struct MemoryAtomic {
    emails: RefCell<BTreeMap<String, String>>,
    used: RefCell<BTreeSet<String>>,
    /// Record names ([`Revocable::record_name`]) of what was revoked.
    revoked: RefCell<BTreeSet<String>>,
    /// (session, token) -> (spent at, sealed successor).
    spent: RefCell<BTreeMap<(String, String), (i64, String)>>,
    attempts: RefCell<BTreeMap<String, AttemptCounter>>,
}

impl Atomic for MemoryAtomic {
    async fn claim_email(&self, email_hash: &str, user_id: &str) -> Result<Claim, PortError> {
        let mut emails = self.emails.borrow_mut();
        let holder = emails
            .entry(email_hash.to_owned())
            .or_insert_with(|| user_id.to_owned());
        Ok(if holder == user_id {
            Claim::Won
        } else {
            Claim::Taken
        })
    }

    async fn release_email(&self, email_hash: &str, user_id: &str) -> Result<(), PortError> {
        let mut emails = self.emails.borrow_mut();
        if emails
            .get(email_hash)
            .is_some_and(|holder| holder == user_id)
        {
            emails.remove(email_hash);
        }
        Ok(())
    }

    async fn consume_once(&self, key: &str, _ttl_secs: i64) -> Result<bool, PortError> {
        Ok(self.used.borrow_mut().insert(key.to_owned()))
    }

    async fn rotate_refresh(
        &self,
        session_id: &str,
        token_id: &str,
        now: i64,
        grace_secs: i64,
        successor: &str,
        _ttl_secs: i64,
    ) -> Result<Rotation, PortError> {
        let session = Revocable::Session(session_id).record_name();
        if self.revoked.borrow().contains(&session) {
            return Ok(Rotation::Revoked);
        }
        let mut spent = self.spent.borrow_mut();
        let key = (session_id.to_owned(), token_id.to_owned());
        let rotation = match spent.get(&key) {
            None => {
                spent.insert(key, (now, successor.to_owned()));
                Rotation::Won
            }
            Some((at, chosen)) => Rotation::of_spent(*at, chosen.clone(), now, grace_secs),
        };
        if rotation == Rotation::Reused {
            self.revoked.borrow_mut().insert(session);
        }
        Ok(rotation)
    }

    fn counts_attempts(&self) -> bool {
        true
    }

    async fn attempt(
        &self,
        key: &str,
        max: u32,
        window_secs: i64,
        now: i64,
    ) -> Result<Attempt, PortError> {
        let mut attempts = self.attempts.borrow_mut();
        let current = attempts.get(key).copied();
        let (attempt, kept) = AttemptCounter::next(current, max, window_secs, now);
        attempts.insert(key.to_owned(), kept);
        Ok(attempt)
    }

    async fn forgive(&self, key: &str, all: bool) -> Result<(), PortError> {
        let mut attempts = self.attempts.borrow_mut();
        match attempts.get_mut(key) {
            Some(_) if all => {
                attempts.remove(key);
            }
            Some(entry) => entry.count = entry.count.saturating_sub(1),
            None => {}
        }
        Ok(())
    }
    async fn revoke(&self, what: Revocable<'_>, _until: Option<i64>) -> Result<(), PortError> {
        self.revoked.borrow_mut().insert(what.record_name());
        Ok(())
    }

    async fn is_revoked(&self, what: Revocable<'_>) -> Result<bool, PortError> {
        Ok(self.revoked.borrow().contains(&what.record_name()))
    }
}

/// A store that lets other requests run at every operation, as KV's network round trips do:
/// requests served at once interleave between their reads and their writes, so races show.
#[derive(Debug)]
pub struct YieldingStore<S>(pub S);

/// Pending once, then ready: one turn for everyone else.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

impl<S: Store> Store for YieldingStore<S> {
    async fn get(&self, key: &str) -> Result<Option<String>, PortError> {
        YieldOnce(false).await;
        self.0.get(key).await
    }

    async fn put(&self, key: &str, value: &str, ttl_secs: Option<u64>) -> Result<(), PortError> {
        YieldOnce(false).await;
        self.0.put(key, value, ttl_secs).await
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        YieldOnce(false).await;
        self.0.delete(key).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError> {
        YieldOnce(false).await;
        self.0.list(prefix).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::block_on;

    fn store() -> (FixedClock, MemoryStore) {
        let clock = FixedClock::new(DateTime::from_timestamp(1_700_000_000, 0).unwrap());
        (clock.clone(), MemoryStore::new(clock))
    }

    #[test]
    fn ttl_below_kv_minimum_is_refused() {
        let (_, store) = store();
        assert!(block_on(store.put("k", "v", Some(59))).is_err());
        assert!(block_on(store.put("k", "v", Some(60))).is_ok());
    }

    #[test]
    fn records_expire_by_the_clock() {
        let (clock, store) = store();
        block_on(store.put("k", "v", Some(60))).unwrap();
        clock.advance(59);
        assert_eq!(block_on(store.get("k")).unwrap().as_deref(), Some("v"));
        clock.advance(1);
        assert_eq!(block_on(store.get("k")).unwrap(), None);
        assert!(block_on(store.list("")).unwrap().is_empty());
    }

    #[test]
    fn list_returns_only_the_prefix() {
        let (_, store) = store();
        for key in ["a:1", "a:2", "ab", "b:1"] {
            block_on(store.put(key, "v", None)).unwrap();
        }
        assert_eq!(block_on(store.list("a:")).unwrap(), ["a:1", "a:2"]);
    }

    #[test]
    fn seq_random_is_deterministic_per_seed() {
        let (mut a, mut b, mut c) = ([0u8; 20], [0u8; 20], [0u8; 20]);
        SeqRandom::new(1).fill(&mut a).unwrap();
        SeqRandom::new(1).fill(&mut b).unwrap();
        SeqRandom::new(2).fill(&mut c).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
