//! Starting a provider sign-in (`GET /oauth/authorize`), and redeeming a link ticket there.

use subtle::ConstantTimeEq as _;

use crate::api::App;
use crate::credentials::oidc::{self, OidcConfig, Provider};
use crate::error::AuthError;
use crate::http::BASE_PATH;
use crate::http::{Request, Response};
use crate::ports::{Atomic, Clock, Random, Store};
use crate::store::throttle::{self, Throttle};
use crate::store::{UnixTime, UserId};

use super::{
    bad, is_challenge, is_token, link_key, state_cookie, state_key, LinkTicket, OauthState,
    CODE_LEN, CODE_TTL_SECS, STATE_LEN,
};

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
        let expires = UnixTime::from(now).plus(oidc::STATE_TTL_SECS);
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
}
