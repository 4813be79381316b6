//! API keys.

use crate::common::*;
use serde_json::{json, Value};

#[test]
fn api_key_lifecycle_create_list_use_revoke() {
    let api = api();
    let session = api.session("ada@example.com");
    let created = api.call(
        "POST",
        "/api-keys",
        &session.access,
        Some(json!({"name": "deploy", "scopes": ["read", "write"], "expires_in_days": 30})),
    );
    assert_eq!(created.status, 201);
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let created = created.json_body();
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with("sk-") && key.len() == 68);
    assert_eq!(created["prefix"], format!("sk-{id}"));
    assert_eq!(created["last4"], key[key.len() - 4..]);
    assert_eq!(created["scopes"], json!(["read", "write"]));
    assert_eq!(created["expires_at"], "2026-01-31T00:00:00Z");

    let list = api.get("/api-keys", &session.access);
    assert_eq!(list.status, 200);
    let text = String::from_utf8(list.body.clone()).unwrap();
    assert!(
        !text.contains(&key) && !text.contains(&key[19..62]),
        "secret in list: {text}"
    );
    let keys = list.json_body()["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["id"], id.as_str());
    assert_eq!(keys[0]["name"], "deploy");
    assert!(keys[0].get("key").is_none());
    assert_eq!(keys[0]["last_used_at"], Value::Null);

    api.clock.advance(5);
    let me = api.get("/me", &key);
    assert_eq!(me.status, 200);
    assert_eq!(me.json_body()["auth_scheme"], "api_key");
    assert_eq!(me.json_body()["email"], session.email.as_str());
    let keys = api.get("/api-keys", &session.access).json_body();
    assert_eq!(keys["keys"][0]["last_used_at"], "2026-01-01T00:00:05Z");

    assert_eq!(
        api.call("DELETE", &format!("/api-keys/{id}"), &session.access, None)
            .status,
        204
    );
    assert_invalid_token(&api.get("/me", &key));
    assert_eq!(
        api.get("/api-keys", &session.access).json_body()["keys"],
        json!([])
    );
    assert_eq!(
        api.call("DELETE", &format!("/api-keys/{id}"), &session.access, None)
            .status,
        404
    );
}

#[test]
fn api_key_stops_working_when_it_expires() {
    let api = api();
    let session = api.session("ada@example.com");
    let created = api.call(
        "POST",
        "/api-keys",
        &session.access,
        Some(json!({"name": "short", "expires_in_days": 1})),
    );
    let key = created.json_body()["key"].as_str().unwrap().to_owned();
    assert_eq!(api.get("/me", &key).status, 200);
    api.clock.advance(86_400);
    assert_invalid_token(&api.get("/me", &key));
}

#[test]
fn api_keys_may_not_manage_keys_or_private_keys() {
    let api = api();
    let session = api.session("ada@example.com");
    let created = api.create_key(&session.access, "ci");
    let key = created["key"].as_str().unwrap();
    let id = created["id"].as_str().unwrap();
    let forbidden: &[(&str, String, Option<Value>)] = &[
        ("GET", "/api-keys".into(), None),
        (
            "POST",
            "/api-keys".into(),
            Some(json!({"name": "escalate"})),
        ),
        ("DELETE", format!("/api-keys/{id}"), None),
        (
            "PUT",
            "/private-key".into(),
            Some(json!({"private_key": PEM})),
        ),
        ("DELETE", "/private-key".into(), None),
    ];
    for (method, path, body) in forbidden {
        let response = api.call(method, path, key, body.clone());
        assert_eq!(response.status, 403, "{method} {path}");
        assert!(detail(&response).contains("not an API key"));
    }
    assert_eq!(api.get("/private-key", key).status, 200);
    assert_eq!(api.call("POST", "/logout", key, None).status, 204);
    assert_eq!(api.get("/me", key).status, 200, "the key still works");
}

#[test]
fn another_users_key_is_not_found() {
    let api = api();
    let ada = api.session("ada@example.com");
    let bob = api.session("bob@example.com");
    let id = api.create_key(&ada.access, "ada's")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        format!("/api-keys/{id}"),
        "/api-keys/nope".into(),
        "/api-keys/..%2F..".into(),
    ] {
        let response = api.call("DELETE", &path, &bob.access, None);
        assert_eq!(response.status, 404, "{path}");
    }
    assert_eq!(
        api.get("/api-keys", &bob.access).json_body()["keys"],
        json!([])
    );
    assert_eq!(
        api.get("/api-keys", &ada.access).json_body()["keys"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn api_key_request_is_validated() {
    let api = api();
    let session = api.session("ada@example.com");
    let cases = [
        (json!({}), "name", "missing"),
        (json!({"name": ""}), "name", "string_too_short"),
        (
            json!({"name": "x", "scopes": "read"}),
            "scopes",
            "list_type",
        ),
        (
            json!({"name": "x", "scopes": ["bad scope"]}),
            "scopes",
            "value_error",
        ),
        (
            json!({"name": "x", "expires_in_days": 0}),
            "expires_in_days",
            "greater_than_equal",
        ),
        (
            json!({"name": "x", "expires_in_days": "7"}),
            "expires_in_days",
            "int_type",
        ),
    ];
    for (body, field, kind) in cases {
        let response = api.call("POST", "/api-keys", &session.access, Some(body));
        assert_validation(&response, &["body", field], kind);
    }
}

#[test]
fn many_keys_are_all_listed() {
    let api = api();
    let session = api.session("ada@example.com");
    let mut ids: Vec<String> = (0..50)
        .map(|i| {
            api.create_key(&session.access, &format!("key {i}"))["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let list = api.get("/api-keys", &session.access).json_body();
    let mut listed: Vec<String> = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    listed.sort();
    assert_eq!(listed, ids);
}
