//! Who is calling: turning an `Authorization: Bearer ...` header into a [`Principal`].
//!
//! Three schemes share the header. [`classify`] tells them apart by shape alone: `sk-` is an
//! API key, three dot-separated parts a JWT. A JWT is then dispatched on its (still
//! unverified) `iss`: ours is verified against our signing keys; any other issuer goes to
//! [`verify_external`], the one place where the OAuth2 identity-provider scheme plugs in.

pub mod api_key;
pub mod jwt;
pub mod memo;
pub mod oidc;
pub mod password;
pub mod private_key;
pub mod session;

use futures_util::future::join;
use serde::{Deserialize, Serialize};

use crate::error::{AuthError, Rejection, TokenError};
use crate::http::Request;
use crate::ports::{Atomic, Clock, Revocable, Store};
use crate::store::{
    self, ApiKeyId, ApiKeyRecord, ApiKeyUseRecord, Records, SessionId, SessionRecord, UserId,
};
use crate::util::secret::Secret;
use api_key::ApiKeyFormatError;
use jwt::Expectations;
use jwt::SigningKey;
use memo::Memo;
use oidc::{Expect, Oidc, OidcConfig, Provider};

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
        authenticate(self, req).await
    }
}

async fn authenticate<S: Store, C: Clock, P: Provider, A: Atomic>(
    auth: &Authenticator<'_, S, C, P, A>,
    req: &Request,
) -> Result<Principal, AuthError> {
    match classify(bearer(req)?) {
        Some(Credential::ApiKey(key)) => authenticate_api_key(auth, key).await,
        Some(Credential::Jwt(token)) => match unverified_issuer(token) {
            Some(iss) if iss == auth.settings.issuer => {
                authenticate_access_token(auth, token).await
            }
            Some(iss) => verify_external(auth, token, &iss).await,
            None => Err(AuthError::InvalidToken(Rejection::Token(
                TokenError::Malformed,
            ))),
        },
        None => Err(AuthError::InvalidToken(Rejection::UnrecognizedCredential)),
    }
}

/// The `iss` claim of a token whose signature has not been checked: only for dispatch. Read
/// with the one strict JWT parser, like every token we accept.
fn unverified_issuer(token: &str) -> Option<String> {
    let untrusted = jwt::UntrustedJwt::parse(token).ok()?;
    let iss = untrusted.unverified_claims().get("iss")?.as_str()?;
    Some(iss.to_owned())
}

/// Tokens from other issuers: the OAuth2 scheme, access tokens of the configured identity
/// provider, mapped to the local user linked to their (`iss`, `sub`) at sign-in.
async fn verify_external<S: Store, C: Clock, P: Provider, A: Atomic>(
    auth: &Authenticator<'_, S, C, P, A>,
    token: &str,
    issuer: &str,
) -> Result<Principal, AuthError> {
    let untrusted = AuthError::InvalidToken(Rejection::UntrustedIssuer);
    let Some(config) = auth.settings.oidc.filter(|c| c.issuer == issuer) else {
        return Err(untrusted);
    };
    let claims = auth
        .oidc()?
        .verify(token, Expect::AccessToken)
        .await?
        .map_err(|err| AuthError::InvalidToken(Rejection::Token(err)))?;
    let subject = claims
        .get("sub")
        .and_then(|s| s.as_str())
        .unwrap_or_default();
    let link = crate::credentials::oidc::identity_key(&config.issuer, subject);
    let identity: Option<store::IdentityRecord> = Records::new(auth.store).get(&link).await?;
    let identity = identity.ok_or(AuthError::InvalidToken(Rejection::NotLinked))?;
    let provider_scopes = crate::credentials::oidc::granted_scopes(&claims)
        .into_iter()
        .map(str::to_owned)
        .collect();
    Ok(Principal {
        user_id: identity.user_id,
        scheme: Scheme::Oauth2,
        session_id: None,
        api_key_id: None,
        access: Access::Full,
        provider_scopes,
    })
}

async fn authenticate_access_token<S: Store, C: Clock, P: Provider, A: Atomic>(
    auth: &Authenticator<'_, S, C, P, A>,
    token: &str,
) -> Result<Principal, AuthError> {
    let now = auth.clock.now();
    let expect = Expectations {
        issuer: auth.settings.issuer,
        audience: auth.settings.audience,
    };
    let verified = jwt::verify_access(
        auth.settings.verification_keys(now.timestamp()),
        token,
        &expect,
        now,
    )
    .map_err(|err| AuthError::InvalidToken(Rejection::Token(err)))?;
    let claims = verified.claims;
    let records = Records::new(auth.store);
    // The session as the edge reads it, and (strict) whether it was revoked anywhere: at once.
    let key = store::session_key(&claims.sid);
    let (session, revoked) = join(
        records.get::<SessionRecord>(&key),
        revoked(auth, Revocable::Session(claims.sid.as_str())),
    )
    .await;
    let (session, revoked) = (session?, revoked?);
    match session {
        // Revoked, but the store missed it (its write failed after the revocation): mend the
        // store, best effort, so readers at the edge see it too.
        Some(mut s) if revoked && !s.revoked => {
            s.revoked = true;
            let _ = records.put(&key, &s, Some(s.expires_at), now).await;
            Err(AuthError::InvalidToken(Rejection::SessionEnded))
        }
        Some(s)
            if !revoked
                && !s.revoked
                && s.user_id == claims.sub
                && s.expires_at > now.timestamp() =>
        {
            Ok(Principal {
                user_id: claims.sub,
                scheme: Scheme::Jwt,
                session_id: Some(claims.sid),
                api_key_id: None,
                access: Access::Full,
                provider_scopes: Vec::new(),
            })
        }
        _ => Err(AuthError::InvalidToken(Rejection::SessionEnded)),
    }
}

/// Whether `what` was revoked, in strict mode; in edge mode the store's record decides.
async fn revoked<S, C, P, A: Atomic>(
    auth: &Authenticator<'_, S, C, P, A>,
    what: Revocable<'_>,
) -> Result<bool, crate::ports::PortError> {
    if auth.settings.revocation_at_once {
        auth.atomic.is_revoked(what).await
    } else {
        Ok(false)
    }
}

/// `last_used_at` is written at most this often, to spare KV's one write per second per key.
const LAST_USED_RESOLUTION_SECS: i64 = 60;

async fn authenticate_api_key<S: Store, C: Clock, P: Provider, A: Atomic>(
    auth: &Authenticator<'_, S, C, P, A>,
    key: &str,
) -> Result<Principal, AuthError> {
    // Format and checksum first: a mistyped key costs no store read.
    let key_id = api_key::parse(key).map_err(|err| match err {
        ApiKeyFormatError::Malformed => AuthError::InvalidToken(Rejection::MalformedApiKey),
        ApiKeyFormatError::BadChecksum => AuthError::InvalidToken(Rejection::ApiKeyChecksum),
    })?;
    let records = Records::new(auth.store);
    let stored_key = store::api_key_key(&key_id);
    // The key as the edge reads it, and (strict) whether it was revoked anywhere: at once.
    let (record, revoked) = join(
        records.get::<ApiKeyRecord>(&stored_key),
        revoked(auth, Revocable::ApiKey(key_id.as_str())),
    )
    .await;
    let (record, revoked) = (record?, revoked?);
    let invalid = AuthError::InvalidToken(Rejection::InvalidApiKey);
    let Some(record) = record.filter(|_| !revoked) else {
        return Err(invalid);
    };
    if !api_key::secret_matches(auth.settings.pepper, key, &record.hash) {
        return Err(invalid);
    }
    let at = auth.clock.now();
    let now = at.timestamp();
    if record.expires_at.is_some_and(|at| now >= at) {
        return Err(AuthError::InvalidToken(Rejection::ApiKeyExpired));
    }
    // Use is recorded beside the key, never by rewriting it: a rewrite racing a revoke would
    // bring the revoked key back. Best effort: a failed write never fails the request.
    if auth
        .memo
        .should_record_use(record.id.as_str(), now, LAST_USED_RESOLUTION_SECS)
    {
        let used = ApiKeyUseRecord { at: now };
        let _ = records
            .put(
                &store::api_key_use_key(&record.id),
                &used,
                record.expires_at,
                at,
            )
            .await;
    }
    Ok(Principal {
        user_id: record.user_id,
        scheme: Scheme::ApiKey,
        session_id: None,
        api_key_id: Some(record.id),
        access: Access::Scoped(record.scopes),
        provider_scopes: Vec::new(),
    })
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
