//! Authenticating a bearer credential: our access tokens (signature, then the session), API
//! keys (format and checksum offline, then the record and its peppered HMAC) and the identity
//! provider's access tokens (the OAuth2 scheme), each ending in a [`Principal`] or a 401.

use futures_util::future::join;

use super::api_key::{self, ApiKeyFormatError};
use super::jwt::{self, Expectations};
use super::oidc::{Expect, Provider};
use super::{bearer, classify, Access, Authenticator, Credential, Principal, Scheme};
use crate::error::{AuthError, Rejection, TokenError};
use crate::http::Request;
use crate::ports::{Atomic, Clock, Revocable, Store};
use crate::store::{self, ApiKeyRecord, ApiKeyUseRecord, Records, SessionRecord, UnixTime};

pub(super) async fn authenticate<S: Store, C: Clock, P: Provider, A: Atomic>(
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

/// See [`super::authenticate_offline`].
pub(super) fn offline(
    req: &Request,
    keys: &jwt::KeySet,
    expect: &Expectations<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Principal, AuthError> {
    let token = match classify(bearer(req)?) {
        Some(Credential::Jwt(token)) => token,
        Some(Credential::ApiKey(_)) | None => {
            return Err(AuthError::InvalidToken(Rejection::UnrecognizedCredential))
        }
    };
    let verified = jwt::verify_access_with(keys, token, expect, now)
        .map_err(|err| AuthError::InvalidToken(Rejection::Token(err)))?;
    Ok(Principal {
        user_id: verified.claims.sub,
        scheme: Scheme::Jwt,
        session_id: Some(verified.claims.sid),
        api_key_id: None,
        access: Access::Full,
        provider_scopes: Vec::new(),
    })
}

/// The `iss` claim of a token whose signature has not been checked: only for dispatch. Read
/// with the one strict JWT parser, like every token we accept.
fn unverified_issuer(token: &str) -> Option<String> {
    let untrusted = jwt::UntrustedJwt::parse(token).ok()?;
    let iss = untrusted.unverified_issuer()?;
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
            if !revoked && !s.revoked && s.user_id == claims.sub && s.expires_at > now.into() =>
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
    if record
        .expires_at
        .is_some_and(|expiry| UnixTime::from(at) >= expiry)
    {
        return Err(AuthError::InvalidToken(Rejection::ApiKeyExpired));
    }
    // Use is recorded beside the key, never by rewriting it: a rewrite racing a revoke would
    // bring the revoked key back. Best effort: a failed write never fails the request.
    if auth
        .memo
        .should_record_use(record.id.as_str(), now, LAST_USED_RESOLUTION_SECS)
    {
        let used = ApiKeyUseRecord { at: at.into() };
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
