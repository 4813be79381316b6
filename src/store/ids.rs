//! The identifiers of the records, each its own type so that one is never passed where another
//! belongs (a session id as a user id, a key id as a session id). Stored and sent as plain
//! strings: `serde(transparent)`.

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
