//! Identity provider.

use crate::common::*;
use edge_auth::Request;
use futures_executor::block_on;

#[test]
fn provider_sign_in_is_404_when_not_configured() {
    let api = api();
    for path in ["/oauth/authorize", "/oauth/callback?state=x&code=y"] {
        let response = api.send(Request::new("GET", &format!("{BASE}{path}")));
        assert_eq!(response.status, 404, "{path}");
        assert!(detail(&response).contains("not configured"));
    }
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
