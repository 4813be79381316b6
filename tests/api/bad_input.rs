//! Bad input.

use crate::common::*;
use edge_auth::Request;
use serde_json::json;

#[test]
fn malformed_json_is_a_422_with_json_invalid() {
    let api = api();
    for body in ["{\"email\": ", "garbage", "{\"email\": \"a@b.co\",}", ""] {
        let req = Request::new("POST", &format!("{BASE}/login"))
            .with_header("content-type", "application/json")
            .with_body(body);
        assert_validation(&api.send(req), &["body"], "json_invalid");
    }
}

#[test]
fn body_that_is_not_an_object_is_a_422() {
    let api = api();
    let response = api.post("/login", json!(["ada@example.com", PASSWORD]));
    assert_validation(&response, &["body"], "model_attributes_type");
}

#[test]
fn wrong_types_are_a_422_per_field() {
    let api = api();
    let response = api.post("/login", json!({"email": 5, "password": ["x"]}));
    assert_validation(&response, &["body", "email"], "string_type");
    assert_validation(&response, &["body", "password"], "string_type");
}

#[test]
fn body_over_64_kb_is_a_413() {
    let api = api();
    let big = json!({"email": "ada@example.com", "password": "x".repeat(64 * 1024)});
    let response = api.post("/login", big);
    assert_eq!(response.status, 413);
    assert!(!detail(&response).is_empty());
}

#[test]
fn wrong_content_type_is_a_415() {
    let api = api();
    let req = Request::new("POST", &format!("{BASE}/login"))
        .with_header("content-type", "application/x-www-form-urlencoded")
        .with_body("email=ada%40example.com&password=x");
    let response = api.send(req);
    assert_eq!(response.status, 415);
    assert_eq!(detail(&response), "Content-Type must be application/json");
}

#[test]
fn unknown_path_is_404_and_wrong_method_is_405_with_allow() {
    let api = api();
    let response = api.send(Request::new("GET", &format!("{BASE}/nope")));
    assert_eq!(response.status, 404);
    assert_eq!(detail(&response), "Not Found");
    let response = api.send(Request::new("GET", &format!("{BASE}/login")));
    assert_eq!(response.status, 405);
    assert_eq!(response.header("allow"), Some("POST"));
    let response = api.send(Request::new("PATCH", &format!("{BASE}/private-key")));
    assert_eq!(response.header("allow"), Some("GET, HEAD, PUT, DELETE"));
}
