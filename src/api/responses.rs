//! The API's response bodies: plain serde types shared by the server and its clients.
//! Field names are the contract (see DESIGN.md); timestamps are RFC 3339 UTC strings or null.

use chrono::{DateTime, SecondsFormat};
use serde::{Deserialize, Serialize};

use crate::credentials::Scheme;
use crate::store::{ApiKeyRecord, IdentityLinkRecord, PrivateKeyRecord, UnixTime, UserRecord};

/// Formats Unix seconds as `2019-08-24T14:15:22Z`.
pub fn timestamp(unix: UnixTime) -> String {
    DateTime::from_timestamp(unix.secs(), 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn timestamp_opt(unix: Option<UnixTime>) -> Option<String> {
    unix.map(timestamp)
}

/// `POST /login` and `POST /refresh`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify_next::Tsify))]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer {access_token}`.
    pub access_token: String,
    /// Exchange at `POST /refresh` for a new pair; single use.
    pub refresh_token: String,
    /// Always `bearer`.
    #[cfg_attr(feature = "wasm", tsify(type = "\"bearer\""))]
    #[cfg_attr(test, schemars(extend("const" = "bearer")))]
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// `POST /register`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify_next::Tsify))]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct User {
    /// User id.
    pub id: String,
    /// Normalized email.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// RFC 3339.
    #[cfg_attr(test, schemars(extend("format" = "date-time")))]
    pub created_at: String,
}

impl From<&UserRecord> for User {
    fn from(user: &UserRecord) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.clone(),
            name: user.name.clone(),
            created_at: timestamp(user.created_at),
        }
    }
}

/// `GET /me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify_next::Tsify))]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Me {
    /// The user.
    #[serde(flatten)]
    pub user: User,
    /// How the caller authenticated.
    pub auth_scheme: Scheme,
    /// The provider identities linked to the account.
    pub identities: Vec<Identity>,
}

/// A provider identity linked to an account, as `/me` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify_next::Tsify))]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Identity {
    /// Names it in `DELETE /identities/{id}`.
    pub id: String,
    /// The provider (`iss`).
    pub issuer: String,
    /// The account at the provider (`sub`).
    pub subject: String,
    /// The provider's verified email at linking time, if it shared one.
    pub email: Option<String>,
    /// RFC 3339.
    #[cfg_attr(test, schemars(extend("format" = "date-time")))]
    pub linked_at: String,
}

impl Identity {
    /// The entry `id` of a user's identity list.
    pub fn new(id: &str, entry: &IdentityLinkRecord) -> Self {
        Self {
            id: id.to_owned(),
            issuer: entry.issuer.clone(),
            subject: entry.subject.clone(),
            email: entry.email.clone(),
            linked_at: timestamp(entry.linked_at),
        }
    }
}

/// `POST /oauth/link`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify_next::Tsify))]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct LinkStarted {
    /// Send the browser here (adding `redirect_uri`, and the same `code_challenge`).
    pub authorization_url: String,
    /// Seconds the link ticket in it stays valid.
    pub expires_in: i64,
}

/// One entry of `GET /api-keys`: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify_next::Tsify))]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ApiKeySummary {
    /// Key id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `sk-` and the key id.
    pub prefix: String,
    /// The key's last four characters.
    pub last4: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// RFC 3339.
    #[cfg_attr(test, schemars(extend("format" = "date-time")))]
    pub created_at: String,
    /// RFC 3339 or null.
    #[cfg_attr(test, schemars(extend("format" = "date-time")))]
    pub last_used_at: Option<String>,
    /// RFC 3339 or null.
    #[cfg_attr(test, schemars(extend("format" = "date-time")))]
    pub expires_at: Option<String>,
}

impl From<&ApiKeyRecord> for ApiKeySummary {
    fn from(key: &ApiKeyRecord) -> Self {
        Self {
            id: key.id.to_string(),
            name: key.name.clone(),
            prefix: crate::credentials::api_key::display_prefix(key.id.as_str()),
            last4: key.last4.clone(),
            scopes: key.scopes.clone(),
            created_at: timestamp(key.created_at),
            last_used_at: timestamp_opt(key.last_used_at),
            expires_at: timestamp_opt(key.expires_at),
        }
    }
}

/// `GET /api-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify_next::Tsify))]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ApiKeyList {
    /// The caller's keys, oldest first.
    pub keys: Vec<ApiKeySummary>,
}

/// `POST /api-keys`: the only response that ever contains the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify_next::Tsify))]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ApiKeyCreated {
    /// Key id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The whole key. Shown once: store it now.
    pub key: String,
    /// `sk-` and the key id.
    pub prefix: String,
    /// The key's last four characters.
    pub last4: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// RFC 3339.
    #[cfg_attr(test, schemars(extend("format" = "date-time")))]
    pub created_at: String,
    /// RFC 3339 or null.
    #[cfg_attr(test, schemars(extend("format" = "date-time")))]
    pub expires_at: Option<String>,
}

/// `GET`/`PUT /private-key`: whether a key is stored, never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify_next::Tsify))]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PrivateKeyStatus {
    /// Whether the user has a private key.
    pub has_key: bool,
    /// RFC 3339 or null.
    #[cfg_attr(test, schemars(extend("format" = "date-time")))]
    pub created_at: Option<String>,
    /// RFC 3339 or null.
    #[cfg_attr(test, schemars(extend("format" = "date-time")))]
    pub updated_at: Option<String>,
}

impl From<Option<&PrivateKeyRecord>> for PrivateKeyStatus {
    fn from(record: Option<&PrivateKeyRecord>) -> Self {
        Self {
            has_key: record.is_some(),
            created_at: record.map(|r| timestamp(r.created_at)),
            updated_at: record.map(|r| timestamp(r.updated_at)),
        }
    }
}
