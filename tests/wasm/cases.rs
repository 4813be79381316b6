// Cases shared by the Node (wasm_node.rs) and browser (wasm_browser.rs) runs of the package.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chrono::DateTime;
use edge_auth::jwt::{self, AccessClaims, SigningKey};
use edge_auth::wasm::{
    classify_credential, decode_jwt_unverified, is_well_formed_api_key, verify_jwt, AuthClient,
    JwtVerifier,
};
use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Reflect;
use serde_json::{json, Value};
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

#[path = "../vectors/rfc8725.rs"]
mod rfc8725;

const NOW: i64 = 1_800_000_000;

fn key() -> SigningKey {
    SigningKey::from_seed(&[4u8; 32]).unwrap()
}

fn js(value: &Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap()
}

fn rust(value: &JsValue) -> Value {
    serde_json::from_str(&js_sys::JSON::stringify(value).unwrap().as_string().unwrap()).unwrap()
}

fn access_token(iss: &str, at: i64) -> String {
    let claims = AccessClaims {
        iss: iss.into(),
        sub: edge_auth::store::UserId::new("user-1"),
        aud: "edge-auth".into(),
        sid: edge_auth::store::SessionId::new("session-1"),
        jti: "jti-1".into(),
    };
    jwt::issue_access(
        &key(),
        claims,
        DateTime::from_timestamp(at, 0).unwrap(),
        900,
    )
}

fn options(extra: Value) -> JsValue {
    let mut base = json!({"issuer": "https://auth.example", "audience": "edge-auth", "typ": "at+jwt", "now": NOW});
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    js(&base)
}

fn code(err: JsValue) -> String {
    assert!(
        err.is_instance_of::<js_sys::Error>(),
        "not an Error: {err:?}"
    );
    Reflect::get(&err, &"code".into())
        .unwrap()
        .as_string()
        .unwrap()
}

fn jwks() -> JsValue {
    js(&jwt::jwks([&key()]))
}

#[wasm_bindgen_test]
fn our_access_token_verifies_against_our_jwks() {
    let claims = verify_jwt(
        &access_token("https://auth.example", NOW),
        jwks(),
        options(json!({})),
    )
    .unwrap();
    let claims = rust(&claims);
    assert_eq!(claims["sub"], "user-1");
    assert_eq!(claims["exp"], NOW + 900);
    let text = jwt::jwks([&key()]).to_string();
    let verifier = JwtVerifier::new(JsValue::from_str(&text), options(json!({}))).unwrap();
    assert_eq!(
        rust(
            &verifier
                .verify(&access_token("https://auth.example", NOW))
                .unwrap()
        )["sid"],
        "session-1"
    );
}

#[wasm_bindgen_test]
fn verify_refuses_with_a_code() {
    let good = access_token("https://auth.example", NOW);
    let (signed, signature) = good.rsplit_once('.').unwrap();
    let mut sig = URL_SAFE_NO_PAD.decode(signature).unwrap();
    sig[0] ^= 1;
    let flipped = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig));
    let cases: Vec<(String, JsValue, &str)> = vec![
        (flipped, options(json!({})), "bad_signature"),
        (
            access_token("https://evil.example", NOW),
            options(json!({})),
            "wrong_issuer",
        ),
        (
            good.clone(),
            options(json!({"audience": "other"})),
            "wrong_audience",
        ),
        (
            good.clone(),
            options(json!({"now": NOW + 900 + 31})),
            "expired",
        ),
        (
            good.clone(),
            options(json!({"now": NOW - 31})),
            "not_yet_valid",
        ),
        (
            good.clone(),
            options(json!({"algorithms": ["HS256"]})),
            "unsupported_algorithm",
        ),
        (
            good.clone(),
            options(json!({"typ": "id+jwt"})),
            "wrong_type",
        ),
        ("not a token".into(), options(json!({})), "malformed"),
    ];
    for (token, opts, expected) in cases {
        let err = verify_jwt(&token, jwks(), opts).unwrap_err();
        assert_eq!(code(err), expected, "{token}");
    }
    let err = verify_jwt(&good, js(&json!({"nokeys": []})), options(json!({}))).unwrap_err();
    assert_eq!(code(err), "invalid_jwks");
}

/// The same vector file as the native tests/vectors.rs, through both package entry points.
#[wasm_bindgen_test]
fn rfc8725_vectors_through_verify_jwt_and_jwt_verifier() {
    let cases = rfc8725::cases();
    assert!(cases.len() >= 100, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let one_shot = verify_jwt(&case.token, js(&case.jwks), js(&case.options));
        let reused = JwtVerifier::new(JsValue::from_str(&case.jwks.to_string()), js(&case.options))
            .and_then(|verifier| verifier.verify(&case.token));
        for (entry, outcome) in [("verifyJwt", one_shot), ("JwtVerifier", reused)] {
            let got = match outcome {
                Ok(claims) => {
                    let claims = rust(&claims);
                    if case.expect == "ok" && Some(&claims) == case.claims.as_ref() {
                        continue;
                    }
                    format!("ok: {claims}")
                }
                Err(err) if err.is_instance_of::<js_sys::TypeError>() => {
                    // The package refuses an absurd leeway when the verifier is built, before
                    // any token: where the core says `malformed`, it throws a TypeError.
                    let leeway = case.options["leewaySecs"].as_f64();
                    let absurd = leeway.is_some_and(|l| !(0.0..=86_400.0).contains(&l));
                    if case.expect == "malformed" && absurd {
                        continue;
                    }
                    format!("TypeError {err:?}")
                }
                Err(err) => {
                    let got = code(err);
                    if got == case.expect {
                        continue;
                    }
                    got
                }
            };
            failures.push(format!(
                "{} via {entry}: expected {}, got {got}",
                case.name, case.expect
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[wasm_bindgen_test]
fn hs256_with_an_oct_key() {
    use jwt_compact::alg::{Hs256, Hs256Key};
    use jwt_compact::{AlgorithmExt as _, Claims, Header, TimeOptions};
    let secret = [7u8; 32];
    let time = TimeOptions::new(chrono::TimeDelta::zero(), || {
        DateTime::from_timestamp(NOW, 0).unwrap()
    });
    let claims =
        Claims::new(json!({"iss": "https://auth.example", "aud": "edge-auth", "sub": "s"}))
            .set_duration_and_issuance(&time, chrono::TimeDelta::seconds(60));
    let token = Hs256
        .token(&Header::empty(), &claims, &Hs256Key::new(secret))
        .unwrap();
    let jwks = js(&json!({"keys": [{"kty": "oct", "k": URL_SAFE_NO_PAD.encode(secret)}]}));
    let opts = options(json!({"algorithms": ["HS256"], "typ": null}));
    assert_eq!(
        rust(&verify_jwt(&token, jwks.clone(), opts).unwrap())["sub"],
        "s"
    );
    // The default allow-list is EdDSA only.
    let err = verify_jwt(&token, jwks, options(json!({"typ": null}))).unwrap_err();
    assert_eq!(code(err), "unsupported_algorithm");
}

#[wasm_bindgen_test]
fn decode_unverified_shows_header_and_claims() {
    let decoded = rust(&decode_jwt_unverified(&access_token("https://auth.example", NOW)).unwrap());
    assert_eq!(decoded["header"]["alg"], "EdDSA");
    assert_eq!(decoded["header"]["typ"], "at+jwt");
    assert_eq!(decoded["claims"]["iss"], "https://auth.example");
    assert_eq!(code(decode_jwt_unverified("a.b").unwrap_err()), "malformed");
    let not_json = format!(
        "{}.{}.x",
        URL_SAFE_NO_PAD.encode("{}"),
        STANDARD.encode("[1]")
    );
    assert_eq!(
        code(decode_jwt_unverified(&not_json).unwrap_err()),
        "malformed"
    );
}

#[wasm_bindgen_test]
fn api_keys_and_credentials_are_recognized_offline() {
    let key = edge_auth::api_key::generate(&edge_auth::testing::SeqRandom::new(5)).unwrap();
    let key = key.key.expose().clone();
    assert!(is_well_formed_api_key(&key));
    let typo = format!(
        "{}{}",
        &key[..key.len() - 1],
        if key.ends_with('a') { 'b' } else { 'a' }
    );
    assert!(!is_well_formed_api_key(&typo));
    assert_eq!(classify_credential(&key), "api_key");
    assert_eq!(classify_credential(&access_token("x", NOW)), "jwt");
    assert_eq!(classify_credential(&typo), "unknown");
    assert_eq!(classify_credential("hello"), "unknown");
}

#[wasm_bindgen_test]
fn client_options_are_checked() {
    let err = AuthClient::new(js(
        &json!({"baseUrl": "http://127.0.0.1:1", "storage": "disk"}),
    ))
    .err()
    .unwrap();
    assert!(err.is_instance_of::<js_sys::TypeError>());
    let client = AuthClient::new(js(&json!({"baseUrl": "http://127.0.0.1:1/"}))).unwrap();
    assert!(!client.is_logged_in());
    assert_eq!(client.access_token(), None);
}

#[wasm_bindgen_test]
async fn client_call_without_login_fails_with_401_and_no_request() {
    let client = AuthClient::new(js(&json!({"baseUrl": "http://127.0.0.1:1"}))).unwrap();
    let err = wasm_bindgen_futures::JsFuture::from(client.me())
        .await
        .unwrap_err();
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(Reflect::get(&err, &"name".into()).unwrap(), "AuthApiError");
    assert_eq!(Reflect::get(&err, &"status".into()).unwrap(), 401);
}

#[wasm_bindgen_test]
async fn network_failure_is_status_0() {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let client = AuthClient::new(js(&json!({"baseUrl": "http://127.0.0.1:1"}))).unwrap();
    let err = wasm_bindgen_futures::JsFuture::from(
        client.login(js(&json!({"email": "a@b.co", "password": "x"}))),
    )
    .await
    .unwrap_err();
    assert_eq!(Reflect::get(&err, &"status".into()).unwrap(), 0);
}

#[wasm_bindgen_test]
fn an_absurd_leeway_is_a_type_error_up_front() {
    for leeway in [json!(-1), json!(86_401), json!(1e15)] {
        let Err(err) = JwtVerifier::new(jwks(), options(json!({ "leewaySecs": leeway }))) else {
            panic!("{leeway} was accepted");
        };
        assert!(
            err.is_instance_of::<js_sys::TypeError>(),
            "{leeway}: {err:?}"
        );
    }
    assert!(JwtVerifier::new(jwks(), options(json!({ "leewaySecs": 86_400 }))).is_ok());
}

/// `VerifyOptions.algorithms` is read as the package's `JwtAlgorithm` type: anything else is a
/// TypeError up front that names what is supported.
#[wasm_bindgen_test]
fn an_algorithm_the_package_does_not_verify_is_a_type_error() {
    for algorithms in [json!(["RS512"]), json!(["EdDSA", "none"]), json!(["eddsa"])] {
        let Err(err) = JwtVerifier::new(jwks(), options(json!({ "algorithms": algorithms })))
        else {
            panic!("{algorithms} was accepted");
        };
        assert!(err.is_instance_of::<js_sys::TypeError>(), "{err:?}");
        let message = js_sys::Error::from(err).message().as_string().unwrap();
        assert!(
            message.contains("EdDSA") && message.contains("HS256"),
            "{message}"
        );
    }
}

/// `register` and `login` read their input as `RegisterInput` / `LoginInput`: a value of the
/// wrong type fails before any request (port 1 would be a network error, status 0 too).
#[wasm_bindgen_test]
async fn client_inputs_of_the_wrong_type_fail_before_any_request() {
    let client = AuthClient::new(js(&json!({"baseUrl": "http://127.0.0.1:1"}))).unwrap();
    let calls = [
        (
            "register",
            client.register(js(&json!({"email": "a@b.co", "password": 8}))),
        ),
        ("login", client.login(JsValue::from_str("a@b.co"))),
    ];
    for (name, call) in calls {
        let err = wasm_bindgen_futures::JsFuture::from(call)
            .await
            .unwrap_err();
        assert_eq!(Reflect::get(&err, &"status".into()).unwrap(), 0);
        let message = js_sys::Error::from(err).message().as_string().unwrap();
        assert!(
            message.starts_with(&format!("{name}: input must be {{ email, password")),
            "{message}"
        );
    }
}

async fn settle(promise: js_sys::Promise) -> Result<JsValue, JsValue> {
    wasm_bindgen_futures::JsFuture::from(promise).await
}

fn status(err: &JsValue) -> JsValue {
    assert_eq!(Reflect::get(err, &"name".into()).unwrap(), "AuthApiError");
    Reflect::get(err, &"status".into()).unwrap()
}

#[wasm_bindgen_test]
async fn get_access_token_is_undefined_when_signed_out_without_a_request() {
    // Port 1: a request would be a network error (a rejection), not `undefined`.
    let client = AuthClient::new(js(&json!({"baseUrl": "http://127.0.0.1:1"}))).unwrap();
    assert_eq!(
        settle(client.get_access_token()).await.unwrap(),
        JsValue::UNDEFINED
    );
}

/// The tokens a client on sessionStorage starts with, where there is sessionStorage (the
/// browser run; Node has none, and these cases return early there).
fn session_tokens(expires_in: i64) -> Option<AuthClient> {
    let storage = Reflect::get(&js_sys::global(), &"sessionStorage".into()).ok()?;
    if storage.is_undefined() {
        return None;
    }
    let now = (js_sys::Date::now() / 1000.0) as i64;
    let tokens = json!({
        "access_token": "planted-access",
        "refresh_token": "planted-refresh",
        "expires_at": now + expires_in,
    });
    let set: js_sys::Function = Reflect::get(&storage, &"setItem".into()).unwrap().into();
    set.call2(
        &storage,
        &"edge-auth.tokens".into(),
        &tokens.to_string().into(),
    )
    .unwrap();
    Some(
        AuthClient::new(js(
            &json!({"baseUrl": "http://127.0.0.1:1", "storage": "session"}),
        ))
        .unwrap(),
    )
}

#[wasm_bindgen_test]
async fn get_access_token_refreshes_only_when_about_to_expire() {
    // Valid for 10 minutes: the token as it is, no request (port 1 would fail).
    let Some(client) = session_tokens(600) else {
        return;
    };
    assert_eq!(
        settle(client.get_access_token()).await.unwrap(),
        "planted-access"
    );
    // Expiring within the 30 s leeway: refreshed first, and the refresh's network failure
    // is the rejection (status 0); the tokens are kept (it was not refused).
    let client = session_tokens(20).unwrap();
    let seen = Rc::new(RefCell::new(Vec::<String>::new()));
    let _keep = client.on_auth_state_change(recorder(&seen)).unwrap();
    let err = settle(client.get_access_token()).await.unwrap_err();
    assert_eq!(status(&err), 0);
    assert!(client.is_logged_in());
    assert_eq!(*seen.borrow(), Vec::<String>::new());
    // `fetch` refreshes through the same path before sending anything.
    let err = settle(client.fetch("http://127.0.0.1:1/x".into(), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(status(&err), 0);
    let clear: js_sys::Function = Reflect::get(
        &Reflect::get(&js_sys::global(), &"sessionStorage".into()).unwrap(),
        &"clear".into(),
    )
    .unwrap()
    .into();
    clear
        .call0(&Reflect::get(&js_sys::global(), &"sessionStorage".into()).unwrap())
        .unwrap();
}

#[wasm_bindgen_test]
async fn fetch_signed_out_sends_the_request_as_fetch_would() {
    let client = AuthClient::new(js(&json!({"baseUrl": "http://127.0.0.1:1"}))).unwrap();
    // Not an AuthApiError: fetch's own failure (nothing listens on port 1).
    let err = settle(client.fetch("http://127.0.0.1:1/x".into(), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert!(err.is_instance_of::<js_sys::TypeError>(), "{err:?}");
    // A URL `Request` refuses is the same TypeError `fetch` throws.
    let err = settle(client.fetch("http://[".into(), js(&json!({"method": "POST"}))))
        .await
        .unwrap_err();
    assert!(err.is_instance_of::<js_sys::TypeError>(), "{err:?}");
}

fn recorder(seen: &Rc<RefCell<Vec<String>>>) -> JsValue {
    let seen = Rc::clone(seen);
    wasm_bindgen::closure::Closure::<dyn FnMut(String)>::new(move |event: String| {
        seen.borrow_mut().push(event);
    })
    .into_js_value()
}

#[wasm_bindgen_test]
async fn auth_state_subscriptions_and_unsubscribing() {
    let client = AuthClient::new(js(&json!({"baseUrl": "http://127.0.0.1:1"}))).unwrap();
    let err = client
        .on_auth_state_change(JsValue::from_str("not a function"))
        .unwrap_err();
    assert!(err.is_instance_of::<js_sys::TypeError>());
    let seen = Rc::new(RefCell::new(Vec::<String>::new()));
    let unsubscribe: js_sys::Function =
        client.on_auth_state_change(recorder(&seen)).unwrap().into();
    // A failed login and a logout while signed out change nothing: no events.
    let login = client.login(js(&json!({"email": "a@b.co", "password": "x"})));
    assert!(settle(login).await.is_err());
    settle(client.logout()).await.unwrap();
    assert_eq!(*seen.borrow(), Vec::<String>::new());
    // Unsubscribing twice is harmless.
    unsubscribe.call0(&JsValue::UNDEFINED).unwrap();
    unsubscribe.call0(&JsValue::UNDEFINED).unwrap();
}

// ---- an identity provider's algorithms, verified with this runtime's WebCrypto

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
const PARAMS = {
  RS256: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, { name: "RSASSA-PKCS1-v1_5" }],
  PS256: [{ name: "RSA-PSS", hash: "SHA-256", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, { name: "RSA-PSS", saltLength: 32 }],
  ES256: [{ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }],
};
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
// A fresh key pair of this runtime's WebCrypto; a token of `claims` (JSON text) signed with it.
export async function webcryptoToken(alg, claims) {
  const [generate, sign] = PARAMS[alg];
  const pair = await crypto.subtle.generateKey(generate, true, ["sign", "verify"]);
  const jwk = { ...(await crypto.subtle.exportKey("jwk", pair.publicKey)), kid: "idp-1" };
  const input = `${b64url(new TextEncoder().encode(JSON.stringify({ alg, kid: "idp-1" })))}.${b64url(new TextEncoder().encode(claims))}`;
  const signature = await crypto.subtle.sign(sign, pair.privateKey, new TextEncoder().encode(input));
  return { token: `${input}.${b64url(signature)}`, jwks: JSON.stringify({ keys: [jwk] }) };
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = webcryptoToken)]
    async fn webcrypto_token(alg: &str, claims: &str) -> JsValue;
}

/// RS256, PS256 and ES256 tokens this runtime's WebCrypto signed: verifyAsync accepts them,
/// refuses a tampered one (bad_signature, before an expiry), and sync verify never accepts
/// them.
#[wasm_bindgen_test]
async fn provider_algorithms_verify_through_webcrypto() {
    let valid = json!({"iss": "https://idp.example", "sub": "u-7", "exp": NOW + 60}).to_string();
    let expired = json!({"iss": "https://idp.example", "sub": "u-7", "exp": NOW - 600}).to_string();
    for alg in ["RS256", "PS256", "ES256"] {
        let field = |value: &JsValue, name: &str| {
            Reflect::get(value, &name.into())
                .unwrap()
                .as_string()
                .unwrap()
        };
        let made = webcrypto_token(alg, &valid).await;
        let (token, keys) = (field(&made, "token"), field(&made, "jwks"));
        let rules = js(&json!({"issuer": "https://idp.example", "algorithms": [alg], "now": NOW}));
        let verifier = JwtVerifier::new(JsValue::from_str(&keys), rules.clone()).unwrap();
        let claims = settle(verifier.verify_async(&token)).await.unwrap();
        assert_eq!(rust(&claims)["sub"], "u-7", "{alg}");
        // The same again: the imported key is reused.
        assert!(settle(verifier.verify_async(&token)).await.is_ok(), "{alg}");
        // One changed claim: the signature no longer matches.
        let (head, rest) = token.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let forged_claims = URL_SAFE_NO_PAD.encode(valid.replace("u-7", "admin"));
        let forged = format!("{head}.{forged_claims}.{signature}");
        let err = settle(verifier.verify_async(&forged)).await.unwrap_err();
        assert_eq!(code(err), "bad_signature", "{alg}");
        // Never accepted synchronously.
        assert_eq!(
            code(verifier.verify(&token).unwrap_err()),
            "unsupported_algorithm"
        );
        // Not on the allow-list.
        let eddsa_only = js(&json!({"now": NOW}));
        let other = JwtVerifier::new(JsValue::from_str(&keys), eddsa_only).unwrap();
        let err = settle(other.verify_async(&token)).await.unwrap_err();
        assert_eq!(code(err), "unsupported_algorithm", "{alg}");
        // A genuine but expired token: expired; once tampered with, a bad signature first.
        let old = webcrypto_token(alg, &expired).await;
        let (token, keys) = (field(&old, "token"), field(&old, "jwks"));
        let verifier = JwtVerifier::new(JsValue::from_str(&keys), rules).unwrap();
        let err = settle(verifier.verify_async(&token)).await.unwrap_err();
        assert_eq!(code(err), "expired", "{alg}");
        let mut tampered = token.clone();
        tampered.replace_range(token.len() - 4.., "AAAA");
        let err = settle(verifier.verify_async(&tampered)).await.unwrap_err();
        assert_eq!(code(err), "bad_signature", "{alg}");
    }
}
