//! Cross-origin requests from browsers. Apps on the origins listed in `CORS_ALLOWED_ORIGINS`
//! (exact origins; none by default) may call the API: their preflights are answered and their
//! responses carry `Access-Control-Allow-Origin` with that origin (never `*`, never with
//! credentials: the API takes bearer tokens, not cookies) and expose `WWW-Authenticate` and
//! `Retry-After`. The public documents (the JWKS and the OpenAPI document) are readable from
//! any origin (`*`). Every response whose headers depend on `Origin` says `Vary: Origin`.

use super::routes::Route;
use crate::http::{Request, Response};

/// How long a browser may reuse a preflight's answer.
const MAX_AGE_SECS: &str = "600";

/// Readable from any origin: public keys and the API's description.
fn public(route: &Route) -> bool {
    matches!(route, Route::Jwks | Route::OpenApi)
}

/// The request's `Origin`, if it is one of `allowed`.
fn allowed_origin<'r>(req: &'r Request, allowed: &[String]) -> Option<&'r str> {
    let origin = req.header("origin")?;
    allowed
        .iter()
        .any(|a| a.eq_ignore_ascii_case(origin))
        .then_some(origin)
}

/// The answer to `OPTIONS` on a known route: a preflight's, for an allowed origin, or just
/// the methods the route allows.
pub(crate) fn preflight(req: &Request, route: &Route, allowed: &[String]) -> Response {
    let mut methods: Vec<&str> = route.methods().to_vec();
    methods.push("OPTIONS");
    let methods = methods.join(", ");
    let response = Response::empty(204)
        .with_header("allow", methods.clone())
        .with_header("vary", "Origin");
    let origin = match (public(route), allowed_origin(req, allowed)) {
        (true, _) => "*",
        (false, Some(origin)) => origin,
        (false, None) => return response,
    };
    response
        .with_header("access-control-allow-origin", origin)
        .with_header("access-control-allow-methods", methods)
        .with_header(
            "access-control-allow-headers",
            "Authorization, Content-Type",
        )
        .with_header("access-control-max-age", MAX_AGE_SECS)
}

/// Adds the CORS headers a response to `req` needs.
pub(crate) fn decorate(
    response: Response,
    req: &Request,
    route: Option<&Route>,
    allowed: &[String],
) -> Response {
    if route.is_some_and(public) {
        return response.with_header("access-control-allow-origin", "*");
    }
    if allowed.is_empty() {
        return response;
    }
    let response = response.with_header("vary", "Origin");
    match allowed_origin(req, allowed) {
        Some(origin) => response
            .with_header("access-control-allow-origin", origin)
            .with_header(
                "access-control-expose-headers",
                "WWW-Authenticate, Retry-After",
            ),
        None => response,
    }
}
