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
    for method in ["QUERY", "PROPFIND", "PATCH"] {
        for path in ["/me", "/private-key", "/api-keys"] {
            let response = api.call(method, path, &session.access, None);
            assert_eq!(response.status, 405, "{method} {path}");
            let allow = response.header("allow").unwrap_or_default();
            assert!(allow.contains("GET") && allow.contains("HEAD"), "{allow}");
        }
    }
    // OPTIONS says what the route allows (CORS preflights use it), and serves nothing else.
    for path in ["/me", "/private-key", "/api-keys"] {
        let response = api.call("OPTIONS", path, &session.access, None);
        assert_eq!(response.status, 204, "OPTIONS {path}");
        assert!(response.body.is_empty());
        let allow = response.header("allow").unwrap_or_default();
        assert!(
            allow.contains("GET") && allow.contains("OPTIONS"),
            "{allow}"
        );
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

// ---------------------------------------------------------------- API-key use

fn record_of(api: &Api, key: &str) -> Option<String> {
    api.app
        .store
        .dump()
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

#[test]
fn using_a_key_never_rewrites_its_record_so_a_revoke_cannot_be_undone() {
    let api = api();
    let session = api.session("ada@example.com");
    let created = api.create_key(&session.access, "ci");
    let id = created["id"].as_str().unwrap();
    let key = created["key"].as_str().unwrap();
    let record_key = format!("v1:apikey:{id}");
    let before = record_of(&api, &record_key).unwrap();
    assert_eq!(api.get("/me", key).status, 200);
    api.clock.advance(120);
    assert_eq!(api.get("/me", key).status, 200);
    // The key's own record is never written by a request that uses it: a use racing a revoke
    // can only write the use record, never bring the key back.
    assert_eq!(record_of(&api, &record_key).unwrap(), before);
    let listed = api.get("/api-keys", &session.access).json_body();
    let last_used = listed["keys"][0]["last_used_at"]
        .as_str()
        .unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(last_used, "2026-01-01T00:02:00Z");

    assert_eq!(
        api.call("DELETE", &format!("/api-keys/{id}"), &session.access, None)
            .status,
        204
    );
    assert_invalid_token(&api.get("/me", key));
    assert_eq!(record_of(&api, &record_key), None);
    assert_eq!(record_of(&api, &format!("v1:apikey-use:{id}")), None);
}

#[test]
fn a_failed_use_record_never_fails_the_request() {
    use edge_auth::testing::MemoryStore;
    use edge_auth::App;
    use futures_executor::block_on;

    let api = api();
    let session = api.session("ada@example.com");
    let key = api.create_key_secret(&session.access, "ci");
    let store = MemoryStore::new(api.clock.clone());
    for (k, v) in api.app.store.dump() {
        block_on(edge_auth::Store::put(&store, &k, &v, None)).unwrap();
    }
    let app = App {
        store: FlakyStore::new(store, "v1:apikey-use:"),
        clock: api.clock.clone(),
        rng: edge_auth::testing::SeqRandom::new(7),
        provider: edge_auth::oidc::NoProvider,
        atomic: edge_auth::ports::EdgeOnly,
        memo: Default::default(),
        config: config_with(&[]),
    };
    let response =
        block_on(app.handle(Request::new("GET", &format!("{BASE}/me")).with_bearer(&key)));
    assert_eq!(response.status, 200, "{:?}", response.json_body());
}

// ---------------------------------------------------------------- throttling

fn login_from(api: &Api, ip: &str, email: &str, password: &str) -> edge_auth::Response {
    api.send(
        Request::new("POST", &format!("{BASE}/login"))
            .with_header("CF-Connecting-IP", ip)
            .with_json(&json!({"email": email, "password": password})),
    )
}

#[test]
fn an_attacker_guessing_from_one_address_does_not_lock_out_the_owner() {
    let api = api();
    api.register("ada@example.com");
    for _ in 0..10 {
        let response = login_from(&api, "198.51.100.66", "ada@example.com", "guess guess");
        assert_eq!(response.status, 401);
    }
    let throttled = login_from(&api, "198.51.100.66", "ada@example.com", PASSWORD);
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.header("retry-after"), Some("900"));
    // The owner, from their own address, is not locked out.
    let owner = login_from(&api, "203.0.113.10", "ada@example.com", PASSWORD);
    assert_eq!(owner.status, 200, "{:?}", owner.json_body());
}

#[test]
fn spraying_one_password_over_many_emails_is_limited_per_address() {
    let api = api_with(config_with(&[("LOGIN_LIMIT_PER_IP", "5/900")]));
    api.register("victim@example.com");
    for i in 0..5 {
        let email = format!("user{i}@example.com");
        assert_eq!(
            login_from(&api, "198.51.100.7", &email, "Summer2026!").status,
            401
        );
    }
    // Every further attempt from that address waits, whatever the email.
    let throttled = login_from(&api, "198.51.100.7", "victim@example.com", PASSWORD);
    assert_eq!(throttled.status, 429);
    assert!(throttled.header("retry-after").is_some());
    // Another address is unaffected.
    let other = login_from(&api, "203.0.113.10", "victim@example.com", PASSWORD);
    assert_eq!(other.status, 200);
}

#[test]
fn registrations_are_limited_per_address() {
    let api = api_with(config_with(&[("REGISTER_LIMIT_PER_IP", "3/3600")]));
    let register = |ip: &str, email: &str| {
        api.send(
            Request::new("POST", &format!("{BASE}/register"))
                .with_header("CF-Connecting-IP", ip)
                .with_json(&json!({"email": email, "password": PASSWORD})),
        )
    };
    for i in 0..3 {
        let email = format!("bot{i}@example.com");
        assert_eq!(register("198.51.100.9", &email).status, 201);
    }
    let throttled = register("198.51.100.9", "bot3@example.com");
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.header("retry-after"), Some("3600"));
    assert!(detail(&throttled).contains("Too many"));
    // Nothing was written for the refused one.
    assert!(!api
        .app
        .store
        .dump()
        .iter()
        .any(|(_, v)| v.contains("bot3@example.com")));
    assert_eq!(register("203.0.113.10", "human@example.com").status, 201);
}

// ---------------------------------------------------------------- timing

mod counting {
    use std::cell::Cell;

    use edge_auth::ports::PortError;
    use edge_auth::Random;

    /// Counts the random bytes drawn: each argon2 hash draws a 16-byte salt.
    pub struct CountingRandom(pub Cell<usize>);

    impl Random for CountingRandom {
        fn fill(&self, buf: &mut [u8]) -> Result<(), PortError> {
            self.0.set(self.0.get() + buf.len());
            buf.iter_mut().for_each(|b| *b = 7);
            Ok(())
        }
    }
}

#[test]
fn a_login_to_a_provider_only_account_costs_a_password_hash_too() {
    use edge_auth::store::{self, EmailRecord, Records, UserRecord};
    use edge_auth::testing::MemoryStore;
    use edge_auth::{App, Clock as _};
    use futures_executor::block_on;

    let api = api();
    let app = App {
        store: MemoryStore::new(api.clock.clone()),
        clock: api.clock.clone(),
        rng: counting::CountingRandom(Default::default()),
        provider: edge_auth::oidc::NoProvider,
        atomic: edge_auth::ports::EdgeOnly,
        memo: Default::default(),
        config: config_with(&[]),
    };
    let records = Records::new(&app.store);
    let now = api.clock.now();
    let user = UserRecord {
        id: edge_auth::store::UserId::new("provider-only-user-000"),
        email: "sso@example.com".into(),
        name: None,
        password_hash: "!oidc".into(),
        created_at: now.into(),
    };
    block_on(records.put(&store::user_key(&user.id), &user, None, now)).unwrap();
    let owner = EmailRecord {
        user_id: user.id.clone(),
    };
    block_on(records.put(&store::email_key(&user.email), &owner, None, now)).unwrap();

    let drawn = |email: &str| {
        let before = app.rng.0.get();
        let response = block_on(
            app.handle(
                Request::new("POST", &format!("{BASE}/login"))
                    .with_json(&json!({"email": email, "password": "any password"})),
            ),
        );
        assert_eq!(response.status, 401);
        app.rng.0.get() - before
    };
    let unknown = drawn("nobody@example.com");
    assert!(unknown >= 16, "a login for an unknown email hashes");
    assert_eq!(drawn("sso@example.com"), unknown);
}

#[test]
fn provider_sign_in_starts_are_limited_per_address() {
    let api = api_with(config_with(&[
        ("OIDC_ISSUER", "http://127.0.0.1:9"),
        ("OIDC_CLIENT_ID", "edge-auth"),
        ("OIDC_CLIENT_SECRET", "secret"),
        ("OIDC_REDIRECT_URIS", "http://127.0.0.1:8787/"),
        ("AUTHORIZE_LIMIT_PER_IP", "2/600"),
    ]));
    let start = |ip: &str| {
        let challenge =
            edge_auth::oidc::pkce_challenge("a verifier the app keeps, 43 chars or more");
        let path = format!("{BASE}/oauth/authorize?code_challenge={challenge}");
        let mut req = Request::new("GET", &path).with_header("CF-Connecting-IP", ip);
        req.origin = "http://127.0.0.1:8787".into();
        futures_executor::block_on(api.app.handle(req))
    };
    // No provider answers here (502), but each attempt still counts.
    for _ in 0..2 {
        assert_eq!(start("198.51.100.5").status, 502);
    }
    let throttled = start("198.51.100.5");
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.header("retry-after"), Some("600"));
    assert_eq!(start("203.0.113.10").status, 502);
}

// ---------------------------------------------------------------- response headers

#[test]
fn the_docs_route_sends_browsers_to_the_static_api_reference() {
    // The reference is Swagger UI served as a static asset with its own CSP (www/_headers,
    // checked by the browser suite); the API's route only points there.
    let page = api().send(Request::new("GET", &format!("{BASE}/docs")));
    assert_eq!(page.status, 302);
    assert_eq!(page.header("location"), Some("/docs/"));
    assert!(page.body.is_empty());
}

#[test]
fn every_response_is_nosniff_and_https_ones_carry_hsts() {
    let api = api();
    let plain = api.post("/login", json!({"email": "a@example.com", "password": "x"}));
    assert_eq!(plain.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(plain.header("strict-transport-security"), None);
    let mut req = Request::new("GET", "/.well-known/jwks.json");
    req.origin = "https://auth.example".into();
    let secure = api.send(req);
    let hsts = secure
        .header("strict-transport-security")
        .unwrap_or_default();
    assert!(hsts.starts_with("max-age="), "{hsts}");
    // JSON is not a page: no page policy on it.
    assert_eq!(secure.header("content-security-policy"), None);
}

// ---------------------------------------------------------------- load

#[test]
fn past_the_concurrent_hash_limit_logins_are_told_to_retry_not_queued() {
    let api = api();
    api.register("ada@example.com");
    let held: Vec<_> = (0..edge_auth::MAX_CONCURRENT_HASHES)
        .map(|_| api.app.memo.hash_permit().unwrap())
        .collect();
    for path in ["/login", "/register"] {
        let busy = api.post(
            path,
            json!({"email": "ada@example.com", "password": PASSWORD}),
        );
        assert_eq!(busy.status, 503, "{path}");
        assert_eq!(busy.header("retry-after"), Some("1"));
        assert_eq!(detail(&busy), "The server is busy; try again shortly");
    }
    drop(held);
    assert_eq!(api.login("ada@example.com", PASSWORD).status, 200);
}

// ---------------------------------------------------------------- concurrency

/// Registers one email `n` times at once; the statuses, and how many users the store holds.
fn register_at_once<A: edge_auth::ports::Atomic>(atomic: A, n: usize) -> (Vec<u16>, usize) {
    use edge_auth::testing::{MemoryStore, SeqRandom};
    use edge_auth::App;
    use futures_executor::block_on;
    use futures_util::future::join_all;

    let api = api();
    let app = App {
        store: edge_auth::testing::YieldingStore(MemoryStore::new(api.clock.clone())),
        clock: api.clock.clone(),
        rng: SeqRandom::new(9),
        provider: edge_auth::oidc::NoProvider,
        atomic,
        memo: Default::default(),
        config: config_with(&[]),
    };
    let body = json!({"email": "race@example.com", "password": PASSWORD});
    let requests = (0..n)
        .map(|_| app.handle(Request::new("POST", &format!("{BASE}/register")).with_json(&body)));
    let statuses = block_on(join_all(requests))
        .iter()
        .map(|r| r.status)
        .collect();
    let users = app
        .store
        .0
        .dump()
        .iter()
        .filter(|(k, v)| k.starts_with("v1:user:") && v.contains("race@example.com"))
        .count();
    (statuses, users)
}

#[test]
fn simultaneous_registrations_of_one_email_make_one_account() {
    let (statuses, users) = register_at_once(edge_auth::testing::MemoryAtomic::default(), 6);
    assert_eq!(users, 1, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [201, 409].contains(s)),
        "{statuses:?}"
    );
    // Without the atomic port (edge-only deployments), the store's own check lets them all
    // through: that is the window the Durable Object closes.
    let (statuses, users) = register_at_once(edge_auth::ports::EdgeOnly, 6);
    assert!(users > 1, "{statuses:?}");
}

#[test]
fn a_claim_whose_account_cannot_be_written_is_given_back() {
    use edge_auth::ports::{Atomic as _, Claim};
    use edge_auth::testing::{MemoryAtomic, MemoryStore, SeqRandom};
    use edge_auth::App;
    use futures_executor::block_on;

    let api = api();
    let app = App {
        store: FlakyStore::new(MemoryStore::new(api.clock.clone()), "v1:email:"),
        clock: api.clock.clone(),
        rng: SeqRandom::new(3),
        provider: edge_auth::oidc::NoProvider,
        atomic: MemoryAtomic::default(),
        memo: Default::default(),
        config: config_with(&[]),
    };
    let body = json!({"email": "ada@example.com", "password": PASSWORD});
    let failed =
        block_on(app.handle(Request::new("POST", &format!("{BASE}/register")).with_json(&body)));
    // The store failed: a server error, logged, without internals.
    assert_eq!(failed.status, 500);
    assert!(failed.log.is_some());
    // The email is not left claimed by an account that does not exist.
    let hash = edge_auth::store::email_hash("ada@example.com");
    assert_eq!(
        block_on(app.atomic.claim_email(&hash, "someone-else")).unwrap(),
        Claim::Won
    );
}

/// An app whose store interleaves simultaneous requests.
type RacingApp<A> = edge_auth::App<
    edge_auth::testing::YieldingStore<edge_auth::testing::MemoryStore>,
    edge_auth::testing::FixedClock,
    edge_auth::testing::SeqRandom,
    edge_auth::oidc::NoProvider,
    A,
>;

/// Refreshes one token `n` times at once through an interleaving store; the app (for more
/// calls), the original refresh token, and each answer's status and refresh token.
fn refresh_at_once<A: edge_auth::ports::Atomic>(
    atomic: A,
    n: usize,
) -> (RacingApp<A>, String, Vec<(u16, String)>) {
    use edge_auth::testing::{MemoryStore, SeqRandom, YieldingStore};
    use edge_auth::App;
    use futures_executor::block_on;
    use futures_util::future::join_all;

    let api = api();
    let app = App {
        store: YieldingStore(MemoryStore::new(api.clock.clone())),
        clock: api.clock.clone(),
        rng: SeqRandom::new(5),
        provider: edge_auth::oidc::NoProvider,
        atomic,
        memo: Default::default(),
        config: config_with(&[]),
    };
    let post = |path: &str, body: serde_json::Value| {
        Request::new("POST", &format!("{BASE}{path}")).with_json(&body)
    };
    let account = json!({"email": "ada@example.com", "password": PASSWORD});
    block_on(app.handle(post("/register", account.clone())));
    let login = block_on(app.handle(post("/login", account))).json_body();
    let original = login["refresh_token"].as_str().unwrap().to_owned();
    let body = json!({ "refresh_token": original });
    let refreshes = (0..n).map(|_| app.handle(post("/refresh", body.clone())));
    let results = block_on(join_all(refreshes))
        .iter()
        .map(|r| {
            let token = r.json_body()["refresh_token"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            (r.status, token)
        })
        .collect();
    (app, original, results)
}

#[test]
fn twenty_simultaneous_refreshes_of_one_token_make_one_successor() {
    use futures_executor::block_on;
    let (app, original, results) = refresh_at_once(edge_auth::testing::MemoryAtomic::default(), 20);
    assert!(
        results.iter().all(|(status, _)| *status == 200),
        "{results:?}"
    );
    let successors: std::collections::BTreeSet<_> =
        results.iter().map(|(_, t)| t.clone()).collect();
    assert_eq!(
        successors.len(),
        1,
        "one successor, not a branch per caller"
    );
    let successor = successors.into_iter().next().unwrap();
    let refresh = |token: &str| {
        block_on(
            app.handle(
                Request::new("POST", &format!("{BASE}/refresh"))
                    .with_json(&json!({ "refresh_token": token })),
            ),
        )
    };
    // The successor works; after the grace window the original is reuse and ends the session.
    let next = refresh(&successor);
    assert_eq!(next.status, 200);
    app.clock.advance(11);
    let reused = refresh(&original);
    assert_eq!(reused.status, 401);
    assert_eq!(detail(&reused), "refresh token reused; session revoked");
    let after = next.json_body()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(refresh(&after).status, 401, "the whole family is revoked");

    // Without the atomic port (edge-only), KV lets every simultaneous caller branch.
    let (_, _, results) = refresh_at_once(edge_auth::ports::EdgeOnly, 20);
    let branches: std::collections::BTreeSet<_> = results.iter().map(|(_, t)| t.clone()).collect();
    assert!(branches.len() > 1, "{results:?}");
}

#[test]
fn without_the_atomic_port_failed_logins_are_counted_in_the_store_without_addresses() {
    use edge_auth::testing::{MemoryStore, SeqRandom};
    use edge_auth::App;
    use futures_executor::block_on;

    let api = api();
    let app = App {
        store: MemoryStore::new(api.clock.clone()),
        clock: api.clock.clone(),
        rng: SeqRandom::new(4),
        provider: edge_auth::oidc::NoProvider,
        atomic: edge_auth::ports::EdgeOnly,
        memo: Default::default(),
        config: config_with(&[]),
    };
    let login = |password: &str| {
        let body = json!({"email": "ada@example.com", "password": password});
        block_on(app.handle(Request::new("POST", &format!("{BASE}/login")).with_json(&body)))
    };
    for _ in 0..10 {
        assert_eq!(login("wrong password!").status, 401);
    }
    assert_eq!(login(PASSWORD).status, 429);
    let throttles: Vec<_> = app
        .store
        .dump()
        .into_iter()
        .filter(|(k, _)| k.starts_with("v1:throttle:"))
        .collect();
    assert!(!throttles.is_empty());
    assert!(
        !throttles
            .iter()
            .any(|(k, v)| k.contains("example.com") || v.contains("example.com")),
        "no email address in throttle records: {throttles:?}"
    );
}

#[test]
fn forty_simultaneous_wrong_passwords_get_at_most_the_limit_of_401s() {
    use edge_auth::testing::{MemoryAtomic, MemoryStore, SeqRandom, YieldingStore};
    use edge_auth::App;
    use futures_executor::block_on;
    use futures_util::future::join_all;

    fn guesses<A: edge_auth::ports::Atomic>(atomic: A) -> Vec<u16> {
        let api = api();
        let app = App {
            store: YieldingStore(MemoryStore::new(api.clock.clone())),
            clock: api.clock.clone(),
            rng: SeqRandom::new(6),
            provider: edge_auth::oidc::NoProvider,
            atomic,
            memo: Default::default(),
            config: config_with(&[]),
        };
        let body = json!({"email": "ada@example.com", "password": "wrong password!"});
        let attempts = (0..40).map(|_| {
            app.handle(
                Request::new("POST", &format!("{BASE}/login"))
                    .with_header("CF-Connecting-IP", "198.51.100.1")
                    .with_json(&body),
            )
        });
        // Retried like a client would: 503 says "busy, later".
        let mut statuses: Vec<u16> = block_on(join_all(attempts))
            .iter()
            .map(|r| r.status)
            .collect();
        for status in statuses.iter_mut().filter(|s| **s == 503) {
            let retry = block_on(
                app.handle(
                    Request::new("POST", &format!("{BASE}/login"))
                        .with_header("CF-Connecting-IP", "198.51.100.1")
                        .with_json(&body),
                ),
            );
            *status = retry.status;
        }
        statuses
    }
    let statuses = guesses(MemoryAtomic::default());
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    assert!(wrong <= 10, "{wrong} guesses checked: {statuses:?}");
    assert_eq!(wrong + statuses.iter().filter(|s| **s == 429).count(), 40);
    // The store's read-modify-write counters lose counts when attempts interleave.
    let statuses = guesses(edge_auth::ports::EdgeOnly);
    assert!(
        statuses.iter().filter(|s| **s == 401).count() > 10,
        "{statuses:?}"
    );
}
