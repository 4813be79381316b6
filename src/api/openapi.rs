//! The OpenAPI 3.1 document of the API (`GET /api/v1/auth/openapi.json`). The page that
//! renders it is a static asset (`/docs/`: Swagger UI from npm, `www/docs/`).

use serde_json::Value;

#[cfg(test)]
mod generate;

/// The document, generated from the route table's operations, the request types' fields and
/// the response types by `generate` (a test: `UPDATE_OPENAPI=1 cargo test --lib openapi`
/// rewrites it) and checked in, so that serving it costs no code in the Worker.
const DOCUMENT: &str = include_str!("openapi.json");

/// The document. `server` is the API's origin, e.g. `https://auth.example.com`.
pub fn document(server: &str) -> Value {
    // The file is JSON: the test that writes it also parses it back.
    let mut doc: Value = serde_json::from_str(DOCUMENT).unwrap_or_default();
    if let Some(url) = doc.pointer_mut("/servers/0/url") {
        *url = server.into();
    }
    doc
}
