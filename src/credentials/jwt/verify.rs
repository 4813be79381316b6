//! Verifying a JWT against a key set (`keyset.rs`) and a set of rules: the one validation path
//! shared by the Worker (our access tokens) and the npm package (`verifyJwt`).
//!
//! Decisions (RFC 8725, JWT best current practices):
//!
//! - **One strict parse.** [`UntrustedJwt::parse`] is the only reader of a token: exactly three
//!   parts of canonical unpadded base64url (no `=`, no `+` or `/`, no stray trailing bits), then
//!   a header and claims that are UTF-8 JSON objects in which no member is named twice, at any
//!   depth (RFC 7515 §5.2 lets a recipient refuse them: two `sub`s may be read differently by
//!   us and by the next parser). Signatures are checked with `ed25519-dalek` and `hmac`
//!   directly, the calls `jwt-compact`'s `Ed25519` and `Hs256` make (`jwt-compact` issues our
//!   tokens; verifying through it would put `anyhow` and its error formatting in every build
//!   that verifies, the package's verify-only entry included).
//! - **The verifier picks the algorithm.** `alg` must be on [`Rules::algorithms`], and the key
//!   is chosen by `kid` among our keys *of that algorithm*. Key-carrying headers (`jwk`, `jku`,
//!   `x5u`, `x5c`) are never read.
//! - **No extensions.** We understand no `crit` parameter, so a token naming any is refused
//!   (RFC 7515 §4.1.11), as is a `cty` other than JSON (a nested token).
//! - **No panic on numbers.** A time claim chrono cannot represent is `Malformed`; the leeway
//!   is bounded by [`MAX_LEEWAY_SECS`] and applied with checked arithmetic.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::keyset::{Alg, KeySet, Material};
use super::untrusted::{self, RegisteredClaims};
use super::{TokenError, UntrustedJwt};

/// The largest clock skew [`Rules::leeway_secs`] may tolerate: one day.
pub const MAX_LEEWAY_SECS: i64 = 86_400;

/// What a token must satisfy besides a valid signature.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Accepted algorithms; a token whose `alg` is not listed is refused before anything else.
    pub algorithms: Vec<Alg>,
    /// Required `iss`, if any.
    pub issuer: Option<String>,
    /// Required `aud` (a token's `aud` may be a string or a list containing it), if any.
    pub audience: Option<String>,
    /// Required `typ` header (compared case-insensitively, `application/` prefix ignored).
    pub token_type: Option<String>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds: `0..=MAX_LEEWAY_SECS`; any other
    /// value refuses every token as `Malformed`.
    pub leeway_secs: i64,
}

/// A token whose signature and rules have been checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The header's `kid`.
    pub kid: Option<String>,
    /// The algorithm it was verified with.
    pub alg: Alg,
    /// Every claim as the token's own JSON text, an object that names no member twice: what
    /// the npm package hands to `JSON.parse` and Rust callers deserialize into their own type,
    /// so that the claims are neither copied into a map nor written out again.
    pub claims_json: String,
    /// `exp`.
    pub expires_at: DateTime<Utc>,
}

impl Verified {
    /// Every claim, `exp`, `nbf` and `iat` included, as the token has them; read from
    /// [`Verified::claims_json`] on each call.
    pub fn claims(&self) -> Map<String, Value> {
        untrusted::object(&self.claims_json)
    }
}

/// Verifies `token` against `keys` and `rules` at the instant `now`. A token of an algorithm
/// the platform checks (`!alg.is_native()`) is `UnsupportedAlgorithm` here: see
/// [`verify_or_defer`].
pub fn verify(
    token: &str,
    keys: &KeySet,
    rules: &Rules,
    now: DateTime<Utc>,
) -> Result<Verified, TokenError> {
    match verify_or_defer(token, keys, rules, now)? {
        Outcome::Verified(verified) => Ok(verified),
        Outcome::Deferred(_) => Err(TokenError::UnsupportedAlgorithm),
    }
}

/// What [`verify_or_defer`] concluded.
#[derive(Debug)]
pub enum Outcome {
    /// Every check passed, the signature included.
    Verified(Verified),
    /// Every check is done but the signature, which the platform's crypto must check.
    Deferred(Deferred),
}

/// A token whose signature the platform checks (RS256, PS256, ES256: WebCrypto), with the
/// verdict on everything else already reached. Only [`Deferred::finish`] gives the verdict,
/// and only once told whether the signature verified.
#[derive(Debug)]
pub struct Deferred {
    /// The algorithm to verify with (from the allow-list and the key, never the token alone).
    pub alg: Alg,
    /// The public key as a JWK for WebCrypto's `importKey("jwk", ...)`: `RSA` with `n`, `e`, or
    /// `EC` with `crv`, `x`, `y`, nothing else.
    pub jwk: String,
    /// The signed bytes: the token's `header.payload`.
    pub message: Vec<u8>,
    /// The signature as sent.
    pub signature: Vec<u8>,
    rest: Result<Verified, TokenError>,
}

impl Deferred {
    /// The verdict, given whether the signature verified: a bad signature comes first, as
    /// in [`verify`], then the verdict on the rest.
    pub fn finish(self, signature_verified: bool) -> Result<Verified, TokenError> {
        if signature_verified {
            self.rest
        } else {
            Err(TokenError::BadSignature)
        }
    }
}

/// [`verify`] for every algorithm: EdDSA and HS256 are verified here; for RS256, PS256 and
/// ES256 everything but the signature is, and the result says what the platform must check.
pub fn verify_or_defer(
    token: &str,
    keys: &KeySet,
    rules: &Rules,
    now: DateTime<Utc>,
) -> Result<Outcome, TokenError> {
    let mut untrusted = UntrustedJwt::parse(token)?;
    let alg = Alg::from_name(untrusted.algorithm())
        .filter(|alg| rules.algorithms.contains(alg))
        .ok_or(TokenError::UnsupportedAlgorithm)?;
    let key = keys.select(alg, untrusted.key_id())?;
    let message = untrusted.signing_input.as_bytes();
    let Material::Platform { jwk, .. } = &key.material else {
        return if key.verifies(message, &untrusted.signature) {
            check_rest(untrusted, alg, rules, now).map(Outcome::Verified)
        } else {
            Err(TokenError::BadSignature)
        };
    };
    // An ES256 signature (r || s) is 64 bytes: any other length is refused here, without
    // asking the platform.
    if alg == Alg::Es256 && untrusted.signature.len() != 64 {
        return Err(TokenError::BadSignature);
    }
    let signature = std::mem::take(&mut untrusted.signature);
    Ok(Outcome::Deferred(Deferred {
        alg,
        jwk: jwk.clone(),
        message: message.to_vec(),
        signature,
        rest: check_rest(untrusted, alg, rules, now),
    }))
}

/// Everything after the signature: `typ`, then the claims.
fn check_rest(
    untrusted: UntrustedJwt<'_>,
    alg: Alg,
    rules: &Rules,
    now: DateTime<Utc>,
) -> Result<Verified, TokenError> {
    if let Some(expected) = &rules.token_type {
        let typ = untrusted.typ.as_deref().unwrap_or("");
        let typ = typ.strip_prefix("application/").unwrap_or(typ);
        if !typ.eq_ignore_ascii_case(expected) {
            return Err(TokenError::WrongType);
        }
    }
    let UntrustedJwt {
        kid,
        registered,
        claims_json,
        ..
    } = untrusted;
    let expires_at = check_claims(&registered, rules, now)?;
    Ok(Verified {
        kid,
        alg,
        claims_json,
        expires_at,
    })
}

/// Checks the registered claims of a token whose signature is already verified: `exp`
/// (required) and `nbf` with the leeway, `iat` (a date if present), `iss` and `aud`. Returns
/// `exp`. Shared by every token we accept, ours and the identity provider's.
pub fn check_claims(
    claims: &RegisteredClaims,
    rules: &Rules,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, TokenError> {
    if !(0..=MAX_LEEWAY_SECS).contains(&rules.leeway_secs) {
        return Err(TokenError::Malformed);
    }
    let leeway = rules.leeway_secs;
    let instant = |claim: &Option<Value>| claim.as_ref().map(numeric_date).transpose();
    let expires_at = instant(&claims.exp)?.ok_or(TokenError::MissingExpiry)?;
    // Both dates are within chrono's range and the leeway within a day: these cannot overflow.
    let latest = expires_at
        .timestamp()
        .checked_add(leeway)
        .ok_or(TokenError::Malformed)?;
    // RFC 7519 §4.1.4: "on or after which the JWT MUST NOT be accepted" (as jose reads it).
    if now.timestamp() >= latest {
        return Err(TokenError::Expired);
    }
    if let Some(not_before) = instant(&claims.nbf)? {
        let earliest = not_before
            .timestamp()
            .checked_sub(leeway)
            .ok_or(TokenError::Malformed)?;
        if now.timestamp() < earliest {
            return Err(TokenError::NotYetValid);
        }
    }
    instant(&claims.iat)?;
    if let Some(issuer) = &rules.issuer {
        if claims.iss.as_ref().and_then(Value::as_str) != Some(issuer.as_str()) {
            return Err(TokenError::WrongIssuer);
        }
    }
    if let Some(audience) = &rules.audience {
        let matches = match &claims.aud {
            Some(Value::String(aud)) => aud == audience,
            Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(audience)),
            _ => false,
        };
        if !matches {
            return Err(TokenError::WrongAudience);
        }
    }
    Ok(expires_at)
}

/// A NumericDate (RFC 7519 §2): seconds since the epoch, fractions rounded down. `Malformed`
/// unless it is a number chrono can represent.
fn numeric_date(value: &Value) -> Result<DateTime<Utc>, TokenError> {
    let secs = match value {
        Value::Number(number) => number.as_i64().or_else(|| {
            number
                .as_f64()
                // Well beyond chrono's range, well within i64: the cast cannot saturate.
                .filter(|secs| secs.is_finite() && secs.abs() < 1e15)
                .map(|secs| secs.floor() as i64)
        }),
        _ => None,
    };
    secs.and_then(|secs| DateTime::from_timestamp(secs, 0))
        .ok_or(TokenError::Malformed)
}

#[cfg(test)]
mod tests;
