//! `AuthClient`: the typed client of the auth API as JavaScript sees it. The session behind it
//! (tokens, refresh, the sign-in verifier) is in `session`; where tokens are kept, in `storage`;
//! what the methods take, in `inputs`; `fetch` with the session's token, in `fetch`.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use gloo_net::http::Method;
use js_sys::{Promise, Reflect};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::http::BASE_PATH;

use super::{from_js, to_js};

mod fetch;
mod inputs;
mod locks;
mod session;
mod storage;

use fetch::authed_fetch;
use inputs::{read_input, AuthClientOptions, CreateApiKeyInput, LoginInput, RegisterInput};
use session::{AuthStateEvent, Failure, Inner};
use storage::TokenStorage;

fn sign_in_query(redirect_uri: &str, challenge: &str) -> String {
    crate::credentials::oidc::encode_pairs(&[
        ("redirect_uri", redirect_uri),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ])
}

/// A client call's work: its JSON result (`None` for an empty response) or why it failed.
type Call = Pin<Box<dyn Future<Output = Result<Option<Value>, Failure>>>>;

/// Runs `call` as a JS promise of its JSON result (`undefined` for an empty response).
fn promise(call: impl Future<Output = Result<Option<Value>, Failure>> + 'static) -> Promise {
    settle(Box::pin(call))
}

/// [`promise`] for every method: one `future_to_promise` in the wasm, not one per method,
/// each with its own copy of the task and waker code (-3.7 KB gzip).
fn settle(call: Call) -> Promise {
    future_to_promise(async move {
        match call.await {
            Ok(Some(value)) => Ok(to_js(&value)),
            Ok(None) => Ok(JsValue::UNDEFINED),
            Err(failure) => Err(failure.into_js()),
        }
    })
}

/// A typed client for the edge-auth API, holding the session's tokens.
#[wasm_bindgen]
pub struct AuthClient {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl AuthClient {
    /// A client for the API at `options.baseUrl` (default: the page's origin).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "AuthClientOptions")] options: JsValue,
    ) -> Result<AuthClient, JsValue> {
        let options: AuthClientOptions = from_js(options, "options")?;
        let storage = TokenStorage::named(options.storage.as_deref())?;
        let base_url = match options.base_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => web_origin().ok_or_else(|| {
                JsValue::from(js_sys::TypeError::new(
                    "options.baseUrl is required outside a browser page",
                ))
            })?,
        };
        let leeway_secs = options.refresh_leeway_secs.unwrap_or(30);
        Ok(Self {
            inner: Rc::new(Inner::new(base_url, storage, leeway_secs)),
        })
    }

    /// The current access token, if logged in.
    #[wasm_bindgen(getter, js_name = accessToken)]
    pub fn access_token(&self) -> Option<String> {
        self.inner.access_token()
    }

    /// Whether the client holds tokens.
    #[wasm_bindgen(getter, js_name = isLoggedIn)]
    pub fn is_logged_in(&self) -> bool {
        self.inner.is_logged_in()
    }

    /// `POST /register`.
    #[wasm_bindgen(unchecked_return_type = "Promise<User>")]
    pub fn register(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RegisterInput")] input: JsValue,
    ) -> Promise {
        let inner = Rc::clone(&self.inner);
        let input: Result<RegisterInput, _> =
            read_input(input, "register: input must be { email, password, name? }");
        promise(async move {
            let input = input?;
            let body = json!(input);
            inner
                .send(Method::POST, "/register", Some(&body), None)
                .await
        })
    }

    /// `POST /login`; keeps the tokens.
    #[wasm_bindgen(unchecked_return_type = "Promise<TokenResponse>")]
    pub fn login(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LoginInput")] input: JsValue,
    ) -> Promise {
        let inner = Rc::clone(&self.inner);
        let input: Result<LoginInput, _> =
            read_input(input, "login: input must be { email, password }");
        promise(async move {
            let input = input?;
            let body = json!(input);
            let response = inner
                .send(Method::POST, "/login", Some(&body), None)
                .await?;
            if let Some(response) = &response {
                inner.keep(response)?;
                inner.emit(AuthStateEvent::SignedIn);
            }
            Ok(response)
        })
    }

    /// Where to send the browser to sign in with the identity provider. It comes back to
    /// `redirectUri` (one of the Worker's `OIDC_REDIRECT_URIS`) with a one-time code in the
    /// fragment, which only this browser tab can trade for tokens: the verifier of the code's
    /// challenge is kept here (and in sessionStorage, across the redirect).
    #[wasm_bindgen(js_name = providerSignInUrl)]
    pub fn provider_sign_in_url(
        &self,
        #[wasm_bindgen(js_name = redirectUri)] redirect_uri: &str,
    ) -> Result<String, JsValue> {
        let challenge = self.inner.new_sign_in_verifier()?;
        Ok(format!(
            "{}{BASE_PATH}/oauth/authorize?{}",
            self.inner.base_url,
            sign_in_query(redirect_uri, &challenge)
        ))
    }

    /// Where to send the browser to link a provider identity to the signed-in account: like
    /// `providerSignInUrl`, for the account this client is logged in to.
    #[wasm_bindgen(js_name = linkProviderUrl, unchecked_return_type = "Promise<string>")]
    pub fn link_provider_url(
        &self,
        #[wasm_bindgen(js_name = redirectUri)] redirect_uri: &str,
    ) -> Promise {
        let inner = Rc::clone(&self.inner);
        let redirect_uri = redirect_uri.to_owned();
        promise(async move {
            let challenge = inner
                .new_sign_in_verifier()
                .map_err(|_| Failure::new(0, "no random source"))?;
            let body = json!({ "code_challenge": challenge });
            let started = Rc::clone(&inner)
                .authed(Method::POST, "/oauth/link", Some(body))
                .await?
                .unwrap_or_default();
            let url = started["authorization_url"]
                .as_str()
                .ok_or_else(|| Failure::new(0, "unexpected link response"))?;
            let url = format!("{url}&{}", sign_in_query(&redirect_uri, &challenge));
            Ok(Some(Value::String(url)))
        })
    }

    /// Finishes a provider sign-in (or link) on return: `fragment` is `location.hash`. Trades
    /// the one-time code for tokens with the verifier this tab kept; resolves `false` when the
    /// fragment holds no sign-in result, and fails with an `AuthApiError` when the sign-in was
    /// refused (e.g. 409: an account with this email exists), or was not started in this tab
    /// (a forged link). Clear the fragment afterwards (`history.replaceState`).
    #[wasm_bindgen(js_name = completeProviderSignIn, unchecked_return_type = "Promise<boolean>")]
    pub fn complete_provider_sign_in(&self, fragment: &str) -> Promise {
        let inner = Rc::clone(&self.inner);
        let query = fragment.trim_start_matches('#');
        let fields = crate::http::Request::new("GET", &format!("/?{query}"));
        let code = fields.query_param("code");
        let error = fields.query_param("error");
        let description = fields.query_param("error_description");
        promise(async move {
            if let Some(error) = error {
                // A refused sign-in spends this tab's verifier too.
                drop(inner.take_sign_in_verifier());
                let status = error.parse::<u16>().ok().filter(|s| (400..500).contains(s));
                let detail = description.unwrap_or_else(|| "Sign-in failed".into());
                return Err(Failure::new(status.unwrap_or(400), &detail));
            }
            let Some(code) = code else {
                return Ok(Some(Value::Bool(false)));
            };
            let verifier = inner.take_sign_in_verifier().ok_or_else(|| {
                Failure::new(400, "This sign-in was not started in this browser tab")
            })?;
            let body = json!({ "code": code, "code_verifier": verifier });
            let response = inner
                .send(Method::POST, "/oauth/token", Some(&body), None)
                .await?
                .ok_or_else(|| Failure::new(0, "unexpected empty response"))?;
            inner.keep(&response)?;
            inner.emit(AuthStateEvent::SignedIn);
            Ok(Some(Value::Bool(true)))
        })
    }

    /// `DELETE /identities/{id}`: unlinks a provider identity (see `me().identities`).
    #[wasm_bindgen(js_name = unlinkIdentity, unchecked_return_type = "Promise<void>")]
    pub fn unlink_identity(&self, id: &str) -> Promise {
        let path = format!("/identities/{}", js_sys::encode_uri_component(id));
        let inner = Rc::clone(&self.inner);
        promise(async move { inner.authed(Method::DELETE, &path, None).await })
    }

    /// `POST /refresh` now (calls refresh automatically when needed).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn refresh(&self) -> Promise {
        let inner = Rc::clone(&self.inner);
        promise(async move { inner.refresh().await.map(|()| None) })
    }

    /// `POST /logout`: revokes the session on the server and forgets the tokens.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn logout(&self) -> Promise {
        let inner = Rc::clone(&self.inner);
        promise(async move {
            let was_signed_in = inner.is_logged_in();
            let result = Rc::clone(&inner)
                .authed(Method::POST, "/logout", None)
                .await;
            // `authed` may have found the session ended (and said so) on its way.
            let ended = !inner.is_logged_in();
            inner.set_tokens(None);
            if was_signed_in && !ended {
                inner.emit(AuthStateEvent::SignedOut);
            }
            match result {
                Err(failure) if failure.status == 401 => Ok(None),
                other => other.map(|_| None),
            }
        })
    }

    /// The access token, refreshed first when it expires within the refresh leeway (30 s by
    /// default), through the same refresh as every call (one at a time across the tabs that
    /// share the session); `undefined` when signed out or when the refresh was refused.
    /// Rejects with an `AuthApiError` when the refresh failed otherwise (e.g. status 0: the
    /// network).
    #[wasm_bindgen(js_name = getAccessToken, unchecked_return_type = "Promise<string | undefined>")]
    pub fn get_access_token(&self) -> Promise {
        let inner = Rc::clone(&self.inner);
        promise(async move {
            let token = inner.fresh_access_token().await?;
            Ok(token.map(Value::String))
        })
    }

    /// The global `fetch`, with `Authorization: Bearer <access token>` (from `getAccessToken`;
    /// none when signed out, replacing any the request had otherwise). On a 401 answer the
    /// tokens are refreshed and the request sent once more; if that refresh fails, the 401
    /// `Response` is what it resolves to. Rejects as `fetch` does (a `TypeError`), or with
    /// `getAccessToken`'s `AuthApiError` when a due refresh failed before anything was sent.
    /// The token goes to whatever URL `input` names: use it for the APIs that accept this
    /// service's tokens.
    #[wasm_bindgen(unchecked_return_type = "Promise<FetchResponse>")]
    pub fn fetch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "FetchInput")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "FetchInit")] init: JsValue,
    ) -> Promise {
        let inner = Rc::clone(&self.inner);
        future_to_promise(authed_fetch(inner, input, init))
    }

    /// Calls `callback` with each change of the session: `"signed_in"`, `"refreshed"`,
    /// `"signed_out"`, `"session_ended"` (the server refused the refresh token). Returns the
    /// function that unsubscribes it.
    #[wasm_bindgen(js_name = onAuthStateChange, unchecked_return_type = "() => void")]
    pub fn on_auth_state_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(event: AuthStateEvent) => void")] callback: JsValue,
    ) -> Result<JsValue, JsValue> {
        let callback: js_sys::Function = callback.dyn_into().map_err(|_| {
            JsValue::from(js_sys::TypeError::new(
                "onAuthStateChange: callback must be a function",
            ))
        })?;
        let id = self.inner.subscribe(callback);
        let inner = Rc::downgrade(&self.inner);
        let unsubscribe = Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = inner.upgrade() {
                inner.unsubscribe(id);
            }
        });
        Ok(unsubscribe.into_js_value())
    }

    /// `GET /me`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Me>")]
    pub fn me(&self) -> Promise {
        promise(Rc::clone(&self.inner).authed(Method::GET, "/me", None))
    }

    /// `GET /api-keys`: the caller's keys, never their secrets.
    #[wasm_bindgen(js_name = listApiKeys, unchecked_return_type = "Promise<ApiKeySummary[]>")]
    pub fn list_api_keys(&self) -> Promise {
        let inner = Rc::clone(&self.inner);
        promise(async move {
            let list = inner.authed(Method::GET, "/api-keys", None).await?;
            Ok(list.and_then(|mut list| list.get_mut("keys").map(Value::take)))
        })
    }

    /// `POST /api-keys`: the response holds the whole key, shown once.
    #[wasm_bindgen(js_name = createApiKey, unchecked_return_type = "Promise<ApiKeyCreated>")]
    pub fn create_api_key(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateApiKeyInput")] input: JsValue,
    ) -> Promise {
        let inner = Rc::clone(&self.inner);
        let input: Result<CreateApiKeyInput, _> = read_input(
            input,
            "createApiKey: input must be { name, scopes?, expiresInDays? }",
        );
        promise(async move {
            let input = input?;
            let body = json!({
                "name": input.name,
                "scopes": input.scopes,
                "expires_in_days": input.expires_in_days,
            });
            inner.authed(Method::POST, "/api-keys", Some(body)).await
        })
    }

    /// `DELETE /api-keys/{id}`.
    #[wasm_bindgen(js_name = revokeApiKey, unchecked_return_type = "Promise<void>")]
    pub fn revoke_api_key(&self, id: &str) -> Promise {
        let path = format!("/api-keys/{}", js_sys::encode_uri_component(id));
        let inner = Rc::clone(&self.inner);
        promise(async move { inner.authed(Method::DELETE, &path, None).await })
    }

    /// `GET /private-key`.
    #[wasm_bindgen(js_name = privateKeyStatus, unchecked_return_type = "Promise<PrivateKeyStatus>")]
    pub fn private_key_status(&self) -> Promise {
        promise(Rc::clone(&self.inner).authed(Method::GET, "/private-key", None))
    }

    /// `PUT /private-key` with a PEM string or a JWK.
    #[wasm_bindgen(js_name = setPrivateKey, unchecked_return_type = "Promise<PrivateKeyStatus>")]
    pub fn set_private_key(
        &self,
        #[wasm_bindgen(js_name = privateKey, unchecked_param_type = "PrivateKeyInput")] private_key: JsValue,
    ) -> Promise {
        let inner = Rc::clone(&self.inner);
        let key: Result<Value, JsValue> = from_js(private_key, "privateKey");
        promise(async move {
            let key =
                key.map_err(|_| Failure::new(0, "setPrivateKey: a PEM string or a JWK object"))?;
            let body = json!({ "private_key": key });
            inner.authed(Method::PUT, "/private-key", Some(body)).await
        })
    }

    /// `DELETE /private-key`.
    #[wasm_bindgen(js_name = deletePrivateKey, unchecked_return_type = "Promise<void>")]
    pub fn delete_private_key(&self) -> Promise {
        promise(Rc::clone(&self.inner).authed(Method::DELETE, "/private-key", None))
    }
}

/// `location.origin` of the page or worker, if there is one.
fn web_origin() -> Option<String> {
    let location = Reflect::get(&js_sys::global(), &JsValue::from_str("location")).ok()?;
    Reflect::get(&location, &JsValue::from_str("origin"))
        .ok()?
        .as_string()
}
