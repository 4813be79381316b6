//! What an isolate remembers between the requests it serves: never a source of truth, only
//! a way to spare the store and the identity provider work they have already done.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use crate::credentials::oidc::ProviderCache;

/// Most API keys whose last use is remembered; past this the memory starts over.
const MAX_REMEMBERED_KEYS: usize = 10_000;

/// Most password hashes (logins, registrations) one isolate takes on at once. Each costs
/// ~50 ms of CPU on the isolate's one thread: more would only queue behind each other (100
/// at once is a 5 s backlog, enough for workerd's dev proxy to drop connections), so the
/// rest are told to retry in a second instead.
pub const MAX_CONCURRENT_HASHES: u32 = 8;

/// Per-isolate memory shared by the requests an isolate serves (one `Rc` per isolate).
#[derive(Debug, Default)]
pub struct Memo {
    /// The identity provider's discovery document and keys.
    pub provider: ProviderCache,
    /// When this isolate last recorded each API key's use (Unix seconds).
    key_use: RefCell<HashMap<String, i64>>,
    /// Requests holding a [`HashPermit`].
    hashing: Cell<u32>,
}

/// A place among the [`MAX_CONCURRENT_HASHES`] requests allowed to hash a password; given
/// back when dropped.
#[derive(Debug)]
pub struct HashPermit<'a>(&'a Cell<u32>);

impl Drop for HashPermit<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

impl Memo {
    /// A permit to hash a password, or `None` when [`MAX_CONCURRENT_HASHES`] requests of this
    /// isolate already hold one.
    pub fn hash_permit(&self) -> Option<HashPermit<'_>> {
        let held = self.hashing.get();
        if held >= MAX_CONCURRENT_HASHES {
            return None;
        }
        self.hashing.set(held + 1);
        Some(HashPermit(&self.hashing))
    }

    /// Whether the use of `key_id` at `now` should be recorded: not when this isolate
    /// recorded it less than `resolution_secs` ago. Remembers `now` when it says yes.
    pub fn should_record_use(&self, key_id: &str, now: i64, resolution_secs: i64) -> bool {
        let mut seen = self.key_use.borrow_mut();
        if seen
            .get(key_id)
            .is_some_and(|at| now - at < resolution_secs)
        {
            return false;
        }
        if seen.len() >= MAX_REMEMBERED_KEYS {
            seen.clear();
        }
        seen.insert(key_id.to_owned(), now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_permits_are_bounded_and_given_back() {
        let memo = Memo::default();
        let held: Vec<_> = (0..MAX_CONCURRENT_HASHES)
            .map(|_| memo.hash_permit().unwrap())
            .collect();
        assert!(memo.hash_permit().is_none());
        drop(held);
        assert!(memo.hash_permit().is_some());
    }

    #[test]
    fn a_use_is_recorded_once_per_resolution() {
        let memo = Memo::default();
        assert!(memo.should_record_use("k", 1000, 60));
        assert!(!memo.should_record_use("k", 1059, 60));
        assert!(memo.should_record_use("other", 1059, 60));
        assert!(memo.should_record_use("k", 1060, 60));
    }
}
