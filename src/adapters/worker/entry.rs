//! The auth Worker's own entry (feature `worker-entry`): `#[event(fetch)]` serving the API, and
//! the `AtomicObject` Durable Object. Off for Workers that embed the component through
//! [`super::authenticate`], which have their own `fetch`.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::{event, Context, Env};

use super::{app, to_worker};
use crate::error::AuthError;
use crate::http::{self, MAX_BODY_BYTES};

#[event(fetch)]
async fn fetch(req: worker::Request, env: Env, _ctx: Context) -> worker::Result<worker::Response> {
    let response = match to_core(req).await {
        Ok(req) => match app(&env) {
            Ok(app) => app.handle(req).await,
            Err(err) => err.into_response(),
        },
        Err(err) => err.into_response(),
    };
    to_worker(response)
}

/// Converts a Worker request into the core's, reading at most [`MAX_BODY_BYTES`] of body:
/// a declared `Content-Length` over the limit is refused before reading, and a body without
/// one (chunked) is read from the stream and refused as soon as it passes the limit.
async fn to_core(req: worker::Request) -> Result<http::Request, AuthError> {
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|len| len.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES) {
        return Err(AuthError::PayloadTooLarge);
    }
    let url = req
        .url()
        .map_err(|err| AuthError::Internal(format!("request URL: {err}")))?;
    // The method as sent: `worker::Method` reads unknown methods (QUERY, PROPFIND) as GET.
    let method = req.inner().method().to_ascii_uppercase();
    let body = if method != "GET" && method != "HEAD" {
        read_body(&req).await?
    } else {
        Vec::new()
    };
    Ok(http::Request {
        method,
        path: url.path().to_owned(),
        query: url.query().unwrap_or("").to_owned(),
        origin: url.origin().ascii_serialization(),
        headers: req.headers().entries().collect(),
        body,
    })
}

/// How much of an oversized body without `Content-Length` is read and dropped before the
/// stream is cancelled. A body answered before it is read whole holds the connection it came
/// on (under `wrangler dev`, the next request on it hangs); reading a little more lets the
/// common oversized request finish cleanly, while an endless one is still cut off.
const MAX_DRAIN_BYTES: usize = 1024 * 1024;

/// The request body, chunk by chunk: 413 past [`MAX_BODY_BYTES`], keeping nothing more.
async fn read_body(req: &worker::Request) -> Result<Vec<u8>, AuthError> {
    let unreadable = |_| AuthError::BadRequest("The request body could not be read".into());
    let Some(stream) = req.inner().body() else {
        return Ok(Vec::new());
    };
    let call = |target: &JsValue, name: &str| -> Result<JsValue, JsValue> {
        let method: js_sys::Function = Reflect::get(target, &name.into())?.dyn_into()?;
        method.call0(target)
    };
    let reader = call(&stream, "getReader").map_err(unreadable)?;
    let mut body = Vec::new();
    let mut seen = 0usize;
    loop {
        let read: js_sys::Promise = call(&reader, "read")
            .and_then(|p| p.dyn_into())
            .map_err(unreadable)?;
        let chunk = JsFuture::from(read).await.map_err(unreadable)?;
        let done = Reflect::get(&chunk, &"done".into()).map_err(unreadable)?;
        if done.as_bool() == Some(true) {
            return if seen > MAX_BODY_BYTES {
                Err(AuthError::PayloadTooLarge)
            } else {
                Ok(body)
            };
        }
        let bytes = Uint8Array::new(&Reflect::get(&chunk, &"value".into()).map_err(unreadable)?);
        seen = seen.saturating_add(bytes.length() as usize);
        if seen <= MAX_BODY_BYTES {
            body.extend_from_slice(&bytes.to_vec());
        } else if seen > MAX_DRAIN_BYTES {
            let _ = call(&reader, "cancel");
            return Err(AuthError::PayloadTooLarge);
        } else {
            body = Vec::new(); // over the limit: nothing of it is kept
        }
    }
}
