//! The store layout: every key and record in one place.
//!
//! Shaped for Workers KV (eventually consistent, ~1 write per second per key, 60 s minimum
//! TTL, no compare-and-swap): one record per key instead of read-modify-write lists, so
//! concurrent writers lose nothing; a user's API keys are found by listing a key prefix. Keys
//! carry a version (`v1:`), and every value is JSON with a `"v"` field.

pub mod cache;
mod ids;
pub mod throttle;

pub use ids::{ApiKeyId, SessionId, UnixTime, UserId};

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::AuthError;
use crate::ports::{PortError, Store, MIN_TTL_SECS};

const VERSION: u64 = 1;

/// `v1:user:{id}`: a user.
pub fn user_key(user_id: &UserId) -> String {
    format!("v1:user:{user_id}")
}
/// `v1:email:{email}`: the user id for a normalized email.
pub fn email_key(email: &str) -> String {
    format!("v1:email:{email}")
}
/// The key of an email's claim (its Durable Object's name): base64url of SHA-256 over the
/// normalized address, so no address appears in object names.
pub fn email_hash(email: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(email.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}
/// `v1:apikey:{id}`: an API key, read once per request that presents it.
pub fn api_key_key(key_id: &ApiKeyId) -> String {
    format!("v1:apikey:{key_id}")
}
/// `v1:apikey-use:{id}`: when an API key was last used, kept apart from the key itself.
pub fn api_key_use_key(key_id: &ApiKeyId) -> String {
    format!("v1:apikey-use:{key_id}")
}
/// `v1:user:{user_id}:apikey:`: the prefix listing a user's API keys.
pub fn user_api_keys_prefix(user_id: &UserId) -> String {
    format!("v1:user:{user_id}:apikey:")
}
/// `v1:session:{id}`: a session, i.e. a refresh-token family.
pub fn session_key(session_id: &SessionId) -> String {
    format!("v1:session:{session_id}")
}
/// `v1:refresh:{id}`: one refresh token of a family.
pub fn refresh_key(token_id: &str) -> String {
    format!("v1:refresh:{token_id}")
}
/// `v1:user:{user_id}:identity:{id}`: a provider identity linked to a user, listed by prefix.
pub fn user_identity_key(user_id: &UserId, identity_id: &str) -> String {
    format!("{}{identity_id}", user_identities_prefix(user_id))
}
/// `v1:user:{user_id}:identity:`: the prefix listing a user's provider identities.
pub fn user_identities_prefix(user_id: &UserId) -> String {
    format!("v1:user:{user_id}:identity:")
}
/// `v1:privkey:{user_id}`: a user's encrypted private key.
pub fn private_key_key(user_id: &UserId) -> String {
    format!("v1:privkey:{user_id}")
}

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// User id.
    pub id: UserId,
    /// Normalized email.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Unix seconds.
    pub created_at: UnixTime,
}

/// The owner of an email address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailRecord {
    /// User id.
    pub user_id: UserId,
}

/// An API key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Key id.
    pub id: ApiKeyId,
    /// Owner.
    pub user_id: UserId,
    /// Name given by its owner.
    pub name: String,
    /// Peppered HMAC of the whole key.
    pub hash: String,
    /// Last four characters of the key.
    pub last4: String,
    /// Scopes granted to it.
    pub scopes: Vec<String>,
    /// Unix seconds.
    pub created_at: UnixTime,
    /// Unix seconds, if it expires.
    pub expires_at: Option<UnixTime>,
    /// Unix seconds. Written only by records made before use was kept in
    /// [`ApiKeyUseRecord`]; read for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<UnixTime>,
}

/// When an API key was last used (to the minute). Written by each request that uses the key,
/// at most once a minute per isolate, and never by rewriting the key's own record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyUseRecord {
    /// Unix seconds.
    pub at: UnixTime,
}

/// The entry listing an API key under its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyIndexRecord {
    /// Key id.
    pub key_id: ApiKeyId,
}

/// A session: the family of refresh tokens that descend from one login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Owner.
    pub user_id: UserId,
    /// Set by logout or by reuse of a spent refresh token.
    pub revoked: bool,
    /// Unix seconds.
    pub created_at: UnixTime,
    /// Unix seconds: no refresh token of the family outlives it.
    pub expires_at: UnixTime,
}

/// One refresh token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRecord {
    /// Its session.
    pub session_id: SessionId,
    /// Owner.
    pub user_id: UserId,
    /// Peppered HMAC of the whole token.
    pub hash: String,
    /// Unix seconds.
    pub expires_at: UnixTime,
    /// When it was exchanged, if it was.
    pub spent_at: Option<UnixTime>,
}

/// `v1:identity:{id}`: the user a provider identity (`iss`, `sub`) signs in as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRecord {
    /// User id.
    pub user_id: UserId,
}

/// A provider identity in its user's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityLinkRecord {
    /// `iss`.
    pub issuer: String,
    /// `sub`.
    pub subject: String,
    /// The provider's verified email when linked.
    pub email: Option<String>,
    /// Unix seconds.
    pub linked_at: UnixTime,
}

/// An encrypted private key as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// The 96-bit nonce, base64.
    pub nonce: String,
    /// Ciphertext and tag, base64.
    pub ciphertext: String,
}

/// A user's encrypted private key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateKeyRecord {
    /// The key, encrypted.
    pub sealed: Sealed,
    /// Unix seconds.
    pub created_at: UnixTime,
    /// Unix seconds.
    pub updated_at: UnixTime,
}

/// Why a record could not be read or written. Never the client's doing: each is a 500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The store itself failed.
    Port(PortError),
    /// The value under `key` is not a record of this version.
    Corrupt {
        /// The record's key.
        key: String,
        /// What is wrong with it.
        why: String,
    },
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Port(err) => write!(f, "store: {err}"),
            Self::Corrupt { key, why } => write!(f, "corrupt record {key}: {why}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<PortError> for StoreError {
    fn from(err: PortError) -> Self {
        Self::Port(err)
    }
}

/// A record that cannot be read or written is the server's fault: a 500.
impl From<StoreError> for AuthError {
    fn from(err: StoreError) -> Self {
        Self::Internal(err.to_string())
    }
}

/// Typed, versioned access to a [`Store`].
#[derive(Debug)]
pub struct Records<'a, S> {
    store: &'a S,
}

impl<'a, S: Store> Records<'a, S> {
    /// Wraps a store.
    pub fn new(store: &'a S) -> Self {
        Self { store }
    }

    /// Reads a record; a value that is not a record of this version is an internal error.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let Some(text) = self.store.get(key).await? else {
            return Ok(None);
        };
        let corrupt = |why: &str| StoreError::Corrupt {
            key: key.to_owned(),
            why: why.to_owned(),
        };
        let mut value: Value = serde_json::from_str(&text).map_err(|e| corrupt(&e.to_string()))?;
        let object = value
            .as_object_mut()
            .ok_or_else(|| corrupt("not an object"))?;
        if object.remove("v").and_then(|v| v.as_u64()) != Some(VERSION) {
            return Err(corrupt("unknown version"));
        }
        serde_json::from_value(value)
            .map(Some)
            .map_err(|e| corrupt(&e.to_string()))
    }

    /// Writes a record. With `expires_at`, it is dropped by the store after that instant
    /// (or after KV's 60 s minimum, whichever is later).
    pub async fn put<T: Serialize>(
        &self,
        key: &str,
        record: &T,
        expires_at: Option<UnixTime>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut value = serde_json::to_value(record).map_err(|e| StoreError::Corrupt {
            key: key.to_owned(),
            why: format!("does not serialize: {e}"),
        })?;
        if let Some(object) = value.as_object_mut() {
            object.insert("v".into(), VERSION.into());
        }
        let ttl = expires_at.map(|at| {
            let secs = u64::try_from(at.since(now.into())).unwrap_or(0);
            secs.max(MIN_TTL_SECS)
        });
        Ok(self.store.put(key, &value.to_string(), ttl).await?)
    }

    /// Deletes a record.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        Ok(self.store.delete(key).await?)
    }

    /// The keys under a prefix.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        Ok(self.store.list(prefix).await?)
    }
}
