//! Our access tokens: EdDSA JWTs issued and verified with `jwt-compact`.
//!
//! A token is untrusted until [`verify_access`] has checked, with the algorithm *we* chose
//! (EdDSA; the header's `alg` only has to agree), its signature against the key named by
//! `kid`, then `typ`, `exp`, `nbf`, `iss` and `aud`.

mod keys;

pub use keys::{jwks, SigningKey};

use chrono::{DateTime, TimeDelta, Utc};
use jwt_compact::alg::Ed25519;
use jwt_compact::{AlgorithmExt as _, Claims, Header, TimeOptions, UntrustedToken};
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
    /// `iss` is not ours.
    WrongIssuer,
    /// `aud` is not ours.
    WrongAudience,
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

/// Verifies an access token against `keys` at the instant `now`.
pub fn verify_access<'k>(
    keys: impl IntoIterator<Item = &'k SigningKey>,
    token: &str,
    expect: &Expectations<'_>,
    now: DateTime<Utc>,
) -> Result<VerifiedAccess, TokenError> {
    let untrusted = UntrustedToken::new(token).map_err(|_| TokenError::Malformed)?;
    if untrusted.algorithm() != "EdDSA" {
        return Err(TokenError::UnsupportedAlgorithm);
    }
    let kid = untrusted.header().key_id.as_deref();
    let key = keys
        .into_iter()
        .find(|key| Some(key.kid()) == kid)
        .ok_or(TokenError::UnknownKey)?;
    let token = Ed25519
        .validator::<AccessClaims>(key.public())
        .validate(&untrusted)
        .map_err(|err| match err {
            jwt_compact::ValidationError::MalformedClaims(_) => TokenError::Malformed,
            _ => TokenError::BadSignature,
        })?;
    if token.header().token_type.as_deref() != Some(ACCESS_TOKEN_TYPE) {
        return Err(TokenError::WrongType);
    }
    let claims = token.claims();
    let time = TimeOptions::new(TimeDelta::seconds(LEEWAY_SECS), move || now);
    let expires_at = claims.expiration.ok_or(TokenError::MissingExpiry)?;
    claims
        .validate_expiration(&time)
        .map_err(|_| TokenError::Expired)?;
    if claims.not_before.is_some() {
        claims
            .validate_maturity(&time)
            .map_err(|_| TokenError::NotYetValid)?;
    }
    if claims.custom.iss != expect.issuer {
        return Err(TokenError::WrongIssuer);
    }
    if claims.custom.aud != expect.audience {
        return Err(TokenError::WrongAudience);
    }
    Ok(VerifiedAccess {
        claims: claims.custom.clone(),
        expires_at,
    })
}

#[cfg(test)]
mod tests;
