//! Property tests: whatever a client sends, the token verifier, the API key parser and the
//! request-body path never panic, and only the genuine article is accepted. Fixed seeds and
//! budgets keep `cargo test` fast and deterministic; nothing is persisted.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::DateTime;
use common::{api, Api, BASE, PASSWORD};
use edge_auth::api_key;
use edge_auth::jwt::{self, AccessClaims, Alg, KeySet, Rules, SigningKey, VerifyingKey};
use edge_auth::store::{SessionId, UserId};
use edge_auth::testing::SeqRandom;
use edge_auth::Request;
use futures_executor::block_on;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

const NOW: i64 = 1_800_000_000;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x8725),
        ..ProptestConfig::default()
    }
}

// ------------------------------------------------------------------ jwt::verify

fn signing_key() -> SigningKey {
    SigningKey::from_seed(&[5u8; 32]).expect("32 bytes")
}

fn good_token() -> String {
    let claims = AccessClaims {
        iss: "https://auth.example".into(),
        sub: UserId::new("user-1"),
        aud: "edge-auth".into(),
        sid: SessionId::new("session-1"),
        jti: "jti-1".into(),
    };
    let now = DateTime::from_timestamp(NOW, 0).expect("valid");
    jwt::issue_access(&signing_key(), claims, now, 900)
}

fn keys() -> KeySet {
    KeySet::from_jwks(&jwt::jwks([&signing_key()])).expect("our own JWKS")
}

fn rules() -> Rules {
    Rules {
        algorithms: vec![Alg::EdDsa, Alg::Hs256],
        issuer: Some("https://auth.example".into()),
        audience: Some("edge-auth".into()),
        token_type: Some(jwt::ACCESS_TOKEN_TYPE.into()),
        leeway_secs: jwt::LEEWAY_SECS,
    }
}

fn verify(token: &str) -> Result<jwt::Verified, jwt::TokenError> {
    jwt::verify(
        token,
        &keys(),
        &rules(),
        DateTime::from_timestamp(NOW, 0).expect("valid"),
    )
}

/// Characters a token is made of, and the ones that are nearly right.
fn token_char() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => proptest::char::ranges(vec!['A'..='Z', 'a'..='z', '0'..='9'].into()),
        2 => Just('-'),
        2 => Just('_'),
        2 => Just('.'),
        1 => Just('='),
        1 => Just('+'),
        1 => Just('/'),
        1 => any::<char>(),
    ]
}

/// A JSON value of any shape, strings and numbers included at their extremes.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        Just(json!(i64::MAX)),
        Just(json!(1e300)),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A change to a valid token.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the character at this position (modulo the length).
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize),
    Truncate(usize),
    /// Flip one bit of a decoded part and re-encode it canonically.
    FlipBit {
        part: usize,
        bit: usize,
    },
    /// Set a header parameter (part 0) or claim (part 1), re-encoded canonically.
    SetMember {
        part: usize,
        name: String,
        value: Value,
    },
    /// Swap two parts.
    Swap(usize, usize),
    /// Replace the last character of a part: where its unused bits live.
    LastChar {
        part: usize,
        with: char,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let member_name = prop_oneof![
        Just("alg".to_owned()),
        Just("kid".to_owned()),
        Just("typ".to_owned()),
        Just("crit".to_owned()),
        Just("exp".to_owned()),
        Just("nbf".to_owned()),
        Just("iss".to_owned()),
        Just("aud".to_owned()),
        Just("sub".to_owned()),
        ".{0,8}",
    ];
    prop_oneof![
        (any::<usize>(), token_char()).prop_map(|(i, c)| Mutation::Replace(i, c)),
        (any::<usize>(), token_char()).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
        (0..3usize, any::<usize>()).prop_map(|(part, bit)| Mutation::FlipBit { part, bit }),
        (0..2usize, member_name, json_value())
            .prop_map(|(part, name, value)| Mutation::SetMember { part, name, value }),
        (0..3usize, 0..3usize).prop_map(|(a, b)| Mutation::Swap(a, b)),
        (0..3usize, token_char()).prop_map(|(part, with)| Mutation::LastChar { part, with }),
    ]
}

fn apply(token: &str, mutation: &Mutation) -> String {
    let chars: Vec<char> = token.chars().collect();
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    match mutation {
        Mutation::Replace(i, c) => {
            let mut chars = chars;
            let i = i % chars.len();
            chars[i] = *c;
            chars.into_iter().collect()
        }
        Mutation::Insert(i, c) => {
            let mut chars = chars;
            let i = i % (chars.len() + 1);
            chars.insert(i, *c);
            chars.into_iter().collect()
        }
        Mutation::Delete(i) => {
            let mut chars = chars;
            chars.remove(i % chars.len());
            chars.into_iter().collect()
        }
        Mutation::Truncate(len) => chars[..len % chars.len()].iter().collect(),
        Mutation::FlipBit { part, bit } => {
            let mut bytes = URL_SAFE_NO_PAD.decode(&parts[*part]).expect("canonical");
            let bit = bit % (bytes.len() * 8);
            bytes[bit / 8] ^= 1 << (bit % 8);
            parts[*part] = URL_SAFE_NO_PAD.encode(bytes);
            parts.join(".")
        }
        Mutation::SetMember { part, name, value } => {
            let bytes = URL_SAFE_NO_PAD.decode(&parts[*part]).expect("canonical");
            let mut object: Map<String, Value> = serde_json::from_slice(&bytes).expect("JSON");
            object.insert(name.clone(), value.clone());
            parts[*part] = URL_SAFE_NO_PAD.encode(Value::Object(object).to_string());
            parts.join(".")
        }
        Mutation::Swap(a, b) => {
            parts.swap(*a, *b);
            parts.join(".")
        }
        Mutation::LastChar { part, with } => {
            if let Some(part) = parts.get_mut(*part) {
                if part.pop().is_some() {
                    part.push(*with);
                }
            }
            parts.join(".")
        }
    }
}

#[test]
fn the_untouched_token_verifies() {
    // The property below is only meaningful if the genuine token passes.
    let verified = verify(&good_token()).expect("genuine token");
    assert_eq!(verified.claims()["sub"], "user-1");
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn verify_refuses_arbitrary_strings_without_panicking(token in ".{0,400}") {
        prop_assert!(verify(&token).is_err());
    }

    #[test]
    fn verify_refuses_arbitrary_token_shaped_strings(
        token in proptest::collection::vec(token_char(), 0..400)
            .prop_map(|chars| chars.into_iter().collect::<String>())
    ) {
        prop_assert!(verify(&token).is_err());
    }

    #[test]
    fn verify_accepts_a_mutated_token_only_when_nothing_changed(
        mutations in proptest::collection::vec(mutation(), 1..4)
    ) {
        let good = good_token();
        let mut token = good.clone();
        for mutation in &mutations {
            if token.is_empty() || token.split('.').count() != 3 {
                break;
            }
            let parts_ok = token
                .split('.')
                .all(|p| URL_SAFE_NO_PAD.decode(p).is_ok_and(|b| !b.is_empty()));
            if !parts_ok && matches!(mutation, Mutation::FlipBit { .. } | Mutation::SetMember { .. }) {
                break;
            }
            if matches!(mutation, Mutation::SetMember { .. })
                && token.split('.').take(2).any(|p| {
                    URL_SAFE_NO_PAD
                        .decode(p)
                        .ok()
                        .and_then(|b| serde_json::from_slice::<Map<String, Value>>(&b).ok())
                        .is_none()
                })
            {
                break;
            }
            token = apply(&token, mutation);
        }
        let result = verify(&token);
        prop_assert_eq!(result.is_ok(), token == good, "{:?} -> {:?}", token, result);
    }

    #[test]
    fn hs256_keys_shorter_than_32_bytes_are_never_built(
        secret in proptest::collection::vec(any::<u8>(), 0..64)
    ) {
        let built = VerifyingKey::hs256(None, &secret).is_some();
        prop_assert_eq!(built, secret.len() >= jwt::MIN_HS256_KEY_BYTES);
        let jwks = json!({"keys": [{"kty": "oct", "k": URL_SAFE_NO_PAD.encode(&secret)}]});
        prop_assert_eq!(KeySet::from_jwks(&jwks).is_ok(), built);
    }

    #[test]
    fn check_claims_never_panics_on_any_time_claims_or_leeway(
        exp in json_value(),
        nbf in json_value(),
        iat in json_value(),
        leeway_secs in prop_oneof![any::<i64>(), 0..=jwt::MAX_LEEWAY_SECS],
        now in prop_oneof![
            Just(DateTime::<chrono::Utc>::MIN_UTC),
            Just(DateTime::<chrono::Utc>::MAX_UTC),
            any::<i32>().prop_map(|s| DateTime::from_timestamp(i64::from(s), 0).expect("i32 seconds")),
        ],
    ) {
        let claims = jwt::RegisteredClaims {
            exp: Some(exp),
            nbf: Some(nbf),
            iat: Some(iat),
            ..Default::default()
        };
        let rules = Rules { issuer: None, audience: None, leeway_secs, ..rules() };
        let result = jwt::check_claims(&claims, &rules, now);
        if !(0..=jwt::MAX_LEEWAY_SECS).contains(&leeway_secs) {
            prop_assert_eq!(result, Err(jwt::TokenError::Malformed));
        }
    }
}

// ------------------------------------------------------------------ the claims reader

/// A claims object: random members, some of them registered claims of any JSON type.
fn claims_object() -> impl Strategy<Value = Map<String, Value>> {
    let name = prop_oneof![
        Just("exp".to_owned()),
        Just("nbf".to_owned()),
        Just("iat".to_owned()),
        Just("iss".to_owned()),
        Just("aud".to_owned()),
        ".{0,12}",
    ];
    proptest::collection::btree_map(name, json_value(), 0..10)
        .prop_map(|members| members.into_iter().collect())
}

/// `value` (JSON text) inside `depth` layers of arrays and objects.
fn nest(value: String, depth: usize) -> String {
    (0..depth).fold(value, |inner, layer| match layer % 2 {
        0 => format!("[1,{inner}]"),
        _ => format!(r#"{{"n":{inner}}}"#),
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// The typed reader keeps exactly what serde_json reads for the registered claims.
    #[test]
    fn registered_claims_are_what_serde_json_reads(claims in claims_object()) {
        let text = Value::Object(claims).to_string();
        let registered = jwt::RegisteredClaims::parse(text.as_bytes());
        let claims: Map<String, Value> = serde_json::from_str(&text).expect("JSON");
        prop_assert_eq!(
            registered,
            Some(jwt::RegisteredClaims {
                exp: claims.get("exp").cloned(),
                nbf: claims.get("nbf").cloned(),
                iat: claims.get("iat").cloned(),
                iss: claims.get("iss").cloned(),
                aud: claims.get("aud").cloned(),
            })
        );
    }

    /// A member named twice anywhere (also once escaped, which names the same member) makes
    /// the claims unreadable, in a registered claim or any other.
    #[test]
    fn a_name_twice_at_any_depth_is_refused(
        mut claims in claims_object(),
        depth in 0..5usize,
        name in prop_oneof![Just("aud"), Just("x"), Just("exp")],
        escaped in any::<bool>(),
    ) {
        claims.remove(name);
        let with_second = |second: &str| {
            let twice = format!(r#"{{"x":1,{second}:2}}"#);
            let mut text = Value::Object(claims.clone()).to_string();
            text.pop(); // the closing brace
            if text.len() > 1 {
                text.push(',');
            }
            text + &format!(r#""{name}":{}}}"#, nest(twice, depth))
        };
        // The same text with distinct names reads.
        let fine = with_second(r#""y""#);
        prop_assert!(jwt::RegisteredClaims::parse(fine.as_bytes()).is_some(), "{}", fine);
        let text = with_second(if escaped { r#""\u0078""# } else { r#""x""# });
        prop_assert_eq!(jwt::RegisteredClaims::parse(text.as_bytes()), None, "{}", text);
    }
}

// ------------------------------------------------------------------ api_key::parse

fn well_formed_key(seed: u64) -> String {
    api_key::generate(&SeqRandom::new(seed))
        .expect("generated")
        .key
        .expose()
        .clone()
}

/// Checks a key's checksum independently of `api_key::parse`.
fn checksum_holds(key: &str) -> bool {
    let (body, sum) = key.split_at(api_key::KEY_LEN - api_key::CHECKSUM_LEN);
    let digest = Sha256::digest(body.as_bytes());
    let value = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    edge_auth::base62::encode_u32(value, api_key::CHECKSUM_LEN) == sum
}

fn assert_parse_is_sound(key: &str) -> Result<(), TestCaseError> {
    if let Ok(id) = api_key::parse(key) {
        prop_assert_eq!(key.len(), 68);
        prop_assert!(key.starts_with("sk-"));
        prop_assert!(edge_auth::base62::is_base62(&key[3..]));
        prop_assert_eq!(id, &key[3..3 + api_key::ID_LEN]);
        prop_assert!(checksum_holds(key), "{}", key);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn api_key_parse_never_panics_on_any_string(key in ".{0,100}") {
        assert_parse_is_sound(&key)?;
    }

    #[test]
    fn api_key_parse_on_key_shaped_strings(
        key in "sk-[0-9A-Za-z]{65}|sk-[0-9A-Za-z]{60,70}|[sS][kK]-.{65}"
    ) {
        assert_parse_is_sound(&key)?;
    }

    #[test]
    fn api_key_parse_accepts_generated_keys_and_refuses_edited_ones(
        seed in any::<u64>(),
        at in 0..api_key::KEY_LEN,
        with in proptest::char::ranges(vec!['0'..='9', 'A'..='Z', 'a'..='z'].into()),
    ) {
        let key = well_formed_key(seed);
        prop_assert!(api_key::parse(&key).is_ok(), "{}", key);
        assert_parse_is_sound(&key)?;
        let mut edited: Vec<char> = key.chars().collect();
        edited[at] = with;
        let edited: String = edited.into_iter().collect();
        assert_parse_is_sound(&edited)?;
        prop_assert_eq!(api_key::parse(&edited).is_ok(), edited == key, "{}", edited);
    }
}

// ------------------------------------------------------------------ request bodies

const BODY_PATHS: [&str; 3] = ["/register", "/login", "/refresh"];

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        4 => Just(Some("application/json".to_owned())),
        1 => Just(Some("application/json; charset=utf-8".to_owned())),
        1 => Just(Some("text/plain".to_owned())),
        1 => Just(None),
        1 => ".{0,30}".prop_map(Some),
    ]
}

/// A JSON body shaped like the endpoints' requests, with any values.
fn request_like_json() -> impl Strategy<Value = Value> {
    let field = prop_oneof![
        Just("email".to_owned()),
        Just("password".to_owned()),
        Just("name".to_owned()),
        Just("refresh_token".to_owned()),
        ".{0,10}",
    ];
    let value = prop_oneof![
        3 => json_value(),
        1 => "[a-z]{1,10}@[a-z]{1,10}\\.[a-z]{2,4}".prop_map(Value::from),
        1 => ".{0,700}".prop_map(Value::from),
        1 => Just(Value::from("correct horse battery")),
        1 => Just(Value::from("ada@example.com")),
    ];
    proptest::collection::btree_map(field, value, 0..5)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// Stands for the refresh token of the run's session.
const REFRESH_MARKER: &str = "$refresh";

/// A body that passes validation often, so the handlers behind it run: real and near-miss
/// emails (a 600-character one included), passwords, names and refresh tokens.
fn plausible_json() -> impl Strategy<Value = Value> {
    let email = prop_oneof![
        Just("ada@example.com".to_owned()),
        "[a-z]{1,10}@[a-z]{1,10}\\.[a-z]{2,4}",
        "[a-z]{200,600}@example\\.com",
        "[A-Za-z0-9.+_-]{0,12}@?[A-Za-z0-9.-]{0,12}",
    ];
    let password = prop_oneof![Just(PASSWORD.to_owned()), "[ -~]{0,20}", ".{0,300}",];
    let refresh = prop_oneof![
        Just(REFRESH_MARKER.to_owned()),
        "[A-Za-z0-9_.-]{0,80}",
        ".{0,100}",
    ];
    (
        email,
        password,
        proptest::option::of(".{0,80}"),
        proptest::option::of(refresh),
    )
        .prop_map(|(email, password, name, refresh)| {
            let mut body = json!({"email": email, "password": password});
            if let Some(name) = name {
                body["name"] = name.into();
            }
            if let Some(refresh) = refresh {
                body["refresh_token"] = refresh.into();
            }
            body
        })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..300),
        1 => json_value().prop_map(|v| v.to_string().into_bytes()),
        1 => request_like_json().prop_map(|v| v.to_string().into_bytes()),
        3 => plausible_json().prop_map(|v| v.to_string().into_bytes()),
    ]
}

/// One app for the whole run, with a user and that user's refresh token.
fn api_with_a_session() -> (Api, String) {
    let api = api();
    let session = api.session("ada@example.com");
    (api, session.refresh)
}

proptest! {
    // Argon2 runs at the suite's cheap test parameters, so the full budget stays fast.
    #![proptest_config(config(256))]

    #[test]
    fn body_endpoints_never_answer_5xx(
        path in proptest::sample::select(BODY_PATHS.to_vec()),
        content_type in content_type(),
        body in body(),
    ) {
        thread_local! {
            static API: (Api, String) = api_with_a_session();
        }
        let body = API.with(|(_, refresh)| {
            String::from_utf8(body.clone())
                .map(|text| text.replace(REFRESH_MARKER, refresh).into_bytes())
                .unwrap_or(body)
        });
        let mut req = Request::new("POST", &format!("{BASE}{path}")).with_body(body.clone());
        if let Some(content_type) = &content_type {
            req = req.with_header("content-type", content_type);
        }
        let response = API.with(|(api, _)| block_on(api.app.handle(req)));
        prop_assert!(
            response.status < 500,
            "{} {:?} {:?} -> {:?}",
            path,
            content_type,
            String::from_utf8_lossy(&body),
            response
        );
    }
}
