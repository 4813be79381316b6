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

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq as _;

use crate::api::App;
use crate::credentials::oidc::{self, Expect, OidcConfig, Outbound, Provider};
use crate::error::AuthError;
use crate::http::BASE_PATH;
use crate::http::{Request, Response};
use crate::ports::{Atomic, Clock, Random, Store};
use crate::store::throttle::{self, Throttle};
use crate::store::{self, EmailRecord, IdentityRecord, UserId};

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
    pub(super) expires_at: i64,
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

/// The `redirect_uri` asked for, if it is one of `OIDC_REDIRECT_URIS` (the first when none is
/// asked for); never one with a fragment.
fn allowed_redirect_uri(config: &OidcConfig, req: &Request) -> Result<String, AuthError> {
    match req.query_param("redirect_uri") {
        Some(uri) if uri.contains('#') => Err(bad("redirect_uri must not contain a fragment")),
        Some(uri) if config.redirect_uris.contains(&uri) => Ok(uri),
        Some(_) => Err(bad("redirect_uri is not allowed")),
        None => config
            .redirect_uris
            .first()
            .cloned()
            .ok_or_else(|| bad("redirect_uri is required")),
    }
}

/// The app's S256 `code_challenge`: the one-time code goes only to whoever holds its verifier.
fn client_challenge(req: &Request) -> Result<String, AuthError> {
    let challenge = req.query_param("code_challenge").unwrap_or_default();
    let method_ok = req
        .query_param("code_challenge_method")
        .is_none_or(|m| m == "S256");
    if is_challenge(&challenge) && method_ok {
        Ok(challenge)
    } else {
        Err(bad(
            "code_challenge is required: the S256 challenge of a verifier the app keeps \
             (AuthClient.providerSignInUrl makes one)",
        ))
    }
}

/// Our callback as registered at the provider: `OIDC_CALLBACK_URL`, or this origin's.
fn callback_url(config: &OidcConfig, req: &Request) -> Result<String, AuthError> {
    match &config.callback_url {
        Some(url) => Ok(url.clone()),
        None if !req.origin.is_empty() => Ok(format!("{}{BASE_PATH}/oauth/callback", req.origin)),
        None => Err(AuthError::Internal(
            "OIDC_CALLBACK_URL is needed: request origin unknown".into(),
        )),
    }
}

impl<S: Store, C: Clock, R: Random, P: Provider, A: Atomic> App<S, C, R, P, A> {
    pub(crate) fn oidc_config(&self) -> Result<&OidcConfig, AuthError> {
        self.config.oidc.as_ref().ok_or(AuthError::NotFound(
            "Sign-in with an identity provider is not configured",
        ))
    }

    /// `GET /oauth/authorize`: to the provider, with a fresh state bound to this browser.
    pub(crate) async fn oauth_authorize(&self, req: &Request) -> Result<Response, AuthError> {
        let config = self.oidc_config()?;
        let redirect_uri = allowed_redirect_uri(config, req)?;
        let client_challenge = client_challenge(req)?;
        let callback_url = callback_url(config, req)?;
        let records = self.records();
        let now = self.clock.now();
        if let Some(ip) = throttle::client_ip(req) {
            // Each start writes a state record without any credential: limit it per address.
            let limit = self.config.limits.authorize_per_ip;
            let per_ip =
                Throttle::check(&records, &self.atomic, "authorize-ip", ip, limit, now).await?;
            per_ip.hit(&records, now).await;
        }
        let link_user_id = match req.query_param("link") {
            None => None,
            Some(ticket) => Some(self.redeem_link_ticket(&ticket, &client_challenge).await?),
        };
        let metadata = self.oidc()?.metadata().await?;
        let state = crate::util::base62::random(&self.rng, STATE_LEN)?;
        let pending = OauthState {
            nonce: crate::util::base62::random(&self.rng, 32)?,
            verifier: crate::util::base62::random(&self.rng, 64)?,
            redirect_uri,
            callback_url,
            client_challenge,
            link_user_id,
        };
        let expires = now.timestamp() + oidc::STATE_TTL_SECS;
        records
            .put(&state_key(&state), &pending, Some(expires), now)
            .await?;
        let query = oidc::encode_pairs(&[
            ("response_type", "code"),
            ("client_id", &config.client_id),
            ("redirect_uri", &pending.callback_url),
            ("scope", &config.scopes),
            ("state", &state),
            ("nonce", &pending.nonce),
            ("code_challenge", &oidc::pkce_challenge(&pending.verifier)),
            ("code_challenge_method", "S256"),
        ]);
        let endpoint = &metadata.authorization_endpoint;
        let separator = if endpoint.contains('?') { '&' } else { '?' };
        Ok(Response::empty(302)
            .with_header("location", format!("{endpoint}{separator}{query}"))
            .with_header(
                "set-cookie",
                state_cookie(req, &state, oidc::STATE_TTL_SECS),
            )
            .with_header("cache-control", "no-store"))
    }

    /// The user a link ticket stands for, once, and only for the app that asked for it.
    async fn redeem_link_ticket(
        &self,
        ticket: &str,
        client_challenge: &str,
    ) -> Result<UserId, AuthError> {
        let expired = || bad("Unknown or expired link ticket: start linking again");
        if !is_token(ticket, CODE_LEN) {
            return Err(expired());
        }
        let records = self.records();
        let found: LinkTicket = records.get(&link_key(ticket)).await?.ok_or_else(expired)?;
        records.delete(&link_key(ticket)).await?;
        if !self
            .atomic
            .consume_once(&link_key(ticket), CODE_TTL_SECS)
            .await?
        {
            return Err(expired());
        }
        let same_app = found
            .challenge
            .as_bytes()
            .ct_eq(client_challenge.as_bytes());
        if !bool::from(same_app) {
            return Err(expired());
        }
        Ok(found.user_id)
    }

    /// `GET /oauth/callback`. A browser that lands on an error gets a small page with a way
    /// back to the app (same status; the link carries the error for the app), anything else
    /// the API's JSON error.
    pub(crate) async fn oauth_callback(&self, req: &Request) -> Result<Response, AuthError> {
        let mut back_to = None;
        let result = self.finish_sign_in(req, &mut back_to).await;
        let wants_html = req
            .header("accept")
            .is_some_and(|a| a.contains("text/html"));
        let result = match result {
            Err(err) if wants_html && err.status() < 500 => {
                Ok(sign_in_failed_page(err, back_to.as_deref()))
            }
            other => other,
        };
        // The state is spent either way: drop its cookie.
        result.map(|response| response.with_header("set-cookie", state_cookie(req, "", 0)))
    }

    async fn finish_sign_in(
        &self,
        req: &Request,
        back_to: &mut Option<String>,
    ) -> Result<Response, AuthError> {
        let config = self.oidc_config()?;
        let state = req.query_param("state").unwrap_or_default();
        if !is_token(&state, STATE_LEN) {
            return Err(bad("Unknown or expired sign-in state"));
        }
        let records = self.records();
        let key = state_key(&state);
        let pending: OauthState = records
            .get(&key)
            .await?
            .ok_or_else(|| bad("Unknown or expired sign-in state"))?;
        // Single use: a replayed callback finds nothing here, and of simultaneous ones (KV
        // cannot tell them apart) exactly one goes on.
        records.delete(&key).await?;
        if !self.atomic.consume_once(&key, oidc::STATE_TTL_SECS).await? {
            return Err(bad("Unknown or expired sign-in state"));
        }
        *back_to = Some(pending.redirect_uri.clone());
        if req.cookie(STATE_COOKIE) != Some(state.as_str()) {
            return Err(bad("This sign-in was not started in this browser"));
        }
        // RFC 9207: a response from another issuer is a mix-up attack.
        if req
            .query_param("iss")
            .is_some_and(|iss| iss != config.issuer)
        {
            return Err(bad("The sign-in response came from another issuer"));
        }
        if let Some(error) = req.query_param("error") {
            let code: String = error
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(64)
                .collect();
            return Err(AuthError::BadRequest(format!(
                "The identity provider refused the sign-in: {code}"
            )));
        }
        let code = req
            .query_param("code")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| bad("Missing code"))?;
        let claims = self.exchange_provider_code(config, &pending, &code).await?;
        let grant = self.resolve_identity(config, &claims, &pending).await?;
        let now = self.clock.now();
        let one_time = crate::util::base62::random(&self.rng, CODE_LEN)?;
        let record = CodeRecord {
            challenge: pending.client_challenge,
            expires_at: now.timestamp() + CODE_TTL_SECS,
            grant,
        };
        records
            .put(&code_key(&one_time), &record, Some(record.expires_at), now)
            .await?;
        let fragment = oidc::encode_pairs(&[("code", &one_time)]);
        Ok(Response::empty(302)
            .with_header("location", format!("{}#{fragment}", pending.redirect_uri))
            .with_header("cache-control", "no-store")
            .with_header("referrer-policy", "no-referrer"))
    }

    /// The provider's code for its verified ID token claims.
    async fn exchange_provider_code(
        &self,
        config: &OidcConfig,
        pending: &OauthState,
        code: &str,
    ) -> Result<Map<String, Value>, AuthError> {
        let oidc = self.oidc()?;
        let metadata = oidc.metadata().await?;
        let body = oidc::encode_pairs(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &pending.callback_url),
            ("code_verifier", &pending.verifier),
        ]);
        let exchange = Outbound {
            method: "POST",
            url: metadata.token_endpoint.clone(),
            headers: vec![
                (
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                ("accept".into(), "application/json".into()),
                ("authorization".into(), oidc::client_basic_auth(config)),
            ],
            body: body.into_bytes(),
        };
        let response = self.provider.fetch(exchange).await.map_err(|err| {
            AuthError::Upstream(format!("identity provider token endpoint: {}", err.0))
        })?;
        match response.status {
            200 => {}
            400 | 401 => return Err(bad("The identity provider refused the code")),
            status => {
                return Err(AuthError::Upstream(format!(
                    "identity provider token endpoint: HTTP {status}"
                )))
            }
        }
        let id_token = response.json_body()["id_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                AuthError::Upstream("identity provider token endpoint: no id_token".into())
            })?;
        oidc.verify(
            &id_token,
            Expect::IdToken {
                nonce: &pending.nonce,
            },
        )
        .await?
        .map_err(|err| AuthError::BadRequest(format!("Invalid ID token: {}", err.message())))
    }

    /// What the verified identity may do: sign in as its linked user, be linked to the user
    /// who asked, or create a new user (verified email only, never an existing one's).
    async fn resolve_identity(
        &self,
        config: &OidcConfig,
        claims: &Map<String, Value>,
        pending: &OauthState,
    ) -> Result<Grant, AuthError> {
        let records = self.records();
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= 255)
            .ok_or_else(|| bad("ID token has no subject"))?;
        let email = claims
            .get("email")
            .and_then(Value::as_str)
            .and_then(crate::api::validate::normalize_email);
        let verified = claims.get("email_verified") == Some(&Value::Bool(true));
        let link = oidc::identity_key(&config.issuer, subject);
        let linked = records.get::<IdentityRecord>(&link).await?;
        match (linked, &pending.link_user_id) {
            (Some(identity), Some(user_id)) if identity.user_id != *user_id => Err(
                AuthError::Conflict("This provider account is linked to another account"),
            ),
            (Some(identity), _) => Ok(Grant::SignIn {
                user_id: identity.user_id,
            }),
            (None, Some(user_id)) => Ok(Grant::Link {
                user_id: user_id.clone(),
                issuer: config.issuer.clone(),
                subject: subject.to_owned(),
                email: email.filter(|_| verified),
            }),
            (None, None) => {
                if !verified {
                    return Err(AuthError::Forbidden(
                        "The identity provider has not verified this email address: verify it \
                         there, or sign in another way and link the provider from your account",
                    ));
                }
                let email = email
                    .ok_or_else(|| bad("The identity provider shared no valid email address"))?;
                if records
                    .get::<EmailRecord>(&store::email_key(&email))
                    .await?
                    .is_some()
                {
                    return Err(AuthError::Conflict(
                        "An account with this email already exists: log in to it, then link \
                         this provider from the account",
                    ));
                }
                let name = claims
                    .get("name")
                    .and_then(Value::as_str)
                    .map(|n| n.chars().take(100).collect());
                // Not a PHC string: no password ever matches it.
                let user = self
                    .create_user(email.clone(), name, "!oidc".into())
                    .await?;
                self.attach_identity(&user.id, &config.issuer, subject, Some(email))
                    .await?;
                Ok(Grant::SignIn { user_id: user.id })
            }
        }
    }
}

/// A minimal HTML page for a failed sign-in, with a link back to the app when known; the link
/// carries the error in its fragment so the app (`AuthClient.completeProviderSignIn`) can
/// show it too.
fn sign_in_failed_page(err: AuthError, back_to: Option<&str>) -> Response {
    let status = err.status();
    let detail = err.into_response().json_body()["detail"]
        .as_str()
        .unwrap_or("Sign-in failed")
        .to_owned();
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let link = back_to
        .map(|uri| {
            let status = status.to_string();
            let fragment =
                oidc::encode_pairs(&[("error", &status), ("error_description", &detail)]);
            format!(
                "<p><a href=\"{}#{}\">Back to the app</a></p>",
                escape(uri),
                escape(&fragment)
            )
        })
        .unwrap_or_default();
    let page = format!(
        "<!doctype html><meta charset=\"utf-8\"><title>Sign-in failed</title>\
         <h1>Sign-in failed</h1><p>{}</p>{link}",
        escape(&detail)
    );
    Response::html(status, page)
}
