//! The Cloudflare Worker adapter: KV as the [`Store`], configuration from vars and secrets,
//! and conversion between `worker` requests and the core's. Nothing else lives here.
//!
//! Other workers-rs Workers can embed the component through [`authenticate`].

mod atomic;
#[cfg(feature = "worker-entry")]
mod entry;
#[cfg(feature = "worker-entry")]
mod object;

pub use atomic::{DurableAtomic, ATOMIC_BINDING};
#[cfg(feature = "worker-entry")]
pub use object::AtomicObject;

use std::cell::RefCell;
use std::rc::Rc;
use std::thread::LocalKey;

use chrono::{DateTime, Utc};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::{kv, Env, Headers};

use crate::api::App;
use crate::config::{Config, Consistency, VerifyConfig};
use crate::credentials::jwt::Alg;
use crate::credentials::memo::Memo;
use crate::credentials::oidc::{Outbound, Provider};
use crate::credentials::{Authenticator, Principal};
use crate::error::{AuthError, ConfigError};
use crate::http;
use crate::ports::{Atomic, Clock, EdgeOnly, OsRandom, PortError, Store};
use crate::store::cache::{CachedStore, RecordCache};

/// The KV namespace binding.
pub const KV_BINDING: &str = "AUTH_KV";

/// [`Store`] over a Workers KV namespace.
pub struct KvStore(kv::KvStore);

fn kv_error(err: impl std::fmt::Display) -> PortError {
    PortError(format!("KV: {err}"))
}

impl Store for KvStore {
    async fn get(&self, key: &str) -> Result<Option<String>, PortError> {
        self.0.get(key).text().await.map_err(kv_error)
    }

    async fn put(&self, key: &str, value: &str, ttl_secs: Option<u64>) -> Result<(), PortError> {
        let mut put = self.0.put(key, value).map_err(kv_error)?;
        if let Some(ttl) = ttl_secs {
            put = put.expiration_ttl(ttl);
        }
        put.execute().await.map_err(kv_error)
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        self.0.delete(key).await.map_err(kv_error)
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError> {
        let mut keys = Vec::new();
        let mut cursor = None;
        loop {
            let mut list = self.0.list().prefix(prefix.to_owned());
            if let Some(cursor) = cursor.take() {
                list = list.cursor(cursor);
            }
            let page = list.execute().await.map_err(kv_error)?;
            keys.extend(page.keys.into_iter().map(|key| key.name));
            match page.cursor {
                Some(next) if !page.list_complete => cursor = Some(next),
                _ => return Ok(keys),
            }
        }
    }
}

/// The platform clock (`Date.now()`): `SystemTime` panics on wasm32.
pub struct DateClock;

impl Clock for DateClock {
    fn now(&self) -> DateTime<Utc> {
        let millis = js_sys::Date::now() as i64;
        DateTime::from_timestamp_millis(millis).unwrap_or_default()
    }
}

/// The identity provider through `fetch` and WebCrypto (`crypto.subtle`), which verifies
/// RS256, PS256 and ES256 natively, far faster than pure Rust compiled to wasm. (Our own
/// Ed25519 tokens stay with the wasm verifier: through WebCrypto they cost about 35 µs more
/// CPU per request in workerd, measured with `make bench`.)
pub struct FetchProvider;

fn js_error(what: &str) -> impl Fn(JsValue) -> PortError + '_ {
    move |err| PortError(format!("{what}: {err:?}"))
}

impl Provider for FetchProvider {
    async fn fetch(&self, request: Outbound) -> Result<http::Response, PortError> {
        let headers = Headers::new();
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(kv_error)?;
        }
        let mut init = worker::RequestInit::new();
        init.with_method(worker::Method::from(request.method.to_owned()))
            .with_headers(headers);
        if !request.body.is_empty() {
            init.with_body(Some(Uint8Array::from(request.body.as_slice()).into()));
        }
        let outbound = worker::Request::new_with_init(&request.url, &init).map_err(kv_error)?;
        let mut response = worker::Fetch::Request(outbound)
            .send()
            .await
            .map_err(kv_error)?;
        Ok(http::Response {
            status: response.status_code(),
            headers: response.headers().entries().collect(),
            body: response.bytes().await.map_err(kv_error)?,
            log: None,
        })
    }

    async fn verify_signature(
        &self,
        alg: Alg,
        jwk: &str,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, PortError> {
        // Copies, not views of wasm memory, which may grow while the key is imported.
        let (message, signature) = (Uint8Array::from(message), Uint8Array::from(signature));
        let valid = webcrypto_verifies(alg.name(), jwk, message, signature)
            .await
            .map_err(js_error("WebCrypto"))?;
        Ok(valid.as_bool() == Some(true))
    }
}

// The package's WebCrypto module, shared: its algorithm parameters, and its cache of imported
// keys (a provider's access token, the OAuth2 scheme, is checked on every request, and
// importing costs about as much as verifying).
#[wasm_bindgen(module = "/src/adapters/webcrypto.js")]
extern "C" {
    /// Whether `signature` over `message` verifies with the public `jwk` (JSON text) under
    /// `alg`; rejects when WebCrypto cannot import the key.
    #[wasm_bindgen(js_name = verifies, catch)]
    async fn webcrypto_verifies(
        alg: &str,
        jwk: &str,
        message: Uint8Array,
        signature: Uint8Array,
    ) -> Result<JsValue, JsValue>;
}

thread_local! {
    // Vars and secrets are fixed for an isolate's life: parse them once.
    static CONFIG: RefCell<Option<Config>> = const { RefCell::new(None) };
    // A verify-only embedder's public settings (authenticate_offline), parsed once too.
    static VERIFY_CONFIG: RefCell<Option<Rc<VerifyConfig>>> = const { RefCell::new(None) };
    // What the isolate's requests share: the identity provider's documents, API-key use.
    static MEMO: Rc<Memo> = Rc::new(Memo::default());
    // The records every authenticated request reads, remembered for RECORD_CACHE_SECS.
    static RECORDS: RefCell<Option<Rc<RecordCache>>> = const { RefCell::new(None) };
}

/// The configuration from the Worker's vars and secrets.
pub fn config(env: &Env) -> Result<Config, AuthError> {
    parsed_once(&CONFIG, env, |lookup| Config::from_lookup(lookup))
}

/// `T` parsed from the Worker's vars and secrets, once per isolate: they are fixed for its
/// life. A bad setting is a 500 naming it, on every request until it is fixed.
fn parsed_once<T: Clone>(
    cell: &'static LocalKey<RefCell<Option<T>>>,
    env: &Env,
    parse: impl FnOnce(&dyn Fn(&str) -> Option<String>) -> Result<T, ConfigError>,
) -> Result<T, AuthError> {
    if let Some(parsed) = cell.with(|c| c.borrow().clone()) {
        return Ok(parsed);
    }
    let lookup = |name: &str| env.var(name).ok().map(|value| value.to_string());
    let parsed = parse(&lookup).map_err(|err| AuthError::Internal(err.to_string()))?;
    cell.with(|c| *c.borrow_mut() = Some(parsed.clone()));
    Ok(parsed)
}

/// The auth service over this Worker's KV namespace and configuration.
pub fn app(
    env: &Env,
) -> Result<App<Records, DateClock, OsRandom, FetchProvider, DurableAtomic>, AuthError> {
    let config = config(env)?;
    Ok(App {
        store: records(env, &config)?,
        clock: DateClock,
        rng: OsRandom,
        provider: FetchProvider,
        atomic: durable_objects(env)?,
        memo: MEMO.with(Rc::clone),
        config,
    })
}

/// The `ATOMIC` Durable Objects: what must happen once, and revocation.
fn durable_objects(env: &Env) -> Result<DurableAtomic, AuthError> {
    let namespace = env.durable_object(ATOMIC_BINDING).map_err(|err| {
        AuthError::Internal(format!("Durable Object binding {ATOMIC_BINDING}: {err}"))
    })?;
    Ok(DurableAtomic(namespace))
}

/// The store the service reads: `AUTH_KV`, through the isolate's record cache.
pub type Records = CachedStore<KvStore, DateClock>;

fn records(env: &Env, config: &Config) -> Result<Records, AuthError> {
    let cache = RECORDS.with(|cell| {
        Rc::clone(
            cell.borrow_mut()
                .get_or_insert_with(|| Rc::new(RecordCache::new(config.record_cache_secs))),
        )
    });
    Ok(CachedStore {
        inner: kv_store(env)?,
        cache,
        clock: DateClock,
    })
}

/// The `AUTH_KV` namespace as the core's store.
fn kv_store(env: &Env) -> Result<KvStore, AuthError> {
    env.kv(KV_BINDING)
        .map(KvStore)
        .map_err(|err| AuthError::Internal(format!("KV binding {KV_BINDING}: {err}")))
}

fn to_worker(response: http::Response) -> worker::Result<worker::Response> {
    if let Some(log) = &response.log {
        worker::console_error!("{log}");
    }
    let headers = Headers::new();
    for (name, value) in &response.headers {
        // append, not set: a response may carry several Set-Cookie headers.
        headers.append(name, value)?;
    }
    let out = if response.body.is_empty() {
        worker::Response::empty()?
    } else {
        worker::Response::from_bytes(response.body)?
    };
    Ok(out.with_status(response.status).with_headers(headers))
}

/// Authenticates a request for another workers-rs Worker that embeds this component: any of
/// the three schemes, against the same KV namespace and configuration. On failure, send back
/// [`error_response`] of the error (401 with `WWW-Authenticate`, or 403).
pub async fn authenticate(req: &worker::Request, env: &Env) -> Result<Principal, AuthError> {
    let core = headers_only(req);
    // Only what authenticating reads: the KV binding, the configuration and, in strict mode,
    // the auth Worker's Durable Objects (bound with `script_name`), which know what is revoked.
    let config = config(env)?;
    let (store, memo) = (records(env, &config)?, MEMO.with(Rc::clone));
    match config.consistency {
        Consistency::Strict => {
            let atomic = durable_objects(env)?;
            authenticate_with(&core, &store, &atomic, &memo, &config).await
        }
        // Edge mode never asks the objects: an embedder needs no binding for them.
        Consistency::Edge => authenticate_with(&core, &store, &EdgeOnly, &memo, &config).await,
    }
}

async fn authenticate_with<A: Atomic>(
    req: &http::Request,
    store: &Records,
    atomic: &A,
    memo: &Memo,
    config: &Config,
) -> Result<Principal, AuthError> {
    let authenticator = Authenticator {
        store,
        clock: &DateClock,
        provider: &FetchProvider,
        atomic,
        memo,
        settings: config.credentials(),
    };
    authenticator.authenticate(req).await
}

/// The method and headers of `req`: all that authenticating reads.
fn headers_only(req: &worker::Request) -> http::Request {
    http::Request {
        method: req.inner().method().to_ascii_uppercase(),
        headers: req.headers().entries().collect(),
        ..http::Request::default()
    }
}

/// Authenticates a request's access token offline, for a verify-only embedder that holds
/// public values alone: `JWT_ISSUER`, `JWT_AUDIENCE` and `JWT_PUBLIC_JWKS` (the auth Worker's
/// `/.well-known/jwks.json`), no secret, no KV or Durable Object binding. What it cannot know:
/// a logout or revocation since the token was issued (it stays valid until it expires, at most
/// ACCESS_TOKEN_TTL_SECS), and API keys and provider tokens (refused: they need the store and
/// the secrets; use [`authenticate`] for those). After a key rotation, update JWT_PUBLIC_JWKS.
pub fn authenticate_offline(req: &worker::Request, env: &Env) -> Result<Principal, AuthError> {
    // Shared, not cloned per request: it holds the key set.
    let config = parsed_once(&VERIFY_CONFIG, env, |lookup| {
        VerifyConfig::from_lookup(lookup).map(Rc::new)
    })?;
    let core = headers_only(req);
    crate::credentials::authenticate_offline(
        &core,
        &config.keys,
        &config.expectations(),
        DateClock.now(),
    )
}

/// The API's response for an error: the same status, body and headers the auth Worker sends.
pub fn error_response(err: AuthError) -> worker::Result<worker::Response> {
    to_worker(err.into_response())
}
