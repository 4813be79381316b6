//! Verifying a JWT against a key set and a set of rules: the one validation path shared by the
//! Worker (our access tokens) and the npm package (`verifyJwt`).
//!
//! Decisions (RFC 8725, JWT best current practices):
//!
//! - **One strict parse.** [`UntrustedJwt::parse`] is the only reader of a token: exactly three
//!   parts of canonical unpadded base64url (no `=`, no `+` or `/`, no stray trailing bits), then
//!   a header and claims that are UTF-8 JSON objects in which no member is named twice, at any
//!   depth (RFC 7515 §5.2 lets a recipient refuse them: two `sub`s may be read differently by
//!   us and by the next parser). `jwt-compact` supplies the signature algorithms only.
//! - **The verifier picks the algorithm.** `alg` must be on [`Rules::algorithms`], and the key
//!   is chosen by `kid` among our keys *of that algorithm*. Key-carrying headers (`jwk`, `jku`,
//!   `x5u`, `x5c`) are never read.
//! - **No extensions.** We understand no `crit` parameter, so a token naming any is refused
//!   (RFC 7515 §4.1.11), as is a `cty` other than JSON (a nested token).
//! - **No panic on numbers.** A time claim chrono cannot represent is `Malformed`; the leeway
//!   is bounded by [`MAX_LEEWAY_SECS`] and applied with checked arithmetic.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey as PublicKey;
use jwt_compact::alg::{Ed25519, Hs256, Hs256Key};
use jwt_compact::{Algorithm, AlgorithmSignature};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Value};

use super::TokenError;

/// The shortest HS256 secret we accept: the hash size (RFC 7518 §3.2).
pub const MIN_HS256_KEY_BYTES: usize = 32;

/// The largest clock skew [`Rules::leeway_secs`] may tolerate: one day.
pub const MAX_LEEWAY_SECS: i64 = 86_400;

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

    /// The algorithm with this JOSE name (case-sensitive), if we verify it.
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

    /// An HS256 shared secret; `None` if it is shorter than [`MIN_HS256_KEY_BYTES`], short
    /// enough to be guessed offline from one token.
    pub fn hs256(kid: Option<String>, secret: &[u8]) -> Option<Self> {
        (secret.len() >= MIN_HS256_KEY_BYTES).then(|| Self {
            kid,
            material: Material::Hs256(Hs256Key::new(secret)),
        })
    }

    /// The algorithm this key verifies.
    pub fn alg(&self) -> Alg {
        match self.material {
            Material::Ed25519(_) => Alg::EdDsa,
            Material::Hs256(_) => Alg::Hs256,
        }
    }

    /// The key from one JWK: `OKP`/`Ed25519` or `oct`. `None` for other key types, or a JWK
    /// restricted to another use or algorithm; `Err` for a malformed one, or an `oct` key
    /// shorter than [`MIN_HS256_KEY_BYTES`].
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
        let alg = match (field("kty"), field("crv")) {
            (Some("OKP"), Some("Ed25519")) => Alg::EdDsa,
            (Some("oct"), _) => Alg::Hs256,
            (Some(_), _) => return Ok(None),
            (None, _) => return Err(TokenError::InvalidJwks),
        };
        if field("alg").is_some_and(|name| name != alg.name()) {
            return Ok(None);
        }
        let key = match alg {
            Alg::EdDsa => {
                let x = bytes("x")?;
                let x: [u8; 32] = x.try_into().map_err(|_| TokenError::InvalidJwks)?;
                let public = PublicKey::from_bytes(&x).map_err(|_| TokenError::InvalidJwks)?;
                Self::ed25519(kid, public)
            }
            Alg::Hs256 => Self::hs256(kid, &bytes("k")?).ok_or(TokenError::InvalidJwks)?,
        };
        Ok(Some(key))
    }

    /// Whether `signature` is this key's signature of `message`.
    fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.material {
            Material::Ed25519(public) => signature_verifies(Ed25519, public, message, signature),
            Material::Hs256(secret) => signature_verifies(Hs256, secret, message, signature),
        }
    }
}

/// What `jwt-compact`'s validator does once the token is parsed: the length check, then the
/// algorithm's own (constant-time for HMAC) verification.
fn signature_verifies<A: Algorithm>(
    alg: A,
    key: &A::VerifyingKey,
    message: &[u8],
    signature: &[u8],
) -> bool {
    if A::Signature::LENGTH.is_some_and(|len| len.get() != signature.len()) {
        return false;
    }
    A::Signature::try_from_slice(signature)
        .is_ok_and(|signature| alg.verify_signature(&signature, key, message))
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
    /// Clock skew tolerated on `exp` and `nbf`, in seconds: `0..=MAX_LEEWAY_SECS`; any other
    /// value refuses every token as `Malformed`.
    pub leeway_secs: i64,
}

/// A JWT split and decoded by the one strict parser, nothing verified yet: its claims are only
/// reachable through [`UntrustedJwt::unverified_claims`].
#[derive(Debug, Clone)]
pub struct UntrustedJwt<'t> {
    signing_input: &'t str,
    header: Map<String, Value>,
    alg: String,
    kid: Option<String>,
    typ: Option<String>,
    claims: Map<String, Value>,
    signature: Vec<u8>,
}

impl<'t> UntrustedJwt<'t> {
    /// Splits `token` into header, claims and signature: three parts of canonical base64url,
    /// a header with a string `alg`, string `kid` and `typ` if present, no `crit` and no
    /// non-JSON `cty`, and claims that are a JSON object; no member named twice anywhere.
    pub fn parse(token: &'t str) -> Result<Self, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let signing_input = &token[..header.len() + 1 + claims.len()];
        let header = json_object(&base64url(header)?)?;
        let claims = json_object(&base64url(claims)?)?;
        let signature = base64url(signature)?;
        if header.contains_key("crit") {
            return Err(TokenError::Malformed);
        }
        match header.get("cty") {
            None => {}
            Some(Value::String(cty)) if cty.eq_ignore_ascii_case("json") => {}
            Some(_) => return Err(TokenError::Malformed),
        }
        let text = |name: &str| match header.get(name) {
            None => Ok(None),
            Some(Value::String(value)) => Ok(Some(value.clone())),
            Some(_) => Err(TokenError::Malformed),
        };
        let alg = text("alg")?.ok_or(TokenError::Malformed)?;
        let kid = text("kid")?;
        let typ = text("typ")?;
        Ok(Self {
            signing_input,
            header,
            alg,
            kid,
            typ,
            claims,
            signature,
        })
    }

    /// The header `alg`, as the token claims it.
    pub fn algorithm(&self) -> &str {
        &self.alg
    }

    /// The header `kid`, if any.
    pub fn key_id(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Every header parameter.
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// The signed text: the first two parts and the dot between them.
    pub fn signing_input(&self) -> &str {
        self.signing_input
    }

    /// The decoded signature, not checked against anything.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The claims, NOT verified: trust them only once the signature is checked.
    pub fn unverified_claims(&self) -> &Map<String, Value> {
        &self.claims
    }
}

/// Canonical unpadded base64url: the engine refuses `=`, `+`, `/` and set trailing bits.
fn base64url(part: &str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)
}

/// A JSON object without duplicate member names at any depth.
fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, TokenError> {
    match serde_json::from_slice(bytes) {
        Ok(Unique(Value::Object(map))) => Ok(map),
        _ => Err(TokenError::Malformed),
    }
}

/// A JSON value in which no object names a member twice (serde_json keeps the last one).
struct Unique(Value);

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON without duplicate member names")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Unique, E> {
        Ok(Unique(Value::Bool(value)))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Unique, E> {
        Ok(Unique(value.into()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Unique, E> {
        Ok(Unique(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Unique, E> {
        Ok(Unique(value.into()))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Unique, E> {
        Ok(Unique(Value::String(value.to_owned())))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Unique, E> {
        Ok(Unique(Value::String(value)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Unique, E> {
        Ok(Unique(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        let mut items = Vec::new();
        while let Some(Unique(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Unique(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut object = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let Unique(value) = map.next_value()?;
            match object.entry(name) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(slot) => {
                    return Err(de::Error::custom(format_args!(
                        "duplicate member {:?}",
                        slot.key()
                    )))
                }
            }
        }
        Ok(Unique(Value::Object(object)))
    }
}

/// A token whose signature and rules have been checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The header's `kid`.
    pub kid: Option<String>,
    /// The algorithm it was verified with.
    pub alg: Alg,
    /// Every claim, `exp`, `nbf` and `iat` included, as the token has them.
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
    let untrusted = UntrustedJwt::parse(token)?;
    let alg = Alg::from_name(untrusted.algorithm())
        .filter(|alg| rules.algorithms.contains(alg))
        .ok_or(TokenError::UnsupportedAlgorithm)?;
    let key = keys.select(alg, untrusted.key_id())?;
    if !key.verifies(untrusted.signing_input.as_bytes(), &untrusted.signature) {
        return Err(TokenError::BadSignature);
    }
    if let Some(expected) = &rules.token_type {
        let typ = untrusted.typ.as_deref().unwrap_or("");
        let typ = typ.strip_prefix("application/").unwrap_or(typ);
        if !typ.eq_ignore_ascii_case(expected) {
            return Err(TokenError::WrongType);
        }
    }
    let UntrustedJwt { kid, claims, .. } = untrusted;
    let expires_at = check_claims(&claims, rules, now)?;
    Ok(Verified {
        kid,
        alg,
        claims,
        expires_at,
    })
}

/// Checks the registered claims of a token whose signature is already verified: `exp`
/// (required) and `nbf` with the leeway, `iat` (a date if present), `iss` and `aud`. Returns
/// `exp`. Shared by every token we accept, ours and the identity provider's.
pub fn check_claims(
    claims: &Map<String, Value>,
    rules: &Rules,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, TokenError> {
    if !(0..=MAX_LEEWAY_SECS).contains(&rules.leeway_secs) {
        return Err(TokenError::Malformed);
    }
    let leeway = rules.leeway_secs;
    let instant = |name: &str| claims.get(name).map(numeric_date).transpose();
    let expires_at = instant("exp")?.ok_or(TokenError::MissingExpiry)?;
    // Both dates are within chrono's range and the leeway within a day: these cannot overflow.
    let latest = expires_at
        .timestamp()
        .checked_add(leeway)
        .ok_or(TokenError::Malformed)?;
    if now.timestamp() > latest {
        return Err(TokenError::Expired);
    }
    if let Some(not_before) = instant("nbf")? {
        let earliest = not_before
            .timestamp()
            .checked_sub(leeway)
            .ok_or(TokenError::Malformed)?;
        if now.timestamp() < earliest {
            return Err(TokenError::NotYetValid);
        }
    }
    instant("iat")?;
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
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use jwt_compact::{AlgorithmExt as _, Claims, Header};
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

    const ED_SEED: [u8; 32] = [3u8; 32];

    fn ed_key() -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&ED_SEED)
    }

    fn ed_keys() -> KeySet {
        KeySet::new(vec![VerifyingKey::ed25519(
            Some("e1".into()),
            ed_key().verifying_key(),
        )])
    }

    fn claims_json() -> String {
        json!({"iss": "iss", "aud": "aud", "sub": "u", "exp": 1_800_000_060}).to_string()
    }

    /// A token of exactly these header and claims texts, signed with [`ed_key`].
    fn raw_ed(header: &str, claims: impl AsRef<[u8]>) -> String {
        use ed25519_dalek::Signer as _;
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let signature = ed_key().sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    fn check_ed(token: &str) -> Result<Verified, TokenError> {
        verify(token, &ed_keys(), &rules(vec![Alg::EdDsa]), now())
    }

    #[test]
    fn raw_token_helper_makes_tokens_that_verify() {
        let token = raw_ed(r#"{"alg":"EdDSA","kid":"e1"}"#, claims_json());
        assert_eq!(check_ed(&token).unwrap().claims["sub"], "u");
    }

    #[test]
    fn any_crit_header_is_refused() {
        for crit in [r#"["exp"]"#, r#"["b64"]"#, "[]", r#""exp""#, "null"] {
            let header =
                format!(r#"{{"alg":"EdDSA","kid":"e1","exp":1,"b64":true,"crit":{crit}}}"#);
            let token = raw_ed(&header, claims_json());
            assert_eq!(check_ed(&token), Err(TokenError::Malformed), "{crit}");
        }
    }

    #[test]
    fn duplicate_header_parameters_are_refused() {
        for header in [
            r#"{"alg":"EdDSA","kid":"e1","alg":"none"}"#,
            r#"{"alg":"EdDSA","kid":"e1","kid":"e1"}"#,
            r#"{"alg":"EdDSA","kid":"e1","typ":"a","typ":"b"}"#,
        ] {
            let token = raw_ed(header, claims_json());
            assert_eq!(check_ed(&token), Err(TokenError::Malformed), "{header}");
        }
    }

    #[test]
    fn duplicate_claims_are_refused_at_any_depth() {
        for claims in [
            r#"{"iss":"iss","aud":"aud","sub":"u","sub":"admin","exp":1800000060}"#,
            r#"{"iss":"iss","aud":"aud","sub":"u","exp":1800000060,"exp":9999999999}"#,
            r#"{"iss":"iss","aud":"aud","sub":"u","sub":"admin","exp":1800000060}"#,
            r#"{"iss":"iss","aud":"aud","exp":1800000060,"x":[{"a":1,"a":2}]}"#,
        ] {
            let token = raw_ed(r#"{"alg":"EdDSA","kid":"e1"}"#, claims);
            assert_eq!(check_ed(&token), Err(TokenError::Malformed), "{claims}");
        }
    }

    #[test]
    fn non_canonical_base64url_is_refused_in_every_part() {
        let token = raw_ed(r#"{"alg":"EdDSA","kid":"e1"}"#, claims_json());
        assert!(check_ed(&token).is_ok());
        let parts: Vec<&str> = token.split('.').collect();
        let mut forged = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let with = |new: String| {
                let mut p: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
                p[i] = new;
                p.join(".")
            };
            // Padding, whatever the length.
            forged.push(with(format!("{part}=")));
            forged.push(with(format!("{part}==")));
            // The standard alphabet for the same bytes.
            let standard = base64::engine::general_purpose::STANDARD_NO_PAD
                .encode(URL_SAFE_NO_PAD.decode(part).unwrap());
            if standard != *part {
                forged.push(with(standard));
            }
            // Unused trailing bits set: decodes to the same bytes in a lenient decoder.
            if part.len() % 4 != 0 {
                let mut chars: Vec<u8> = part.bytes().collect();
                let last = chars.len() - 1;
                let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
                let value = alphabet.iter().position(|&c| c == chars[last]).unwrap();
                chars[last] = alphabet[value | 1];
                if chars[last] != part.as_bytes()[last] {
                    forged.push(with(String::from_utf8(chars).unwrap()));
                }
            }
        }
        assert!(forged.len() >= 8, "{}", forged.len());
        for token in forged {
            assert_eq!(
                check_ed(&token).map(|_| ()),
                Err(TokenError::Malformed),
                "{token}"
            );
        }
    }

    #[test]
    fn short_hmac_keys_are_refused() {
        assert!(VerifyingKey::hs256(None, &[1u8; 31]).is_none());
        assert!(VerifyingKey::hs256(None, &[]).is_none());
        assert!(VerifyingKey::hs256(None, &[1u8; 32]).is_some());
        let short = json!({"keys": [{"kty": "oct", "k": URL_SAFE_NO_PAD.encode([1u8; 31])}]});
        assert_eq!(
            KeySet::from_jwks(&short).unwrap_err(),
            TokenError::InvalidJwks
        );
        let empty = json!({"keys": [{"kty": "oct", "k": ""}]});
        assert_eq!(
            KeySet::from_jwks(&empty).unwrap_err(),
            TokenError::InvalidJwks
        );
    }

    fn claims_with(extra: Value) -> Map<String, Value> {
        let mut claims = json!({"iss": "iss", "aud": "aud"});
        for (k, v) in extra.as_object().unwrap() {
            claims[k] = v.clone();
        }
        match claims {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn absurd_times_are_malformed_never_a_panic() {
        let rules = rules(vec![Alg::EdDsa]);
        for (claims, expected) in [
            (json!({"exp": i64::MAX}), Err(TokenError::Malformed)),
            (json!({"exp": i64::MIN}), Err(TokenError::Malformed)),
            (json!({"exp": u64::MAX}), Err(TokenError::Malformed)),
            (json!({"exp": 1e300}), Err(TokenError::Malformed)),
            (json!({"exp": -1e300}), Err(TokenError::Malformed)),
            (json!({"exp": "1800000060"}), Err(TokenError::Malformed)),
            (json!({"exp": true}), Err(TokenError::Malformed)),
            (json!({"exp": -1}), Err(TokenError::Expired)),
            // The last instant chrono can represent: adding the leeway overflowed.
            (json!({"exp": 8_210_266_876_799_i64}), Ok(())),
            (
                json!({"exp": 1_800_000_060, "nbf": i64::MAX}),
                Err(TokenError::Malformed),
            ),
            (
                json!({"exp": 1_800_000_060, "nbf": -8_334_601_228_800_i64}),
                Ok(()),
            ),
            (
                json!({"exp": 1_800_000_060, "nbf": 1e300}),
                Err(TokenError::Malformed),
            ),
            (
                json!({"exp": 1_800_000_060, "nbf": "0"}),
                Err(TokenError::Malformed),
            ),
        ] {
            for leeway_secs in [0, 30, MAX_LEEWAY_SECS] {
                let rules = Rules {
                    leeway_secs,
                    ..rules.clone()
                };
                let got = check_claims(&claims_with(claims.clone()), &rules, now()).map(|_| ());
                assert_eq!(got, expected, "{claims} leeway {leeway_secs}");
            }
        }
    }

    #[test]
    fn absurd_leeway_is_refused_never_a_panic() {
        let claims = claims_with(json!({"exp": 1_800_000_060, "nbf": 1_700_000_000}));
        for leeway_secs in [i64::MAX, i64::MIN, MAX_LEEWAY_SECS + 1, -1] {
            let rules = Rules {
                leeway_secs,
                ..rules(vec![Alg::EdDsa])
            };
            assert_eq!(
                check_claims(&claims, &rules, now()),
                Err(TokenError::Malformed),
                "{leeway_secs}"
            );
        }
        let at_the_end = DateTime::<Utc>::MAX_UTC;
        let rules = Rules {
            leeway_secs: MAX_LEEWAY_SECS,
            ..rules(vec![Alg::EdDsa])
        };
        assert_eq!(
            check_claims(&claims, &rules, at_the_end),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn header_alg_disagreeing_with_the_key_type_is_refused() {
        let secret = [9u8; 32];
        let hs = VerifyingKey::hs256(Some("h1".into()), &secret).unwrap();
        let keys = KeySet::new(vec![
            VerifyingKey::ed25519(Some("e1".into()), ed_key().verifying_key()),
            hs,
        ]);
        let both = rules(vec![Alg::EdDsa, Alg::Hs256]);
        // An EdDSA-signed token claiming HS256 with our Ed25519 key's kid: no HS256 key "e1".
        let token = raw_ed(r#"{"alg":"HS256","kid":"e1"}"#, claims_json());
        assert_eq!(
            verify(&token, &keys, &both, now()),
            Err(TokenError::UnknownKey)
        );
        // An EdDSA-signed token naming the HMAC key: no EdDSA key "h1".
        let token = raw_ed(r#"{"alg":"EdDSA","kid":"h1"}"#, claims_json());
        assert_eq!(
            verify(&token, &keys, &both, now()),
            Err(TokenError::UnknownKey)
        );
        // HS256 signed with the Ed25519 public key bytes as the secret, naming the Ed25519 kid.
        let public = ed_key().verifying_key().to_bytes();
        let forged = Hs256
            .token(
                &Header::empty().with_key_id("e1"),
                &Claims::new(serde_json::from_str::<Value>(&claims_json()).unwrap()),
                &Hs256Key::new(public),
            )
            .unwrap();
        assert_eq!(
            verify(&forged, &keys, &both, now()),
            Err(TokenError::UnknownKey)
        );
        // Sanity: the same token shape with the real HMAC key verifies.
        let genuine = Hs256
            .token(
                &Header::empty().with_key_id("h1"),
                &Claims::new(serde_json::from_str::<Value>(&claims_json()).unwrap()),
                &Hs256Key::new(secret),
            )
            .unwrap();
        assert!(verify(&genuine, &keys, &both, now()).is_ok());
    }

    #[test]
    fn key_carrying_headers_never_pick_the_key() {
        use ed25519_dalek::Signer as _;
        let attacker = ed25519_dalek::SigningKey::from_bytes(&[66u8; 32]);
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "kid": "e1",
            "x": URL_SAFE_NO_PAD.encode(attacker.verifying_key().to_bytes())});
        for extra in [
            json!({"jwk": jwk}),
            json!({"jku": "https://evil.example/jwks.json"}),
            json!({"x5u": "https://evil.example/cert.pem"}),
            json!({"x5c": ["MIIB"]}),
        ] {
            let mut header = json!({"alg": "EdDSA", "kid": "e1"});
            for (k, v) in extra.as_object().unwrap() {
                header[k] = v.clone();
            }
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims_json())
            );
            let forged = format!(
                "{input}.{}",
                URL_SAFE_NO_PAD.encode(attacker.sign(input.as_bytes()).to_bytes())
            );
            assert_eq!(
                check_ed(&forged).map(|_| ()),
                Err(TokenError::BadSignature),
                "{extra}"
            );
            // Ignored, not refused: our own key's token with the same header verifies.
            assert!(
                check_ed(&raw_ed(&header.to_string(), claims_json())).is_ok(),
                "{extra}"
            );
        }
    }

    #[test]
    fn claims_and_header_must_be_objects_of_utf8_json() {
        let claims = claims_json();
        for (header, claims) in [
            ("[]", claims.as_str()),
            ("null", claims.as_str()),
            (r#"{"alg":"EdDSA","kid":"e1"} x"#, claims.as_str()),
            (r#"{"kid":"e1"}"#, claims.as_str()),
            (r#"{"alg":5,"kid":"e1"}"#, claims.as_str()),
            (r#"{"alg":"EdDSA","kid":5}"#, claims.as_str()),
            (r#"{"alg":"EdDSA","kid":"e1","cty":"JWT"}"#, claims.as_str()),
            (r#"{"alg":"EdDSA","kid":"e1"}"#, "[1]"),
            (r#"{"alg":"EdDSA","kid":"e1"}"#, "\"x\""),
        ] {
            let token = raw_ed(header, claims);
            assert_eq!(
                check_ed(&token).map(|_| ()),
                Err(TokenError::Malformed),
                "{header} {claims}"
            );
        }
        let not_utf8 = raw_ed(
            r#"{"alg":"EdDSA","kid":"e1"}"#,
            b"{\"exp\":1800000060,\"a\":\"\xff\"}",
        );
        assert_eq!(check_ed(&not_utf8).map(|_| ()), Err(TokenError::Malformed));
        let deep = format!(
            r#"{{"exp":1800000060,"x":{}{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let token = raw_ed(r#"{"alg":"EdDSA","kid":"e1"}"#, &deep);
        assert_eq!(check_ed(&token).map(|_| ()), Err(TokenError::Malformed));
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
