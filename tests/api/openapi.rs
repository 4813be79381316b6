//! The OpenAPI document and the docs page.

use crate::common::*;
use edge_auth::Request;
use futures_executor::block_on;

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
    assert_eq!(docs.status, 200);
    assert_eq!(
        docs.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(String::from_utf8_lossy(&docs.body).contains("openapi.json"));
}
