//! The table of the API's operations: one per route and method, each with what it takes and
//! every answer it may give.

use serde_json::json;

use crate::api::requests::{
    CreateApiKeyRequest, LinkRequest, LoginRequest, PutPrivateKeyRequest, RefreshRequest,
    RegisterRequest, TokenExchangeRequest,
};
use crate::api::responses::{
    ApiKeyCreated, ApiKeyList, LinkStarted, Me, PrivateKeyStatus, TokenResponse, User,
};

use super::{Operation, UPSTREAM};

/// The schemes a credential may use: any, or an interactive sign-in (no API key).
const ANY: &[&str] = &["jwt", "apiKey", "oauth2"];
const INTERACTIVE: &[&str] = &["jwt", "oauth2"];

const BUSY: &str = "Too many password hashes in progress here: retry after Retry-After seconds";
const FORBIDDEN: &str = "An API key may not do this";
const NO_PROVIDER: &str = "Sign-in with an identity provider is not configured";

/// Every operation of the API.
pub(super) fn operations() -> Vec<Operation> {
    [
        accounts(),
        api_keys(),
        private_key(),
        provider_sign_in(),
        published(),
    ]
    .into_iter()
    .flatten()
    .map(Operation::with_common_replies)
    .collect()
}

/// Registration, login and sessions.
fn accounts() -> Vec<Operation> {
    vec![
        Operation::new("register", "POST", "/register", "Create a user")
            .body::<RegisterRequest>()
            .json::<User>(201, "The new user")
            .error(409, "The email is taken")
            .error(429, "Too many registrations from this address (Retry-After)")
            .error(503, BUSY),
        Operation::new("login", "POST", "/login", "Log in with email and password")
            .body::<LoginRequest>()
            .json::<TokenResponse>(200, "Tokens")
            .error(401, "Incorrect email or password")
            .error(429, "Too many failed logins for this email from this address, or from this address (Retry-After)")
            .error(503, BUSY),
        Operation::new("refresh", "POST", "/refresh", "Exchange a refresh token for a new pair")
            .body::<RefreshRequest>()
            .json::<TokenResponse>(200, "Tokens")
            .error(401, "Invalid, expired or reused refresh token"),
        Operation::new("logout", "POST", "/logout", "Revoke the session")
            .security(ANY)
            .other(204, "Logged out"),
        Operation::new("getMe", "GET", "/me", "The caller")
            .security(ANY)
            .json::<Me>(200, "The caller"),
    ]
}

/// The caller's API keys.
fn api_keys() -> Vec<Operation> {
    vec![
        Operation::new(
            "listApiKeys",
            "GET",
            "/api-keys",
            "List the caller's API keys (never their secrets)",
        )
        .security(INTERACTIVE)
        .json::<ApiKeyList>(200, "Keys")
        .error(403, FORBIDDEN),
        Operation::new(
            "createApiKey",
            "POST",
            "/api-keys",
            "Create an API key, shown once",
        )
        .security(INTERACTIVE)
        .body::<CreateApiKeyRequest>()
        .json::<ApiKeyCreated>(201, "The key")
        .error(403, FORBIDDEN),
        Operation::new(
            "revokeApiKey",
            "DELETE",
            "/api-keys/{key_id}",
            "Revoke an API key",
        )
        .security(INTERACTIVE)
        .other(204, "Revoked")
        .error(403, FORBIDDEN)
        .error(404, "Not one of the caller's keys"),
    ]
}

/// The caller's stored private key.
fn private_key() -> Vec<Operation> {
    vec![
        Operation::new(
            "getPrivateKeyStatus",
            "GET",
            "/private-key",
            "Whether the caller has a private key (never the key)",
        )
        .security(ANY)
        .json::<PrivateKeyStatus>(200, "Status"),
        Operation::new(
            "putPrivateKey",
            "PUT",
            "/private-key",
            "Store the caller's private key, encrypted at rest",
        )
        .security(INTERACTIVE)
        .body::<PutPrivateKeyRequest>()
        .json::<PrivateKeyStatus>(200, "Status")
        .error(403, FORBIDDEN),
        Operation::new(
            "deletePrivateKey",
            "DELETE",
            "/private-key",
            "Remove the caller's private key",
        )
        .security(INTERACTIVE)
        .other(204, "Removed")
        .error(403, FORBIDDEN),
    ]
}

/// Sign-in with the identity provider, and the identities linked to an account.
fn provider_sign_in() -> Vec<Operation> {
    let string = || json!({ "type": "string" });
    vec![
        Operation::new("startProviderSignIn", "GET", "/oauth/authorize", "Start sign-in with the identity provider (redirect)")
            .query("redirect_uri", false, string(), "One of OIDC_REDIRECT_URIS (no fragment); default the first")
            .query("code_challenge", true, string(), "S256 of a verifier the app keeps, for POST /oauth/token")
            .query("code_challenge_method", false, json!({ "const": "S256" }), "")
            .query("link", false, string(), "A ticket from POST /oauth/link: attach the identity to that account")
            .other(302, "To the provider")
            .error(400, "redirect_uri not allowed, code_challenge missing, or link ticket unknown")
            .error(404, NO_PROVIDER)
            .error(429, "Too many sign-ins started from this address (Retry-After)")
            .error(502, UPSTREAM),
        Operation::new("finishProviderSignIn", "GET", "/oauth/callback", "Finish sign-in: redirect to the app with a one-time code in the fragment (#code=...), never tokens")
            .other(302, "To the app")
            .error(400, "Bad state, refused or invalid sign-in")
            .error(403, "The provider has not verified the email")
            .error(404, NO_PROVIDER)
            .error(409, "An account with this email exists (link instead), or the identity is linked to another account")
            .error(502, UPSTREAM),
        Operation::new("exchangeSignInCode", "POST", "/oauth/token", "Trade the one-time code and the app's verifier for tokens")
            .body::<TokenExchangeRequest>()
            .json::<TokenResponse>(200, "Tokens")
            .error(400, "Invalid, used or expired code, or wrong verifier")
            .error(409, "The identity was linked to another account meanwhile"),
        Operation::new("startProviderLink", "POST", "/oauth/link", "Start linking a provider identity to the caller's account")
            .security(INTERACTIVE)
            .body::<LinkRequest>()
            .json::<LinkStarted>(200, "Where to send the browser")
            .error(403, FORBIDDEN)
            .error(404, NO_PROVIDER),
        Operation::new("unlinkIdentity", "DELETE", "/identities/{identity_id}", "Unlink a provider identity from the caller's account")
            .security(INTERACTIVE)
            .other(204, "Unlinked")
            .error(403, FORBIDDEN)
            .error(404, "Not one of the caller's identities")
            .error(409, "The account's only way to sign in"),
    ]
}

/// What the API publishes about itself.
fn published() -> Vec<Operation> {
    vec![
        Operation::new(
            "getJwks",
            "GET",
            "/.well-known/jwks.json",
            "Our public signing keys",
        )
        .other(200, "JWK Set"),
        Operation::new("getOpenApi", "GET", "/openapi.json", "This document")
            .other(200, "OpenAPI 3.1"),
    ]
}
