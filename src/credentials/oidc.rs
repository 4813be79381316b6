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
#![allow(async_fn_in_trait)]

use std::cell::RefCell;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::credentials::jwt::{self, Rules, TokenError};
use crate::error::AuthError;
use crate::error::ConfigError;
use crate::http::Response;
use crate::ports::PortError;
use crate::util::secret::Secret;

/// How long discovery and JWKS documents are trusted.
pub const CACHE_MAX_AGE_SECS: i64 = 3600;
/// The least time between two JWKS refetches caused by unknown key ids.
pub const REFETCH_COOLDOWN_SECS: i64 = 60;
/// How long a sign-in may take between authorize and callback.
pub const STATE_TTL_SECS: i64 = 600;

/// The provider's settings.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// `OIDC_ISSUER`: the provider's issuer URL, exactly as in its tokens.
    pub issuer: String,
    /// `OIDC_CLIENT_ID`.
    pub client_id: String,
    /// `OIDC_CLIENT_SECRET` (a secret).
    pub client_secret: Secret<String>,
    /// `OIDC_REDIRECT_URIS`: where a finished sign-in may return to (comma-separated).
    pub redirect_uris: Vec<String>,
    /// `OIDC_SCOPES`: requested at sign-in; default `openid email profile`.
    pub scopes: String,
    /// `OIDC_AUDIENCE`: the `aud` required of provider access tokens; default the client id.
    pub audience: String,
    /// `OIDC_REQUIRED_SCOPES`: scopes a provider access token must carry; default
    /// `openid email profile`.
    pub required_scopes: Vec<String>,
    /// `OIDC_CALLBACK_URL`: our callback as registered at the provider; default this
    /// request's origin + `/api/v1/auth/oauth/callback`.
    pub callback_url: Option<String>,
    /// `OIDC_ACCESS_TOKEN_TYP`: `at+jwt` (default) requires RFC 9068's `typ` header on
    /// provider access tokens; `any` accepts providers that do not send it.
    pub require_access_token_typ: bool,
}

impl OidcConfig {
    /// The provider settings, or `None` when `OIDC_ISSUER` is not set.
    pub fn from_lookup(
        lookup: &impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let Some(issuer) = get("OIDC_ISSUER") else {
            return Ok(None);
        };
        let required = |name: &str| {
            get(name).ok_or_else(|| ConfigError(format!("{name} is not set (OIDC_ISSUER is)")))
        };
        let list = |text: String, sep: char| -> Vec<String> {
            text.split(sep)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let client_id = required("OIDC_CLIENT_ID")?;
        let redirect_uris = list(required("OIDC_REDIRECT_URIS")?, ',');
        if redirect_uris.iter().any(|uri| uri.contains('#')) {
            return Err(ConfigError(
                "OIDC_REDIRECT_URIS must not contain a fragment (#)".into(),
            ));
        }
        let require_access_token_typ = match get("OIDC_ACCESS_TOKEN_TYP").as_deref() {
            None | Some("at+jwt") => true,
            Some("any") => false,
            Some(_) => {
                return Err(ConfigError(
                    "OIDC_ACCESS_TOKEN_TYP must be at+jwt or any".into(),
                ))
            }
        };
        let scopes = get("OIDC_SCOPES").unwrap_or_else(|| "openid email profile".into());
        Ok(Some(Self {
            // Exactly as written: Auth0's issuer ends with a slash, and tokens carry it so.
            issuer,
            client_secret: Secret::new(required("OIDC_CLIENT_SECRET")?),
            redirect_uris,
            require_access_token_typ,
            audience: get("OIDC_AUDIENCE").unwrap_or_else(|| client_id.clone()),
            required_scopes: list(
                get("OIDC_REQUIRED_SCOPES").unwrap_or_else(|| scopes.clone()),
                ' ',
            ),
            callback_url: get("OIDC_CALLBACK_URL"),
            scopes,
            client_id,
        }))
    }
}

/// A request to the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Absolute URL.
    pub url: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body (a form, for the token endpoint).
    pub body: Vec<u8>,
}

/// A signature algorithm of the provider's that we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// ECDSA on P-256 with SHA-256 (signature is `r || s`).
    Es256,
}

impl ProviderAlg {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Self::Rs256),
            "ES256" => Some(Self::Es256),
            _ => None,
        }
    }

    /// The JOSE name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }

    fn fits(self, jwk: &Value) -> bool {
        let field = |name: &str| jwk.get(name).and_then(Value::as_str);
        let kty_ok = match self {
            Self::Rs256 => field("kty") == Some("RSA"),
            Self::Es256 => field("kty") == Some("EC") && field("crv") == Some("P-256"),
        };
        kty_ok
            && field("alg").is_none_or(|alg| alg == self.name())
            && field("use").is_none_or(|u| u == "sig")
    }
}

/// The port to the identity provider: HTTP and signature checks.
pub trait Provider {
    /// Sends a request to the provider.
    async fn fetch(&self, request: Outbound) -> Result<Response, PortError>;
    /// Whether `signature` over `message` verifies with the public `jwk` under `alg`.
    async fn verify_signature(
        &self,
        alg: ProviderAlg,
        jwk: &Value,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, PortError>;
}

/// No provider: for deployments and tests without OpenID sign-in.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProvider;

impl Provider for NoProvider {
    async fn fetch(&self, _: Outbound) -> Result<Response, PortError> {
        Err(PortError("no identity provider port".into()))
    }

    async fn verify_signature(
        &self,
        _: ProviderAlg,
        _: &Value,
        _: &[u8],
        _: &[u8],
    ) -> Result<bool, PortError> {
        Err(PortError("no identity provider port".into()))
    }
}

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
    jwks: RefCell<Option<Cached<Value>>>,
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

fn upstream(what: &str) -> impl Fn(PortError) -> AuthError + '_ {
    move |err| AuthError::Upstream(format!("identity provider {what}: {}", err.0))
}

/// `application/x-www-form-urlencoded` / query-string encoding of one value.
pub fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Encodes `pairs` as a query string or form body.
pub fn encode_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The PKCE S256 challenge of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The id of a provider identity: base64url of SHA-256 over issuer and subject.
pub fn identity_id(issuer: &str, subject: &str) -> String {
    let digest = Sha256::digest(format!("{issuer}\u{0}{subject}").as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

/// The store key linking a provider identity to a local user.
pub fn identity_key(issuer: &str, subject: &str) -> String {
    format!("v1:identity:{}", identity_id(issuer, subject))
}

/// `Authorization: Basic` for the client, as RFC 6749 §2.3.1 encodes it.
pub fn client_basic_auth(config: &OidcConfig) -> String {
    let pair = format!(
        "{}:{}",
        url_encode(&config.client_id),
        url_encode(config.client_secret.expose())
    );
    format!("Basic {}", STANDARD.encode(pair))
}

/// The one key of `jwks` that fits `alg` (and `kid`, if the token names one); `None` when
/// there is none or more than one.
fn single_key<'j>(jwks: &'j Value, alg: ProviderAlg, kid: Option<&str>) -> Option<&'j Value> {
    let mut candidates = jwks["keys"]
        .as_array()?
        .iter()
        .filter(|k| alg.fits(k))
        .filter(|k| kid.is_none() || k["kid"].as_str() == kid);
    match (candidates.next(), candidates.next()) {
        (Some(only), None) => Some(only),
        _ => None,
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
fn is_access_token_typ(header: &Map<String, Value>) -> bool {
    let typ = header.get("typ").and_then(Value::as_str).unwrap_or("");
    let typ = typ.to_ascii_lowercase();
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

    async fn get_json(&self, url: &str, what: &str) -> Result<Value, AuthError> {
        let request = Outbound {
            method: "GET",
            url: url.to_owned(),
            headers: vec![("accept".into(), "application/json".into())],
            body: Vec::new(),
        };
        let response = self.provider.fetch(request).await.map_err(upstream(what))?;
        if response.status != 200 {
            return Err(AuthError::Upstream(format!(
                "identity provider {what}: HTTP {}",
                response.status
            )));
        }
        serde_json::from_slice(&response.body)
            .map_err(|_| AuthError::Upstream(format!("identity provider {what}: not JSON")))
    }

    async fn cached<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<Cached<T>>, AuthError> {
        let records = crate::store::Records::new(self.store);
        let cached: Option<Cached<T>> = records.get(key).await?;
        Ok(cached.filter(|c| self.now() - c.fetched_at < CACHE_MAX_AGE_SECS))
    }

    async fn remember<T: Serialize>(&self, key: &str, cached: &Cached<T>) -> Result<(), AuthError> {
        let records = crate::store::Records::new(self.store);
        let expires = cached.fetched_at + CACHE_MAX_AGE_SECS;
        records
            .put(key, cached, Some(expires), self.clock.now())
            .await
    }

    /// The provider's metadata: from memory, the store, or discovery.
    pub async fn metadata(&self) -> Result<ProviderMetadata, AuthError> {
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
                    AuthError::Upstream("identity provider discovery: missing fields".into())
                })?;
                if value.issuer != self.config.issuer {
                    return Err(AuthError::Upstream(
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

    /// The provider's JWKS holding `kid` if it can be had: memory, then the store, then a
    /// fetch. `None` when the kid is unknown and the JWKS was refetched moments ago (an
    /// unknown kid refetches at most once per cooldown).
    async fn jwks_for(&self, kid: Option<&str>) -> Result<Option<Value>, AuthError> {
        let has = |jwks: &Value| match kid {
            None => true,
            Some(kid) => jwks["keys"]
                .as_array()
                .is_some_and(|keys| keys.iter().any(|k| k["kid"].as_str() == Some(kid))),
        };
        let fresh = |c: &Cached<Value>| self.now() - c.fetched_at < CACHE_MAX_AGE_SECS;
        let in_memory = self
            .cache
            .jwks
            .borrow()
            .as_ref()
            .filter(|c| fresh(c))
            .map(|c| c.value.clone());
        if let Some(jwks) = &in_memory {
            if has(jwks) {
                return Ok(Some(jwks.clone()));
            }
        }
        const KEY: &str = "v1:oidc:jwks";
        if in_memory.is_none() {
            if let Some(cached) = self.cached::<Value>(KEY).await? {
                let jwks = cached.value.clone();
                *self.cache.jwks.borrow_mut() = Some(cached);
                if has(&jwks) {
                    return Ok(Some(jwks));
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
            return Err(AuthError::Upstream(
                "identity provider JWKS: no keys".into(),
            ));
        }
        let cached = Cached {
            value: jwks.clone(),
            fetched_at: now,
        };
        self.remember(KEY, &cached).await?;
        *self.cache.jwks.borrow_mut() = Some(cached);
        Ok(Some(jwks))
    }

    /// Verifies a token signed by the provider. The outer error is ours or the provider's
    /// (unreachable, broken); the inner one is the verdict on the token.
    pub async fn verify(
        &self,
        token: &str,
        expect: Expect<'_>,
    ) -> Result<Result<Map<String, Value>, TokenError>, AuthError> {
        // The one strict parser of every JWT we accept: canonical base64url, no duplicate
        // members, no `crit`.
        let jwt = match jwt::UntrustedJwt::parse(token) {
            Ok(jwt) => jwt,
            Err(err) => return Ok(Err(err)),
        };
        let Some(alg) = ProviderAlg::from_name(jwt.algorithm()) else {
            return Ok(Err(TokenError::UnsupportedAlgorithm));
        };
        let kid = jwt.key_id();
        let Some(jwks) = self.jwks_for(kid).await? else {
            return Ok(Err(TokenError::UnknownKey));
        };
        let Some(jwk) = single_key(&jwks, alg, kid) else {
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
        let claims = jwt.unverified_claims().clone();
        Ok(self.check(claims, jwt.header(), expect))
    }

    /// The claims of a token whose signature verified: issuer, audience and time, then what
    /// its kind needs (an ID token's nonce and `azp`; an access token's `typ` and scopes).
    fn check(
        &self,
        claims: Map<String, Value>,
        header: &Map<String, Value>,
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
        jwt::check_claims(&claims, &rules, self.clock.now())?;
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
                if self.config.require_access_token_typ && !is_access_token_typ(header) =>
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_matches_rfc7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn url_encoding_escapes_everything_but_unreserved() {
        assert_eq!(url_encode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
        assert_eq!(encode_pairs(&[("x", "1 2"), ("y", "")]), "x=1%202&y=");
    }

    #[test]
    fn algorithm_must_fit_the_key_type() {
        let rsa = serde_json::json!({"kty": "RSA", "n": "x", "e": "AQAB"});
        let ec =
            serde_json::json!({"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "alg": "ES256"});
        assert!(ProviderAlg::Rs256.fits(&rsa));
        assert!(!ProviderAlg::Es256.fits(&rsa));
        assert!(ProviderAlg::Es256.fits(&ec));
        assert!(!ProviderAlg::Rs256.fits(&ec));
        assert_eq!(ProviderAlg::from_name("HS256"), None);
        assert_eq!(ProviderAlg::from_name("none"), None);
    }

    #[test]
    fn config_is_optional_but_complete_when_present() {
        let none = OidcConfig::from_lookup(&|_: &str| None).unwrap();
        assert!(none.is_none());
        let partial =
            |name: &str| (name == "OIDC_ISSUER").then(|| "https://idp.example".to_owned());
        assert!(OidcConfig::from_lookup(&partial).is_err());
        let full = |name: &str| {
            Some(
                match name {
                    "OIDC_ISSUER" => "https://idp.example/",
                    "OIDC_CLIENT_ID" => "client",
                    "OIDC_CLIENT_SECRET" => "s3cret",
                    "OIDC_REDIRECT_URIS" => "https://app.example/, https://app.example/done",
                    _ => return None,
                }
                .to_owned(),
            )
        };
        let config = OidcConfig::from_lookup(&full).unwrap().unwrap();
        // Exactly as written (Auth0's issuers end with a slash).
        assert_eq!(config.issuer, "https://idp.example/");
        assert!(config.require_access_token_typ);
        assert_eq!(config.audience, "client");
        assert_eq!(
            config.redirect_uris,
            ["https://app.example/", "https://app.example/done"]
        );
        assert_eq!(config.required_scopes, ["openid", "email", "profile"]);
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
