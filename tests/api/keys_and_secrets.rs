//! Keys and secrets.

use crate::common::*;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use edge_auth::{App, Request};
use serde_json::{json, Value};

#[test]
fn jwks_publishes_the_key_that_signs_our_tokens() {
    let api = api();
    let session = api.session("ada@example.com");
    for path in [
        "/.well-known/jwks.json",
        "/api/v1/auth/.well-known/jwks.json",
    ] {
        let response = api.send(Request::new("GET", path));
        assert_eq!(response.status, 200);
        let jwks = response.json_body();
        let key = &jwks["keys"][0];
        assert_eq!(
            (
                key["kty"].as_str(),
                key["crv"].as_str(),
                key["alg"].as_str()
            ),
            (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
        );
        let header: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(session.access.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(header["kid"], key["kid"]);
        assert_eq!(header["typ"], "at+jwt");
        assert!(key.get("d").is_none(), "private part published");
    }
}

#[test]
fn store_holds_no_plaintext_secret() {
    let api = api();
    let session = api.session("ada@example.com");
    let created = api.create_key(&session.access, "ci");
    let key = created["key"].as_str().unwrap();
    api.call(
        "PUT",
        "/private-key",
        &session.access,
        Some(json!({"private_key": PEM})),
    );
    let dump = api.app.store.dump();
    assert!(dump.len() >= 6, "{dump:?}");
    let secrets = [
        PASSWORD,
        key,
        &key[19..62],
        "MC4CAQAwBQYDK2VwBCIEINTUxQXxH7vJ0ZrDAlhvbZJc2GnPmPEv5JeR",
        &session.refresh,
        &session.refresh[19..],
    ];
    for (name, value) in &dump {
        for secret in secrets {
            assert!(
                !name.contains(secret) && !value.contains(secret),
                "{secret} in {name} = {value}"
            );
        }
        let record: Value = serde_json::from_str(value).unwrap();
        assert_eq!(record["v"], 1, "{name} is not versioned");
        assert!(name.starts_with("v1:"), "{name}");
    }
}

#[test]
fn rotated_signing_key_verifies_and_is_published_until_its_tokens_expire() {
    let api = api();
    let session = api.session("ada@example.com");
    let old_kid = api
        .send(Request::new("GET", "/.well-known/jwks.json"))
        .json_body()["keys"][0]["kid"]
        .clone();
    // Rotate: a new active key; the old one retired now.
    let retired_at = api.clock_now();
    let rotated = config_with(&[
        ("JWT_SIGNING_KEY", &STANDARD.encode([21u8; 32])),
        (
            "JWT_RETIRED_SIGNING_KEYS",
            &format!("{}:{retired_at}", STANDARD.encode([11u8; 32])),
        ),
    ]);
    let api = Api {
        app: App {
            config: rotated,
            ..api.app
        },
        clock: api.clock,
    };
    let kids = |api: &Api| -> Vec<Value> {
        let jwks = api
            .send(Request::new("GET", "/.well-known/jwks.json"))
            .json_body();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].clone())
            .collect()
    };
    assert_eq!(kids(&api).len(), 2);
    assert_eq!(kids(&api)[1], old_kid);
    assert_eq!(
        api.get("/me", &session.access).status,
        200,
        "old token still verifies"
    );
    let fresh = api.login("ada@example.com", PASSWORD).json_body();
    let fresh_header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(
                fresh["access_token"]
                    .as_str()
                    .unwrap()
                    .split('.')
                    .next()
                    .unwrap(),
            )
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        fresh_header["kid"],
        kids(&api)[0],
        "new tokens use the new key"
    );
    // Once every token of the old key has expired, it is gone.
    api.clock.advance(900 + 31);
    assert_eq!(kids(&api), vec![fresh_header["kid"].clone()]);
    assert_invalid_token(&api.get("/me", &session.access));
}
