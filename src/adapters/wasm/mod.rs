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

use js_sys::{Promise, Uint8Array};
#[cfg(feature = "wasm")]
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tsify_next::Tsify;
use wasm_bindgen::prelude::*;

use crate::credentials::api_key;
use crate::credentials::jwt::{self, KeySet, Outcome, Rules, TokenError};
#[cfg(feature = "wasm")]
use crate::error::FieldError;
use crate::util::base64url;

#[cfg(feature = "wasm")]
mod client;
mod options;

use options::read_options;

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

/// A JWS algorithm the package verifies: what `VerifyOptions.algorithms` accepts. EdDSA and
/// HS256 verify synchronously; RS256, PS256 and ES256 (an identity provider's tokens) through
/// WebCrypto, so only with `verifyAsync` / `verifyJwtAsync`.
// Declares the TS type only: names are read with `Alg::from_name`, which it mirrors.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy, Tsify)]
enum JwtAlgorithm {
    /// Ed25519, with an `OKP` key.
    #[serde(rename = "EdDSA")]
    EdDsa,
    /// HMAC-SHA256, with an `oct` key.
    #[serde(rename = "HS256")]
    Hs256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, with an `RSA` key of 2048 bits or more.
    #[serde(rename = "RS256")]
    Rs256,
    /// RSASSA-PSS with SHA-256, with an `RSA` key of 2048 bits or more.
    #[serde(rename = "PS256")]
    Ps256,
    /// ECDSA with P-256 and SHA-256, with an `EC` key.
    #[serde(rename = "ES256")]
    Es256,
}

#[wasm_bindgen(module = "/src/adapters/webcrypto.js")]
extern "C" {
    /// Resolves to the claims if WebCrypto verifies `signature`, else rejects with
    /// `bad_signature`; `claims` is the claims' JSON text, or the TokenError to reject with
    /// when the rest of the token was refused.
    #[wasm_bindgen(js_name = verifySignature)]
    fn webcrypto_verify(
        alg: &str,
        jwk: &str,
        message: Uint8Array,
        signature: Uint8Array,
        claims: JsValue,
        bad_signature: JsValue,
    ) -> Promise;
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

/// Parses JSON text as a token's parts are read (no member named twice): one parser for
/// everything the package reads.
fn json(text: &str) -> Option<Value> {
    jwt::strict_json(text.as_bytes())
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

/// Decodes a JWT's header and claims WITHOUT verifying anything. Never trust the result. A
/// token `verifyJwt` could not read is refused here too (`TokenError` "malformed"): parts that
/// are not canonical base64url JSON objects, or an object naming a member twice.
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
        let bytes = base64url::decode(text).ok_or_else(malformed)?;
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
        let (rules, now) = read_options(&options)?;
        Ok(Self { keys, rules, now })
    }

    /// Everything `verify` and `verifyAsync` check, short of a WebCrypto signature.
    fn outcome(&self, token: &str) -> Result<Outcome, TokenError> {
        let now = chrono::DateTime::from_timestamp(self.now.unwrap_or_else(now_secs), 0)
            .unwrap_or_default();
        jwt::verify_or_defer(token, &self.keys, &self.rules, now)
    }

    /// The verified claims, or a thrown `TokenError`. EdDSA and HS256 only: a token of an
    /// algorithm WebCrypto verifies (RS256, PS256, ES256) is refused as
    /// `unsupported_algorithm`; use `verifyAsync`.
    #[wasm_bindgen(unchecked_return_type = "JwtClaims")]
    pub fn verify(&self, token: &str) -> Result<JsValue, JsValue> {
        match self.outcome(token).map_err(token_error)? {
            Outcome::Verified(verified) => claims(&verified.claims_json),
            Outcome::Deferred(deferred) => {
                let message = format!(
                    "{} is verified with WebCrypto, which is asynchronous: use verifyAsync",
                    deferred.alg.name()
                );
                let code = TokenError::UnsupportedAlgorithm.code();
                Err(JsTokenError::new(&message, code).into())
            }
        }
    }

    /// `verify` for every algorithm of the allow-list: resolves to the verified claims or
    /// rejects with a `TokenError`. RS256, PS256 and ES256 signatures are checked with
    /// WebCrypto (each key imported once and kept).
    #[wasm_bindgen(js_name = verifyAsync, unchecked_return_type = "Promise<JwtClaims>")]
    pub fn verify_async(&self, token: &str) -> Promise {
        match self.outcome(token) {
            Err(err) => Promise::reject(&token_error(err)),
            Ok(Outcome::Verified(verified)) => match claims(&verified.claims_json) {
                Ok(claims) => Promise::resolve(&claims),
                Err(err) => Promise::reject(&err),
            },
            Ok(Outcome::Deferred(deferred)) => {
                let (alg, jwk) = (deferred.alg.name(), deferred.jwk.clone());
                let message = Uint8Array::from(deferred.message.as_slice());
                let signature = Uint8Array::from(deferred.signature.as_slice());
                // Both verdicts, decided here; WebCrypto's answer picks one.
                let if_valid = match deferred.finish(true) {
                    Ok(verified) => JsValue::from_str(&verified.claims_json),
                    Err(err) => token_error(err),
                };
                let bad_signature = token_error(TokenError::BadSignature);
                webcrypto_verify(alg, &jwk, message, signature, if_valid, bad_signature)
            }
        }
    }
}

/// The token's own claims text, which the verifier parsed: nothing is written out again.
fn claims(claims_json: &str) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(claims_json).map_err(|_| token_error(TokenError::Malformed))
}

/// Verifies a JWT against a JWK Set: signature (algorithm from the allow-list, never from the
/// token alone), `exp` (required), `nbf`, `iss`, `aud`, `typ`. Returns the claims or throws a
/// `TokenError`. EdDSA and HS256; `verifyJwtAsync` verifies RS256, PS256 and ES256 too. To
/// verify many tokens, build one `JwtVerifier`.
#[wasm_bindgen(js_name = verifyJwt, unchecked_return_type = "JwtClaims")]
pub fn verify_jwt(
    token: &str,
    #[wasm_bindgen(unchecked_param_type = "Jwks | string")] jwks: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "VerifyOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    JwtVerifier::new(jwks, options)?.verify(token)
}

/// `verifyJwt` for every algorithm, RS256, PS256 and ES256 (an identity provider's tokens)
/// through WebCrypto: resolves to the claims or rejects with a `TokenError` (a `TypeError`
/// for bad options).
#[wasm_bindgen(js_name = verifyJwtAsync, unchecked_return_type = "Promise<JwtClaims>")]
pub fn verify_jwt_async(
    token: &str,
    #[wasm_bindgen(unchecked_param_type = "Jwks | string")] jwks: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "VerifyOptions")] options: JsValue,
) -> Promise {
    match JwtVerifier::new(jwks, options) {
        Ok(verifier) => verifier.verify_async(token),
        Err(err) => Promise::reject(&err),
    }
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
