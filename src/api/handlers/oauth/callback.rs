//! Finishing a provider sign-in (`GET /oauth/callback`): the state, the code exchange, and
//! what the verified identity may do.

use serde_json::{Map, Value};

use crate::api::App;
use crate::credentials::oidc::{self, Expect, OidcConfig, Outbound, Provider};
use crate::error::AuthError;
use crate::http::{Request, Response};
use crate::ports::{Atomic, Clock, Random, Store};
use crate::store::{self, EmailRecord, IdentityRecord, UnixTime};

use super::{
    bad, code_key, is_token, state_cookie, state_key, CodeRecord, Grant, OauthState, CODE_LEN,
    CODE_TTL_SECS, STATE_COOKIE, STATE_LEN,
};

impl<S: Store, C: Clock, R: Random, P: Provider, A: Atomic> App<S, C, R, P, A> {
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
        let (state, pending) = self.take_state(req).await?;
        *back_to = Some(pending.redirect_uri.clone());
        if req.cookie(STATE_COOKIE) != Some(state.as_str()) {
            return Err(bad("This sign-in was not started in this browser"));
        }
        let code = provider_code(config, req)?;
        let claims = self.exchange_provider_code(config, &pending, &code).await?;
        let grant = self.resolve_identity(config, &claims, &pending).await?;
        self.redirect_with_one_time_code(pending, grant).await
    }

    /// The sign-in the callback's `state` names, taken out of the store: a state is good once.
    async fn take_state(&self, req: &Request) -> Result<(String, OauthState), AuthError> {
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
        Ok((state, pending))
    }

    /// Back to the app with a one-time code for `grant` in the fragment, never tokens.
    async fn redirect_with_one_time_code(
        &self,
        pending: OauthState,
        grant: Grant,
    ) -> Result<Response, AuthError> {
        let now = self.clock.now();
        let one_time = crate::util::base62::random(&self.rng, CODE_LEN)?;
        let record = CodeRecord {
            challenge: pending.client_challenge,
            expires_at: UnixTime::from(now).plus(CODE_TTL_SECS),
            grant,
        };
        self.records()
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
        let linked = self.records().get::<IdentityRecord>(&link).await?;
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
                self.sign_up_with_identity(config, claims, subject, email, verified)
                    .await
            }
        }
    }

    /// A new user for an identity linked to nobody: only with an email the provider verified
    /// and no account has (accounts are never joined by email).
    async fn sign_up_with_identity(
        &self,
        config: &OidcConfig,
        claims: &Map<String, Value>,
        subject: &str,
        email: Option<String>,
        verified: bool,
    ) -> Result<Grant, AuthError> {
        if !verified {
            return Err(AuthError::Forbidden(
                "The identity provider has not verified this email address: verify it \
                 there, or sign in another way and link the provider from your account",
            ));
        }
        let email =
            email.ok_or_else(|| bad("The identity provider shared no valid email address"))?;
        if self
            .records()
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

/// The provider's code from the callback's query, once the response is known to come from our
/// provider and not to be a refusal.
fn provider_code(config: &OidcConfig, req: &Request) -> Result<String, AuthError> {
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
    req.query_param("code")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| bad("Missing code"))
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
