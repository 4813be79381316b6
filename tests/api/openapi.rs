//! The OpenAPI document and the docs page.

use std::collections::BTreeSet;

use crate::common::*;
use edge_auth::Request;
use futures_executor::block_on;
use serde_json::{json, Value};

#[test]
fn openapi_document_lists_only_served_operations_and_resolves_its_refs() {
    let api = oidc_api();
    let response = api.send(Request::new("GET", &format!("{BASE}/openapi.json")));
    assert_eq!(response.status, 200);
    let doc = response.json_body();
    assert_eq!(doc["openapi"], "3.1.0");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let text = doc.to_string();
    for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = piece.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "dangling $ref {name}");
    }
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item
            .as_object()
            .unwrap()
            .keys()
            .filter(|m| *m != "parameters")
        {
            let path = path
                .replace("{key_id}", "0123456789abcdef")
                .replace("{identity_id}", &"a".repeat(43));
            let mut req = Request::new(&method.to_uppercase(), &path);
            req.origin = "http://127.0.0.1:8787".into();
            // Unauthenticated, and with no provider behind the port: anything but 404/405.
            let response = block_on(api.app.handle(req));
            assert!(
                ![404, 405].contains(&response.status),
                "{method} {path}: {}",
                response.status
            );
            operations += 1;
        }
    }
    assert_eq!(operations, 18);
    let docs = api.send(Request::new("GET", &format!("{BASE}/docs")));
    assert_eq!(docs.status, 302);
    assert_eq!(docs.header("location"), Some("/docs/"));
}

/// The properties and required fields a schema of the document names (through `allOf`).
fn schema_fields(doc: &Value, name: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let schema = &doc["components"]["schemas"][name];
    let mut parts = vec![schema.clone()];
    if let Some(all) = schema["allOf"].as_array() {
        parts = all.clone();
    }
    let (mut props, mut required) = (BTreeSet::new(), BTreeSet::new());
    for part in parts {
        if let Some(reference) = part["$ref"].as_str() {
            let (p, r) = schema_fields(doc, reference.rsplit('/').next().unwrap());
            props.extend(p);
            required.extend(r);
            continue;
        }
        if let Some(map) = part["properties"].as_object() {
            props.extend(map.keys().cloned());
        }
        if let Some(list) = part["required"].as_array() {
            required.extend(list.iter().filter_map(|v| v.as_str().map(str::to_owned)));
        }
    }
    (props, required)
}

fn assert_matches_schema(doc: &Value, name: &str, body: &Value) {
    let keys: BTreeSet<String> = body.as_object().unwrap().keys().cloned().collect();
    let (props, required) = schema_fields(doc, name);
    assert_eq!(keys, props, "{name}: fields sent vs. documented");
    assert!(required.is_subset(&keys), "{name}: {required:?} required");
}

#[test]
fn every_response_body_has_exactly_the_fields_its_schema_documents() {
    let api = api();
    let doc = api
        .send(Request::new("GET", &format!("{BASE}/openapi.json")))
        .json_body();
    let user = api.register("ada@example.com").json_body();
    assert_matches_schema(&doc, "User", &user);
    let tokens = api.login("ada@example.com", PASSWORD).json_body();
    assert_matches_schema(&doc, "TokenResponse", &tokens);
    let access = tokens["access_token"].as_str().unwrap();
    assert_matches_schema(&doc, "Me", &api.get("/me", access).json_body());
    let created = api.create_key(access, "ci");
    assert_matches_schema(&doc, "ApiKeyCreated", &created);
    let list = api.get("/api-keys", access).json_body();
    assert_matches_schema(&doc, "ApiKeyList", &list);
    assert_matches_schema(&doc, "ApiKeySummary", &list["keys"][0]);
    let status = api.get("/private-key", access).json_body();
    assert_matches_schema(&doc, "PrivateKeyStatus", &status);
    let error = api.get("/me", "nonsense").json_body();
    assert_matches_schema(&doc, "Error", &error);
    let invalid = api.post("/login", json!({})).json_body();
    assert_matches_schema(&doc, "HTTPValidationError", &invalid);
    assert_matches_schema(&doc, "ValidationError", &invalid["detail"][0]);
}

#[test]
fn every_operation_has_a_unique_operation_id() {
    let doc = api()
        .send(Request::new("GET", &format!("{BASE}/openapi.json")))
        .json_body();
    let mut ids = BTreeSet::new();
    let mut operations = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        for (method, op) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            operations += 1;
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method}: no operationId");
            assert!(ids.insert(id.to_owned()), "{id} twice");
        }
    }
    assert_eq!(ids.len(), operations);
}
