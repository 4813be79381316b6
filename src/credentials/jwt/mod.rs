//! Our access tokens: EdDSA JWTs issued and verified with `jwt-compact`.
//!
//! A token is untrusted until [`verify_access`] has checked, with the algorithm *we* chose
//! (EdDSA; the header's `alg` only has to agree), its signature against the key named by
//! `kid`, then `typ`, `exp`, `nbf`, `iss` and `aud`.

mod keys;
mod verify;

pub use keys::{jwks, SigningKey};
pub use verify::{
    check_claims, verify, Alg, KeySet, Rules, UntrustedJwt, Verified, VerifyingKey,
    MAX_LEEWAY_SECS, MIN_HS256_KEY_BYTES,
};

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
    pub sub: String,
    /// Audience.
    pub aud: String,
    /// Session (refresh-token family) id: logging out or a reused refresh token revokes it.
    pub sid: String,
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

/// Why a token was refused. The messages are safe to send to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Not three base64url parts of JSON.
    Malformed,
    /// `alg` is not the one we verify with (this includes `none`).
    UnsupportedAlgorithm,
    /// `kid` names none of our keys.
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// The `typ` header is not [`ACCESS_TOKEN_TYPE`].
    WrongType,
    /// `exp` is missing.
    MissingExpiry,
    /// `exp` has passed.
    Expired,
    /// `nbf` is in the future.
    NotYetValid,
    /// `iss` is not the expected one.
    WrongIssuer,
    /// `aud` is not the expected one.
    WrongAudience,
    /// The key set is not a JWK Set we can use.
    InvalidJwks,
    /// An ID token's `nonce` is not the one this sign-in sent.
    WrongNonce,
    /// An access token lacks a required scope.
    MissingScope,
}

impl TokenError {
    /// A short, client-safe explanation.
    pub fn message(self) -> &'static str {
        match self {
            Self::Malformed => "malformed token",
            Self::UnsupportedAlgorithm => "unsupported token algorithm",
            Self::UnknownKey => "token signed by an unknown key",
            Self::BadSignature => "invalid token signature",
            Self::WrongType => "wrong token type",
            Self::MissingExpiry => "token has no expiry",
            Self::Expired => "token expired",
            Self::NotYetValid => "token not yet valid",
            Self::WrongIssuer => "wrong token issuer",
            Self::WrongAudience => "wrong token audience",
            Self::InvalidJwks => "invalid JWK set",
            Self::WrongNonce => "wrong nonce",
            Self::MissingScope => "token lacks a required scope",
        }
    }

    /// A stable, machine-readable code (`expired`, `bad_signature`, ...).
    pub fn code(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::WrongType => "wrong_type",
            Self::MissingExpiry => "missing_expiry",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::InvalidJwks => "invalid_jwks",
            Self::WrongNonce => "wrong_nonce",
            Self::MissingScope => "missing_scope",
        }
    }
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
    let rules = Rules {
        algorithms: vec![Alg::EdDsa],
        issuer: Some(expect.issuer.to_owned()),
        audience: Some(expect.audience.to_owned()),
        token_type: Some(ACCESS_TOKEN_TYPE.to_owned()),
        leeway_secs: LEEWAY_SECS,
    };
    let verified = verify(token, &keys, &rules, now)?;
    let claims =
        serde_json::from_value(verified.claims.into()).map_err(|_| TokenError::Malformed)?;
    Ok(VerifiedAccess {
        claims,
        expires_at: verified.expires_at,
    })
}

#[cfg(test)]
mod tests;
