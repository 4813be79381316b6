//! The three ports the core runs on: storage, time and randomness.
//!
//! Workers and browsers are single-threaded, so nothing here is `Send`.
#![allow(async_fn_in_trait)]

use chrono::{DateTime, Utc};

/// Workers KV refuses an expiration TTL below this many seconds.
pub const MIN_TTL_SECS: u64 = 60;

/// A port failed: the store or the RNG is unavailable. Never caused by a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortError(pub String);

impl std::fmt::Display for PortError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PortError {}

/// A key-value store shaped like Workers KV: string values, per-key expiry, listing by prefix,
/// no transactions and no compare-and-swap.
pub trait Store {
    /// The value under `key`, or `None` when absent or expired.
    async fn get(&self, key: &str) -> Result<Option<String>, PortError>;
    /// Stores `value` under `key`. With `ttl_secs`, the record expires after that many
    /// seconds, which must be at least [`MIN_TTL_SECS`].
    async fn put(&self, key: &str, value: &str, ttl_secs: Option<u64>) -> Result<(), PortError>;
    /// Removes `key`; removing an absent key is not an error.
    async fn delete(&self, key: &str) -> Result<(), PortError>;
    /// Every live key starting with `prefix`, in lexicographic order.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError>;
}

/// A borrowed store is a store: wrappers (a cache, a test's flaky store) can sit on one.
impl<S: Store> Store for &S {
    async fn get(&self, key: &str) -> Result<Option<String>, PortError> {
        (**self).get(key).await
    }
    async fn put(&self, key: &str, value: &str, ttl_secs: Option<u64>) -> Result<(), PortError> {
        (**self).put(key, value, ttl_secs).await
    }
    async fn delete(&self, key: &str) -> Result<(), PortError> {
        (**self).delete(key).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError> {
        (**self).list(prefix).await
    }
}

/// Who holds a claim (see [`Atomic::claim_email`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The claim is ours now.
    Won,
    /// Somebody else holds it.
    Taken,
}

/// What a session decided about one presentation of a refresh token
/// (see [`Atomic::rotate_refresh`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The first presentation: the offered successor is now the token's one successor.
    Won,
    /// Presented again within the grace window: the successor chosen then (sealed, as it
    /// was offered), to be returned again instead of a new branch.
    Again(String),
    /// Presented again after the grace window: the whole session is revoked.
    Reused,
    /// The session was revoked (logout, or an earlier reuse): no successor.
    Revoked,
}

/// What can be revoked, each in its own atomic record (see [`Atomic::revoke`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocable<'a> {
    /// A session: every access and refresh token of one login. Shares its record with the
    /// session's refresh rotation, so a detected reuse revokes it in the same step.
    Session(&'a str),
    /// An API key, by id.
    ApiKey(&'a str),
}

impl Revocable<'_> {
    /// The name of its atomic record (`session:{id}`, `apikey:{id}`).
    pub fn record_name(&self) -> String {
        match self {
            Self::Session(id) => format!("session:{id}"),
            Self::ApiKey(id) => format!("apikey:{id}"),
        }
    }
}

/// Whether one more attempt fits a limit (see [`Atomic::attempt`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Counted; go on.
    Allowed,
    /// The limit is reached: not counted; try again after this many seconds.
    Limited {
        /// Seconds until the window ends.
        retry_after_secs: u64,
    },
}

impl Rotation {
    /// The rule for a token already spent at `spent_at` (its successor `chosen`) and
    /// presented again at `now`: the same successor within the grace window, reuse after.
    pub fn of_spent(spent_at: i64, chosen: String, now: i64, grace_secs: i64) -> Self {
        if now - spent_at < grace_secs {
            Self::Again(chosen)
        } else {
            Self::Reused
        }
    }
}

/// Attempts counted against one limit, and when their window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptCounter {
    /// Attempts in the window.
    pub count: u32,
    /// Unix seconds.
    pub window_ends_at: i64,
}

impl AttemptCounter {
    /// The rule every exact [`Atomic::attempt`] applies: a window starts at the first attempt
    /// after the last one ended; within it at most `max` attempts are counted. The decision,
    /// and the counter to keep (unchanged when limited).
    pub fn next(current: Option<Self>, max: u32, window_secs: i64, now: i64) -> (Attempt, Self) {
        let current = current.filter(|c| now < c.window_ends_at).unwrap_or(Self {
            count: 0,
            window_ends_at: now + window_secs,
        });
        if current.count >= max {
            let retry_after_secs =
                u64::try_from((current.window_ends_at - now).max(1)).unwrap_or(1);
            return (Attempt::Limited { retry_after_secs }, current);
        }
        let counted = Self {
            count: current.count + 1,
            ..current
        };
        (Attempt::Allowed, counted)
    }
}

/// The operations whose correctness depends on order, which a store shaped like KV (eventually
/// consistent, no compare-and-swap) cannot make safe. On the Worker a Durable Object per
/// subject serializes them; natively `testing::MemoryAtomic` models the same
/// guarantees.
pub trait Atomic {
    /// Claims the (hashed, normalized) email for `user_id`: exactly one caller wins, however
    /// many try at once, anywhere.
    async fn claim_email(&self, email_hash: &str, user_id: &str) -> Result<Claim, PortError>;
    /// Gives back a claim `user_id` won (its account could not be written); a claim held by
    /// another user is left alone.
    async fn release_email(&self, email_hash: &str, user_id: &str) -> Result<(), PortError>;
    /// Uses up the single-use thing named `key` (a sign-in state, a one-time code, a link
    /// ticket): `true` for exactly one caller, `false` for every other, however many try at
    /// once, for at least `ttl_secs`.
    async fn consume_once(&self, key: &str, ttl_secs: i64) -> Result<bool, PortError>;
    /// Presents refresh token `token_id` of `session_id` at `now`, offering `successor` (the
    /// new pair, sealed) as its successor: exactly one successor per token, whoever asks at
    /// once; a retry within `grace_secs` gets that same successor back; later, reuse. The
    /// decision is kept for `ttl_secs`.
    async fn rotate_refresh(
        &self,
        session_id: &str,
        token_id: &str,
        now: i64,
        grace_secs: i64,
        successor: &str,
        ttl_secs: i64,
    ) -> Result<Rotation, PortError>;
    /// Whether [`Atomic::attempt`] counts exactly; when not, the store's best-effort counters
    /// are used instead (see `store::throttle`).
    fn counts_attempts(&self) -> bool;
    /// Counts one attempt against `key`: at most `max` per window of `window_secs` (the
    /// window starts at the first attempt), exactly, however many arrive at once.
    async fn attempt(
        &self,
        key: &str,
        max: u32,
        window_secs: i64,
        now: i64,
    ) -> Result<Attempt, PortError>;
    /// Takes back attempts counted against `key`: all of them, or the last one.
    async fn forgive(&self, key: &str, all: bool) -> Result<(), PortError>;
    /// Revokes `what` for good, before any store record says so: from the moment this
    /// returns, [`Atomic::is_revoked`] answers `true` everywhere. Kept until `until` (Unix
    /// seconds; `None`: for ever), after which nothing it covers can be presented.
    async fn revoke(&self, what: Revocable<'_>, until: Option<i64>) -> Result<(), PortError>;
    /// Whether `what` was revoked: asked by every authenticated request, so that logout,
    /// reuse detection and key revocation hold everywhere at once.
    async fn is_revoked(&self, what: Revocable<'_>) -> Result<bool, PortError>;
}

/// No atomic backing: every claim is won, and only the store's own checks stand (KV's
/// eventual consistency lets two registrations of one email in two locations both pass).
/// For deployments without the Durable Object, and embedders that only authenticate.
#[derive(Debug, Clone, Copy, Default)]
pub struct EdgeOnly;

impl Atomic for EdgeOnly {
    async fn claim_email(&self, _: &str, _: &str) -> Result<Claim, PortError> {
        Ok(Claim::Won)
    }

    async fn release_email(&self, _: &str, _: &str) -> Result<(), PortError> {
        Ok(())
    }

    async fn consume_once(&self, _: &str, _: i64) -> Result<bool, PortError> {
        Ok(true)
    }

    fn counts_attempts(&self) -> bool {
        false
    }

    async fn attempt(&self, _: &str, _: u32, _: i64, _: i64) -> Result<Attempt, PortError> {
        Ok(Attempt::Allowed)
    }

    async fn forgive(&self, _: &str, _: bool) -> Result<(), PortError> {
        Ok(())
    }

    /// Nothing to keep: the store's records say what is revoked, with KV's windows.
    async fn revoke(&self, _: Revocable<'_>, _: Option<i64>) -> Result<(), PortError> {
        Ok(())
    }

    async fn is_revoked(&self, _: Revocable<'_>) -> Result<bool, PortError> {
        Ok(false)
    }

    /// Always `Won`: the store's own spent marker decides, with KV's windows.
    async fn rotate_refresh(
        &self,
        _: &str,
        _: &str,
        _: i64,
        _: i64,
        _: &str,
        _: i64,
    ) -> Result<Rotation, PortError> {
        Ok(Rotation::Won)
    }
}

/// The current time.
pub trait Clock {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// A cryptographically secure random source.
pub trait Random {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]) -> Result<(), PortError>;
}

/// The platform's RNG (`crypto.getRandomValues` on wasm32) through `getrandom`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), PortError> {
        getrandom::fill(buf).map_err(|err| PortError(format!("random source failed: {err}")))
    }
}

/// The host's clock. On wasm32 use the platform adapter's clock instead: `SystemTime::now()`
/// panics on `wasm32-unknown-unknown`.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        std::time::SystemTime::now().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_are_counted_up_to_the_limit_in_a_window_then_start_over() {
        let (first, counter) = AttemptCounter::next(None, 2, 60, 1000);
        assert_eq!(
            (first, counter.count, counter.window_ends_at),
            (Attempt::Allowed, 1, 1060)
        );
        let (second, counter) = AttemptCounter::next(Some(counter), 2, 60, 1010);
        assert_eq!((second, counter.count), (Attempt::Allowed, 2));
        let (third, kept) = AttemptCounter::next(Some(counter), 2, 60, 1020);
        assert_eq!(
            third,
            Attempt::Limited {
                retry_after_secs: 40
            }
        );
        assert_eq!(kept, counter);
        let (later, fresh) = AttemptCounter::next(Some(counter), 2, 60, 1060);
        assert_eq!(
            (later, fresh.count, fresh.window_ends_at),
            (Attempt::Allowed, 1, 1120)
        );
    }

    #[test]
    fn a_spent_token_is_answered_again_within_grace_then_is_reuse() {
        let again = Rotation::of_spent(100, "pair".into(), 109, 10);
        assert_eq!(again, Rotation::Again("pair".into()));
        assert_eq!(
            Rotation::of_spent(100, "pair".into(), 110, 10),
            Rotation::Reused
        );
    }
}
