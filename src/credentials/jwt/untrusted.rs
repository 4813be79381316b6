//! The one strict reader of a JWT: [`UntrustedJwt`] splits and decodes a token, canonical
//! base64url and duplicate-free JSON only, and trusts nothing in it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Value};

use super::TokenError;

/// A JWT split and decoded by the one strict parser, nothing verified yet: its claims are only
/// reachable through [`UntrustedJwt::unverified_claims`].
#[derive(Debug, Clone)]
pub struct UntrustedJwt<'t> {
    // The fields `jwt::verify` reads directly, once it has checked the signature.
    pub(super) signing_input: &'t str,
    pub(super) kid: Option<String>,
    pub(super) typ: Option<String>,
    pub(super) claims: Map<String, Value>,
    /// The claims as the token has them: JSON text that parsed as `claims` did.
    pub(super) claims_json: String,
    pub(super) signature: Vec<u8>,
    header: Map<String, Value>,
    alg: String,
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
        let header = json_object(&base64url(header)?)?;
        let claims_json = base64url(claims)?;
        let claims = json_object(&claims_json)?;
        // JSON that parsed is UTF-8: this cannot fail.
        let claims_json = String::from_utf8(claims_json).map_err(|_| TokenError::Malformed)?;
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
        Ok(Unique(Some(Value::Object(map)))) => Ok(map),
        _ => Err(TokenError::Malformed),
    }
}

/// A JSON value, or `None` if an object in it names a member twice (serde_json would keep the
/// last one). A duplicate is a verdict, not a parse error: reporting it through serde's error
/// type formats a message (and links serde_json's message parser) for nothing.
struct Unique(Option<Value>);

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Unique, E> {
        Ok(Unique(Some(Value::Bool(value))))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Unique, E> {
        Ok(Unique(Some(value.into())))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Unique, E> {
        Ok(Unique(Some(value.into())))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Unique, E> {
        Ok(Unique(Some(value.into())))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Unique, E> {
        Ok(Unique(Some(Value::String(value.to_owned()))))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Unique, E> {
        Ok(Unique(Some(Value::String(value))))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Unique, E> {
        Ok(Unique(Some(Value::Null)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        let mut items = Some(Vec::new());
        while let Some(Unique(item)) = seq.next_element()? {
            // After a duplicate, the rest is still read (the input must be JSON), not kept.
            items = items.zip(item).map(|(mut items, item)| {
                items.push(item);
                items
            });
        }
        Ok(Unique(items.map(Value::Array)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut object = Some(Map::new());
        while let Some(name) = map.next_key::<String>()? {
            let Unique(value) = map.next_value()?;
            object = match (object, value) {
                (Some(mut members), Some(value)) => match members.entry(name) {
                    Entry::Vacant(slot) => {
                        slot.insert(value);
                        Some(members)
                    }
                    Entry::Occupied(_) => None,
                },
                _ => None,
            };
        }
        Ok(Unique(object.map(Value::Object)))
    }
}
