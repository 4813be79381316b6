//! What an isolate remembers between the requests it serves: never a source of truth, only
//! a way to spare the store and the identity provider work they have already done.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::oidc::ProviderCache;

/// Most API keys whose last use is remembered; past this the memory starts over.
const MAX_REMEMBERED_KEYS: usize = 10_000;

/// Per-isolate memory shared by the requests an isolate serves (one `Rc` per isolate).
#[derive(Debug, Default)]
pub struct Memo {
    /// The identity provider's discovery document and keys.
    pub provider: ProviderCache,
    /// When this isolate last recorded each API key's use (Unix seconds).
    key_use: RefCell<HashMap<String, i64>>,
}

impl Memo {
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
    fn a_use_is_recorded_once_per_resolution() {
        let memo = Memo::default();
        assert!(memo.should_record_use("k", 1000, 60));
        assert!(!memo.should_record_use("k", 1059, 60));
        assert!(memo.should_record_use("other", 1059, 60));
        assert!(memo.should_record_use("k", 1060, 60));
    }
}
