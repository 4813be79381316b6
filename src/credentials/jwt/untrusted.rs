//! The one strict reader of a JWT: [`UntrustedJwt`] splits and decodes a token, canonical
//! base64url and duplicate-free JSON only, and trusts nothing in it.
//!
//! It reads the JSON once and keeps only what verification needs: the header parameters we
//! understand and the registered claims we check, typed. The rest of the claims is checked
//! (JSON, no member named twice at any depth) and skipped; it stays available as the token's
//! own text, which the npm package hands to `JSON.parse` and Rust callers deserialize into
//! their own types. No map of every claim is built on the way.

use std::borrow::Cow;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::TokenError;
use crate::util::base64url;

/// A JWT split and decoded by the one strict parser, nothing verified yet: its claims are only
/// reachable through [`UntrustedJwt::unverified_claims`] and [`UntrustedJwt::unverified_issuer`].
#[derive(Debug, Clone)]
pub struct UntrustedJwt<'t> {
    // The fields `jwt::verify` reads directly, once it has checked the signature.
    pub(super) signing_input: &'t str,
    pub(super) kid: Option<String>,
    pub(super) typ: Option<String>,
    pub(super) registered: RegisteredClaims,
    /// The claims as the token has them: a duplicate-free JSON object.
    pub(super) claims_json: String,
    pub(super) signature: Vec<u8>,
    alg: String,
}

/// The registered claims a verifier checks (RFC 7519 §4.1), as the token has them: their
/// values are judged by [`check_claims`](super::check_claims), after the signature, so that a
/// forged token is reported as forged whatever its claims say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegisteredClaims {
    /// `exp`.
    pub exp: Option<Value>,
    /// `nbf`.
    pub nbf: Option<Value>,
    /// `iat`.
    pub iat: Option<Value>,
    /// `iss`.
    pub iss: Option<Value>,
    /// `aud`: a string or a list.
    pub aud: Option<Value>,
}

impl RegisteredClaims {
    /// The registered claims of a duplicate-free JSON object's text; `None` if it is not one.
    pub fn parse(claims_json: &[u8]) -> Option<Self> {
        let [exp, nbf, iat, iss, aud] = pick(claims_json, ["exp", "nbf", "iat", "iss", "aud"])?;
        Some(Self {
            exp,
            nbf,
            iat,
            iss,
            aud,
        })
    }
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
        // The first two parts and the dot: always in range (not `[..]`, whose panic path
        // would be linked into the package's wasm).
        let signing_input = token
            .get(..header.len() + 1 + claims.len())
            .ok_or(TokenError::Malformed)?;
        // Canonical unpadded base64url: no `=`, `+`, `/`, and no stray trailing bits.
        let part = |text| base64url::decode(text).ok_or(TokenError::Malformed);
        let [alg, kid, typ, cty, crit] = pick(&part(header)?, ["alg", "kid", "typ", "cty", "crit"])
            .ok_or(TokenError::Malformed)?;
        let claims_json = part(claims)?;
        let registered = RegisteredClaims::parse(&claims_json).ok_or(TokenError::Malformed)?;
        // JSON that parsed is UTF-8: this cannot fail.
        let claims_json = String::from_utf8(claims_json).map_err(|_| TokenError::Malformed)?;
        let signature = part(signature)?;
        if crit.is_some() {
            return Err(TokenError::Malformed);
        }
        match cty {
            None => {}
            Some(Value::String(cty)) if cty.eq_ignore_ascii_case("json") => {}
            Some(_) => return Err(TokenError::Malformed),
        }
        let text = |value: Option<Value>| match value {
            None => Ok(None),
            Some(Value::String(value)) => Ok(Some(value)),
            Some(_) => Err(TokenError::Malformed),
        };
        Ok(Self {
            signing_input,
            alg: text(alg)?.ok_or(TokenError::Malformed)?,
            kid: text(kid)?,
            typ: text(typ)?,
            registered,
            claims_json,
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

    /// The header `typ`, if any.
    pub fn token_type(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// The signed text: the first two parts and the dot between them.
    pub fn signing_input(&self) -> &str {
        self.signing_input
    }

    /// The decoded signature, not checked against anything.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The registered claims, NOT verified.
    pub fn unverified_registered(&self) -> &RegisteredClaims {
        &self.registered
    }

    /// The `iss` claim, NOT verified: which issuer's keys to check the token with, no more.
    pub fn unverified_issuer(&self) -> Option<&str> {
        self.registered.iss.as_ref().and_then(Value::as_str)
    }

    /// Every claim, NOT verified: trust them only once the signature is checked. Read from
    /// the token's text on each call.
    pub fn unverified_claims(&self) -> Map<String, Value> {
        object(&self.claims_json)
    }
}

/// The members of a JSON object's text that already parsed as one, duplicate-free.
pub(super) fn object(json: &str) -> Map<String, Value> {
    // It parsed before, so this cannot fail; an empty map would be a refusal of every check.
    match strict_json(json.as_bytes()) {
        Some(Value::Object(members)) => members,
        _ => Map::new(),
    }
}

/// JSON text's value, if it is JSON in which no object names a member twice, at any depth:
/// the reading of a token's parts, for any other JSON that should be read the same way.
pub fn strict_json(json: &[u8]) -> Option<Value> {
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let read = Reader(Keep::All).deserialize(&mut deserializer);
    deserializer.end().ok()?;
    read.ok()?
}

/// The values of the members `names` of a JSON object without duplicate member names at any
/// depth; `None` if the text is not such an object. Nothing else of it is kept.
fn pick<const N: usize>(json: &[u8], names: [&str; N]) -> Option<[Option<Value>; N]> {
    let mut picked = std::array::from_fn(|_| None);
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let read = Reader(Keep::Members(&names, &mut picked)).deserialize(&mut deserializer);
    (matches!(read, Ok(Some(_))) && deserializer.end().is_ok()).then_some(picked)
}

/// How much of a JSON value a [`Reader`] keeps.
enum Keep<'k> {
    /// Nothing: the value is only checked.
    Nothing,
    /// All of it.
    All,
    /// An object's members of these names, each into its slot; any other value is refused.
    Members(&'k [&'k str], &'k mut [Option<Value>]),
}

/// Reads one JSON value and returns what its [`Keep`] says to keep (`null` for nothing), or
/// `None` if an object in it names a member twice (serde_json would keep the last one). A
/// duplicate is a verdict, not a parse error: reporting it through serde's error type formats
/// a message (and links serde_json's message parser) for nothing. One reader for every part of
/// the value, so that the package's wasm holds one copy of serde_json's parser loop for it.
struct Reader<'k>(Keep<'k>);

impl<'de> DeserializeSeed<'de> for Reader<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Reader<'_> {
    /// A value that is not an object or an array: `value()` if it is to be kept.
    fn scalar<E>(self, value: impl FnOnce() -> Value) -> Result<Option<Value>, E> {
        Ok(match self.0 {
            Keep::All => Some(value()),
            Keep::Nothing => Some(Value::Null),
            Keep::Members(..) => None,
        })
    }
}

impl<'de> Visitor<'de> for Reader<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        self.scalar(|| Value::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        self.scalar(|| value.into())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        self.scalar(|| value.into())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        self.scalar(|| value.into())
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        self.scalar(|| Value::String(value.to_owned()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.scalar(|| Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let all = matches!(self.0, Keep::All);
        let mut items = Vec::new();
        let mut unique = true;
        // After a duplicate, the rest is still read (the input must be JSON), not kept.
        while let Some(item) =
            seq.next_element_seed(Reader(if all { Keep::All } else { Keep::Nothing }))?
        {
            match item {
                Some(item) if all => items.push(item),
                Some(_) => {}
                None => unique = false,
            }
        }
        Ok(match self.0 {
            Keep::Members(..) => None,
            _ => unique.then_some(Value::Array(items)),
        })
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut names = Names::default();
        let mut kept = Map::new();
        let mut unique = true;
        while let Some(Name(name)) = map.next_key()? {
            let slot = match &self.0 {
                Keep::Members(wanted, _) => wanted.iter().position(|wanted| *wanted == name),
                _ => None,
            };
            let keep = match (&self.0, slot) {
                (Keep::All, _) | (_, Some(_)) => Keep::All,
                _ => Keep::Nothing,
            };
            match (map.next_value_seed(Reader(keep))?, &mut self.0, slot) {
                (None, _, _) => unique = false,
                (Some(value), Keep::Members(_, slots), Some(slot)) => {
                    if let Some(slot) = slots.get_mut(slot) {
                        *slot = Some(value);
                    }
                }
                (Some(value), Keep::All, _) => {
                    kept.insert(name.to_string(), value);
                }
                (Some(_), _, _) => {}
            }
            unique &= names.insert(name);
        }
        Ok(unique.then_some(Value::Object(kept)))
    }
}

/// The member names of one object, to find one named twice. Objects in tokens have a handful
/// of members: a list beats a set.
#[derive(Default)]
struct Names<'de>(Vec<Cow<'de, str>>);

impl<'de> Names<'de> {
    /// Adds `name`; `false` if it was there already.
    fn insert(&mut self, name: Cow<'de, str>) -> bool {
        let fresh = !self.0.contains(&name);
        self.0.push(name);
        fresh
    }
}

/// A member name: borrowed from the text unless it has escapes.
struct Name<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(NameVisitor)
    }
}

struct NameVisitor;

impl<'de> Visitor<'de> for NameVisitor {
    type Value = Name<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E: de::Error>(self, name: &'de str) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Borrowed(name)))
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Owned(name.to_owned())))
    }
}
