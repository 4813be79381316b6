//! A workers-rs Worker with its own `fetch` that protects `GET /hello` with the auth
//! component: any credential the auth Worker issues (its JWT, an `sk-` API key, or the identity
//! provider's access token of a linked user) is checked against the same KV namespace.

use edge_auth::worker::{authenticate, error_response};
use worker::{event, Context, Env, Method, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let url = req.url()?;
    if url.path() != "/hello" {
        return Response::error("Not Found", 404);
    }
    if req.method() != Method::Get {
        return Response::error("Method Not Allowed", 405);
    }
    match authenticate(&req, &env).await {
        // `scheme` as the auth API names it: "jwt", "api_key" or "oauth2".
        Ok(principal) => Response::from_json(&serde_json::json!({
            "hello": principal.user_id.as_str(),
            "scheme": principal.scheme,
        })),
        // 401 with WWW-Authenticate (or 403), in the auth API's own shape.
        Err(err) => error_response(err),
    }
}
