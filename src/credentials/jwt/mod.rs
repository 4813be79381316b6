//! Our access tokens: EdDSA JWTs issued and verified with `jwt-compact`.
//!
//! A token is untrusted until [`verify_access`] has checked, with the algorithm *we* chose
//! (EdDSA; the header's `alg` only has to agree), its signature against the key named by
//! `kid`, then `typ`, `exp`, `nbf`, `iss` and `aud`.

mod keys;
mod keyset;
mod untrusted;
mod verify;

pub use crate::error::TokenError;
pub use keys::{jwks, SigningKey};
pub use keyset::{Alg, KeySet, VerifyingKey, MIN_HS256_KEY_BYTES, MIN_RSA_MODULUS_BYTES};
pub use untrusted::{strict_json, RegisteredClaims, UntrustedJwt};
pub use verify::{
    check_claims, verify, verify_or_defer, Deferred, Outcome, Rules, Verified, MAX_LEEWAY_SECS,
};

use crate::store::{SessionId, UserId};
use chrono::{DateTime, TimeDelta, Utc};
use jwt_compact::alg::Ed25519;
use jwt_compact::{AlgorithmExt as _, Claims, Header, TimeOptions};
use serde::{Deserialize, Serialize};

/// The `typ` header of our access tokens (RFC 9068).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: i64 = 30;

/// The claims of our access tokens besides `exp`, `nbf` and `iat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer: our base URL.
    pub iss: String,
    /// Subject: the user id.
    pub sub: UserId,
    /// Audience.
    pub aud: String,
    /// Session (refresh-token family) id: logging out or a reused refresh token revokes it.
    pub sid: SessionId,
    /// Token id.
    pub jti: String,
}

/// What a token must satisfy besides its signature.
#[derive(Debug, Clone)]
pub struct Expectations<'a> {
    /// The only accepted `iss`.
    pub issuer: &'a str,
    /// The only accepted `aud`.
    pub audience: &'a str,
}

/// A verified access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAccess {
    /// Its claims.
    pub claims: AccessClaims,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// Signs an access token valid from `now` for `ttl_secs`.
pub fn issue_access(
    key: &SigningKey,
    claims: AccessClaims,
    now: DateTime<Utc>,
    ttl_secs: i64,
) -> String {
    let header = Header::empty()
        .with_key_id(key.kid())
        .with_token_type(ACCESS_TOKEN_TYPE);
    let time = TimeOptions::new(TimeDelta::zero(), move || now);
    let claims = Claims::new(claims)
        .set_duration_and_issuance(&time, TimeDelta::seconds(ttl_secs))
        .set_not_before(now);
    // Serializing plain string claims cannot fail.
    Ed25519
        .token(&header, &claims, key.secret())
        .unwrap_or_default()
}

/// Verifies one of our access tokens against `keys` at the instant `now`: EdDSA only,
/// `typ: at+jwt`, our issuer and audience, then our claim set.
pub fn verify_access<'k>(
    keys: impl IntoIterator<Item = &'k SigningKey>,
    token: &str,
    expect: &Expectations<'_>,
    now: DateTime<Utc>,
) -> Result<VerifiedAccess, TokenError> {
    let keys = KeySet::new(
        keys.into_iter()
            .map(|key| VerifyingKey::ed25519(Some(key.kid().to_owned()), *key.public()))
            .collect(),
    );
    verify_access_with(&keys, token, expect, now)
}

/// [`verify_access`] against public keys alone, e.g. our JWKS as a verify-only embedder holds
/// it: only its EdDSA keys count.
pub fn verify_access_with(
    keys: &KeySet,
    token: &str,
    expect: &Expectations<'_>,
    now: DateTime<Utc>,
) -> Result<VerifiedAccess, TokenError> {
    let rules = Rules {
        algorithms: vec![Alg::EdDsa],
        issuer: Some(expect.issuer.to_owned()),
        audience: Some(expect.audience.to_owned()),
        token_type: Some(ACCESS_TOKEN_TYPE.to_owned()),
        leeway_secs: LEEWAY_SECS,
    };
    let verified = verify(token, keys, &rules, now)?;
    let claims = serde_json::from_str(&verified.claims_json).map_err(|_| TokenError::Malformed)?;
    Ok(VerifiedAccess {
        claims,
        expires_at: verified.expires_at,
    })
}

#[cfg(test)]
mod tests;
