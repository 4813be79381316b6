//! What the client's methods take: `AuthClientOptions` and the inputs of `register`, `login`
//! and `createApiKey` (their TS types are generated from these), read from JS values.

use serde::{Deserialize, Serialize};
use tsify_next::Tsify;
use wasm_bindgen::prelude::*;

use super::session::Failure;
use crate::adapters::wasm::from_js;

/// How an `AuthClient` is set up.
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub(super) struct AuthClientOptions {
    /// The API's origin, e.g. "https://auth.example.com". Default: the page's origin.
    #[tsify(optional)]
    pub(super) base_url: Option<String>,
    /// Where tokens live: only in this object (default), or sessionStorage / localStorage.
    #[tsify(optional, type = "\"memory\" | \"session\" | \"local\"")]
    pub(super) storage: Option<String>,
    /// Refresh the access token this many seconds before it expires (default 30).
    #[tsify(optional)]
    pub(super) refresh_leeway_secs: Option<i64>,
}

// The inputs are read as far as their types go and sent as they are: a required field that is
// missing (only untyped JS can do that) is left out, so the API's 422 calls it `missing`, as it
// reports every other mistake. (`absent`, not `Option::is_none`: tsify would mark it optional.)

fn absent(value: &Option<String>) -> bool {
    value.is_none()
}

/// What `register` takes.
#[derive(Debug, Default, Serialize, Deserialize, Tsify)]
pub(super) struct RegisterInput {
    /// The account's email address.
    #[tsify(type = "string")]
    #[serde(skip_serializing_if = "absent")]
    pub(super) email: Option<String>,
    /// The password (the API says how long it must be).
    #[tsify(type = "string")]
    #[serde(skip_serializing_if = "absent")]
    pub(super) password: Option<String>,
    /// A display name.
    #[tsify(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<String>,
}

/// What `login` takes.
#[derive(Debug, Default, Serialize, Deserialize, Tsify)]
pub(super) struct LoginInput {
    /// The account's email address.
    #[tsify(type = "string")]
    #[serde(skip_serializing_if = "absent")]
    pub(super) email: Option<String>,
    /// Its password.
    #[tsify(type = "string")]
    #[serde(skip_serializing_if = "absent")]
    pub(super) password: Option<String>,
}

/// What `createApiKey` takes.
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateApiKeyInput {
    /// 1 to 100 characters.
    #[tsify(type = "string")]
    pub(super) name: Option<String>,
    /// The key's scopes; none means the key may do nothing that needs a scope.
    #[tsify(optional)]
    pub(super) scopes: Option<Vec<String>>,
    /// Lifetime in days (1 to 3650); default: no expiry.
    #[tsify(optional)]
    pub(super) expires_in_days: Option<i64>,
}

/// A method's input object, read before the call is made; its failure rejects the call the
/// same way every method does (status 0, `shape` saying what was expected).
pub(super) fn read_input<T: serde::de::DeserializeOwned + Default>(
    input: JsValue,
    shape: &'static str,
) -> Result<T, Failure> {
    from_js(input, "input").map_err(|_| Failure::new(0, shape))
}
