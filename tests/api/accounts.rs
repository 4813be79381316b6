//! Register and login.

use crate::common::*;
use edge_auth::App;
use serde_json::json;

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
