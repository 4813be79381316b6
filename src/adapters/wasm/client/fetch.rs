//! `AuthClient.fetch`: the global `fetch` with the session's access token, refreshed and
//! retried once on a 401.

use std::rc::Rc;

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::session::{Failure, Inner};

// `fetch`'s types, taken from the app's own `fetch` (the DOM's, or Node's from @types/node), so
// that the declarations still compile where there is none (`lib` without DOM): there they are
// `unknown`.
#[wasm_bindgen(typescript_custom_section)]
const FETCH_TYPES: &'static str = r#"
/** What `fetch` takes first: a URL or a `Request` (from the global `fetch`'s type). */
export type FetchInput = typeof globalThis extends { fetch(input: infer I, init?: any): any } ? I : unknown;
/** What `fetch` takes second: its `RequestInit` (from the global `fetch`'s type). */
export type FetchInit = typeof globalThis extends { fetch(input: any, init?: infer I): any } ? I : unknown;
/** What `fetch` resolves to: a `Response` (from the global `fetch`'s type). */
export type FetchResponse = typeof globalThis extends { fetch(input: any, init?: any): Promise<infer R> } ? R : unknown;
"#;

/// `obj.name(...args)`.
fn call_method(obj: &JsValue, name: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let method: js_sys::Function = Reflect::get(obj, &JsValue::from_str(name))?.dyn_into()?;
    let args: js_sys::Array = args.iter().copied().collect();
    method.apply(obj, &args)
}

/// `AuthClient.fetch`: see there.
pub(super) async fn authed_fetch(
    inner: Rc<Inner>,
    input: JsValue,
    init: JsValue,
) -> Result<JsValue, JsValue> {
    let global = js_sys::global();
    let request_class: js_sys::Function = Reflect::get(&global, &"Request".into())?.dyn_into()?;
    let fetch: js_sys::Function = Reflect::get(&global, &"fetch".into())?.dyn_into()?;
    // One `Request` (a bad input throws here, as `fetch` would), cloned for each attempt: the
    // retry needs its body again.
    let original = Reflect::construct(&request_class, &js_sys::Array::of2(&input, &init))?;
    let mut token = Rc::clone(&inner)
        .fresh_access_token()
        .await
        .map_err(Failure::into_js)?;
    let mut retried = false;
    loop {
        let request = call_method(&original, "clone", &[])?;
        let headers = Reflect::get(&request, &"headers".into())?;
        match &token {
            Some(token) => call_method(
                &headers,
                "set",
                &[&"Authorization".into(), &format!("Bearer {token}").into()],
            )?,
            None => call_method(&headers, "delete", &[&"Authorization".into()])?,
        };
        let response = JsFuture::from(Promise::from(fetch.call1(&global, &request)?)).await?;
        let status = Reflect::get(&response, &"status".into())?.as_f64();
        if status == Some(401.0) && token.is_some() && !retried {
            retried = true;
            if Rc::clone(&inner).refresh().await.is_ok() {
                token = inner.access_token();
                if token.is_some() {
                    continue;
                }
            }
        }
        return Ok(response);
    }
}
