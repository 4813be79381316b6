//! Sign-in with an external OpenID Connect provider, and its tokens as the OAuth2 scheme.
//!
//! Sans-IO like the rest of the core: every request to the provider and every RS256/ES256
//! signature check goes through the [`Provider`] port (on the Worker: `fetch` and WebCrypto,
//! which verifies P-256 and RSA far faster than pure Rust compiled to wasm).
//!
//! - Discovery (`/.well-known/openid-configuration`) and the provider's JWKS are cached in
//!   memory and in the store for [`CACHE_MAX_AGE_SECS`]; a token whose `kid` is unknown
//!   causes a refetch, at most once per [`REFETCH_COOLDOWN_SECS`], so a flood of made-up kids
//!   cannot hammer the provider.
//! - The login flow is the authorization code flow with PKCE (S256), `state` and `nonce`;
//!   the state record lives in the store for ten minutes and is deleted on first use.
//! - Provider tokens are verified with an algorithm from our allow-list (RS256, ES256) and a
//!   key of the matching type: `none`, HS256 and every other algorithm are refused, which
//!   defeats algorithm confusion. Then `iss`, `aud`, `exp`/`nbf` with the shared
//!   [`jwt::check_claims`], then `nonce` (ID tokens) or the required scopes (access tokens).

mod config;
mod encoding;
mod port;

use std::cell::RefCell;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::credentials::jwt::{self, KeySet, Rules, TokenError, VerifyingKey};
use crate::error::AuthError;
use crate::ports::PortError;
use crate::store::{StoreError, UnixTime};

/// How long discovery and JWKS documents are trusted.
pub const CACHE_MAX_AGE_SECS: i64 = 3600;
/// The least time between two JWKS refetches caused by unknown key ids.
pub const REFETCH_COOLDOWN_SECS: i64 = 60;
/// How long a sign-in may take between authorize and callback.
pub const STATE_TTL_SECS: i64 = 600;

pub use config::OidcConfig;
pub use encoding::{
    client_basic_auth, encode_pairs, identity_id, identity_key, pkce_challenge, url_encode,
};
use port::provider_alg;
pub use port::{NoProvider, Outbound, Provider};

/// The parts of the discovery document we use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderMetadata {
    /// Must equal the configured issuer.
    pub issuer: String,
    /// Where the browser is sent to sign in.
    pub authorization_endpoint: String,
    /// Where codes are exchanged.
    pub token_endpoint: String,
    /// The provider's public keys.
    pub jwks_uri: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cached<T> {
    value: T,
    fetched_at: i64,
}

/// Discovery and JWKS kept for the life of an isolate.
#[derive(Debug, Default)]
pub struct ProviderCache {
    metadata: RefCell<Option<Cached<ProviderMetadata>>>,
    jwks: RefCell<Option<Cached<Rc<ProviderKeys>>>>,
    /// When the JWKS was last fetched because of an unknown kid.
    last_refetch: RefCell<Option<i64>>,
}

/// What a provider token is checked for, besides signature, issuer, audience and time.
#[derive(Debug, Clone, Copy)]
pub enum Expect<'a> {
    /// An ID token from the sign-in that sent this nonce.
    IdToken {
        /// The nonce sent with the authorization request.
        nonce: &'a str,
    },
    /// An access token presented as `Bearer`.
    AccessToken,
}

/// The identity provider could not be used: unreachable or answering nonsense (a 502), or our
/// cache of its documents failed (a 500).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderError {
    /// What went wrong with the provider.
    Upstream(String),
    /// Our cache of its documents.
    Store(StoreError),
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Upstream(what) => f.write_str(what),
            Self::Store(err) => write!(f, "identity provider cache: {err}"),
        }
    }
}

impl std::error::Error for ProviderError {}

impl From<StoreError> for ProviderError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

/// An unusable provider is a 502 (logged, never sent); a broken cache, a 500.
impl From<ProviderError> for AuthError {
    fn from(err: ProviderError) -> Self {
        match err {
            ProviderError::Upstream(what) => Self::Upstream(what),
            ProviderError::Store(err) => err.into(),
        }
    }
}

fn upstream(what: &str) -> impl Fn(PortError) -> ProviderError + '_ {
    move |err| ProviderError::Upstream(format!("identity provider {what}: {}", err.0))
}

/// A provider's JWKS, read once when fetched (not at every token it checks): its keys that we
/// can use, and every `kid` it names.
#[derive(Debug)]
struct ProviderKeys {
    keys: KeySet,
    kids: Vec<String>,
}

impl ProviderKeys {
    /// The keys of `jwks`, read by the one JWK reader ([`VerifyingKey::from_jwk`]); a JWK it
    /// refuses (malformed, a weak RSA key, another use) is left out, the others still serve.
    fn read(jwks: &Value) -> Self {
        let jwks = jwks["keys"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        Self {
            keys: KeySet::new(
                jwks.iter()
                    .filter_map(|jwk| VerifyingKey::from_jwk(jwk).ok().flatten())
                    .collect(),
            ),
            kids: jwks
                .iter()
                .filter_map(|jwk| jwk["kid"].as_str().map(str::to_owned))
                .collect(),
        }
    }

    /// Whether the JWKS names `kid` (any key, when the token names none): if not, the provider
    /// may have rotated its keys, and a refetch is worth it.
    fn names(&self, kid: Option<&str>) -> bool {
        kid.is_none_or(|kid| self.kids.iter().any(|k| k == kid))
    }
}

/// OpenID Connect Core 3.1.3.7: an ID token for several audiences names us in `azp`, and an
/// `azp`, when present, is us.
fn authorized_party_ok(claims: &Map<String, Value>, client_id: &str) -> bool {
    let several = claims
        .get("aud")
        .and_then(Value::as_array)
        .is_some_and(|auds| auds.len() > 1);
    match claims.get("azp") {
        Some(azp) => azp.as_str() == Some(client_id),
        None => !several,
    }
}

/// `typ: at+jwt` or `application/at+jwt`, in any case (RFC 9068 §2.1).
fn is_access_token_typ(typ: Option<&str>) -> bool {
    let typ = typ.unwrap_or("").to_ascii_lowercase();
    typ == "at+jwt" || typ == "application/at+jwt"
}

/// The scopes a provider access token grants: its `scope` string, or an `scp` list.
pub fn granted_scopes(claims: &Map<String, Value>) -> Vec<&str> {
    match (claims.get("scope"), claims.get("scp")) {
        (Some(Value::String(s)), _) => s.split(' ').filter(|s| !s.is_empty()).collect(),
        (_, Some(Value::Array(a))) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The provider-facing half of the service.
pub struct Oidc<'a, S, C, P> {
    /// Settings.
    pub config: &'a OidcConfig,
    /// Where the cached documents persist.
    pub store: &'a S,
    /// The time.
    pub clock: &'a C,
    /// The provider port.
    pub provider: &'a P,
    /// The isolate's cache.
    pub cache: &'a ProviderCache,
}

impl<S: crate::ports::Store, C: crate::ports::Clock, P: Provider> Oidc<'_, S, C, P> {
    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    async fn get_json(&self, url: &str, what: &str) -> Result<Value, ProviderError> {
        let request = Outbound {
            method: "GET",
            url: url.to_owned(),
            headers: vec![("accept".into(), "application/json".into())],
            body: Vec::new(),
        };
        let response = self.provider.fetch(request).await.map_err(upstream(what))?;
        if response.status != 200 {
            return Err(ProviderError::Upstream(format!(
                "identity provider {what}: HTTP {}",
                response.status
            )));
        }
        serde_json::from_slice(&response.body)
            .map_err(|_| ProviderError::Upstream(format!("identity provider {what}: not JSON")))
    }

    async fn cached<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<Cached<T>>, ProviderError> {
        let records = crate::store::Records::new(self.store);
        let cached: Option<Cached<T>> = records.get(key).await?;
        Ok(cached.filter(|c| self.now() - c.fetched_at < CACHE_MAX_AGE_SECS))
    }

    async fn remember<T: Serialize>(
        &self,
        key: &str,
        cached: &Cached<T>,
    ) -> Result<(), ProviderError> {
        let records = crate::store::Records::new(self.store);
        let expires = cached.fetched_at + CACHE_MAX_AGE_SECS;
        records
            .put(
                key,
                cached,
                Some(UnixTime::from_secs(expires)),
                self.clock.now(),
            )
            .await?;
        Ok(())
    }

    /// The provider's metadata: from memory, the store, or discovery.
    pub async fn metadata(&self) -> Result<ProviderMetadata, ProviderError> {
        let fresh = |c: &Cached<ProviderMetadata>| self.now() - c.fetched_at < CACHE_MAX_AGE_SECS;
        if let Some(cached) = self.cache.metadata.borrow().as_ref().filter(|c| fresh(c)) {
            return Ok(cached.value.clone());
        }
        const KEY: &str = "v1:oidc:metadata";
        let cached = match self.cached::<ProviderMetadata>(KEY).await? {
            Some(cached) => cached,
            None => {
                let url = format!(
                    "{}/.well-known/openid-configuration",
                    self.config.issuer.trim_end_matches('/')
                );
                let document = self.get_json(&url, "discovery").await?;
                let value: ProviderMetadata = serde_json::from_value(document).map_err(|_| {
                    ProviderError::Upstream("identity provider discovery: missing fields".into())
                })?;
                if value.issuer != self.config.issuer {
                    return Err(ProviderError::Upstream(
                        "identity provider discovery: issuer mismatch".into(),
                    ));
                }
                let cached = Cached {
                    value,
                    fetched_at: self.now(),
                };
                self.remember(KEY, &cached).await?;
                cached
            }
        };
        let value = cached.value.clone();
        *self.cache.metadata.borrow_mut() = Some(cached);
        Ok(value)
    }

    /// The provider's keys, from a JWKS naming `kid` if it can be had: memory, then the store,
    /// then a fetch. `None` when the kid is unknown and the JWKS was refetched moments ago (an
    /// unknown kid refetches at most once per cooldown).
    async fn jwks_for(&self, kid: Option<&str>) -> Result<Option<Rc<ProviderKeys>>, ProviderError> {
        let in_memory = self
            .cache
            .jwks
            .borrow()
            .as_ref()
            .filter(|c| self.now() - c.fetched_at < CACHE_MAX_AGE_SECS)
            .map(|c| Rc::clone(&c.value));
        if let Some(keys) = &in_memory {
            if keys.names(kid) {
                return Ok(in_memory);
            }
        }
        const KEY: &str = "v1:oidc:jwks";
        if in_memory.is_none() {
            if let Some(cached) = self.cached::<Value>(KEY).await? {
                let keys = Rc::new(ProviderKeys::read(&cached.value));
                *self.cache.jwks.borrow_mut() = Some(Cached {
                    value: Rc::clone(&keys),
                    fetched_at: cached.fetched_at,
                });
                if keys.names(kid) {
                    return Ok(Some(keys));
                }
            }
        }
        // Unknown kid (or nothing cached): refetch, unless we did so moments ago.
        let now = self.now();
        let have_some = self.cache.jwks.borrow().is_some();
        let recently = self
            .cache
            .last_refetch
            .borrow()
            .is_some_and(|at| now - at < REFETCH_COOLDOWN_SECS);
        if have_some && recently {
            return Ok(None);
        }
        *self.cache.last_refetch.borrow_mut() = Some(now);
        let metadata = self.metadata().await?;
        let jwks = self.get_json(&metadata.jwks_uri, "JWKS").await?;
        if !jwks["keys"].is_array() {
            return Err(ProviderError::Upstream(
                "identity provider JWKS: no keys".into(),
            ));
        }
        let keys = Rc::new(ProviderKeys::read(&jwks));
        let cached = Cached {
            value: jwks,
            fetched_at: now,
        };
        self.remember(KEY, &cached).await?;
        *self.cache.jwks.borrow_mut() = Some(Cached {
            value: Rc::clone(&keys),
            fetched_at: now,
        });
        Ok(Some(keys))
    }

    /// Verifies a token signed by the provider. The outer error is ours or the provider's
    /// (unreachable, broken); the inner one is the verdict on the token.
    pub async fn verify(
        &self,
        token: &str,
        expect: Expect<'_>,
    ) -> Result<Result<Map<String, Value>, TokenError>, ProviderError> {
        // The one strict parser of every JWT we accept: canonical base64url, no duplicate
        // members, no `crit`.
        let jwt = match jwt::UntrustedJwt::parse(token) {
            Ok(jwt) => jwt,
            Err(err) => return Ok(Err(err)),
        };
        let Some(alg) = provider_alg(jwt.algorithm()) else {
            return Ok(Err(TokenError::UnsupportedAlgorithm));
        };
        let kid = jwt.key_id();
        let Some(keys) = self.jwks_for(kid).await? else {
            return Ok(Err(TokenError::UnknownKey));
        };
        // Provider algorithms are checked by the platform: their keys carry a JWK to import.
        let Some(jwk) = keys
            .keys
            .single(alg, kid)
            .and_then(VerifyingKey::platform_jwk)
        else {
            return Ok(Err(TokenError::UnknownKey));
        };
        let valid = self
            .provider
            .verify_signature(alg, jwk, jwt.signing_input().as_bytes(), jwt.signature())
            .await
            .map_err(upstream("signature check"))?;
        if !valid {
            return Ok(Err(TokenError::BadSignature));
        }
        // Verified just now: the claims may be read.
        Ok(self.check(&jwt, expect))
    }

    /// The claims of a token whose signature verified: issuer, audience and time, then what
    /// its kind needs (an ID token's nonce and `azp`; an access token's `typ` and scopes).
    fn check(
        &self,
        jwt: &jwt::UntrustedJwt<'_>,
        expect: Expect<'_>,
    ) -> Result<Map<String, Value>, TokenError> {
        let audience = match expect {
            Expect::IdToken { .. } => &self.config.client_id,
            Expect::AccessToken => &self.config.audience,
        };
        let rules = Rules {
            algorithms: Vec::new(),
            issuer: Some(self.config.issuer.clone()),
            audience: Some(audience.clone()),
            token_type: None,
            leeway_secs: jwt::LEEWAY_SECS,
        };
        jwt::check_claims(jwt.unverified_registered(), &rules, self.clock.now())?;
        let claims = jwt.unverified_claims();
        match expect {
            Expect::IdToken { .. } if !authorized_party_ok(&claims, &self.config.client_id) => {
                Err(TokenError::WrongAudience)
            }
            Expect::IdToken { nonce } => {
                if claims.get("nonce").and_then(Value::as_str) == Some(nonce) {
                    Ok(claims)
                } else {
                    Err(TokenError::WrongNonce)
                }
            }
            // RFC 9068: an access token says so in its header.
            Expect::AccessToken
                if self.config.require_access_token_typ
                    && !is_access_token_typ(jwt.token_type()) =>
            {
                Err(TokenError::WrongType)
            }
            // An ID token (it carries our nonce) is not an access token, whatever its scopes.
            Expect::AccessToken if claims.contains_key("nonce") => Err(TokenError::WrongType),
            Expect::AccessToken => {
                let granted = granted_scopes(&claims);
                let required = &self.config.required_scopes;
                if required.iter().all(|s| granted.contains(&s.as_str())) {
                    Ok(claims)
                } else {
                    Err(TokenError::MissingScope)
                }
            }
        }
    }
}
