//! Verifying a JWT against a key set and a set of rules: the one validation path shared by the
//! Worker (our access tokens) and the npm package (`verifyJwt`).
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
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey as PublicKey};
use hmac::{Hmac, Mac as _};
use serde_json::{Map, Value};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::untrusted::{self, RegisteredClaims};
use super::{TokenError, UntrustedJwt};
use crate::util::base64url;

/// The shortest HS256 secret we accept: the hash size (RFC 7518 §3.2).
pub const MIN_HS256_KEY_BYTES: usize = 32;

/// The largest clock skew [`Rules::leeway_secs`] may tolerate: one day.
pub const MAX_LEEWAY_SECS: i64 = 86_400;

/// A signature algorithm we verify. EdDSA and HS256 are checked here; the others (an identity
/// provider's) by the platform's crypto, WebCrypto: [`verify_or_defer`] hands them back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// Ed25519 (`EdDSA`).
    EdDsa,
    /// HMAC-SHA256 (`HS256`).
    Hs256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (`RS256`), an `RSA` key.
    Rs256,
    /// RSASSA-PSS with SHA-256 and a 32-byte salt (`PS256`), an `RSA` key.
    Ps256,
    /// ECDSA on P-256 with SHA-256 (`ES256`), an `EC` key; the signature is `r || s`.
    Es256,
}

impl Alg {
    /// Every algorithm we verify.
    pub const ALL: [Self; 5] = [
        Self::EdDsa,
        Self::Hs256,
        Self::Rs256,
        Self::Ps256,
        Self::Es256,
    ];

    /// The JOSE name.
    pub fn name(self) -> &'static str {
        match self {
            Self::EdDsa => "EdDSA",
            Self::Hs256 => "HS256",
            Self::Rs256 => "RS256",
            Self::Ps256 => "PS256",
            Self::Es256 => "ES256",
        }
    }

    /// The algorithm with this JOSE name (case-sensitive), if we verify it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// Whether its signatures are checked here rather than by the platform's crypto.
    pub fn is_native(self) -> bool {
        matches!(self, Self::EdDsa | Self::Hs256)
    }
}

/// The smallest RSA modulus we accept (RFC 7518 §3.3: 2048 bits or larger).
pub const MIN_RSA_MODULUS_BYTES: usize = 256;

#[derive(Clone)]
enum Material {
    Ed25519(PublicKey),
    /// The secret itself, wiped on drop (as `jwt-compact`'s `Hs256Key` was); a keyed HMAC
    /// state would save two SHA-256 blocks a verification but is as good as the key and
    /// `hmac` does not wipe it.
    Hs256(Zeroizing<Vec<u8>>),
    /// A public `RSA` or `EC` (P-256) key whose signatures the platform checks: its JWK text
    /// with the members WebCrypto imports, the algorithms it may verify.
    Platform {
        jwk: String,
        algs: &'static [Alg],
    },
}

/// One verification key.
#[derive(Clone)]
pub struct VerifyingKey {
    kid: Option<String>,
    material: Material,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("algs", &self.algs())
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// An Ed25519 public key.
    pub fn ed25519(kid: Option<String>, public: PublicKey) -> Self {
        Self {
            kid,
            material: Material::Ed25519(public),
        }
    }

    /// An HS256 shared secret; `None` if it is shorter than [`MIN_HS256_KEY_BYTES`], short
    /// enough to be guessed offline from one token.
    pub fn hs256(kid: Option<String>, secret: &[u8]) -> Option<Self> {
        (secret.len() >= MIN_HS256_KEY_BYTES).then(|| Self {
            kid,
            material: Material::Hs256(Zeroizing::new(secret.to_vec())),
        })
    }

    /// The algorithms this key verifies: one, but two for an unrestricted RSA key.
    fn algs(&self) -> &[Alg] {
        match &self.material {
            Material::Ed25519(_) => &[Alg::EdDsa],
            Material::Hs256(_) => &[Alg::Hs256],
            Material::Platform { algs, .. } => algs,
        }
    }

    /// Whether this key verifies `alg`.
    pub fn fits(&self, alg: Alg) -> bool {
        self.algs().contains(&alg)
    }

    /// The key from one JWK: `OKP`/`Ed25519`, `oct`, `RSA` or `EC`/`P-256`. `None` for other key
    /// types or curves, an RSA modulus shorter than [`MIN_RSA_MODULUS_BYTES`], or a JWK
    /// restricted to another use or algorithm; `Err` for a malformed one, or an `oct` key
    /// shorter than [`MIN_HS256_KEY_BYTES`].
    pub fn from_jwk(jwk: &Value) -> Result<Option<Self>, TokenError> {
        let field = |name: &str| jwk.get(name).and_then(Value::as_str);
        let kid = field("kid").map(str::to_owned);
        if field("use").is_some_and(|u| u != "sig") {
            return Ok(None);
        }
        // A member's base64url text (padding dropped) and its bytes.
        let member = |name: &str| {
            let text = field(name)
                .ok_or(TokenError::InvalidJwks)?
                .trim_end_matches('=');
            let bytes = base64url::decode(text).ok_or(TokenError::InvalidJwks)?;
            Ok::<_, TokenError>((text, bytes))
        };
        let bytes = |name: &str| member(name).map(|(_, bytes)| bytes);
        let algs: &'static [Alg] = match (field("kty"), field("crv")) {
            (Some("OKP"), Some("Ed25519")) => &[Alg::EdDsa],
            (Some("oct"), _) => &[Alg::Hs256],
            (Some("RSA"), _) => &[Alg::Rs256, Alg::Ps256],
            (Some("EC"), Some("P-256")) => &[Alg::Es256],
            (Some(_), _) => return Ok(None),
            (None, _) => return Err(TokenError::InvalidJwks),
        };
        // A JWK's `alg` restricts it to that one algorithm, which must be one of its type's.
        let algs = match field("alg") {
            None => algs,
            Some(name) => match algs.iter().find(|alg| alg.name() == name) {
                Some(alg) => std::slice::from_ref(alg),
                None => return Ok(None),
            },
        };
        let material = match algs[0] {
            Alg::EdDsa => {
                let x = bytes("x")?;
                let x: [u8; 32] = x.try_into().map_err(|_| TokenError::InvalidJwks)?;
                let public = PublicKey::from_bytes(&x).map_err(|_| TokenError::InvalidJwks)?;
                Material::Ed25519(public)
            }
            Alg::Hs256 => {
                return Ok(Some(
                    Self::hs256(kid, &bytes("k")?).ok_or(TokenError::InvalidJwks)?,
                ))
            }
            // The JWK WebCrypto imports is built from the members' own text, which decoded as
            // base64url (so it needs no JSON escaping), and nothing else of the given JWK.
            Alg::Rs256 | Alg::Ps256 => {
                let ((n_text, n), (e_text, e)) = (member("n")?, member("e")?);
                if e.is_empty() || e.len() > 8 {
                    return Err(TokenError::InvalidJwks);
                }
                // Too weak to trust, but a provider may still publish one beside its real keys:
                // skipped, so its tokens are `UnknownKey` and the set's other keys still work.
                if n.iter().skip_while(|b| **b == 0).count() < MIN_RSA_MODULUS_BYTES {
                    return Ok(None);
                }
                let jwk = format!(r#"{{"kty":"RSA","n":"{n_text}","e":"{e_text}"}}"#);
                Material::Platform { jwk, algs }
            }
            Alg::Es256 => {
                let ((x_text, x), (y_text, y)) = (member("x")?, member("y")?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(TokenError::InvalidJwks);
                }
                let jwk = format!(r#"{{"kty":"EC","crv":"P-256","x":"{x_text}","y":"{y_text}"}}"#);
                Material::Platform { jwk, algs }
            }
        };
        Ok(Some(Self { kid, material }))
    }

    /// Whether `signature` is this key's signature of `message`: its length first (64 bytes
    /// for Ed25519, 32 for HS256), then the algorithm's own check, constant-time for HMAC.
    /// Never for a key whose signatures the platform checks (see [`verify_or_defer`]).
    fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.material {
            Material::Ed25519(public) => Signature::from_slice(signature)
                .is_ok_and(|signature| public.verify(message, &signature).is_ok()),
            // HMAC takes a key of any length: `new_from_slice` cannot fail.
            Material::Hs256(secret) => {
                Hmac::<Sha256>::new_from_slice(secret).is_ok_and(|mut mac| {
                    mac.update(message);
                    mac.verify_slice(signature).is_ok()
                })
            }
            Material::Platform { .. } => false,
        }
    }
}

/// The keys a token may be signed with.
#[derive(Debug, Clone, Default)]
pub struct KeySet(Vec<VerifyingKey>);

impl KeySet {
    /// A key set of these keys.
    pub fn new(keys: Vec<VerifyingKey>) -> Self {
        Self(keys)
    }

    /// The usable keys of a JWK Set (`{"keys": [...]}`); keys of other types are skipped.
    pub fn from_jwks(jwks: &Value) -> Result<Self, TokenError> {
        let keys = jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(TokenError::InvalidJwks)?;
        let mut usable = Vec::with_capacity(keys.len());
        for jwk in keys {
            if let Some(key) = VerifyingKey::from_jwk(jwk)? {
                usable.push(key);
            }
        }
        Ok(Self(usable))
    }

    /// Whether any key verifies `alg`.
    pub fn fits_any(&self, alg: Alg) -> bool {
        self.0.iter().any(|key| key.fits(alg))
    }

    /// The key for a token's `alg` and `kid`: the one with that kid, or, for a token without
    /// a kid, the only key of that algorithm.
    fn select(&self, alg: Alg, kid: Option<&str>) -> Result<&VerifyingKey, TokenError> {
        let mut candidates = self.0.iter().filter(|key| key.fits(alg));
        let found = match kid {
            Some(kid) => candidates.find(|key| key.kid.as_deref() == Some(kid)),
            None => match (candidates.next(), candidates.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            },
        };
        found.ok_or(TokenError::UnknownKey)
    }
}

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
