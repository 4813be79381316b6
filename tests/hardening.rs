//! Attacks on the API as a hostile client would try them: each asserts the answer that keeps
//! accounts and credentials safe (and, for bad input, a 4xx in the API's shape, never a 5xx).

mod common;

use common::*;
use edge_auth::Request;
use serde_json::json;

// ---------------------------------------------------------------- input

#[test]
fn login_validates_the_email_like_register() {
    let api = api();
    let long = format!("{}@example.com", "a".repeat(600));
    for path in ["/login", "/register"] {
        let response = api.post(path, json!({"email": long, "password": PASSWORD}));
        assert_validation(&response, &["body", "email"], "value_error");
        let response = api.post(path, json!({"email": "not-an-email", "password": PASSWORD}));
        assert_validation(&response, &["body", "email"], "value_error");
    }
}

#[test]
fn null_required_fields_are_a_422_not_a_500() {
    let api = api();
    for path in ["/login", "/register"] {
        let response = api.post(path, json!({"email": null, "password": PASSWORD}));
        assert_validation(&response, &["body", "email"], "string_type");
        let response = api.post(path, json!({"email": "a@example.com", "password": null}));
        assert_validation(&response, &["body", "password"], "string_type");
    }
    let response = api.post("/refresh", json!({"refresh_token": null}));
    assert_validation(&response, &["body", "refresh_token"], "string_type");
    let session = api.session("ada@example.com");
    let response = api.call(
        "POST",
        "/api-keys",
        &session.access,
        Some(json!({"name": null})),
    );
    assert_validation(&response, &["body", "name"], "string_type");
    let keys = api.get("/api-keys", &session.access).json_body();
    assert_eq!(keys["keys"].as_array().map(Vec::len), Some(0));
}

#[test]
fn an_overlong_password_is_refused_before_hashing() {
    let api = api();
    let response = api.post(
        "/login",
        json!({"email": "a@example.com", "password": "x".repeat(257)}),
    );
    assert_validation(&response, &["body", "password"], "string_too_long");
}

#[test]
fn a_post_without_content_type_is_a_415() {
    let api = api();
    let body = json!({"email": "a@example.com", "password": PASSWORD}).to_string();
    for path in ["/login", "/register", "/refresh"] {
        let req = Request::new("POST", &format!("{BASE}{path}")).with_body(body.clone());
        let response = api.send(req);
        assert_eq!(response.status, 415, "{path}");
    }
}

// ---------------------------------------------------------------- methods

#[test]
fn unknown_methods_are_405_not_served_as_get() {
    let api = api();
    let session = api.session("ada@example.com");
    for method in ["QUERY", "PROPFIND", "PATCH", "OPTIONS"] {
        for path in ["/me", "/private-key", "/api-keys"] {
            let response = api.call(method, path, &session.access, None);
            assert_eq!(response.status, 405, "{method} {path}");
            let allow = response.header("allow").unwrap_or_default();
            assert!(allow.contains("GET") && allow.contains("HEAD"), "{allow}");
        }
    }
}

#[test]
fn head_answers_like_get_without_a_body() {
    let api = api();
    let session = api.session("ada@example.com");
    for path in ["/me", "/private-key", "/api-keys"] {
        let get = api.call("GET", path, &session.access, None);
        let head = api.call("HEAD", path, &session.access, None);
        assert_eq!(head.status, 200, "{path}");
        assert_eq!(head.status, get.status);
        assert_eq!(head.header("content-type"), get.header("content-type"));
        assert!(head.body.is_empty(), "{path}");
    }
    let head = api.send(Request::new("HEAD", "/.well-known/jwks.json"));
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    let head = api.call("HEAD", "/me", "nonsense", None);
    assert_eq!(head.status, 401);
    assert!(head.body.is_empty());
}
