//! Where `openapi.json` comes from: the operations below (one per route and method, checked
//! against the route table), the request types' [`Field`] tables (the ones their `parse`
//! reads) and the response types' derived `JsonSchema`. The file is checked in so that the
//! Worker serves it without any of this code; `the_checked_in_document_is_the_generated_one`
//! fails when it is stale, and `UPDATE_OPENAPI=1 cargo test --lib openapi` rewrites it.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::api::requests::{
    CreateApiKeyRequest, LinkRequest, LoginRequest, PutPrivateKeyRequest, RefreshRequest,
    RegisterRequest, RequestBody, TokenExchangeRequest,
};
use crate::api::responses::{
    ApiKeyCreated, ApiKeyList, LinkStarted, Me, PrivateKeyStatus, TokenResponse, User,
};
use crate::api::routes::Route;
use crate::api::validate::{Field, Kind};
use crate::credentials::Scheme;
use crate::error::{ErrorBody, ValidationErrorBody};
use crate::http::BASE_PATH;

/// Where the checked-in document lives.
#[cfg(not(target_arch = "wasm32"))]
const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/openapi.json");

/// `servers[0].url` in the file; [`super::document`] puts the serving origin there.
const SERVER_PLACEHOLDER: &str = "/";

/// The schemes a credential may use: any, or an interactive sign-in (no API key).
const ANY: &[&str] = &["jwt", "apiKey", "oauth2"];
const INTERACTIVE: &[&str] = &["jwt", "oauth2"];

/// `auth_scheme` in `/me`: the names serde gives [`Scheme`]'s variants.
impl JsonSchema for Scheme {
    fn schema_name() -> Cow<'static, str> {
        "AuthScheme".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // A new variant stops this match from compiling until it is listed here too.
        let all = [Scheme::Jwt, Scheme::ApiKey, Scheme::Oauth2].map(|scheme| match scheme {
            Scheme::Jwt | Scheme::ApiKey | Scheme::Oauth2 => {
                serde_json::to_value(scheme).expect("a unit variant serializes")
            }
        });
        schemars::json_schema!({
            "description": "How the caller authenticated.",
            "type": "string",
            "enum": all
        })
    }
}

type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// One documented answer of an operation.
struct Reply {
    status: u16,
    description: &'static str,
    /// The JSON body's type, if there is a body.
    body: Option<SchemaFn>,
}

/// A query parameter (path parameters come from the path's `{name}` segments).
struct Query {
    name: &'static str,
    required: bool,
    schema: Value,
    description: &'static str,
}

/// One operation: a method of a path.
struct Operation {
    id: &'static str,
    method: &'static str,
    path: String,
    summary: &'static str,
    security: &'static [&'static str],
    query: Vec<Query>,
    /// The request body type's name and fields.
    request: Option<(&'static str, &'static [Field])>,
    replies: Vec<Reply>,
}

impl Operation {
    /// `path` is under [`BASE_PATH`] unless it starts with `/.well-known/`.
    fn new(id: &'static str, method: &'static str, path: &str, summary: &'static str) -> Self {
        let path = if path.starts_with("/.well-known/") {
            path.to_owned()
        } else {
            format!("{BASE_PATH}{path}")
        };
        Self {
            id,
            method,
            path,
            summary,
            security: &[],
            query: Vec::new(),
            request: None,
            replies: Vec::new(),
        }
    }

    fn security(mut self, schemes: &'static [&'static str]) -> Self {
        self.security = schemes;
        self
    }

    fn body<T: RequestBody>(mut self) -> Self {
        self.request = Some((T::SCHEMA_NAME, T::FIELDS));
        self
    }

    fn query(
        mut self,
        name: &'static str,
        required: bool,
        schema: Value,
        description: &'static str,
    ) -> Self {
        self.query.push(Query {
            name,
            required,
            schema,
            description,
        });
        self
    }

    /// An answer with a JSON body of type `T`.
    fn json<T: JsonSchema>(mut self, status: u16, description: &'static str) -> Self {
        self.replies.push(Reply {
            status,
            description,
            body: Some(SchemaGenerator::subschema_for::<T>),
        });
        self
    }

    /// An answer whose body is `{"detail": "..."}`.
    fn error(self, status: u16, description: &'static str) -> Self {
        self.json::<ErrorBody>(status, description)
    }

    /// An answer without a JSON body (204, a redirect) or one this document does not describe.
    fn other(mut self, status: u16, description: &'static str) -> Self {
        self.replies.push(Reply {
            status,
            description,
            body: None,
        });
        self
    }

    /// What every operation with a body or a credential may also answer.
    fn with_common_replies(mut self) -> Self {
        if self.request.is_some() {
            self = self
                .error(413, "Body over 64 KB")
                .error(415, "Content-Type is not application/json")
                .json::<ValidationErrorBody>(422, "Validation error");
        }
        if !self.security.is_empty() {
            self = self.error(
                401,
                "Missing or invalid credential (WWW-Authenticate: Bearer)",
            );
        }
        if self.security.contains(&"oauth2") {
            // A provider's token is checked with the provider's published keys.
            self = self.error(502, UPSTREAM);
        }
        self
    }
}

const BUSY: &str = "Too many password hashes in progress here: retry after Retry-After seconds";
const FORBIDDEN: &str = "An API key may not do this";
const NO_PROVIDER: &str = "Sign-in with an identity provider is not configured";
const UPSTREAM: &str = "The identity provider is unavailable";

/// Every operation of the API.
fn operations() -> Vec<Operation> {
    let string = || json!({ "type": "string" });
    vec![
        Operation::new("register", "POST", "/register", "Create a user")
            .body::<RegisterRequest>()
            .json::<User>(201, "The new user")
            .error(409, "The email is taken")
            .error(429, "Too many registrations from this address (Retry-After)")
            .error(503, BUSY),
        Operation::new("login", "POST", "/login", "Log in with email and password")
            .body::<LoginRequest>()
            .json::<TokenResponse>(200, "Tokens")
            .error(401, "Incorrect email or password")
            .error(429, "Too many failed logins for this email from this address, or from this address (Retry-After)")
            .error(503, BUSY),
        Operation::new("refresh", "POST", "/refresh", "Exchange a refresh token for a new pair")
            .body::<RefreshRequest>()
            .json::<TokenResponse>(200, "Tokens")
            .error(401, "Invalid, expired or reused refresh token"),
        Operation::new("logout", "POST", "/logout", "Revoke the session")
            .security(ANY)
            .other(204, "Logged out"),
        Operation::new("getMe", "GET", "/me", "The caller")
            .security(ANY)
            .json::<Me>(200, "The caller"),
        Operation::new("listApiKeys", "GET", "/api-keys", "List the caller's API keys (never their secrets)")
            .security(INTERACTIVE)
            .json::<ApiKeyList>(200, "Keys")
            .error(403, FORBIDDEN),
        Operation::new("createApiKey", "POST", "/api-keys", "Create an API key, shown once")
            .security(INTERACTIVE)
            .body::<CreateApiKeyRequest>()
            .json::<ApiKeyCreated>(201, "The key")
            .error(403, FORBIDDEN),
        Operation::new("revokeApiKey", "DELETE", "/api-keys/{key_id}", "Revoke an API key")
            .security(INTERACTIVE)
            .other(204, "Revoked")
            .error(403, FORBIDDEN)
            .error(404, "Not one of the caller's keys"),
        Operation::new("getPrivateKeyStatus", "GET", "/private-key", "Whether the caller has a private key (never the key)")
            .security(ANY)
            .json::<PrivateKeyStatus>(200, "Status"),
        Operation::new("putPrivateKey", "PUT", "/private-key", "Store the caller's private key, encrypted at rest")
            .security(INTERACTIVE)
            .body::<PutPrivateKeyRequest>()
            .json::<PrivateKeyStatus>(200, "Status")
            .error(403, FORBIDDEN),
        Operation::new("deletePrivateKey", "DELETE", "/private-key", "Remove the caller's private key")
            .security(INTERACTIVE)
            .other(204, "Removed")
            .error(403, FORBIDDEN),
        Operation::new("startProviderSignIn", "GET", "/oauth/authorize", "Start sign-in with the identity provider (redirect)")
            .query("redirect_uri", false, string(), "One of OIDC_REDIRECT_URIS (no fragment); default the first")
            .query("code_challenge", true, string(), "S256 of a verifier the app keeps, for POST /oauth/token")
            .query("code_challenge_method", false, json!({ "const": "S256" }), "")
            .query("link", false, string(), "A ticket from POST /oauth/link: attach the identity to that account")
            .other(302, "To the provider")
            .error(400, "redirect_uri not allowed, code_challenge missing, or link ticket unknown")
            .error(404, NO_PROVIDER)
            .error(429, "Too many sign-ins started from this address (Retry-After)")
            .error(502, UPSTREAM),
        Operation::new("finishProviderSignIn", "GET", "/oauth/callback", "Finish sign-in: redirect to the app with a one-time code in the fragment (#code=...), never tokens")
            .other(302, "To the app")
            .error(400, "Bad state, refused or invalid sign-in")
            .error(403, "The provider has not verified the email")
            .error(404, NO_PROVIDER)
            .error(409, "An account with this email exists (link instead), or the identity is linked to another account")
            .error(502, UPSTREAM),
        Operation::new("exchangeSignInCode", "POST", "/oauth/token", "Trade the one-time code and the app's verifier for tokens")
            .body::<TokenExchangeRequest>()
            .json::<TokenResponse>(200, "Tokens")
            .error(400, "Invalid, used or expired code, or wrong verifier")
            .error(409, "The identity was linked to another account meanwhile"),
        Operation::new("startProviderLink", "POST", "/oauth/link", "Start linking a provider identity to the caller's account")
            .security(INTERACTIVE)
            .body::<LinkRequest>()
            .json::<LinkStarted>(200, "Where to send the browser")
            .error(403, FORBIDDEN)
            .error(404, NO_PROVIDER),
        Operation::new("unlinkIdentity", "DELETE", "/identities/{identity_id}", "Unlink a provider identity from the caller's account")
            .security(INTERACTIVE)
            .other(204, "Unlinked")
            .error(403, FORBIDDEN)
            .error(404, "Not one of the caller's identities")
            .error(409, "The account's only way to sign in"),
        Operation::new("getJwks", "GET", "/.well-known/jwks.json", "Our public signing keys")
            .other(200, "JWK Set"),
        Operation::new("getOpenApi", "GET", "/openapi.json", "This document")
            .other(200, "OpenAPI 3.1"),
    ]
    .into_iter()
    .map(Operation::with_common_replies)
    .collect()
}

/// The JSON Schema of one request field, from its [`Kind`].
fn field_schema(field: &Field) -> Value {
    let mut schema = match field.kind {
        Kind::Text { min, max } => {
            let mut s = json!({ "type": "string" });
            if min > 0 {
                s["minLength"] = min.into();
            }
            if let Some(max) = max {
                s["maxLength"] = max.into();
            }
            s
        }
        Kind::Email => json!({ "type": "string", "format": "email" }),
        Kind::Integer { min, max } => {
            json!({ "type": "integer", "minimum": min, "maximum": max })
        }
        Kind::TextList {
            max_items,
            min,
            max,
        } => json!({
            "type": "array",
            "maxItems": max_items,
            "items": { "type": "string", "minLength": min, "maxLength": max }
        }),
        Kind::Key => json!({ "oneOf": [{ "type": "string" }, { "type": "object" }] }),
    };
    // An optional field may also be `null` (read as absent).
    if !field.required {
        match schema.get("type").cloned() {
            Some(Value::String(t)) => schema["type"] = json!([t, "null"]),
            _ => schema = json!({ "anyOf": [schema, { "type": "null" }] }),
        }
    }
    if !field.description.is_empty() {
        schema["description"] = field.description.into();
    }
    schema
}

/// The JSON Schema of a request body: an object of its fields.
fn request_schema(fields: &[Field]) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|f| (f.name.to_owned(), field_schema(f)))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    json!({ "type": "object", "required": required, "properties": properties })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The path parameters of a path template: its `{name}` segments.
fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect()
}

/// The whole document, from the operations and the types.
fn generate() -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .for_serialize()
        .into_generator();
    let mut schemas = Map::new();
    let mut paths = Map::new();
    for op in operations() {
        let mut operation = Map::new();
        operation.insert("operationId".into(), op.id.into());
        operation.insert("summary".into(), op.summary.into());
        let security: Vec<Value> = op.security.iter().map(|s| json!({ *s: [] })).collect();
        operation.insert("security".into(), security.into());
        if !op.query.is_empty() {
            let params: Vec<Value> = op
                .query
                .iter()
                .map(|q| {
                    let mut p = json!({ "name": q.name, "in": "query", "schema": q.schema });
                    if q.required {
                        p["required"] = true.into();
                    }
                    if !q.description.is_empty() {
                        p["description"] = q.description.into();
                    }
                    p
                })
                .collect();
            operation.insert("parameters".into(), params.into());
        }
        if let Some((name, fields)) = op.request {
            schemas.insert(name.to_owned(), request_schema(fields));
            operation.insert(
                "requestBody".into(),
                json!({ "required": true, "content": { "application/json": { "schema": schema_ref(name) } } }),
            );
        }
        let mut responses = Map::new();
        for reply in &op.replies {
            let mut r = json!({ "description": reply.description });
            if let Some(schema) = reply.body {
                let schema = schema(&mut generator);
                r["content"] = json!({ "application/json": { "schema": schema } });
            }
            let previous = responses.insert(reply.status.to_string(), r);
            assert!(previous.is_none(), "{}: {} twice", op.id, reply.status);
        }
        operation.insert("responses".into(), responses.into());
        let item = paths.entry(op.path.clone()).or_insert_with(|| json!({}));
        let parameters = path_parameters(&op.path);
        if !parameters.is_empty() {
            item["parameters"] = parameters.into();
        }
        let method = op.method.to_ascii_lowercase();
        assert!(
            item.get(&method).is_none(),
            "{} {} twice",
            op.method,
            op.path
        );
        item[method] = operation.into();
    }
    for (name, schema) in generator.take_definitions(true) {
        let previous = schemas.insert(name.clone(), schema);
        assert!(previous.is_none(), "two schemas named {name}");
    }
    let p = |path: &str| format!("{BASE_PATH}{path}");
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "edge-auth",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Login, sessions, API keys and private-key storage. Protected routes take `Authorization: Bearer <credential>`: our JWT, an `sk-` API key, or the identity provider's access token."
        },
        "servers": [{ "url": SERVER_PLACEHOLDER }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "jwt": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "An access token from /login, /refresh or provider sign-in." },
                "apiKey": { "type": "http", "scheme": "bearer", "description": "An API key: `Bearer sk-...`." },
                "oauth2": { "type": "oauth2", "description": "The identity provider's access token.", "flows": { "authorizationCode": {
                    "authorizationUrl": p("/oauth/authorize"), "tokenUrl": p("/oauth/callback"),
                    "scopes": { "openid": "OpenID", "email": "Email", "profile": "Profile" } } } }
            },
            "schemas": schemas
        }
    })
}

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
    let doc = super::document("https://auth.example.com");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "https://auth.example.com");
    let mut expected: Value = serde_json::from_str(super::DOCUMENT).expect("openapi.json is JSON");
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
            // Values just outside the documented limits, and the error each must get.
            let outside: Vec<(Value, &str)> = match field.kind {
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
            };
            for (value, kind) in outside {
                let found = problems(parse, &json!({ field.name: value }));
                assert!(
                    found.contains(&(field.name.to_owned(), kind)),
                    "{name}.{}: expected {kind} for a value outside the documented limits, got {found:?}",
                    field.name
                );
            }
            // ...and values at the limits pass.
            let inside: Vec<Value> = match field.kind {
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
            };
            for value in inside {
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
