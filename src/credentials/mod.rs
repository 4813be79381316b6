//! Who is calling: turning an `Authorization: Bearer ...` header into a [`Principal`].
//!
//! Three schemes share the header. [`classify`] tells them apart by shape alone: `sk-` is an
//! API key, three dot-separated parts a JWT. A JWT is then dispatched on its (still
//! unverified) `iss`: ours is verified against our signing keys; any other issuer goes to
//! `verify_external` (in `authenticate.rs`), the one place where the OAuth2 identity-provider
//! scheme plugs in.

pub mod api_key;
mod authenticate;
pub mod jwt;
pub mod memo;
pub mod oidc;
pub mod password;
pub mod private_key;
pub mod session;

use serde::{Deserialize, Serialize};

use crate::error::AuthError;
use crate::http::Request;
use crate::ports::{Atomic, Clock, Store};
use crate::store::{ApiKeyId, SessionId, UserId};
use crate::util::secret::Secret;
use jwt::SigningKey;
use memo::Memo;
use oidc::{Oidc, OidcConfig, Provider};

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify_next::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// Our own access token.
    Jwt,
    /// An `sk-` API key.
    ApiKey,
    /// A token from the external identity provider.
    Oauth2,
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user.
    pub user_id: UserId,
    /// The scheme of the credential.
    pub scheme: Scheme,
    /// The session of an access token (what logout revokes).
    pub session_id: Option<SessionId>,
    /// The API key used, if any.
    pub api_key_id: Option<ApiKeyId>,
    /// What the credential may do on the user's behalf, in this API's scopes.
    pub access: Access,
    /// The scopes the identity provider granted its access token (`scope` or `scp`), for the
    /// OAuth2 scheme; empty otherwise. They are the provider's words (`openid`, `email`, ...),
    /// never ours: [`Principal::has_scope`] does not read them.
    pub provider_scopes: Vec<String>,
}

/// What a credential may do, in this API's scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// An interactive sign-in (our access token, or the provider's for a signed-in user):
    /// everything its user may do.
    Full,
    /// An API key: exactly the scopes it was created with. An empty list allows nothing
    /// that needs a scope.
    Scoped(Vec<String>),
}

impl Principal {
    /// Whether the credential carries `scope` (an interactive sign-in carries every scope;
    /// an API key only those it was created with).
    pub fn has_scope(&self, scope: &str) -> bool {
        match &self.access {
            Access::Full => true,
            Access::Scoped(scopes) => scopes.iter().any(|s| s == scope),
        }
    }

    /// Refuses (403) a credential without `scope`: for embedders' routes.
    pub fn require_scope(&self, scope: &str) -> Result<(), AuthError> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(AuthError::Forbidden(
                "The credential lacks a required scope",
            ))
        }
    }

    /// Refuses API keys (403): managing API keys and private keys needs an interactive login.
    pub fn require_interactive(&self) -> Result<(), AuthError> {
        match self.scheme {
            Scheme::Jwt | Scheme::Oauth2 => Ok(()),
            Scheme::ApiKey => Err(AuthError::Forbidden(
                "This endpoint needs a JWT or OAuth2 token, not an API key",
            )),
        }
    }
}

/// A bearer credential, told apart by its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    /// Starts with `sk-`.
    ApiKey(&'a str),
    /// Three dot-separated parts.
    Jwt(&'a str),
}

/// Tells an API key from a JWT without verifying either; `None` for anything else.
pub fn classify(credential: &str) -> Option<Credential<'_>> {
    if credential.starts_with(api_key::PREFIX) {
        Some(Credential::ApiKey(credential))
    } else if credential.split('.').count() == 3 {
        Some(Credential::Jwt(credential))
    } else {
        None
    }
}

/// The credential of `Authorization: Bearer <credential>`.
pub fn bearer(req: &Request) -> Result<&str, AuthError> {
    let header = req
        .header("authorization")
        .ok_or(AuthError::MissingCredentials)?;
    let (scheme, credential) = header
        .trim()
        .split_once(' ')
        .ok_or(AuthError::MissingCredentials)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::MissingCredentials);
    }
    match credential.trim() {
        "" => Err(AuthError::MissingCredentials),
        credential => Ok(credential),
    }
}

/// What authenticating needs to know of the deployment, borrowed from its configuration
/// (`Config::credentials`): this layer never sees the rest of it.
#[derive(Debug, Clone, Copy)]
pub struct CredentialSettings<'a> {
    /// `iss` of our tokens.
    pub issuer: &'a str,
    /// `aud` of our tokens.
    pub audience: &'a str,
    /// The key that signs our tokens now.
    pub signing_key: &'a SigningKey,
    /// Keys rotated out, with the Unix time they stopped signing.
    pub retired_keys: &'a [(SigningKey, i64)],
    /// Access-token lifetime: how long a retired key keeps verifying.
    pub access_ttl_secs: i64,
    /// The HMAC key of API-key and refresh-token hashes.
    pub pepper: &'a Secret<Vec<u8>>,
    /// The external OpenID provider, if one is configured.
    pub oidc: Option<&'a OidcConfig>,
    /// Whether each request asks the atomic port if its session or key was revoked
    /// (`CONSISTENCY=strict`), or trusts the store's record (`edge`).
    pub revocation_at_once: bool,
}

impl<'a> CredentialSettings<'a> {
    /// The keys that verify our tokens at `now`, the active one first: retired keys stay until
    /// the last token they signed has expired.
    pub fn verification_keys(&self, now: i64) -> Vec<&'a SigningKey> {
        let horizon = self.access_ttl_secs + jwt::LEEWAY_SECS;
        std::iter::once(self.signing_key)
            .chain(
                self.retired_keys
                    .iter()
                    .filter(|(_, retired_at)| now <= retired_at + horizon)
                    .map(|(key, _)| key),
            )
            .collect()
    }
}

/// What authenticating a request reads: the store, the time, the identity provider, what is
/// revoked, the isolate's memory and the settings. Nothing else of the service.
#[derive(Debug)]
pub struct Authenticator<'a, S, C, P, A> {
    /// Where credentials' records live.
    pub store: &'a S,
    /// What time it is.
    pub clock: &'a C,
    /// The identity provider (its JWKS and signature checks).
    pub provider: &'a P,
    /// Where revocation is decided, asked when `settings.revocation_at_once`.
    pub atomic: &'a A,
    /// The isolate's memory (provider documents, key use).
    pub memo: &'a Memo,
    /// The deployment's settings and secrets, as far as credentials go.
    pub settings: CredentialSettings<'a>,
}

impl<'a, S: Store, C: Clock, P: Provider, A: Atomic> Authenticator<'a, S, C, P, A> {
    /// The provider-facing half: 404 when no provider is configured.
    pub fn oidc(&self) -> Result<Oidc<'a, S, C, P>, AuthError> {
        let config = self.settings.oidc.ok_or(AuthError::NotFound(
            "Sign-in with an identity provider is not configured",
        ))?;
        Ok(Oidc {
            config,
            store: self.store,
            clock: self.clock,
            provider: self.provider,
            cache: &self.memo.provider,
        })
    }

    /// Authenticates the request's bearer credential, whatever its scheme.
    pub async fn authenticate(&self, req: &Request) -> Result<Principal, AuthError> {
        authenticate::authenticate(self, req).await
    }
}

/// Authenticates the request's access token offline, against the issuer's public keys alone
/// (a verify-only embedder: no secrets, no store). Signature, `typ`, time, issuer and audience
/// are checked; whether its session was ended since is not (nothing is read), so a token
/// stays valid until it expires, at most ACCESS_TOKEN_TTL_SECS after a logout. API keys and
/// the identity provider's tokens need the store: they are refused here.
pub fn authenticate_offline(
    req: &Request,
    keys: &jwt::KeySet,
    expect: &jwt::Expectations<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Principal, AuthError> {
    authenticate::offline(req, keys, expect, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_key_without_scopes_has_none_and_a_login_has_all() {
        let principal = |access| Principal {
            user_id: UserId::new("u"),
            scheme: Scheme::ApiKey,
            session_id: None,
            api_key_id: None,
            access,
            provider_scopes: vec!["read".into()],
        };
        let bare = principal(Access::Scoped(Vec::new()));
        assert!(!bare.has_scope("read"));
        assert_eq!(
            bare.require_scope("read"),
            Err(AuthError::Forbidden(
                "The credential lacks a required scope"
            ))
        );
        let scoped = principal(Access::Scoped(vec!["read".into()]));
        assert!(scoped.has_scope("read") && !scoped.has_scope("write"));
        assert!(principal(Access::Full).has_scope("anything"));
    }

    #[test]
    fn offline_authentication_checks_our_token_against_public_keys_alone() {
        use crate::error::{Rejection, TokenError};
        use chrono::TimeZone as _;
        let key = jwt::SigningKey::from_seed(&[5u8; 32]).unwrap();
        let now = chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let claims = jwt::AccessClaims {
            iss: "https://auth.example".into(),
            sub: UserId::new("user-1"),
            aud: "edge-auth".into(),
            sid: crate::store::SessionId::new("session-1"),
            jti: "jti-1".into(),
        };
        let token = jwt::issue_access(&key, claims, now, 900);
        let keys = jwt::KeySet::from_jwks(&jwt::jwks([&key])).unwrap();
        let expect = jwt::Expectations {
            issuer: "https://auth.example",
            audience: "edge-auth",
        };
        let req = |credential: &str| {
            Request::new("GET", "/").with_header("Authorization", &format!("Bearer {credential}"))
        };
        let principal = authenticate_offline(&req(&token), &keys, &expect, now).unwrap();
        assert_eq!(principal.user_id.as_str(), "user-1");
        assert_eq!(principal.scheme, Scheme::Jwt);
        assert_eq!(principal.session_id.unwrap().as_str(), "session-1");
        let refused =
            |req: &Request, at| authenticate_offline(req, &keys, &expect, at).unwrap_err();
        let later = now + chrono::TimeDelta::seconds(900 + jwt::LEEWAY_SECS);
        assert_eq!(
            refused(&req(&token), later),
            AuthError::InvalidToken(Rejection::Token(TokenError::Expired))
        );
        let other = jwt::SigningKey::from_seed(&[6u8; 32]).unwrap();
        let stranger = jwt::KeySet::from_jwks(&jwt::jwks([&other])).unwrap();
        assert_eq!(
            authenticate_offline(&req(&token), &stranger, &expect, now).unwrap_err(),
            AuthError::InvalidToken(Rejection::Token(TokenError::UnknownKey))
        );
        let elsewhere = jwt::Expectations {
            issuer: "https://other.example",
            ..expect
        };
        assert_eq!(
            authenticate_offline(&req(&token), &keys, &elsewhere, now).unwrap_err(),
            AuthError::InvalidToken(Rejection::Token(TokenError::WrongIssuer))
        );
        // What needs the store is refused, never waved through.
        assert_eq!(
            refused(&req(&format!("sk-{}", "a".repeat(40))), now),
            AuthError::InvalidToken(Rejection::UnrecognizedCredential)
        );
        assert_eq!(
            refused(&Request::new("GET", "/"), now),
            AuthError::MissingCredentials
        );
    }

    #[test]
    fn credentials_are_classified_by_shape() {
        assert_eq!(classify("sk-abc"), Some(Credential::ApiKey("sk-abc")));
        assert_eq!(classify("eyJ.a.b"), Some(Credential::Jwt("eyJ.a.b")));
        assert_eq!(classify("abc"), None);
        assert_eq!(classify("a.b"), None);
    }

    #[test]
    fn bearer_needs_the_bearer_scheme_and_a_credential() {
        let req = |h: &str| Request::new("GET", "/").with_header("Authorization", h);
        assert_eq!(bearer(&req("Bearer abc")), Ok("abc"));
        assert_eq!(bearer(&req("bearer  abc ")), Ok("abc"));
        assert_eq!(
            bearer(&req("Basic abc")),
            Err(AuthError::MissingCredentials)
        );
        assert_eq!(bearer(&req("Bearer ")), Err(AuthError::MissingCredentials));
        assert_eq!(
            bearer(&Request::new("GET", "/")),
            Err(AuthError::MissingCredentials)
        );
    }
}
