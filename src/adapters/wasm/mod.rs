//! The npm package: a typed client for the auth API ([`AuthClient`], feature `wasm`) and
//! offline token utilities that run the same validation code as the Worker (feature `verify`,
//! which `wasm` includes). Built by wasm-pack for browsers (`--target web`) and Node
//! (`--target nodejs`) with `wasm`, and with `verify` alone as the `edge-auth/verify` entry.
//!
//! Values cross to and from JS as JSON text (`JSON.parse` / `JSON.stringify`, one call each)
//! and through `Reflect`, never serde-wasm-bindgen: no second converter (and its float
//! formatting) in either build.
//!
//! Nothing here may export a function named `fetch`: the web loader calls the global one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use js_sys::Reflect;
#[cfg(feature = "wasm")]
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tsify_next::Tsify;
use wasm_bindgen::prelude::*;

use crate::credentials::api_key;
use crate::credentials::jwt::{self, Alg, KeySet, Rules, TokenError};
#[cfg(feature = "wasm")]
use crate::error::FieldError;

#[cfg(feature = "wasm")]
mod client;

#[cfg(feature = "wasm")]
pub use client::AuthClient;

// Every other type of the package's .d.ts is generated from a Rust type (tsify): the API's
// responses (User, Me, TokenResponse, ...), the options and inputs, `TokenErrorCode` (from
// `TokenError`), `ValidationIssue` (from `FieldError`), `JwtAlgorithm`, `CredentialKind` and
// `DecodedJwt`. What is written by hand here has no Rust type to come from:
// - the two errors are JS `Error` objects built property by property (`error` below); tsify
//   cannot declare an interface that `extends Error`;
// - `PrivateKeyInput` is the argument `setPrivateKey` passes through to the API unread;
// - `Jwk`, `Jwks`, `JwtHeader`, `JwtClaims` are JOSE's shapes (RFC 7517, 7515, 7519), open to
//   any member: the Rust code reads them as JSON values member by member, on purpose, so
//   that unknown members and odd values are judged by the verifier, not refused by a parser.
//   A Rust struct written only to emit them would be this same list in another syntax, and
//   tsify cannot emit an index signature (a flattened map becomes `& Record<string, Value>`,
//   a `Value` it does not declare).
#[cfg(feature = "wasm")]
#[wasm_bindgen(typescript_custom_section)]
const CLIENT_TYPES: &'static str = r#"
/** A private key as PEM text, or a JWK (object or JSON text) with its private part. */
export type PrivateKeyInput = string | Jwk;
/** Every failure of an `AuthClient` call. `status` is 0 for a network failure. */
export class AuthApiError extends Error {
  private constructor();
  readonly name: "AuthApiError";
  readonly status: number;
  readonly detail: string | ValidationIssue[];
}"#;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Why a token was refused by `verifyJwt` / `JwtVerifier`. */
export class TokenError extends Error {
  private constructor();
  readonly name: "TokenError";
  readonly code: TokenErrorCode;
}

export interface Jwk { kty: string; kid?: string; alg?: string; use?: string; crv?: string; x?: string; k?: string; d?: string; [member: string]: unknown; }
export interface Jwks { keys: Jwk[]; }
export interface JwtHeader { alg: string; typ?: string; kid?: string; [member: string]: unknown; }
export interface JwtClaims {
  iss?: string; sub?: string; aud?: string | string[]; exp?: number; nbf?: number; iat?: number;
  jti?: string; sid?: string; [claim: string]: unknown;
}
"#;

/// FastAPI's validation error entry (HTTP 422): an entry of `AuthApiError.detail`.
#[cfg(feature = "wasm")]
#[tsify_next::declare]
pub type ValidationIssue = FieldError;

/// A JWS algorithm the package verifies: what `VerifyOptions.algorithms` accepts.
#[derive(Debug, Clone, Copy, Tsify)]
enum JwtAlgorithm {
    /// Ed25519.
    #[serde(rename = "EdDSA")]
    EdDsa,
    /// HMAC-SHA256, with an `oct` key.
    #[serde(rename = "HS256")]
    Hs256,
}

impl JwtAlgorithm {
    /// The algorithm named `name` (its JOSE name, which `Alg` and the TS type share).
    fn from_name(name: &str) -> Option<Self> {
        match Alg::from_name(name)? {
            Alg::EdDsa => Some(Self::EdDsa),
            Alg::Hs256 => Some(Self::Hs256),
        }
    }
}

impl From<JwtAlgorithm> for Alg {
    fn from(alg: JwtAlgorithm) -> Self {
        match alg {
            JwtAlgorithm::EdDsa => Alg::EdDsa,
            JwtAlgorithm::Hs256 => Alg::Hs256,
        }
    }
}

/// What kind of credential a string is, by its form alone (`classifyCredential`).
#[derive(Debug, Clone, Copy, Serialize, Tsify)]
#[serde(rename_all = "snake_case")]
enum CredentialKind {
    /// An `sk-` API key with a valid checksum.
    ApiKey,
    /// Three dot-separated base64url parts.
    Jwt,
    /// Neither.
    Unknown,
}

/// A JWT's header and claims as sent, not verified (`decodeJwtUnverified`).
// Declares the TS type only: the value is built as JSON text from the token's own parts.
#[allow(dead_code)]
#[derive(Tsify)]
struct DecodedJwt {
    /// The JOSE header.
    #[tsify(type = "JwtHeader")]
    header: Value,
    /// The claims set.
    #[tsify(type = "JwtClaims")]
    claims: Value,
}

// ------------------------------------------------------------------ JS values and errors

// JSON crosses the boundary as text, once: `JSON.parse` builds a JS object in one call (faster
// than property by property), `JSON.stringify` reads one, and no converter is shipped.

/// Parses JSON text; one parser instance (`from_slice`) for everything the package reads.
fn json(text: &str) -> Option<Value> {
    serde_json::from_slice(text.as_bytes()).ok()
}

/// Reads a JS value as JSON through `JSON.stringify`; `None` for what has no JSON form.
fn js_to_json(value: &JsValue) -> Option<Value> {
    json(&js_sys::JSON::stringify(value).ok()?.as_string()?)
}

/// A JSON value as a plain JS value, through its text and `JSON.parse`.
#[cfg(feature = "wasm")]
fn to_js(value: &Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap_or(JsValue::UNDEFINED)
}

/// Reads a JS argument as `T` through its JSON text; `undefined` and `null` give the default,
/// anything else that is not a `T` is a `TypeError` (serde's message, without a position).
#[cfg(feature = "wasm")]
fn from_js<T: DeserializeOwned + Default>(value: JsValue, what: &str) -> Result<T, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    let json =
        js_to_json(&value).ok_or_else(|| type_error(&format!("{what}: not a JSON value")))?;
    serde_json::from_value(json).map_err(|err| type_error(&format!("{what}: {err}")))
}

// The two error classes are JS classes (errors.js), so that `instanceof` works; every build
// exports them as they are. Their declarations are the hand-written ones above (wasm-bindgen
// declares a re-exported type as `unknown`; scripts/build-pkg.sh drops that line).
#[wasm_bindgen(module = "/src/adapters/wasm/errors.js")]
extern "C" {
    #[wasm_bindgen(reexport, js_name = TokenError)]
    type JsTokenError;
    #[wasm_bindgen(constructor, js_class = "TokenError")]
    fn new(message: &str, code: &str) -> JsTokenError;
}

// Its own block: the verify-only build must not re-export it (`cfg` on one item of a block
// does not reach wasm-bindgen's re-export).
#[cfg(feature = "wasm")]
#[wasm_bindgen(module = "/src/adapters/wasm/errors.js")]
extern "C" {
    #[wasm_bindgen(reexport, js_name = AuthApiError)]
    type JsAuthApiError;
    #[wasm_bindgen(constructor, js_class = "AuthApiError")]
    fn new(message: &str, status: u16, detail: JsValue) -> JsAuthApiError;
}

fn token_error(err: TokenError) -> JsValue {
    JsTokenError::new(err.message(), err.code()).into()
}

/// An `AuthApiError` (`status` 0 for a network failure; `detail` as the API sent it).
#[cfg(feature = "wasm")]
fn api_error(message: &str, status: u16, detail: JsValue) -> JsValue {
    JsAuthApiError::new(message, status, detail).into()
}

fn now_secs() -> i64 {
    (js_sys::Date::now() / 1000.0).floor() as i64
}

// ------------------------------------------------------------------ offline utilities

/// Decodes a JWT's header and claims WITHOUT verifying anything. Never trust the result.
#[wasm_bindgen(js_name = decodeJwtUnverified, unchecked_return_type = "DecodedJwt")]
pub fn decode_jwt_unverified(token: &str) -> Result<JsValue, JsValue> {
    let malformed = || token_error(TokenError::Malformed);
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    // Each part's own JSON text, once it has parsed as an object (the package's `DecodedJwt`).
    let part = |text: &str| -> Result<String, JsValue> {
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| malformed())?;
        let text = String::from_utf8(bytes).map_err(|_| malformed())?;
        match json(&text) {
            Some(Value::Object(_)) => Ok(text),
            _ => Err(malformed()),
        }
    };
    let (header, claims) = (part(header)?, part(claims)?);
    js_sys::JSON::parse(&format!(r#"{{"header":{header},"claims":{claims}}}"#))
        .map_err(|_| malformed())
}

/// What `verifyJwt` / `JwtVerifier` check besides the signature.
#[derive(Debug, Default, Tsify)]
#[serde(rename_all = "camelCase")]
struct VerifyOptions {
    /// Required `iss`.
    #[tsify(optional)]
    issuer: Option<String>,
    /// Required `aud` (a token's `aud` may be a list containing it).
    #[tsify(optional)]
    audience: Option<String>,
    /// Allow-list; default ["EdDSA"]. The token's `alg` must be on it.
    #[tsify(optional)]
    algorithms: Option<Vec<JwtAlgorithm>>,
    /// Clock skew tolerated on exp and nbf, 0 to 86400 seconds (else a TypeError); default 30.
    #[tsify(optional)]
    leeway_secs: Option<i64>,
    /// Required `typ` header, e.g. "at+jwt".
    #[tsify(optional)]
    typ: Option<String>,
    /// The instant to check against, in Unix seconds; default now.
    #[tsify(optional)]
    now: Option<f64>,
}

impl VerifyOptions {
    /// Reads the options member by member; `undefined` and `null` (the object or a member)
    /// give the default, a member of the wrong type is a `TypeError`.
    fn from_js(options: &JsValue) -> Result<Self, JsValue> {
        if options.is_undefined() || options.is_null() {
            return Ok(Self::default());
        }
        if !options.is_object() {
            return Err(type_error("options: expected an object"));
        }
        let member = |name: &str| -> Result<Option<JsValue>, JsValue> {
            let value = Reflect::get(options, &JsValue::from_str(name))?;
            Ok((!value.is_undefined() && !value.is_null()).then_some(value))
        };
        let string = |name: &str| -> Result<Option<String>, JsValue> {
            member(name)?
                .map(|value| {
                    value
                        .as_string()
                        .ok_or_else(|| type_error(&format!("options.{name}: expected a string")))
                })
                .transpose()
        };
        let number = |name: &str| -> Result<Option<f64>, JsValue> {
            member(name)?
                .map(|value| {
                    value
                        .as_f64()
                        .ok_or_else(|| type_error(&format!("options.{name}: expected a number")))
                })
                .transpose()
        };
        let leeway_secs = match number("leewaySecs")? {
            None => None,
            // Integers a JS number holds exactly: the cast is exact.
            Some(secs) if secs.fract() == 0.0 && secs.abs() <= 9_007_199_254_740_991.0 => {
                Some(secs as i64)
            }
            // No number in the message: formatting an f64 would ship core's float printing.
            Some(_) => return Err(type_error("options.leewaySecs: expected an integer")),
        };
        let algorithms = match member("algorithms")? {
            None => None,
            Some(list) if js_sys::Array::is_array(&list) => Some(
                js_sys::Array::from(&list)
                    .iter()
                    .map(|name| {
                        let name = name.as_string().unwrap_or_default();
                        JwtAlgorithm::from_name(&name).ok_or_else(|| {
                            // Not `{name:?}`: Debug of a str ships core's Unicode tables.
                            type_error(&format!(
                                "options.algorithms: \"{name}\" is not \"EdDSA\" or \"HS256\""
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(_) => return Err(type_error("options.algorithms: expected an array")),
        };
        Ok(Self {
            issuer: string("issuer")?,
            audience: string("audience")?,
            algorithms,
            leeway_secs,
            typ: string("typ")?,
            now: number("now")?,
        })
    }
}

fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

/// Verifies JWTs against a JWK Set with fixed options; the key set is parsed once.
#[wasm_bindgen]
pub struct JwtVerifier {
    keys: KeySet,
    rules: Rules,
    now: Option<i64>,
}

#[wasm_bindgen]
impl JwtVerifier {
    /// A verifier for tokens signed by a key of `jwks` (a JWK Set or its JSON text).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "Jwks | string")] jwks: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "VerifyOptions")] options: JsValue,
    ) -> Result<JwtVerifier, JsValue> {
        let jwks: Value = match jwks.as_string() {
            Some(text) => json(&text),
            None => js_to_json(&jwks),
        }
        .ok_or_else(|| token_error(TokenError::InvalidJwks))?;
        let keys = KeySet::from_jwks(&jwks).map_err(token_error)?;
        let options = VerifyOptions::from_js(&options)?;
        let algorithms = match options.algorithms {
            None => vec![Alg::EdDsa],
            Some(names) => names.into_iter().map(Alg::from).collect(),
        };
        let leeway_secs = options.leeway_secs.unwrap_or(jwt::LEEWAY_SECS);
        if !(0..=jwt::MAX_LEEWAY_SECS).contains(&leeway_secs) {
            let msg = format!(
                "options.leewaySecs: {leeway_secs} is not within 0..={}",
                jwt::MAX_LEEWAY_SECS
            );
            return Err(type_error(&msg));
        }
        Ok(Self {
            keys,
            rules: Rules {
                algorithms,
                issuer: options.issuer,
                audience: options.audience,
                token_type: options.typ,
                leeway_secs,
            },
            now: options.now.map(|n| n as i64),
        })
    }

    /// The verified claims, or a thrown `TokenError`.
    #[wasm_bindgen(unchecked_return_type = "JwtClaims")]
    pub fn verify(&self, token: &str) -> Result<JsValue, JsValue> {
        let now = chrono::DateTime::from_timestamp(self.now.unwrap_or_else(now_secs), 0)
            .unwrap_or_default();
        let verified = jwt::verify(token, &self.keys, &self.rules, now).map_err(token_error)?;
        // The token's own claims text, which the verifier parsed: nothing is written out again.
        js_sys::JSON::parse(&verified.claims_json).map_err(|_| token_error(TokenError::Malformed))
    }
}

/// Verifies a JWT against a JWK Set: signature (algorithm from the allow-list, never from the
/// token alone), `exp` (required), `nbf`, `iss`, `aud`, `typ`. Returns the claims or throws a
/// `TokenError`. To verify many tokens, build one `JwtVerifier`.
#[wasm_bindgen(js_name = verifyJwt, unchecked_return_type = "JwtClaims")]
pub fn verify_jwt(
    token: &str,
    #[wasm_bindgen(unchecked_param_type = "Jwks | string")] jwks: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "VerifyOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    JwtVerifier::new(jwks, options)?.verify(token)
}

/// Whether `key` is a well-formed API key (`sk-` prefix, length, alphabet, checksum), offline.
#[wasm_bindgen(js_name = isWellFormedApiKey)]
pub fn is_well_formed_api_key(key: &str) -> bool {
    api_key::parse(key).is_ok()
}

/// What kind of credential `value` is, by its form alone: nothing is verified.
#[wasm_bindgen(js_name = classifyCredential, unchecked_return_type = "CredentialKind")]
pub fn classify_credential(value: &str) -> JsValue {
    let kind = if api_key::parse(value).is_ok() {
        CredentialKind::ApiKey
    } else if jwt::UntrustedJwt::parse(value).is_ok() {
        CredentialKind::Jwt
    } else {
        CredentialKind::Unknown
    };
    // The serde name, which is also the TS type's.
    match serde_json::to_value(kind) {
        Ok(Value::String(name)) => JsValue::from_str(&name),
        _ => JsValue::UNDEFINED,
    }
}
