//! Counting attempts so that guessing is slow and one attacker cannot lock out anyone else.
//!
//! A counter is one record per (what, who) with a fixed window: `count` attempts since
//! `window_ends_at - window`. Failed logins are counted per (email, client IP) and per client IP
//! across emails: the owner of an account logs in from their own address whatever an attacker
//! does from another, and spraying one password over many emails from one address is limited
//! too. Registrations and sign-in starts, which write to the store without any credential, are
//! counted per client IP.
//!
//! Where the [`Atomic`] port counts exactly (the Worker's Durable Objects), each attempt is
//! counted there before it is made, so simultaneous attempts cannot slip past a limit. Without
//! it, the counters live in the store: best effort on KV (read-modify-write, ~1 write per
//! second per key, no compare-and-swap), so parallel attempts can be under-counted.
//!
//! The client IP is `CF-Connecting-IP`, which Cloudflare's edge sets and clients cannot forge.
//! A request without it (tests, or a local tool talking straight to workerd) shares one
//! "unknown address" bucket per email and is not limited per IP.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{AuthError, ConfigError};
use crate::http::Request;
use crate::ports::{Atomic, Attempt, PortError, Store};
use crate::store::{Records, StoreError, UnixTime};

/// At most `max` attempts per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Attempts allowed in one window.
    pub max: u32,
    /// The window's length in seconds.
    pub window_secs: i64,
}

impl Limit {
    /// Parses `max/window_secs` (e.g. `10/900`), or `default` when unset.
    pub fn from_setting(
        name: &str,
        value: Option<String>,
        default: Limit,
    ) -> Result<Limit, ConfigError> {
        let Some(value) = value else {
            return Ok(default);
        };
        let parsed = value.trim().split_once('/').and_then(|(max, window)| {
            Some(Limit {
                max: max.trim().parse().ok().filter(|m| *m > 0)?,
                window_secs: window.trim().parse().ok().filter(|w| *w >= 60)?,
            })
        });
        parsed.ok_or_else(|| {
            ConfigError(format!(
                "{name} must be max/window_secs (max >= 1, window >= 60)"
            ))
        })
    }
}

/// The limits of the unauthenticated endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failed logins per (email, client IP) (`LOGIN_LIMIT_PER_EMAIL_IP`, default 10/900).
    pub login_per_email_ip: Limit,
    /// Failed logins per client IP across emails (`LOGIN_LIMIT_PER_IP`, default 100/900).
    pub login_per_ip: Limit,
    /// Registrations per client IP (`REGISTER_LIMIT_PER_IP`, default 20/3600).
    pub register_per_ip: Limit,
    /// Provider sign-ins started per client IP (`AUTHORIZE_LIMIT_PER_IP`, default 60/600).
    pub authorize_per_ip: Limit,
}

impl Limits {
    /// Reads the four limits through `lookup`.
    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let limit = |name: &str, max, window_secs| {
            Limit::from_setting(name, lookup(name), Limit { max, window_secs })
        };
        Ok(Self {
            login_per_email_ip: limit("LOGIN_LIMIT_PER_EMAIL_IP", 10, 900)?,
            login_per_ip: limit("LOGIN_LIMIT_PER_IP", 100, 900)?,
            register_per_ip: limit("REGISTER_LIMIT_PER_IP", 20, 3600)?,
            authorize_per_ip: limit("AUTHORIZE_LIMIT_PER_IP", 60, 600)?,
        })
    }
}

/// The client's address as Cloudflare reports it, if known.
pub fn client_ip(req: &Request) -> Option<&str> {
    req.header("cf-connecting-ip")
        .map(str::trim)
        .filter(|ip| !ip.is_empty() && ip.len() <= 64)
}

/// Attempts counted in the current window.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Counter {
    count: u32,
    window_ends_at: i64,
}

/// One counter: a kind of attempt by one subject (hashed: no email or address in key names).
///
/// Where the [`Atomic`] port counts exactly (the Worker's Durable Objects), [`Throttle::check`]
/// counts the attempt there, before it is made, so simultaneous attempts cannot slip past the
/// limit; a success then takes it back. Otherwise the store's counter is read at `check` and
/// written after a failure (`hit`): best effort.
#[derive(Debug)]
pub struct Throttle {
    key: String,
    limit: Limit,
    counted: Counted,
}

#[derive(Debug)]
enum Counted {
    /// Counted by the atomic port when checked.
    Atomically,
    /// Read from the store; counted by `hit`.
    InStore(Option<Counter>),
}

/// Why an attempt may not go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThrottleError {
    /// The limit is reached: try again after this many seconds (a 429).
    Limited {
        /// Sent as `Retry-After`.
        retry_after_secs: u64,
    },
    /// The counter could not be read (a 500).
    Store(StoreError),
}

impl From<StoreError> for ThrottleError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

impl From<PortError> for ThrottleError {
    fn from(err: PortError) -> Self {
        Self::Store(err.into())
    }
}

/// A reached limit is a 429 with `Retry-After`; a counter that cannot be read, a 500.
impl From<ThrottleError> for AuthError {
    fn from(err: ThrottleError) -> Self {
        match err {
            ThrottleError::Limited { retry_after_secs } => {
                Self::TooManyRequests { retry_after_secs }
            }
            ThrottleError::Store(err) => err.into(),
        }
    }
}

impl Throttle {
    /// The counter of `kind` for `subject`; [`ThrottleError::Limited`] with the seconds left
    /// when the limit is already reached.
    pub async fn check<S: Store, A: Atomic>(
        records: &Records<'_, S>,
        atomic: &A,
        kind: &str,
        subject: &str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<Self, ThrottleError> {
        let digest = URL_SAFE_NO_PAD.encode(Sha256::digest(subject.as_bytes()));
        let key = format!("v1:throttle:{kind}:{digest}");
        let limited = |retry_after_secs| ThrottleError::Limited { retry_after_secs };
        if atomic.counts_attempts() {
            let at = now.timestamp();
            return match atomic
                .attempt(&key, limit.max, limit.window_secs, at)
                .await?
            {
                Attempt::Allowed => Ok(Self {
                    key,
                    limit,
                    counted: Counted::Atomically,
                }),
                Attempt::Limited { retry_after_secs } => Err(limited(retry_after_secs)),
            };
        }
        let current: Option<Counter> = records.get(&key).await?;
        let current = current.filter(|c| now.timestamp() < c.window_ends_at);
        if let Some(counter) = current.as_ref().filter(|c| c.count >= limit.max) {
            let retry_after = (counter.window_ends_at - now.timestamp()).max(1);
            return Err(limited(u64::try_from(retry_after).unwrap_or(1)));
        }
        Ok(Self {
            key,
            limit,
            counted: Counted::InStore(current),
        })
    }

    /// Counts the attempt as one that failed (the atomic port counted it already). Best
    /// effort: a counter that cannot be written must not turn the request into a server error.
    pub async fn hit<S: Store>(&self, records: &Records<'_, S>, now: DateTime<Utc>) {
        let Counted::InStore(current) = &self.counted else {
            return;
        };
        let counter = match current {
            Some(c) => Counter {
                count: c.count.saturating_add(1),
                window_ends_at: c.window_ends_at,
            },
            None => Counter {
                count: 1,
                window_ends_at: now.timestamp() + self.limit.window_secs,
            },
        };
        let _ = records
            .put(
                &self.key,
                &counter,
                Some(UnixTime::from_secs(counter.window_ends_at)),
                now,
            )
            .await;
    }

    /// Forgets every attempt (after a success). Best effort.
    pub async fn clear<S: Store, A: Atomic>(&self, records: &Records<'_, S>, atomic: &A) {
        match &self.counted {
            Counted::Atomically => {
                let _ = atomic.forgive(&self.key, true).await;
            }
            Counted::InStore(Some(_)) => {
                let _ = records.delete(&self.key).await;
            }
            Counted::InStore(None) => {}
        }
    }

    /// Takes back this attempt (it succeeded, or another limit stopped it). Best effort.
    pub async fn refund<A: Atomic>(&self, atomic: &A) {
        if let Counted::Atomically = self.counted {
            let _ = atomic.forgive(&self.key, false).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_or_name_the_setting() {
        let default = Limit {
            max: 10,
            window_secs: 900,
        };
        assert_eq!(Limit::from_setting("X", None, default), Ok(default));
        assert_eq!(
            Limit::from_setting("X", Some(" 3 / 120 ".into()), default),
            Ok(Limit {
                max: 3,
                window_secs: 120
            })
        );
        for bad in ["", "3", "0/900", "3/10", "a/b", "-1/900"] {
            let err = Limit::from_setting("LOGIN_LIMIT_PER_IP", Some(bad.into()), default);
            assert!(err.unwrap_err().0.contains("LOGIN_LIMIT_PER_IP"), "{bad}");
        }
    }

    #[test]
    fn client_ip_comes_from_cf_connecting_ip_only() {
        let req = Request::new("POST", "/").with_header("X-Forwarded-For", "1.2.3.4");
        assert_eq!(client_ip(&req), None);
        let req = req.with_header("CF-Connecting-IP", " 203.0.113.7 ");
        assert_eq!(client_ip(&req), Some("203.0.113.7"));
    }
}
