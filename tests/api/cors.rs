//! Cross-origin requests: allowed origins get preflights and headers, others nothing; public
//! documents are readable from anywhere; never a credentialed wildcard.

use crate::common::*;
use edge_auth::{Request, Response};

const APP: &str = "http://127.0.0.1:5173";

fn cors_api() -> Api {
    api_with(config_with(&[(
        "CORS_ALLOWED_ORIGINS",
        "https://app.example, http://127.0.0.1:5173",
    )]))
}

fn preflight(api: &Api, path: &str, origin: &str) -> Response {
    api.send(
        Request::new("OPTIONS", path)
            .with_header("Origin", origin)
            .with_header("Access-Control-Request-Method", "POST")
            .with_header(
                "Access-Control-Request-Headers",
                "authorization, content-type",
            ),
    )
}

fn no_credentialed_wildcard(response: &Response) {
    assert_eq!(response.header("access-control-allow-credentials"), None);
    let origins = response
        .headers
        .iter()
        .filter(|(name, _)| name == "access-control-allow-origin")
        .count();
    assert!(
        origins <= 1,
        "one Access-Control-Allow-Origin at most: {response:?}"
    );
}

#[test]
fn an_allowed_origin_gets_its_preflight_answered() {
    let api = cors_api();
    let response = preflight(&api, &format!("{BASE}/login"), APP);
    assert_eq!(response.status, 204);
    assert_eq!(response.header("access-control-allow-origin"), Some(APP));
    let methods = response.header("access-control-allow-methods").unwrap();
    assert!(methods.contains("POST"), "{methods}");
    let headers = response.header("access-control-allow-headers").unwrap();
    assert!(headers.to_ascii_lowercase().contains("authorization"));
    assert!(headers.to_ascii_lowercase().contains("content-type"));
    assert_eq!(response.header("vary"), Some("Origin"));
    no_credentialed_wildcard(&response);
}

#[test]
fn another_origin_gets_no_cors_headers() {
    let api = cors_api();
    let response = preflight(&api, &format!("{BASE}/login"), "https://evil.example");
    assert_eq!(response.status, 204);
    assert_eq!(response.header("access-control-allow-origin"), None);
    let session = api.session("ada@example.com");
    let me = api.send(
        Request::new("GET", &format!("{BASE}/me"))
            .with_bearer(&session.access)
            .with_header("Origin", "https://evil.example"),
    );
    assert_eq!(me.status, 200);
    assert_eq!(me.header("access-control-allow-origin"), None);
    assert_eq!(me.header("vary"), Some("Origin"));
}

#[test]
fn an_allowed_origin_reads_replies_and_their_auth_headers() {
    let api = cors_api();
    let session = api.session("ada@example.com");
    let me = api.send(
        Request::new("GET", &format!("{BASE}/me"))
            .with_bearer(&session.access)
            .with_header("Origin", APP),
    );
    assert_eq!(me.status, 200);
    assert_eq!(me.header("access-control-allow-origin"), Some(APP));
    // An app must see why it was refused and when to retry.
    let refused = api.send(
        Request::new("GET", &format!("{BASE}/me"))
            .with_bearer("not-a-token")
            .with_header("Origin", APP),
    );
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("access-control-allow-origin"), Some(APP));
    let exposed = refused.header("access-control-expose-headers").unwrap();
    assert!(exposed.contains("WWW-Authenticate") && exposed.contains("Retry-After"));
    no_credentialed_wildcard(&refused);
}

#[test]
fn public_documents_are_readable_from_any_origin_even_without_configuration() {
    let api = api();
    for path in [
        "/.well-known/jwks.json".to_owned(),
        format!("{BASE}/openapi.json"),
    ] {
        let response =
            api.send(Request::new("GET", &path).with_header("Origin", "https://x.example"));
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(response.header("access-control-allow-origin"), Some("*"));
        no_credentialed_wildcard(&response);
        let pre = preflight(&api, &path, "https://x.example");
        assert_eq!(pre.header("access-control-allow-origin"), Some("*"));
    }
    // Without CORS_ALLOWED_ORIGINS the API itself answers no other origin.
    let response = preflight(&api, &format!("{BASE}/login"), APP);
    assert_eq!(response.header("access-control-allow-origin"), None);
}

#[test]
fn options_on_an_unknown_path_is_still_404() {
    let response = preflight(&cors_api(), &format!("{BASE}/nope"), APP);
    assert_eq!(response.status, 404);
}
