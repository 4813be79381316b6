//! Where `openapi.json` comes from: the operations in [`operations`] (one per route and
//! method, checked against the route table), the request types' [`Field`] tables (the ones
//! their `parse` reads) and the response types' derived `JsonSchema`. The file is checked in
//! so that the Worker serves it without any of this code;
//! `the_checked_in_document_is_the_generated_one` fails when it is stale, and
//! `UPDATE_OPENAPI=1 cargo test --lib openapi` rewrites it.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::api::requests::RequestBody;
use crate::api::validate::{Field, Kind};
use crate::credentials::Scheme;
use crate::error::{ErrorBody, ValidationErrorBody};
use crate::http::BASE_PATH;

mod operations;
mod tests;

use operations::operations;

/// Where the checked-in document lives.
#[cfg(not(target_arch = "wasm32"))]
const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/openapi.json");

/// `servers[0].url` in the file; [`super::document`] puts the serving origin there.
const SERVER_PLACEHOLDER: &str = "/";

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

/// What an operation that checks a provider's token may answer when the provider is down.
const UPSTREAM: &str = "The identity provider is unavailable";

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
        let operation = operation_object(&op, &mut generator, &mut schemas);
        add_to_paths(&mut paths, &op, operation);
    }
    for (name, schema) in generator.take_definitions(true) {
        let previous = schemas.insert(name.clone(), schema);
        assert!(previous.is_none(), "two schemas named {name}");
    }
    document(paths, schemas)
}

/// One operation's object; its request body's schema goes into `schemas`, its replies' types
/// into `generator`'s definitions.
fn operation_object(
    op: &Operation,
    generator: &mut SchemaGenerator,
    schemas: &mut Map<String, Value>,
) -> Map<String, Value> {
    let mut operation = Map::new();
    operation.insert("operationId".into(), op.id.into());
    operation.insert("summary".into(), op.summary.into());
    let security: Vec<Value> = op.security.iter().map(|s| json!({ *s: [] })).collect();
    operation.insert("security".into(), security.into());
    if !op.query.is_empty() {
        operation.insert("parameters".into(), query_parameters(&op.query).into());
    }
    if let Some((name, fields)) = op.request {
        schemas.insert(name.to_owned(), request_schema(fields));
        operation.insert(
            "requestBody".into(),
            json!({ "required": true, "content": { "application/json": { "schema": schema_ref(name) } } }),
        );
    }
    operation.insert("responses".into(), responses(op, generator).into());
    operation
}

/// The query parameters' objects.
fn query_parameters(query: &[Query]) -> Vec<Value> {
    query
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
        .collect()
}

/// The operation's `responses`, by status.
fn responses(op: &Operation, generator: &mut SchemaGenerator) -> Map<String, Value> {
    let mut responses = Map::new();
    for reply in &op.replies {
        let mut r = json!({ "description": reply.description });
        if let Some(schema) = reply.body {
            let schema = schema(generator);
            r["content"] = json!({ "application/json": { "schema": schema } });
        }
        let previous = responses.insert(reply.status.to_string(), r);
        assert!(previous.is_none(), "{}: {} twice", op.id, reply.status);
    }
    responses
}

/// Puts `operation` under its path and method, with the path's parameters.
fn add_to_paths(paths: &mut Map<String, Value>, op: &Operation, operation: Map<String, Value>) {
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

/// The document around the paths and schemas: its info, servers and security schemes.
fn document(paths: Map<String, Value>, schemas: Map<String, Value>) -> Value {
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
