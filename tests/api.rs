//! Every route, status code and error shape of the API, driven through `App::handle` on the
//! in-memory store with a fixed clock and a deterministic RNG.

mod common;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use common::*;
use edge_auth::{App, Request};
use futures_executor::block_on;
use serde_json::{json, Value};

// ---------------------------------------------------------------- register and login

#[test]
fn register_returns_the_new_user() {
    let api = api();
    let response = api.register("Ada@Example.com");
    assert_eq!(response.status, 201);
    let user = response.json_body();
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["name"], "Ada");
    assert_eq!(user["created_at"], "2026-01-01T00:00:00Z");
    assert!(user["id"].as_str().is_some_and(|id| id.len() == 22));
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());
}

#[test]
fn registering_an_existing_email_is_a_conflict() {
    let api = api();
    assert_eq!(api.register("ada@example.com").status, 201);
    let again = api.register("ADA@example.com ");
    assert_eq!(again.status, 409);
    assert!(detail(&again).contains("already exists"));
}

#[test]
fn register_validates_every_field_at_once() {
    let api = api();
    let response = api.post(
        "/register",
        json!({"email": "not-an-email", "password": "short", "name": 7}),
    );
    assert_validation(&response, &["body", "email"], "value_error");
    assert_validation(&response, &["body", "password"], "string_too_short");
    assert_validation(&response, &["body", "name"], "string_type");
    let response = api.post("/register", json!({}));
    assert_validation(&response, &["body", "email"], "missing");
    assert_validation(&response, &["body", "password"], "missing");
}

#[test]
fn login_returns_the_seed_shape_and_a_usable_bearer_token() {
    let api = api();
    api.register("ada@example.com");
    let response = api.login("ada@example.com", PASSWORD);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let body = response.json_body();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["refresh_token"].as_str().unwrap().starts_with("rt-"));
    let access = body["access_token"].as_str().unwrap();
    let me = api.get("/me", access);
    assert_eq!(me.status, 200);
    assert_eq!(me.json_body()["email"], "ada@example.com");
    assert_eq!(me.json_body()["auth_scheme"], "jwt");
}

#[test]
fn unknown_email_and_wrong_password_get_the_same_answer() {
    let api = api();
    api.register("ada@example.com");
    let wrong_password = api.login("ada@example.com", "wrong password!");
    let unknown_email = api.login("bob@example.com", PASSWORD);
    assert_eq!(wrong_password.status, 401);
    assert_eq!(wrong_password, unknown_email);
    assert_eq!(detail(&wrong_password), "Incorrect email or password");
}

#[test]
fn login_upgrades_a_hash_made_with_old_parameters() {
    let api = api();
    api.register("ada@example.com");
    let stronger = config_with(&[("ARGON2_MEMORY_KIB", "128"), ("ARGON2_ITERATIONS", "2")]);
    let api = Api {
        app: App {
            config: stronger,
            ..api.app
        },
        clock: api.clock,
    };
    let before = api.app.store.dump();
    assert!(before.iter().any(|(_, v)| v.contains("m=64,t=1,p=1")));
    assert_eq!(api.login("ada@example.com", PASSWORD).status, 200);
    let after = api.app.store.dump();
    assert!(after.iter().any(|(_, v)| v.contains("m=128,t=2,p=1")));
    assert!(!after.iter().any(|(_, v)| v.contains("m=64,t=1,p=1")));
    assert_eq!(api.login("ada@example.com", PASSWORD).status, 200);
}

// ---------------------------------------------------------------- bad input

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

// ---------------------------------------------------------------- credentials

const PROTECTED: &[(&str, &str)] = &[
    ("GET", "/me"),
    ("POST", "/logout"),
    ("GET", "/api-keys"),
    ("POST", "/api-keys"),
    ("DELETE", "/api-keys/0123456789abcdef"),
    ("GET", "/private-key"),
    ("PUT", "/private-key"),
    ("DELETE", "/private-key"),
];

#[test]
fn protected_routes_without_credentials_are_401_with_www_authenticate() {
    let api = api();
    for (method, path) in PROTECTED {
        let response = api.send(Request::new(method, &format!("{BASE}{path}")));
        assert_eq!(response.status, 401, "{method} {path}");
        assert_eq!(response.header("www-authenticate"), Some("Bearer"));
        assert_eq!(detail(&response), "Not authenticated");
        let basic = Request::new(method, &format!("{BASE}{path}"))
            .with_header("authorization", "Basic YTpi");
        assert_eq!(api.send(basic).status, 401);
    }
}

#[test]
fn bad_tokens_are_401_invalid_token() {
    let api = api();
    let session = api.session("ada@example.com");
    let token = &session.access;
    let (head, rest) = token.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let mut sig = URL_SAFE_NO_PAD.decode(signature).unwrap();
    sig[5] ^= 0x10;
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt"}"#);
    let cases = [
        "garbage".to_owned(),
        token[..token.len() - 20].to_owned(),
        format!("{head}.{payload}"),
        format!("{none_header}.{payload}."),
        format!("{head}.{payload}.{}", URL_SAFE_NO_PAD.encode(&sig)),
        format!(
            "{head}.{}.{signature}",
            URL_SAFE_NO_PAD.encode(r#"{"iss":"https://auth.example","sub":"x"}"#)
        ),
        "eyJ.eyJ.eyJ".to_owned(),
    ];
    for case in cases {
        for (method, path) in PROTECTED {
            assert_invalid_token(&api.call(method, path, &case, None));
        }
    }
}

#[test]
fn expired_token_is_rejected() {
    let api = api();
    let session = api.session("ada@example.com");
    api.clock.advance(900 + 30);
    assert_eq!(api.get("/me", &session.access).status, 200);
    api.clock.advance(1);
    let response = api.get("/me", &session.access);
    assert_invalid_token(&response);
    assert_eq!(detail(&response), "token expired");
}

#[test]
fn token_from_another_issuer_is_refused() {
    let api = api();
    let session = api.session("ada@example.com");
    let other = api_with(config_with(&[("JWT_ISSUER", "https://other.example")]));
    let response = other.get("/me", &session.access);
    assert_invalid_token(&response);
    assert_eq!(detail(&response), "token issuer is not trusted");
}

#[test]
fn api_key_with_wrong_checksum_is_refused_without_a_store_read() {
    let api = api();
    let session = api.session("ada@example.com");
    let key = api.create_key_secret(&session.access, "ci");
    let last = key.chars().last().unwrap();
    let typo = format!(
        "{}{}",
        &key[..key.len() - 1],
        if last == 'a' { 'b' } else { 'a' }
    );
    let reads = api.app.store.reads();
    let response = api.get("/me", &typo);
    assert_invalid_token(&response);
    assert_eq!(detail(&response), "API key checksum mismatch");
    assert_eq!(
        api.app.store.reads(),
        reads,
        "a malformed key must not cost a store read"
    );
}

// ---------------------------------------------------------------- API keys

#[test]
fn api_key_lifecycle_create_list_use_revoke() {
    let api = api();
    let session = api.session("ada@example.com");
    let created = api.call(
        "POST",
        "/api-keys",
        &session.access,
        Some(json!({"name": "deploy", "scopes": ["read", "write"], "expires_in_days": 30})),
    );
    assert_eq!(created.status, 201);
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let created = created.json_body();
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with("sk-") && key.len() == 68);
    assert_eq!(created["prefix"], format!("sk-{id}"));
    assert_eq!(created["last4"], key[key.len() - 4..]);
    assert_eq!(created["scopes"], json!(["read", "write"]));
    assert_eq!(created["expires_at"], "2026-01-31T00:00:00Z");

    let list = api.get("/api-keys", &session.access);
    assert_eq!(list.status, 200);
    let text = String::from_utf8(list.body.clone()).unwrap();
    assert!(
        !text.contains(&key) && !text.contains(&key[19..62]),
        "secret in list: {text}"
    );
    let keys = list.json_body()["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["id"], id.as_str());
    assert_eq!(keys[0]["name"], "deploy");
    assert!(keys[0].get("key").is_none());
    assert_eq!(keys[0]["last_used_at"], Value::Null);

    api.clock.advance(5);
    let me = api.get("/me", &key);
    assert_eq!(me.status, 200);
    assert_eq!(me.json_body()["auth_scheme"], "api_key");
    assert_eq!(me.json_body()["email"], session.email.as_str());
    let keys = api.get("/api-keys", &session.access).json_body();
    assert_eq!(keys["keys"][0]["last_used_at"], "2026-01-01T00:00:05Z");

    assert_eq!(
        api.call("DELETE", &format!("/api-keys/{id}"), &session.access, None)
            .status,
        204
    );
    assert_invalid_token(&api.get("/me", &key));
    assert_eq!(
        api.get("/api-keys", &session.access).json_body()["keys"],
        json!([])
    );
    assert_eq!(
        api.call("DELETE", &format!("/api-keys/{id}"), &session.access, None)
            .status,
        404
    );
}

#[test]
fn api_key_stops_working_when_it_expires() {
    let api = api();
    let session = api.session("ada@example.com");
    let created = api.call(
        "POST",
        "/api-keys",
        &session.access,
        Some(json!({"name": "short", "expires_in_days": 1})),
    );
    let key = created.json_body()["key"].as_str().unwrap().to_owned();
    assert_eq!(api.get("/me", &key).status, 200);
    api.clock.advance(86_400);
    assert_invalid_token(&api.get("/me", &key));
}

#[test]
fn api_keys_may_not_manage_keys_or_private_keys() {
    let api = api();
    let session = api.session("ada@example.com");
    let created = api.create_key(&session.access, "ci");
    let key = created["key"].as_str().unwrap();
    let id = created["id"].as_str().unwrap();
    let forbidden: &[(&str, String, Option<Value>)] = &[
        ("GET", "/api-keys".into(), None),
        (
            "POST",
            "/api-keys".into(),
            Some(json!({"name": "escalate"})),
        ),
        ("DELETE", format!("/api-keys/{id}"), None),
        (
            "PUT",
            "/private-key".into(),
            Some(json!({"private_key": PEM})),
        ),
        ("DELETE", "/private-key".into(), None),
    ];
    for (method, path, body) in forbidden {
        let response = api.call(method, path, key, body.clone());
        assert_eq!(response.status, 403, "{method} {path}");
        assert!(detail(&response).contains("not an API key"));
    }
    assert_eq!(api.get("/private-key", key).status, 200);
    assert_eq!(api.call("POST", "/logout", key, None).status, 204);
    assert_eq!(api.get("/me", key).status, 200, "the key still works");
}

#[test]
fn another_users_key_is_not_found() {
    let api = api();
    let ada = api.session("ada@example.com");
    let bob = api.session("bob@example.com");
    let id = api.create_key(&ada.access, "ada's")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        format!("/api-keys/{id}"),
        "/api-keys/nope".into(),
        "/api-keys/..%2F..".into(),
    ] {
        let response = api.call("DELETE", &path, &bob.access, None);
        assert_eq!(response.status, 404, "{path}");
    }
    assert_eq!(
        api.get("/api-keys", &bob.access).json_body()["keys"],
        json!([])
    );
    assert_eq!(
        api.get("/api-keys", &ada.access).json_body()["keys"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn api_key_request_is_validated() {
    let api = api();
    let session = api.session("ada@example.com");
    let cases = [
        (json!({}), "name", "missing"),
        (json!({"name": ""}), "name", "string_too_short"),
        (
            json!({"name": "x", "scopes": "read"}),
            "scopes",
            "list_type",
        ),
        (
            json!({"name": "x", "scopes": ["bad scope"]}),
            "scopes",
            "value_error",
        ),
        (
            json!({"name": "x", "expires_in_days": 0}),
            "expires_in_days",
            "greater_than_equal",
        ),
        (
            json!({"name": "x", "expires_in_days": "7"}),
            "expires_in_days",
            "int_type",
        ),
    ];
    for (body, field, kind) in cases {
        let response = api.call("POST", "/api-keys", &session.access, Some(body));
        assert_validation(&response, &["body", field], kind);
    }
}

#[test]
fn many_keys_are_all_listed() {
    let api = api();
    let session = api.session("ada@example.com");
    let mut ids: Vec<String> = (0..50)
        .map(|i| {
            api.create_key(&session.access, &format!("key {i}"))["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let list = api.get("/api-keys", &session.access).json_body();
    let mut listed: Vec<String> = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    listed.sort();
    assert_eq!(listed, ids);
}

// ---------------------------------------------------------------- private key

#[test]
fn seed_request_private_key_status_with_args_and_kwargs() {
    let api = api();
    let session = api.session("ada@example.com");
    let response = api.get("/private-key?args=null&kwargs=null", &session.access);
    assert_eq!(response.status, 200);
    assert_eq!(
        response.json_body(),
        json!({"has_key": false, "created_at": null, "updated_at": null})
    );
}

#[test]
fn private_key_set_read_replace_delete() {
    let api = api();
    let session = api.session("ada@example.com");
    let put = api.call(
        "PUT",
        "/private-key",
        &session.access,
        Some(json!({"private_key": PEM})),
    );
    assert_eq!(put.status, 200);
    let expected = json!({"has_key": true, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"});
    assert_eq!(put.json_body(), expected);
    assert_eq!(
        api.get("/private-key", &session.access).json_body(),
        expected
    );

    api.clock.advance(60);
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"});
    let replaced = api.call(
        "PUT",
        "/private-key",
        &session.access,
        Some(json!({"private_key": jwk})),
    );
    assert_eq!(replaced.json_body()["created_at"], "2026-01-01T00:00:00Z");
    assert_eq!(replaced.json_body()["updated_at"], "2026-01-01T00:01:00Z");

    assert_eq!(
        api.call("DELETE", "/private-key", &session.access, None)
            .status,
        204
    );
    let status = api.get("/private-key", &session.access).json_body();
    assert_eq!(
        status,
        json!({"has_key": false, "created_at": null, "updated_at": null})
    );
}

#[test]
fn private_key_that_is_not_a_private_key_is_a_422() {
    let api = api();
    let session = api.session("ada@example.com");
    for body in [
        json!({}),
        json!({"private_key": "hello"}),
        json!({"private_key": 42}),
        json!({"private_key": {"kty": "OKP", "x": "abc"}}),
    ] {
        let response = api.call("PUT", "/private-key", &session.access, Some(body.clone()));
        assert_eq!(response.status, 422, "{body}");
        assert_eq!(
            response.json_body()["detail"][0]["loc"],
            json!(["body", "private_key"])
        );
    }
    assert_eq!(
        api.get("/private-key", &session.access).json_body()["has_key"],
        false
    );
}

// ---------------------------------------------------------------- sessions

#[test]
fn refresh_rotates_the_pair() {
    let api = api();
    let session = api.session("ada@example.com");
    let response = refresh(&api, &session.refresh);
    assert_eq!(response.status, 200);
    let pair = response.json_body();
    assert_eq!(pair["token_type"], "bearer");
    let new_refresh = pair["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, session.refresh);
    assert_eq!(
        api.get("/me", pair["access_token"].as_str().unwrap())
            .status,
        200
    );
    assert_eq!(refresh(&api, new_refresh).status, 200);
}

#[test]
fn spent_refresh_token_within_grace_gets_a_pair_after_grace_revokes_the_family() {
    let api = api();
    let session = api.session("ada@example.com");
    let first = refresh(&api, &session.refresh).json_body();
    // A client racing itself (two tabs) within the grace window is not an attack.
    api.clock.advance(9);
    assert_eq!(refresh(&api, &session.refresh).status, 200);

    api.clock.advance(1);
    let reuse = refresh(&api, &session.refresh);
    assert_invalid_token(&reuse);
    assert!(detail(&reuse).contains("reused"));
    // The whole family is gone: the newest refresh token and every access token of it.
    assert_invalid_token(&refresh(&api, first["refresh_token"].as_str().unwrap()));
    assert_invalid_token(&api.get("/me", first["access_token"].as_str().unwrap()));
    assert_invalid_token(&api.get("/me", &session.access));
    // Other sessions of the same user live on.
    let other = api.login(&session.email, PASSWORD).json_body();
    assert_eq!(
        api.get("/me", other["access_token"].as_str().unwrap())
            .status,
        200
    );
}

#[test]
fn refresh_token_garbage_is_refused() {
    let api = api();
    let session = api.session("ada@example.com");
    let forged = format!("{}x", &session.refresh[..session.refresh.len() - 1]);
    for token in ["", "rt-", "garbage", &forged, &session.access] {
        assert_invalid_token(&refresh(&api, token));
    }
    assert_validation(
        &api.post("/refresh", json!({})),
        &["body", "refresh_token"],
        "missing",
    );
}

#[test]
fn session_ends_with_the_refresh_lifetime() {
    let api = api_with(config_with(&[("REFRESH_TOKEN_TTL_SECS", "3600")]));
    let session = api.session("ada@example.com");
    api.clock.advance(3600);
    assert_invalid_token(&refresh(&api, &session.refresh));
}

#[test]
fn logout_revokes_the_session() {
    let api = api();
    let session = api.session("ada@example.com");
    assert_eq!(
        api.call("POST", "/logout", &session.access, None).status,
        204
    );
    assert_invalid_token(&api.get("/me", &session.access));
    assert_invalid_token(&refresh(&api, &session.refresh));
}

// ---------------------------------------------------------------- keys and secrets

#[test]
fn jwks_publishes_the_key_that_signs_our_tokens() {
    let api = api();
    let session = api.session("ada@example.com");
    for path in [
        "/.well-known/jwks.json",
        "/api/v1/auth/.well-known/jwks.json",
    ] {
        let response = api.send(Request::new("GET", path));
        assert_eq!(response.status, 200);
        let jwks = response.json_body();
        let key = &jwks["keys"][0];
        assert_eq!(
            (
                key["kty"].as_str(),
                key["crv"].as_str(),
                key["alg"].as_str()
            ),
            (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
        );
        let header: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(session.access.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(header["kid"], key["kid"]);
        assert_eq!(header["typ"], "at+jwt");
        assert!(key.get("d").is_none(), "private part published");
    }
}

#[test]
fn store_holds_no_plaintext_secret() {
    let api = api();
    let session = api.session("ada@example.com");
    let created = api.create_key(&session.access, "ci");
    let key = created["key"].as_str().unwrap();
    api.call(
        "PUT",
        "/private-key",
        &session.access,
        Some(json!({"private_key": PEM})),
    );
    let dump = api.app.store.dump();
    assert!(dump.len() >= 6, "{dump:?}");
    let secrets = [
        PASSWORD,
        key,
        &key[19..62],
        "MC4CAQAwBQYDK2VwBCIEINTUxQXxH7vJ0ZrDAlhvbZJc2GnPmPEv5JeR",
        &session.refresh,
        &session.refresh[19..],
    ];
    for (name, value) in &dump {
        for secret in secrets {
            assert!(
                !name.contains(secret) && !value.contains(secret),
                "{secret} in {name} = {value}"
            );
        }
        let record: Value = serde_json::from_str(value).unwrap();
        assert_eq!(record["v"], 1, "{name} is not versioned");
        assert!(name.starts_with("v1:"), "{name}");
    }
}

// ---------------------------------------------------------------- identity provider

#[test]
fn provider_sign_in_is_404_when_not_configured() {
    let api = api();
    for path in ["/oauth/authorize", "/oauth/callback?state=x&code=y"] {
        let response = api.send(Request::new("GET", &format!("{BASE}{path}")));
        assert_eq!(response.status, 404, "{path}");
        assert!(detail(&response).contains("not configured"));
    }
}

fn oidc_api() -> Api {
    api_with(config_with(&[
        ("OIDC_ISSUER", "http://127.0.0.1:9"),
        ("OIDC_CLIENT_ID", "edge-auth"),
        ("OIDC_CLIENT_SECRET", "secret"),
        ("OIDC_REDIRECT_URIS", "http://127.0.0.1:8787/"),
    ]))
}

#[test]
fn provider_sign_in_refuses_a_redirect_uri_that_is_not_allowed() {
    let api = oidc_api();
    let path = format!("{BASE}/oauth/authorize?redirect_uri=https%3A%2F%2Fevil.example%2F");
    let response = api.send(Request::new("GET", &path));
    assert_eq!(response.status, 400);
    assert_eq!(detail(&response), "redirect_uri is not allowed");
}

#[test]
fn provider_callback_with_an_unknown_state_is_400() {
    let api = oidc_api();
    for query in [
        "",
        "?state=short&code=x",
        "?state=0123456789abcdef0123456789abcdef&code=x",
    ] {
        let response = api.send(Request::new(
            "GET",
            &format!("{BASE}/oauth/callback{query}"),
        ));
        assert_eq!(response.status, 400, "{query}");
        assert_eq!(detail(&response), "Unknown or expired sign-in state");
    }
}

#[test]
fn unreachable_provider_is_a_502_without_internals() {
    let api = oidc_api();
    let challenge = edge_auth::oidc::pkce_challenge("a verifier the app keeps, 43 chars or more");
    let path = format!("{BASE}/oauth/authorize?code_challenge={challenge}");
    let mut req = Request::new("GET", &path);
    req.origin = "http://127.0.0.1:8787".into();
    let response = block_on(api.app.handle(req));
    assert_eq!(response.status, 502);
    assert_eq!(detail(&response), "The identity provider is unavailable");
    assert!(response.log.is_some());
}

#[test]
fn rotated_signing_key_verifies_and_is_published_until_its_tokens_expire() {
    let api = api();
    let session = api.session("ada@example.com");
    let old_kid = api
        .send(Request::new("GET", "/.well-known/jwks.json"))
        .json_body()["keys"][0]["kid"]
        .clone();
    // Rotate: a new active key; the old one retired now.
    let retired_at = api.clock_now();
    let rotated = config_with(&[
        ("JWT_SIGNING_KEY", &STANDARD.encode([21u8; 32])),
        (
            "JWT_RETIRED_SIGNING_KEYS",
            &format!("{}:{retired_at}", STANDARD.encode([11u8; 32])),
        ),
    ]);
    let api = Api {
        app: App {
            config: rotated,
            ..api.app
        },
        clock: api.clock,
    };
    let kids = |api: &Api| -> Vec<Value> {
        let jwks = api
            .send(Request::new("GET", "/.well-known/jwks.json"))
            .json_body();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].clone())
            .collect()
    };
    assert_eq!(kids(&api).len(), 2);
    assert_eq!(kids(&api)[1], old_kid);
    assert_eq!(
        api.get("/me", &session.access).status,
        200,
        "old token still verifies"
    );
    let fresh = api.login("ada@example.com", PASSWORD).json_body();
    let fresh_header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(
                fresh["access_token"]
                    .as_str()
                    .unwrap()
                    .split('.')
                    .next()
                    .unwrap(),
            )
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        fresh_header["kid"],
        kids(&api)[0],
        "new tokens use the new key"
    );
    // Once every token of the old key has expired, it is gone.
    api.clock.advance(900 + 31);
    assert_eq!(kids(&api), vec![fresh_header["kid"].clone()]);
    assert_invalid_token(&api.get("/me", &session.access));
}

#[test]
fn repeated_failed_logins_are_throttled_per_email_with_retry_after() {
    let api = api();
    api.register("ada@example.com");
    for email in ["ada@example.com", "nobody@example.com"] {
        for _ in 0..10 {
            assert_eq!(api.login(email, "wrong password!").status, 401);
        }
        // Now even the right password waits: the throttle is per email, known or not.
        let throttled = api.login(email, PASSWORD);
        assert_eq!(throttled.status, 429, "{email}");
        assert_eq!(throttled.header("retry-after"), Some("900"));
        assert!(detail(&throttled).contains("Too many"));
    }
    let throttles: Vec<_> = api
        .app
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
    // Another email is not affected.
    api.register("bob@example.com");
    assert_eq!(api.login("bob@example.com", PASSWORD).status, 200);
    // After the window, the right password works, and clears the count.
    api.clock.advance(900);
    assert_eq!(api.login("ada@example.com", PASSWORD).status, 200);
    for _ in 0..9 {
        assert_eq!(api.login("ada@example.com", "wrong password!").status, 401);
    }
    assert_eq!(api.login("ada@example.com", PASSWORD).status, 200);
}

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
