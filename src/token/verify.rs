//! Verifying a JWT against a key set and a set of rules: the one validation path shared by the
//! Worker (our access tokens) and the npm package (`verifyJwt`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use ed25519_dalek::VerifyingKey as PublicKey;
use jwt_compact::alg::{Ed25519, Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt as _, Claims, Token, UntrustedToken, ValidationError};
use serde_json::{Map, Value};

use super::TokenError;

/// A signature algorithm we verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// Ed25519 (`EdDSA`).
    EdDsa,
    /// HMAC-SHA256 (`HS256`).
    Hs256,
}

impl Alg {
    /// The JOSE name.
    pub fn name(self) -> &'static str {
        match self {
            Self::EdDsa => "EdDSA",
            Self::Hs256 => "HS256",
        }
    }

    /// The algorithm with this JOSE name, if we verify it.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::EdDsa, Self::Hs256]
            .into_iter()
            .find(|alg| alg.name() == name)
    }
}

#[derive(Clone)]
enum Material {
    Ed25519(PublicKey),
    Hs256(Hs256Key),
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
            .field("alg", &self.alg())
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

    /// An HS256 shared secret.
    pub fn hs256(kid: Option<String>, secret: &[u8]) -> Self {
        Self {
            kid,
            material: Material::Hs256(Hs256Key::new(secret)),
        }
    }

    /// The algorithm this key verifies.
    pub fn alg(&self) -> Alg {
        match self.material {
            Material::Ed25519(_) => Alg::EdDsa,
            Material::Hs256(_) => Alg::Hs256,
        }
    }

    /// The key from one JWK: `OKP`/`Ed25519` or `oct`. `None` for other key types, or a JWK
    /// restricted to another use or algorithm; `Err` for a malformed one.
    pub fn from_jwk(jwk: &Value) -> Result<Option<Self>, TokenError> {
        let field = |name: &str| jwk.get(name).and_then(Value::as_str);
        let kid = field("kid").map(str::to_owned);
        if field("use").is_some_and(|u| u != "sig") {
            return Ok(None);
        }
        let bytes = |name: &str| {
            field(name)
                .and_then(|v| URL_SAFE_NO_PAD.decode(v.trim_end_matches('=')).ok())
                .ok_or(TokenError::InvalidJwks)
        };
        let key = match (field("kty"), field("crv")) {
            (Some("OKP"), Some("Ed25519")) => {
                let x = bytes("x")?;
                let x: [u8; 32] = x.try_into().map_err(|_| TokenError::InvalidJwks)?;
                let public = PublicKey::from_bytes(&x).map_err(|_| TokenError::InvalidJwks)?;
                Self::ed25519(kid, public)
            }
            (Some("oct"), _) => Self::hs256(kid, &bytes("k")?),
            (Some(_), _) => return Ok(None),
            (None, _) => return Err(TokenError::InvalidJwks),
        };
        match field("alg") {
            Some(alg) if alg != key.alg().name() => Ok(None),
            _ => Ok(Some(key)),
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

    /// The key for a token's `alg` and `kid`: the one with that kid, or, for a token without
    /// a kid, the only key of that algorithm.
    fn select(&self, alg: Alg, kid: Option<&str>) -> Result<&VerifyingKey, TokenError> {
        let mut candidates = self.0.iter().filter(|key| key.alg() == alg);
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
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: i64,
}

/// A token whose signature and rules have been checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The header's `kid`.
    pub kid: Option<String>,
    /// The algorithm it was verified with.
    pub alg: Alg,
    /// Every claim, `exp`, `nbf` and `iat` included.
    pub claims: Map<String, Value>,
    /// `exp`.
    pub expires_at: DateTime<Utc>,
}

/// Verifies `token` against `keys` and `rules` at the instant `now`.
pub fn verify(
    token: &str,
    keys: &KeySet,
    rules: &Rules,
    now: DateTime<Utc>,
) -> Result<Verified, TokenError> {
    let untrusted = UntrustedToken::new(token).map_err(|_| TokenError::Malformed)?;
    let alg = Alg::from_name(untrusted.algorithm())
        .filter(|alg| rules.algorithms.contains(alg))
        .ok_or(TokenError::UnsupportedAlgorithm)?;
    let kid = untrusted.header().key_id.clone();
    let key = keys.select(alg, kid.as_deref())?;
    let checked: Result<Token<Map<String, Value>>, ValidationError> = match &key.material {
        Material::Ed25519(public) => Ed25519.validator(public).validate(&untrusted),
        Material::Hs256(secret) => Hs256.validator(secret).validate(&untrusted),
    };
    let token = checked.map_err(|err| match err {
        ValidationError::MalformedClaims(_) => TokenError::Malformed,
        _ => TokenError::BadSignature,
    })?;
    if let Some(expected) = &rules.token_type {
        let typ = token.header().token_type.as_deref().unwrap_or("");
        let typ = typ.strip_prefix("application/").unwrap_or(typ);
        if !typ.eq_ignore_ascii_case(expected) {
            return Err(TokenError::WrongType);
        }
    }
    let (_, claims) = token.into_parts();
    let claims = claims_map(claims);
    let expires_at = check_claims(&claims, rules, now)?;
    Ok(Verified {
        kid,
        alg,
        claims,
        expires_at,
    })
}

/// Checks the registered claims of a token whose signature is already verified: `exp`
/// (required) and `nbf` with the leeway, `iss` and `aud`. Returns `exp`. Shared by every
/// token we accept, ours and the identity provider's.
pub fn check_claims(
    claims: &Map<String, Value>,
    rules: &Rules,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, TokenError> {
    let instant = |name: &str| match claims.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_i64()
            .or_else(|| value.as_f64().map(|f| f as i64))
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
            .map(Some)
            .ok_or(TokenError::Malformed),
    };
    let leeway = TimeDelta::seconds(rules.leeway_secs);
    let expires_at = instant("exp")?.ok_or(TokenError::MissingExpiry)?;
    if now > expires_at + leeway {
        return Err(TokenError::Expired);
    }
    if instant("nbf")?.is_some_and(|nbf| now < nbf - leeway) {
        return Err(TokenError::NotYetValid);
    }
    if let Some(issuer) = &rules.issuer {
        if claims.get("iss").and_then(Value::as_str) != Some(issuer.as_str()) {
            return Err(TokenError::WrongIssuer);
        }
    }
    if let Some(audience) = &rules.audience {
        let matches = match claims.get("aud") {
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

/// All claims as one JSON map, the registered time claims included.
fn claims_map(claims: Claims<Map<String, Value>>) -> Map<String, Value> {
    let mut map = claims.custom;
    for (name, at) in [
        ("exp", claims.expiration),
        ("nbf", claims.not_before),
        ("iat", claims.issued_at),
    ] {
        if let Some(at) = at {
            map.insert(name.into(), at.timestamp().into());
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use jwt_compact::Header;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn rules(algorithms: Vec<Alg>) -> Rules {
        Rules {
            algorithms,
            issuer: Some("iss".into()),
            audience: Some("aud".into()),
            token_type: None,
            leeway_secs: 0,
        }
    }

    fn hs256_token(secret: &[u8], aud: Value) -> String {
        let time = jwt_compact::TimeOptions::new(TimeDelta::zero(), now);
        let claims = Claims::new(json!({"iss": "iss", "aud": aud, "sub": "u"}))
            .set_duration_and_issuance(&time, TimeDelta::seconds(60));
        Hs256
            .token(
                &Header::empty().with_key_id("h1"),
                &claims,
                &Hs256Key::new(secret),
            )
            .unwrap()
    }

    #[test]
    fn hs256_verifies_against_an_oct_jwk_and_audience_lists() {
        let secret = [9u8; 32];
        let jwks =
            json!({"keys": [{"kty": "oct", "kid": "h1", "k": URL_SAFE_NO_PAD.encode(secret)}]});
        let keys = KeySet::from_jwks(&jwks).unwrap();
        let verified = verify(
            &hs256_token(&secret, json!(["x", "aud"])),
            &keys,
            &rules(vec![Alg::Hs256]),
            now(),
        )
        .unwrap();
        assert_eq!(verified.claims["sub"], "u");
        assert_eq!(verified.claims["exp"], 1_800_000_060);
        let wrong = hs256_token(&secret, json!(["x"]));
        assert_eq!(
            verify(&wrong, &keys, &rules(vec![Alg::Hs256]), now()),
            Err(TokenError::WrongAudience)
        );
        // Not on the allow-list: refused before any key is looked at.
        let token = hs256_token(&secret, json!("aud"));
        assert_eq!(
            verify(&token, &keys, &rules(vec![Alg::EdDsa]), now()),
            Err(TokenError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn jwks_skips_foreign_keys_and_refuses_broken_ones() {
        let jwks = json!({"keys": [
            {"kty": "RSA", "n": "abc", "e": "AQAB"},
            {"kty": "oct", "k": "c2VjcmV0", "use": "enc"},
            {"kty": "oct", "k": "c2VjcmV0", "alg": "HS512"},
            {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
        ]});
        let keys = KeySet::from_jwks(&jwks).unwrap();
        assert_eq!(keys.0.len(), 1);
        assert_eq!(keys.0[0].alg(), Alg::EdDsa);
        for broken in [
            json!({}),
            json!({"keys": 5}),
            json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "short"}]}),
            json!({"keys": [{"k": "abc"}]}),
        ] {
            assert_eq!(
                KeySet::from_jwks(&broken).unwrap_err(),
                TokenError::InvalidJwks,
                "{broken}"
            );
        }
    }
}
