//! Sign-in with the identity provider, and linking provider identities to accounts.
//!
//! The flow, and what each step defends against:
//!
//! 1. `GET /oauth/authorize?redirect_uri=..&code_challenge=..` (from the app, which keeps the
//!    challenge's verifier): a state record (PKCE verifier and nonce for the provider, the
//!    app's challenge) and an HttpOnly cookie naming it, so the callback is accepted only in
//!    the browser that started the flow (login CSRF).
//! 2. `GET /oauth/callback`: the provider's code is exchanged, the ID token verified (our
//!    nonce; `azp` when it has several audiences), and the identity resolved. The browser
//!    returns to the app with a **one-time code** in the fragment, never our tokens: tokens in
//!    a URL end up in history, logs and referrers, and a forged fragment would sign the
//!    victim into the attacker's account.
//! 3. `POST /oauth/token {code, code_verifier}`: the app trades the code, once, within 60 s,
//!    with the verifier only it holds, for the same token pair `/login` returns.
//!
//! Accounts are never joined by email: a password account's email was never proven, so a
//! provider sign-in whose email belongs to one is refused (409) with a way to link instead.
//! Linking is explicit: a signed-in user asks `POST /oauth/link` for a one-time link ticket
//! bound to their app's challenge, and the provider identity is attached when that app trades
//! the code. Provider emails that are not `email_verified` never create an account.
//!
//! Here: the records and keys both steps share; [`authorize`] starts, [`callback`] finishes.

use serde::{Deserialize, Serialize};

use crate::api::App;
use crate::credentials::oidc::{OidcConfig, Provider};
use crate::error::AuthError;
use crate::http::Request;
use crate::http::BASE_PATH;
use crate::ports::{Atomic, Clock, Random, Store};
use crate::store::{UnixTime, UserId};

mod authorize;
mod callback;

const STATE_LEN: usize = 32;
pub(super) const CODE_LEN: usize = 32;
/// How long the one-time code and the link ticket live (KV's shortest TTL).
pub(super) const CODE_TTL_SECS: i64 = 60;

/// The cookie that binds a sign-in's state to the browser that started it: a callback whose
/// state the browser does not hold is refused (login CSRF: an attacker's callback URL opened
/// in the victim's browser).
const STATE_COOKIE: &str = "edge_auth_oauth_state";

fn state_cookie(req: &Request, value: &str, max_age: i64) -> String {
    let secure = if req.origin.starts_with("https:") {
        "; Secure"
    } else {
        ""
    };
    format!("{STATE_COOKIE}={value}; Path={BASE_PATH}/oauth; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// A sign-in in progress, between `/oauth/authorize` and `/oauth/callback`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct OauthState {
    nonce: String,
    verifier: String,
    redirect_uri: String,
    callback_url: String,
    /// The app's S256 challenge: the code goes only to whoever holds its verifier.
    client_challenge: String,
    /// Set when a signed-in user links a provider identity to their account.
    link_user_id: Option<UserId>,
}

/// What a one-time code is worth.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum Grant {
    /// Sign in as this user.
    SignIn { user_id: UserId },
    /// Attach this identity to this user, then sign in as them.
    Link {
        user_id: UserId,
        issuer: String,
        subject: String,
        email: Option<String>,
    },
}

/// A one-time code from `/oauth/callback`, traded at `/oauth/token`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct CodeRecord {
    pub(super) challenge: String,
    pub(super) expires_at: UnixTime,
    pub(super) grant: Grant,
}

/// A one-time link ticket from `POST /oauth/link`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct LinkTicket {
    pub(super) user_id: UserId,
    pub(super) challenge: String,
}

fn state_key(state: &str) -> String {
    format!("v1:oauth:state:{state}")
}
pub(super) fn code_key(code: &str) -> String {
    format!("v1:oauth:code:{code}")
}
pub(super) fn link_key(ticket: &str) -> String {
    format!("v1:oauth:link:{ticket}")
}

pub(super) fn bad(msg: &str) -> AuthError {
    AuthError::BadRequest(msg.to_owned())
}

/// A PKCE S256 challenge: 43 base64url characters.
pub(super) fn is_challenge(text: &str) -> bool {
    text.len() == 43
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub(super) fn is_token(text: &str, len: usize) -> bool {
    text.len() == len && crate::util::base62::is_base62(text)
}

impl<S: Store, C: Clock, R: Random, P: Provider, A: Atomic> App<S, C, R, P, A> {
    pub(crate) fn oidc_config(&self) -> Result<&OidcConfig, AuthError> {
        self.config.oidc.as_ref().ok_or(AuthError::NotFound(
            "Sign-in with an identity provider is not configured",
        ))
    }
}
