//! The consistency promises: in strict mode revocation (logout, reuse detection, API-key
//! revocation) holds at once everywhere,
//! even where the store (KV, cached at the edge for up to a minute) still shows the old
//! record; and when the store write after an atomic commit fails, nothing is lost. Another
//! location is modelled by writing the store's earlier records back: the atomic records are
//! shared, as a Durable Object is, and the store is what that location would read.
mod common;

use common::*;
use edge_auth::oidc::NoProvider;
use edge_auth::ports::{Atomic, EdgeOnly};
use edge_auth::testing::{FixedClock, MemoryAtomic, MemoryStore, SeqRandom};
use edge_auth::{App, Request, Response, Store as _};
use futures_executor::block_on;
use serde_json::{json, Value};

type Location<A> = App<FlakyStore<MemoryStore>, FixedClock, SeqRandom, NoProvider, A>;

/// A prefix no key has: the store refuses nothing.
const NOTHING: &str = "\u{0}";

/// A location with `CONSISTENCY=strict`.
fn location<A: Atomic>(atomic: A) -> Location<A> {
    location_in(atomic, "strict")
}

fn location_in<A: Atomic>(atomic: A, consistency: &str) -> Location<A> {
    let base = api();
    App {
        store: FlakyStore::new(MemoryStore::new(base.clock.clone()), NOTHING),
        clock: base.clock.clone(),
        rng: SeqRandom::new(5),
        provider: NoProvider,
        atomic,
        memo: Default::default(),
        config: config_with(&[("CONSISTENCY", consistency)]),
    }
}

fn send<A: Atomic>(app: &Location<A>, method: &str, path: &str, auth: &str) -> Response {
    let mut req = Request::new(method, &format!("{BASE}{path}"));
    if !auth.is_empty() {
        req = req.with_bearer(auth);
    }
    block_on(app.handle(req))
}

fn post<A: Atomic>(app: &Location<A>, path: &str, auth: &str, body: Value) -> Response {
    let req = Request::new("POST", &format!("{BASE}{path}")).with_json(&body);
    let req = if auth.is_empty() {
        req
    } else {
        req.with_bearer(auth)
    };
    block_on(app.handle(req))
}

/// Registers and logs in: (access token, refresh token).
fn sign_in<A: Atomic>(app: &Location<A>) -> (String, String) {
    let body = json!({"email": "ada@example.com", "password": PASSWORD});
    assert_eq!(post(app, "/register", "", body.clone()).status, 201);
    let tokens = post(app, "/login", "", body).json_body();
    let token = |name: &str| tokens[name].as_str().unwrap().to_owned();
    (token("access_token"), token("refresh_token"))
}

fn refresh<A: Atomic>(app: &Location<A>, refresh_token: &str) -> Response {
    post(app, "/refresh", "", json!({"refresh_token": refresh_token}))
}

/// What the store holds now.
fn snapshot<A: Atomic>(app: &Location<A>) -> Vec<(String, String)> {
    app.store.inner.dump()
}

/// The store as another location still reads it: the records of `earlier` written back.
fn lag<A: Atomic>(app: &Location<A>, earlier: &[(String, String)]) {
    for (key, value) in earlier {
        block_on(app.store.inner.put(key, value, None)).unwrap();
    }
}

fn session_record<A: Atomic>(app: &Location<A>) -> Value {
    let (_, value) = snapshot(app)
        .into_iter()
        .find(|(key, _)| key.starts_with("v1:session:"))
        .expect("a session record");
    serde_json::from_str(&value).unwrap()
}

/// Logs out, then asks with the old tokens where the store lags: (`/me`, `/refresh`).
fn after_logout_where_the_store_lags(consistency: &str) -> (u16, u16) {
    let app = location_in(MemoryAtomic::default(), consistency);
    let (access, refresh_token) = sign_in(&app);
    let before = snapshot(&app);
    assert_eq!(post(&app, "/logout", &access, json!({})).status, 204);
    lag(&app, &before);
    let me = send(&app, "GET", "/me", &access).status;
    (me, refresh(&app, &refresh_token).status)
}

#[test]
fn a_logout_holds_where_the_store_still_shows_the_session() {
    assert_eq!(after_logout_where_the_store_lags("strict"), (401, 401));
    // CONSISTENCY=edge: the store decides for access tokens (KV's documented window), but
    // the refresh token is refused at once: its rotation asks the session's atomic record.
    assert_eq!(after_logout_where_the_store_lags("edge"), (200, 401));
    // Without any atomic backing (an embedder's `EdgeOnly`), the store decides both.
    let app = location_in(EdgeOnly, "strict");
    let (access, refresh_token) = sign_in(&app);
    let before = snapshot(&app);
    assert_eq!(post(&app, "/logout", &access, json!({})).status, 204);
    lag(&app, &before);
    assert_eq!(send(&app, "GET", "/me", &access).status, 200);
    assert_eq!(refresh(&app, &refresh_token).status, 200);
}

/// Revokes an API key, then uses it where the store lags: the status of `/me`.
fn after_key_revocation_where_the_store_lags(consistency: &str) -> u16 {
    let app = location_in(MemoryAtomic::default(), consistency);
    let (access, _) = sign_in(&app);
    let created = post(&app, "/api-keys", &access, json!({"name": "ci"})).json_body();
    let (id, key) = (
        created["id"].as_str().unwrap(),
        created["key"].as_str().unwrap(),
    );
    assert_eq!(send(&app, "GET", "/me", key).status, 200);
    let before = snapshot(&app);
    let path = format!("/api-keys/{id}");
    assert_eq!(send(&app, "DELETE", &path, &access).status, 204);
    lag(&app, &before);
    send(&app, "GET", "/me", key).status
}

#[test]
fn a_revoked_api_key_is_refused_where_the_store_still_has_it() {
    assert_eq!(after_key_revocation_where_the_store_lags("strict"), 401);
    assert_eq!(after_key_revocation_where_the_store_lags("edge"), 200);
}

#[test]
fn a_reused_refresh_token_ends_the_session_where_the_store_lags() {
    let app = location(MemoryAtomic::default());
    let (_, first) = sign_in(&app);
    let next = refresh(&app, &first).json_body();
    let (access, second) = (
        next["access_token"].as_str().unwrap(),
        next["refresh_token"].as_str().unwrap(),
    );
    app.clock.advance(app.config.refresh_grace_secs + 1);
    let before = snapshot(&app);
    // The thief's (or the owner's) replay of the spent token, after the grace window.
    assert_eq!(refresh(&app, &first).status, 401);
    lag(&app, &before);
    assert_eq!(send(&app, "GET", "/me", access).status, 401);
    assert_eq!(refresh(&app, second).status, 401);
}

#[test]
fn a_logout_whose_store_write_fails_still_holds_and_the_store_is_mended() {
    let app = location(MemoryAtomic::default());
    let (access, refresh_token) = sign_in(&app);
    app.store.refuse("v1:session:");
    // The revocation is committed before the store write; the failure is reported.
    assert_eq!(post(&app, "/logout", &access, json!({})).status, 500);
    assert_eq!(session_record(&app)["revoked"], false);
    assert_eq!(send(&app, "GET", "/me", &access).status, 401);
    assert_eq!(refresh(&app, &refresh_token).status, 401);
    // Once the store takes writes again, the next use of the token mends its record.
    app.store.refuse(NOTHING);
    assert_eq!(send(&app, "GET", "/me", &access).status, 401);
    assert_eq!(session_record(&app)["revoked"], true);
}

#[test]
fn a_key_revocation_whose_store_delete_fails_still_holds_and_can_be_retried() {
    let app = location(MemoryAtomic::default());
    let (access, _) = sign_in(&app);
    let created = post(&app, "/api-keys", &access, json!({"name": "ci"})).json_body();
    let (id, key) = (
        created["id"].as_str().unwrap(),
        created["key"].as_str().unwrap(),
    );
    let path = format!("/api-keys/{id}");
    app.store.refuse("v1:apikey:");
    assert_eq!(send(&app, "DELETE", &path, &access).status, 500);
    assert_eq!(send(&app, "GET", "/me", key).status, 401);
    // The owner's retry finishes the job: the record and the listing are gone.
    app.store.refuse(NOTHING);
    assert_eq!(send(&app, "DELETE", &path, &access).status, 204);
    let listed = send(&app, "GET", "/api-keys", &access).json_body();
    assert_eq!(listed["keys"], json!([]));
    assert_eq!(send(&app, "GET", "/me", key).status, 401);
}

#[test]
fn a_refresh_whose_store_write_fails_after_the_rotation_can_be_retried() {
    let app = location(MemoryAtomic::default());
    let (_, first) = sign_in(&app);
    // The session's record has chosen the successor; the store then refuses to keep it.
    app.store.refuse("v1:refresh:");
    assert_eq!(refresh(&app, &first).status, 500);
    app.store.refuse(NOTHING);
    // The client's retry, within the grace window, gets that successor, and it works.
    let retried = refresh(&app, &first);
    assert_eq!(retried.status, 200, "{:?}", retried.json_body());
    let successor = retried.json_body()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(refresh(&app, &successor).status, 200);
}

#[test]
fn in_edge_mode_a_logout_whose_store_write_failed_is_finished_by_its_retry() {
    let app = location_in(MemoryAtomic::default(), "edge");
    let (access, refresh_token) = sign_in(&app);
    app.store.refuse("v1:session:");
    assert_eq!(post(&app, "/logout", &access, json!({})).status, 500);
    // The object has revoked the session: its refresh token is refused at once...
    assert_eq!(refresh(&app, &refresh_token).status, 401);
    // ...while the store still shows it live, so the client's retry gets through and ends it.
    app.store.refuse(NOTHING);
    assert_eq!(send(&app, "GET", "/me", &access).status, 200);
    assert_eq!(post(&app, "/logout", &access, json!({})).status, 204);
    assert_eq!(session_record(&app)["revoked"], true);
    assert_eq!(send(&app, "GET", "/me", &access).status, 401);
}

#[test]
fn in_edge_mode_another_isolate_sees_a_logout_once_its_record_cache_expires() {
    use edge_auth::store::cache::{CachedStore, RecordCache};
    use std::rc::Rc;
    let base = api();
    let backing = MemoryStore::new(base.clock.clone());
    let config = config_with(&[("CONSISTENCY", "edge"), ("RECORD_CACHE_SECS", "10")]);
    let isolate = |seed| App {
        store: CachedStore {
            inner: &backing,
            cache: Rc::new(RecordCache::new(config.record_cache_secs)),
            clock: base.clock.clone(),
        },
        clock: base.clock.clone(),
        rng: SeqRandom::new(seed),
        provider: NoProvider,
        atomic: EdgeOnly,
        memo: Default::default(),
        config: config.clone(),
    };
    let (here, there) = (isolate(1), isolate(2));
    let me = |app: &App<_, _, _, _, _>, token: &str| {
        let req = Request::new("GET", &format!("{BASE}/me")).with_bearer(token);
        block_on(app.handle(req)).status
    };
    let body = json!({"email": "ada@example.com", "password": PASSWORD});
    let call = |path: &str, body: &Value| {
        block_on(here.handle(Request::new("POST", &format!("{BASE}{path}")).with_json(body)))
    };
    assert_eq!(call("/register", &body).status, 201);
    let access = call("/login", &body).json_body()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(me(&there, &access), 200);
    let logout = Request::new("POST", &format!("{BASE}/logout")).with_bearer(&access);
    assert_eq!(block_on(here.handle(logout)).status, 204);
    // At once where it happened; elsewhere once the remembered record expires.
    assert_eq!(me(&here, &access), 401);
    assert_eq!(me(&there, &access), 200);
    base.clock.advance(10);
    assert_eq!(me(&there, &access), 401);
}
