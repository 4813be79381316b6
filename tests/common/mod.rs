//! What the native API suites share: an `App` on the in-memory store with a fixed clock and a
//! deterministic RNG, and helpers that call it and check the documented shapes.
#![allow(dead_code)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::DateTime;
use edge_auth::oidc::NoProvider;
use edge_auth::testing::{FixedClock, MemoryAtomic, MemoryStore, SeqRandom};
use edge_auth::{App, Config, Request, Response};
use futures_executor::block_on;
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub const BASE: &str = "/api/v1/auth";
pub const PASSWORD: &str = "correct horse battery";
pub const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTUxQXxH7vJ0ZrDAlhvbZJc2GnPmPEv5JeR\n-----END PRIVATE KEY-----";

pub struct Api {
    pub app: App<MemoryStore, FixedClock, SeqRandom, NoProvider, MemoryAtomic>,
    pub clock: FixedClock,
}

pub fn config_with(overrides: &[(&str, &str)]) -> Config {
    let mut vars = vec![
        ("JWT_ISSUER", "https://auth.example".to_owned()),
        ("JWT_AUDIENCE", "edge-auth".to_owned()),
        ("JWT_SIGNING_KEY", STANDARD.encode([11u8; 32])),
        ("PRIVATE_KEY_ENCRYPTION_KEY", STANDARD.encode([12u8; 32])),
        ("API_KEY_PEPPER", STANDARD.encode([13u8; 32])),
        // Cheap hashing keeps the suite fast; the shipped parameters have a known-answer test.
        ("ARGON2_MEMORY_KIB", "64".to_owned()),
        ("ARGON2_ITERATIONS", "1".to_owned()),
    ];
    for (name, value) in overrides {
        vars.push((name, (*value).to_owned()));
    }
    Config::from_lookup(|name| {
        vars.iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap()
}

pub fn api() -> Api {
    api_with(config_with(&[]))
}

pub fn api_with(config: Config) -> Api {
    let clock = FixedClock::new(DateTime::from_timestamp(1_767_225_600, 0).unwrap());
    Api {
        app: App {
            store: MemoryStore::new(clock.clone()),
            clock: clock.clone(),
            rng: SeqRandom::new(1),
            provider: NoProvider,
            atomic: MemoryAtomic::default(),
            memo: Default::default(),
            config,
        },
        clock,
    }
}

/// A logged-in user.
pub struct Session {
    pub email: String,
    pub access: String,
    pub refresh: String,
}

impl Api {
    pub fn clock_now(&self) -> i64 {
        use edge_auth::Clock as _;
        self.clock.now().timestamp()
    }

    pub fn send(&self, req: Request) -> Response {
        let (method, path) = (req.method.clone(), req.path.clone());
        let response = block_on(self.app.handle(req));
        // 503 "busy, retry" is the one 5xx a client can meet: shedding load, not failing.
        let shed = response.status == 503 && response.header("retry-after").is_some();
        assert!(response.status < 500 || shed, "server error: {response:?}");
        check_contract(&method, &path, &response);
        response
    }

    pub fn post(&self, path: &str, body: Value) -> Response {
        self.send(Request::new("POST", &format!("{BASE}{path}")).with_json(&body))
    }

    pub fn get(&self, path: &str, credential: &str) -> Response {
        self.send(Request::new("GET", &format!("{BASE}{path}")).with_bearer(credential))
    }

    pub fn call(
        &self,
        method: &str,
        path: &str,
        credential: &str,
        body: Option<Value>,
    ) -> Response {
        let mut req = Request::new(method, &format!("{BASE}{path}")).with_bearer(credential);
        if let Some(body) = body {
            req = req.with_json(&body);
        }
        self.send(req)
    }

    pub fn register(&self, email: &str) -> Response {
        self.post(
            "/register",
            json!({"email": email, "password": PASSWORD, "name": "Ada"}),
        )
    }

    pub fn login(&self, email: &str, password: &str) -> Response {
        self.post("/login", json!({"email": email, "password": password}))
    }

    pub fn session(&self, email: &str) -> Session {
        assert_eq!(self.register(email).status, 201);
        let tokens = self.login(email, PASSWORD).json_body();
        Session {
            email: email.to_owned(),
            access: tokens["access_token"].as_str().unwrap().to_owned(),
            refresh: tokens["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// A new API key's whole secret (`sk-...`).
    pub fn create_key_secret(&self, access: &str, name: &str) -> String {
        let created = self.create_key(access, name);
        created["key"].as_str().unwrap().to_owned()
    }

    pub fn create_key(&self, access: &str, name: &str) -> Value {
        let response = self.call("POST", "/api-keys", access, Some(json!({"name": name})));
        assert_eq!(response.status, 201, "{:?}", response.json_body());
        response.json_body()
    }
}

pub fn detail(response: &Response) -> String {
    response.json_body()["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub fn assert_validation(response: &Response, loc: &[&str], kind: &str) {
    assert_eq!(response.status, 422, "{:?}", response.json_body());
    let errors = response.json_body()["detail"].as_array().unwrap().clone();
    let found = errors.iter().any(|e| {
        e["type"] == kind
            && e["loc"]
                .as_array()
                .unwrap()
                .iter()
                .zip(loc)
                .all(|(a, b)| a == b)
            && e["msg"].as_str().is_some_and(|m| !m.is_empty())
    });
    assert!(found, "no {kind} at {loc:?} in {errors:?}");
}

pub fn assert_invalid_token(response: &Response) {
    assert_eq!(response.status, 401, "{:?}", response.json_body());
    let header = response.header("www-authenticate").unwrap_or_default();
    assert!(
        header.starts_with("Bearer error=\"invalid_token\""),
        "{header}"
    );
    assert!(!detail(response).is_empty());
}

pub fn refresh(api: &Api, token: &str) -> Response {
    api.post("/refresh", json!({"refresh_token": token}))
}

/// An API configured for a provider that is never reached (port 9).
pub fn oidc_api() -> Api {
    api_with(config_with(&[
        ("OIDC_ISSUER", "http://127.0.0.1:9"),
        ("OIDC_CLIENT_ID", "edge-auth"),
        ("OIDC_CLIENT_SECRET", "secret"),
        ("OIDC_REDIRECT_URIS", "http://127.0.0.1:8787/"),
    ]))
}

/// A store that refuses writes and deletes under one prefix, as KV does under its per-key
/// write limit or an outage; [`FlakyStore::refuse`] moves the refusal.
pub struct FlakyStore<S> {
    pub inner: S,
    refuse_prefix: std::cell::Cell<&'static str>,
}

impl<S> FlakyStore<S> {
    pub fn new(inner: S, refuse_prefix: &'static str) -> Self {
        let refuse_prefix = std::cell::Cell::new(refuse_prefix);
        Self {
            inner,
            refuse_prefix,
        }
    }

    /// Refuses writes under `prefix` from now on (`""`: every write; use a prefix no key has
    /// to refuse none).
    pub fn refuse(&self, prefix: &'static str) {
        self.refuse_prefix.set(prefix);
    }

    fn check(&self, key: &str) -> Result<(), edge_auth::ports::PortError> {
        match key.starts_with(self.refuse_prefix.get()) {
            true => Err(edge_auth::ports::PortError("429 Too Many Requests".into())),
            false => Ok(()),
        }
    }
}

impl<S: edge_auth::Store> edge_auth::Store for FlakyStore<S> {
    async fn get(&self, key: &str) -> Result<Option<String>, edge_auth::ports::PortError> {
        self.inner.get(key).await
    }
    async fn put(
        &self,
        key: &str,
        value: &str,
        ttl: Option<u64>,
    ) -> Result<(), edge_auth::ports::PortError> {
        self.check(key)?;
        self.inner.put(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<(), edge_auth::ports::PortError> {
        self.check(key)?;
        self.inner.delete(key).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, edge_auth::ports::PortError> {
        self.inner.list(prefix).await
    }
}

/// The OpenAPI document the Worker serves (with its origin as `servers[0].url`).
fn openapi() -> &'static Value {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::from_str(include_str!("../../src/api/openapi.json")).expect("openapi.json")
    })
}

/// The documented operation for a method and a path, if the document lists one.
fn operation(method: &str, path: &str) -> Option<&'static Value> {
    let method = method.to_ascii_lowercase();
    openapi()["paths"]
        .as_object()?
        .iter()
        .find(|(template, _)| {
            let (mut t, mut p) = (template.split('/'), path.split('/'));
            loop {
                match (t.next(), p.next()) {
                    (None, None) => return true,
                    (Some(t), Some(p)) if t == p || (t.starts_with('{') && !p.is_empty()) => {}
                    _ => return false,
                }
            }
        })
        .and_then(|(_, item)| item.get(&method))
}

/// The properties a schema lists and the ones it requires, through `$ref`.
fn schema_fields(schema: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return schema_fields(&openapi()["components"]["schemas"][name]);
    }
    let props = schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let required = schema["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (props, required)
}

/// Every reply of [`Api::send`] is checked against the document, as the workerd suite checks
/// the Worker's: a status the operation does not list, or a JSON body with other fields than
/// its schema, fails the test that provoked it. Methods and paths the document does not list
/// (404 and 405 tests) pass through.
fn check_contract(method: &str, path: &str, response: &Response) {
    if method == "HEAD" {
        return;
    }
    let Some(op) = operation(method, path) else {
        return;
    };
    let status = response.status.to_string();
    let where_ = format!("{method} {path} -> {status}");
    let documented = &op["responses"][&status];
    assert!(
        documented.is_object(),
        "{where_}: status not in openapi.json ({:?})",
        op["responses"]
            .as_object()
            .map(|r| r.keys().collect::<Vec<_>>())
    );
    let Some(schema) = documented.pointer("/content/application~1json/schema") else {
        return;
    };
    let body = response.json_body();
    let keys: BTreeSet<String> = body
        .as_object()
        .unwrap_or_else(|| panic!("{where_}: body is not a JSON object"))
        .keys()
        .cloned()
        .collect();
    let (props, required) = schema_fields(schema);
    assert_eq!(keys, props, "{where_}: fields sent vs. documented");
    assert!(required.is_subset(&keys), "{where_}: {required:?} required");
}
