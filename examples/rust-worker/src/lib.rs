//! A workers-rs Worker with its own `fetch` that protects two routes with the auth component:
//! - `GET /hello`: any credential the auth Worker issues (its JWT, an `sk-` API key, or the
//!   identity provider's access token of a linked user), checked against the same KV namespace
//!   with the auth Worker's secrets;
//! - `GET /hello-offline`: the auth Worker's JWT only, checked offline against its public keys
//!   (`JWT_PUBLIC_JWKS`), the verify-only setup that needs no secret and no binding.

use edge_auth::worker::{authenticate, authenticate_offline, error_response};
use worker::{event, Context, Env, Method, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let path = req.url()?.path().to_owned();
    if path != "/hello" && path != "/hello-offline" {
        return Response::error("Not Found", 404);
    }
    if req.method() != Method::Get {
        return Response::error("Method Not Allowed", 405);
    }
    let principal = if path == "/hello" {
        authenticate(&req, &env).await
    } else {
        authenticate_offline(&req, &env)
    };
    match principal {
        // `scheme` as the auth API names it: "jwt", "api_key" or "oauth2".
        Ok(principal) => Response::from_json(&serde_json::json!({
            "hello": principal.user_id.as_str(),
            "scheme": principal.scheme,
        })),
        // 401 with WWW-Authenticate (or 403), in the auth API's own shape.
        Err(err) => error_response(err),
    }
}
