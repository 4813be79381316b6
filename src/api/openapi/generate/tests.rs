//! Checks that the document matches the code: the checked-in file, the route table, and what
//! each request type's `parse` really reads and enforces.

use serde_json::{json, Map, Value};

use crate::api::requests::{
    CreateApiKeyRequest, LinkRequest, LoginRequest, PutPrivateKeyRequest, RefreshRequest,
    RegisterRequest, RequestBody, TokenExchangeRequest,
};
use crate::api::routes::Route;
use crate::api::validate::{Field, Kind};

#[cfg(not(target_arch = "wasm32"))]
use super::PATH;
use super::{generate, operations};

/// A concrete path for a template: each `{name}` segment filled in.
fn example_path(template: &str) -> String {
    template
        .split('/')
        .map(|seg| if seg.starts_with('{') { "x" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_checked_in_document_is_the_generated_one() {
    let generated = format!(
        "{}\n",
        serde_json::to_string_pretty(&generate()).expect("serializes")
    );
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(PATH, &generated).expect("writes src/api/openapi.json");
    }
    let checked_in = std::fs::read_to_string(PATH).unwrap_or_default();
    if checked_in != generated {
        let line = checked_in
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(checked_in.lines().count().min(generated.lines().count()));
        panic!(
            "src/api/openapi.json is not what the route table and the request/response types \
             generate (first difference at line {}: {:?} vs. generated {:?}). \
             Run `UPDATE_OPENAPI=1 cargo test --lib openapi` and review the diff.",
            line + 1,
            checked_in.lines().nth(line).unwrap_or("<end>"),
            generated.lines().nth(line).unwrap_or("<end>"),
        );
    }
}

#[test]
fn the_served_document_is_the_checked_in_one_with_the_origin_as_server() {
    let doc = crate::api::openapi::document("https://auth.example.com");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "https://auth.example.com");
    let mut expected: Value =
        serde_json::from_str(crate::api::openapi::DOCUMENT).expect("openapi.json is JSON");
    expected["servers"][0]["url"] = "https://auth.example.com".into();
    assert_eq!(doc, expected);
}

#[test]
fn every_operation_is_routed_and_every_route_and_method_has_an_operation() {
    let ops = operations();
    let mut ids = std::collections::BTreeSet::new();
    for op in &ops {
        assert!(ids.insert(op.id), "operationId {} twice", op.id);
        let route = Route::parse(&example_path(&op.path))
            .unwrap_or_else(|| panic!("{} {}: no route", op.method, op.path));
        assert!(
            route.methods().contains(&op.method),
            "{} {}: the route answers only {:?}",
            op.method,
            op.path,
            route.methods()
        );
    }
    for route in Route::every() {
        if route == Route::Docs {
            continue; // A page for people, not part of the API.
        }
        for &method in route.methods() {
            if method == "HEAD" {
                continue; // GET without the body.
            }
            let documented = ops.iter().any(|op| {
                op.method == method
                    && Route::parse(&example_path(&op.path)).is_some_and(|r| {
                        std::mem::discriminant(&r) == std::mem::discriminant(&route)
                    })
            });
            assert!(documented, "{method} {route:?}: no operation documents it");
        }
    }
}

/// A JSON value of the wrong type for every kind of field.
const WRONG_TYPE: Value = Value::Bool(true);

type Parse = fn(&crate::http::Request) -> Result<(), crate::error::AuthError>;

/// Every request type: its fields, and its `parse`.
fn request_types() -> Vec<(&'static str, &'static [Field], Parse)> {
    fn entry<T: RequestBody>(parse: Parse) -> (&'static str, &'static [Field], Parse) {
        (T::SCHEMA_NAME, T::FIELDS, parse)
    }
    vec![
        entry::<RegisterRequest>(|r| RegisterRequest::parse(r).map(drop)),
        entry::<LoginRequest>(|r| LoginRequest::parse(r).map(drop)),
        entry::<RefreshRequest>(|r| RefreshRequest::parse(r).map(drop)),
        entry::<TokenExchangeRequest>(|r| TokenExchangeRequest::parse(r).map(drop)),
        entry::<LinkRequest>(|r| LinkRequest::parse(r).map(drop)),
        entry::<CreateApiKeyRequest>(|r| CreateApiKeyRequest::parse(r).map(drop)),
        entry::<PutPrivateKeyRequest>(|r| PutPrivateKeyRequest::parse(r).map(drop)),
    ]
}

/// The (field, error type) pairs `parse` reports for `body`.
fn problems(parse: Parse, body: &Value) -> Vec<(String, &'static str)> {
    let req = crate::http::Request::new("POST", "/")
        .with_header("content-type", "application/json")
        .with_body(body.to_string());
    match parse(&req) {
        Ok(()) => Vec::new(),
        Err(crate::error::AuthError::Validation(errors)) => errors
            .into_iter()
            .map(|e| match &e.loc[..] {
                [_, crate::error::Loc::Name(name), ..] => (name.clone(), e.kind),
                _ => (format!("{:?}", e.loc), e.kind),
            })
            .collect(),
        Err(other) => panic!("{body}: {other:?}"),
    }
}

#[test]
fn every_request_type_reads_exactly_the_fields_its_schema_documents() {
    let operations = operations();
    for (name, fields, parse) in request_types() {
        assert!(
            operations
                .iter()
                .any(|op| op.request.is_some_and(|(n, _)| n == name)),
            "{name}: no operation takes it"
        );
        // An empty object: exactly the required fields are missing.
        let missing: Vec<String> = problems(parse, &json!({}))
            .into_iter()
            .map(|(field, kind)| {
                assert_eq!(kind, "missing", "{name}.{field}");
                field
            })
            .collect();
        let required: Vec<String> = fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name.to_owned())
            .collect();
        assert_eq!(
            missing, required,
            "{name}: fields required by parse vs. the schema"
        );
        // Every field of the wrong type: each documented field is read, and no other.
        let wrong: Map<String, Value> = fields
            .iter()
            .map(|f| (f.name.to_owned(), WRONG_TYPE))
            .collect();
        let mut complained: Vec<String> = problems(parse, &Value::Object(wrong))
            .into_iter()
            .map(|(field, _)| field)
            .collect();
        complained.dedup();
        let documented: Vec<String> = fields.iter().map(|f| f.name.to_owned()).collect();
        assert_eq!(
            complained, documented,
            "{name}: fields parse reads vs. the schema"
        );
    }
}

#[test]
fn every_request_type_enforces_the_limits_its_schema_documents() {
    for (name, fields, parse) in request_types() {
        for field in fields {
            // Values just outside the documented limits get the error each must get...
            for (value, kind) in outside_limits(field.kind) {
                let found = problems(parse, &json!({ field.name: value }));
                assert!(
                    found.contains(&(field.name.to_owned(), kind)),
                    "{name}.{}: expected {kind} for a value outside the documented limits, got {found:?}",
                    field.name
                );
            }
            // ...and values at the limits pass.
            for value in inside_limits(field.kind) {
                let found = problems(parse, &json!({ field.name: value }));
                let bad: Vec<_> = found.iter().filter(|(f, _)| f == field.name).collect();
                assert!(
                    bad.is_empty(),
                    "{name}.{}: {value} is within the documented limits: {bad:?}",
                    field.name
                );
            }
        }
    }
}

/// Values just outside the documented limits of a field of this kind, and the error each
/// must get.
fn outside_limits(kind: Kind) -> Vec<(Value, &'static str)> {
    match kind {
        Kind::Text { min, max } => {
            let mut v = Vec::new();
            if min > 0 {
                v.push(("x".repeat(min - 1).into(), "string_too_short"));
            }
            if let Some(max) = max {
                v.push(("x".repeat(max + 1).into(), "string_too_long"));
            }
            v
        }
        Kind::Integer { min, max } => vec![
            ((min - 1).into(), "greater_than_equal"),
            ((max + 1).into(), "less_than_equal"),
        ],
        Kind::TextList {
            max_items,
            min,
            max,
        } => {
            let mut v = vec![
                (json!(vec!["x"; max_items + 1]), "too_long"),
                (json!(["x".repeat(max + 1)]), "value_error"),
            ];
            if min > 0 {
                v.push((json!(["x".repeat(min - 1)]), "value_error"));
            }
            v
        }
        Kind::Email | Kind::Key => Vec::new(),
    }
}

/// Values at the documented limits of a field of this kind: each must pass.
fn inside_limits(kind: Kind) -> Vec<Value> {
    match kind {
        Kind::Text { min, max } => vec![
            "x".repeat(min).into(),
            "x".repeat(max.unwrap_or(min)).into(),
        ],
        Kind::Integer { min, max } => vec![min.into(), max.into()],
        Kind::TextList {
            max_items,
            min,
            max,
        } => vec![
            json!(vec!["x".repeat(min.max(1)); max_items]),
            json!(["x".repeat(max)]),
        ],
        Kind::Email | Kind::Key => Vec::new(),
    }
}

#[test]
fn every_json_reply_has_a_schema_in_the_document() {
    let doc = generate();
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let text = doc.to_string();
    for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = piece.split('"').next().unwrap_or_default();
        assert!(schemas.contains_key(name), "dangling $ref {name}");
    }
    for name in [
        "Error",
        "HTTPValidationError",
        "ValidationError",
        "Me",
        "User",
    ] {
        assert!(schemas.contains_key(name), "{name} missing");
    }
}
