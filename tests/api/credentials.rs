//! Credentials.

use crate::common::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use edge_auth::Request;

const PROTECTED: &[(&str, &str)] = &[
    ("GET", "/me"),
    ("POST", "/logout"),
    ("GET", "/api-keys"),
    ("POST", "/api-keys"),
    ("DELETE", "/api-keys/0123456789abcdef"),
    ("GET", "/private-key"),
    ("PUT", "/private-key"),
    ("DELETE", "/private-key"),
];

#[test]
fn protected_routes_without_credentials_are_401_with_www_authenticate() {
    let api = api();
    for (method, path) in PROTECTED {
        let response = api.send(Request::new(method, &format!("{BASE}{path}")));
        assert_eq!(response.status, 401, "{method} {path}");
        assert_eq!(response.header("www-authenticate"), Some("Bearer"));
        assert_eq!(detail(&response), "Not authenticated");
        let basic = Request::new(method, &format!("{BASE}{path}"))
            .with_header("authorization", "Basic YTpi");
        assert_eq!(api.send(basic).status, 401);
    }
}

#[test]
fn bad_tokens_are_401_invalid_token() {
    let api = api();
    let session = api.session("ada@example.com");
    let token = &session.access;
    let (head, rest) = token.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let mut sig = URL_SAFE_NO_PAD.decode(signature).unwrap();
    sig[5] ^= 0x10;
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt"}"#);
    let cases = [
        "garbage".to_owned(),
        token[..token.len() - 20].to_owned(),
        format!("{head}.{payload}"),
        format!("{none_header}.{payload}."),
        format!("{head}.{payload}.{}", URL_SAFE_NO_PAD.encode(&sig)),
        format!(
            "{head}.{}.{signature}",
            URL_SAFE_NO_PAD.encode(r#"{"iss":"https://auth.example","sub":"x"}"#)
        ),
        "eyJ.eyJ.eyJ".to_owned(),
    ];
    for case in cases {
        for (method, path) in PROTECTED {
            assert_invalid_token(&api.call(method, path, &case, None));
        }
    }
}

#[test]
fn expired_token_is_rejected() {
    let api = api();
    let session = api.session("ada@example.com");
    api.clock.advance(900 + 30 - 1);
    assert_eq!(api.get("/me", &session.access).status, 200);
    // On exp plus the 30 s leeway: refused (RFC 7519 §4.1.4, "on or after").
    api.clock.advance(1);
    let response = api.get("/me", &session.access);
    assert_invalid_token(&response);
    assert_eq!(detail(&response), "token expired");
}

#[test]
fn token_from_another_issuer_is_refused() {
    let api = api();
    let session = api.session("ada@example.com");
    let other = api_with(config_with(&[("JWT_ISSUER", "https://other.example")]));
    let response = other.get("/me", &session.access);
    assert_invalid_token(&response);
    assert_eq!(detail(&response), "token issuer is not trusted");
}

#[test]
fn api_key_with_wrong_checksum_is_refused_without_a_store_read() {
    let api = api();
    let session = api.session("ada@example.com");
    let key = api.create_key_secret(&session.access, "ci");
    let last = key.chars().last().unwrap();
    let typo = format!(
        "{}{}",
        &key[..key.len() - 1],
        if last == 'a' { 'b' } else { 'a' }
    );
    let reads = api.app.store.reads();
    let response = api.get("/me", &typo);
    assert_invalid_token(&response);
    assert_eq!(detail(&response), "API key checksum mismatch");
    assert_eq!(
        api.app.store.reads(),
        reads,
        "a malformed key must not cost a store read"
    );
}
