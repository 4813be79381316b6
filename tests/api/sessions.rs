//! Sessions.

use crate::common::*;
use serde_json::json;

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
