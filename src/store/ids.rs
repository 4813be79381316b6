//! The identifiers and times of the records, each its own type so that one is never passed
//! where another belongs (a session id as a user id, a lifetime in seconds as an instant).
//! Stored as plain strings and numbers: `serde(transparent)`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an identifier made or checked elsewhere (generated, parsed, or read from
            /// a verified token or a record).
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id!(
    /// A user (`UserRecord::id`, our tokens' `sub`).
    UserId
);
id!(
    /// A session: one login's family of refresh tokens (our access tokens' `sid`).
    SessionId
);
id!(
    /// An API key's public id (its 16 characters after `sk-`).
    ApiKeyId
);

/// An instant, in whole seconds since the Unix epoch (UTC): what records store. Lifetimes and
/// windows stay plain seconds (`i64`); only [`UnixTime::plus`] turns one into an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixTime(i64);

impl UnixTime {
    /// The instant `secs` seconds after the epoch.
    pub fn from_secs(secs: i64) -> Self {
        Self(secs)
    }

    /// Seconds since the epoch.
    pub fn secs(self) -> i64 {
        self.0
    }

    /// The instant `secs` seconds later (earlier if negative).
    pub fn plus(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// Seconds from `earlier` to this instant (negative if `earlier` is later).
    pub fn since(self, earlier: Self) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl From<DateTime<Utc>> for UnixTime {
    fn from(at: DateTime<Utc>) -> Self {
        Self(at.timestamp())
    }
}
