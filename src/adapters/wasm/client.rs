//! `AuthClient`: the typed client of the auth API, holding the session's tokens (memory,
//! sessionStorage or localStorage), refreshing them, and finishing provider sign-ins.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use futures_util::future::{FutureExt as _, LocalBoxFuture, Shared};
use gloo_net::http::{Method, RequestBuilder};
use gloo_storage::{LocalStorage, SessionStorage, Storage as _};
use js_sys::{Promise, Reflect};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tsify_next::Tsify;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::api::responses::TokenResponse;
use crate::http::BASE_PATH;

use super::{error, from_js, now_secs, to_js};

/// A failed API call, kept as data so that one refresh can be awaited by many callers.
#[derive(Debug, Clone)]
struct Failure {
    status: u16,
    detail: Value,
}

impl Failure {
    fn new(status: u16, detail: &str) -> Self {
        Self {
            status,
            detail: Value::String(detail.to_owned()),
        }
    }

    fn into_js(self) -> JsValue {
        let message = match &self.detail {
            Value::String(s) => s.clone(),
            Value::Array(issues) => issues
                .iter()
                .map(|issue| issue["msg"].as_str().unwrap_or("invalid").to_owned())
                .collect::<Vec<_>>()
                .join("; "),
            _ => format!("HTTP {}", self.status),
        };
        error(
            "AuthApiError",
            &message,
            &[
                ("status", JsValue::from(self.status)),
                ("detail", to_js(&self.detail)),
            ],
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Tokens {
    access_token: String,
    refresh_token: String,
    /// Unix seconds.
    expires_at: i64,
}

const STORAGE_KEY: &str = "edge-auth.tokens";

#[derive(Debug, Clone, Copy)]
enum TokenStorage {
    Memory,
    Session,
    Local,
}

impl TokenStorage {
    fn load(self) -> Option<Tokens> {
        match self {
            Self::Memory => None,
            Self::Session => SessionStorage::get(STORAGE_KEY).ok(),
            Self::Local => LocalStorage::get(STORAGE_KEY).ok(),
        }
    }

    fn save(self, tokens: Option<&Tokens>) {
        // Storage can be full or disabled; the tokens still live in memory.
        match (self, tokens) {
            (Self::Memory, _) => {}
            (Self::Session, Some(t)) => drop(SessionStorage::set(STORAGE_KEY, t)),
            (Self::Local, Some(t)) => drop(LocalStorage::set(STORAGE_KEY, t)),
            (Self::Session, None) => SessionStorage::delete(STORAGE_KEY),
            (Self::Local, None) => LocalStorage::delete(STORAGE_KEY),
        }
    }
}

type Refresh = Shared<LocalBoxFuture<'static, Result<(), Failure>>>;

struct Inner {
    base_url: String,
    storage: TokenStorage,
    leeway_secs: i64,
    tokens: RefCell<Option<Tokens>>,
    refreshing: RefCell<Option<Refresh>>,
    /// The verifier of the provider sign-in this client started, if any.
    sign_in_verifier: RefCell<Option<String>>,
}

/// Where a provider sign-in's verifier waits across the redirect (per tab).
const VERIFIER_KEY: &str = "edge-auth.sign-in-verifier";

fn sign_in_query(redirect_uri: &str, challenge: &str) -> String {
    crate::credentials::oidc::encode_pairs(&[
        ("redirect_uri", redirect_uri),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ])
}

impl Inner {
    /// A fresh verifier for a provider sign-in, kept in memory and in sessionStorage (which
    /// survives the redirect); returns its S256 challenge.
    fn new_sign_in_verifier(&self) -> Result<String, JsValue> {
        let verifier = crate::util::base62::random(&crate::ports::OsRandom, 64)
            .map_err(|err| JsValue::from(js_sys::Error::new(&err.0)))?;
        // Storage can be missing (Node) or disabled; memory still works within this page.
        drop(SessionStorage::set(VERIFIER_KEY, &verifier));
        let challenge = crate::credentials::oidc::pkce_challenge(&verifier);
        *self.sign_in_verifier.borrow_mut() = Some(verifier);
        Ok(challenge)
    }

    /// The verifier of the sign-in this tab started, used once.
    fn take_sign_in_verifier(&self) -> Option<String> {
        let stored: Option<String> = SessionStorage::get(VERIFIER_KEY).ok();
        SessionStorage::delete(VERIFIER_KEY);
        self.sign_in_verifier.borrow_mut().take().or(stored)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        bearer: Option<&str>,
    ) -> Result<Option<Value>, Failure> {
        let network = |err: gloo_net::Error| Failure::new(0, &format!("network error: {err}"));
        let mut builder =
            RequestBuilder::new(&format!("{}{BASE_PATH}{path}", self.base_url)).method(method);
        if let Some(token) = bearer {
            builder = builder.header("Authorization", &format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => builder.json(body),
            None => builder.build(),
        }
        .map_err(network)?;
        let response = request.send().await.map_err(network)?;
        let status = response.status();
        let text = response.text().await.map_err(network)?;
        let json: Option<Value> = serde_json::from_str(&text).ok();
        if (200..300).contains(&status) {
            return Ok(json);
        }
        let detail = json
            .and_then(|body| body.get("detail").cloned())
            .unwrap_or_else(|| Value::String(format!("HTTP {status}")));
        Err(Failure { status, detail })
    }

    fn set_tokens(&self, tokens: Option<Tokens>) {
        self.storage.save(tokens.as_ref());
        *self.tokens.borrow_mut() = tokens;
    }

    fn keep(&self, response: &Value) -> Result<(), Failure> {
        let response: TokenResponse = serde_json::from_value(response.clone())
            .map_err(|_| Failure::new(0, "unexpected token response"))?;
        self.set_tokens(Some(Tokens {
            access_token: response.access_token,
            refresh_token: response.refresh_token,
            expires_at: now_secs().saturating_add(response.expires_in),
        }));
        Ok(())
    }

    /// Refreshes the tokens; concurrent callers share one request.
    async fn refresh(self: Rc<Self>) -> Result<(), Failure> {
        let pending = self.refreshing.borrow().clone();
        if let Some(pending) = pending {
            return pending.await;
        }
        let refresh_token = self
            .tokens
            .borrow()
            .as_ref()
            .map(|t| t.refresh_token.clone())
            .ok_or_else(|| Failure::new(401, "Not logged in"))?;
        let this = Rc::clone(&self);
        let shared = async move {
            let body = json!({ "refresh_token": refresh_token });
            let result = match this.send(Method::POST, "/refresh", Some(&body), None).await {
                Ok(Some(response)) => this.keep(&response),
                Ok(None) => Err(Failure::new(0, "unexpected empty response")),
                Err(failure) => {
                    if failure.status == 401 {
                        this.set_tokens(None);
                    }
                    Err(failure)
                }
            };
            *this.refreshing.borrow_mut() = None;
            result
        }
        .boxed_local()
        .shared();
        *self.refreshing.borrow_mut() = Some(shared.clone());
        shared.await
    }

    /// An authenticated call: refreshes first when the access token is about to expire, and
    /// once more on a 401 (the token may have been revoked or the clock may be off).
    async fn authed(
        self: Rc<Self>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Option<Value>, Failure> {
        let expires_at = self
            .tokens
            .borrow()
            .as_ref()
            .map(|t| t.expires_at)
            .ok_or_else(|| Failure::new(401, "Not logged in"))?;
        let mut refreshed = false;
        if expires_at - now_secs() <= self.leeway_secs {
            Rc::clone(&self).refresh().await?;
            refreshed = true;
        }
        loop {
            let token = self
                .tokens
                .borrow()
                .as_ref()
                .map(|t| t.access_token.clone());
            let token = token.ok_or_else(|| Failure::new(401, "Not logged in"))?;
            match self
                .send(method.clone(), path, body.as_ref(), Some(&token))
                .await
            {
                Err(failure) if failure.status == 401 && !refreshed => {
                    Rc::clone(&self).refresh().await?;
                    refreshed = true;
                }
                result => return result,
            }
        }
    }
}

/// How an `AuthClient` is set up.
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
struct AuthClientOptions {
    /// The API's origin, e.g. "https://auth.example.com". Default: the page's origin.
    #[tsify(optional)]
    base_url: Option<String>,
    /// Where tokens live: only in this object (default), or sessionStorage / localStorage.
    #[tsify(optional, type = "\"memory\" | \"session\" | \"local\"")]
    storage: Option<String>,
    /// Refresh the access token this many seconds before it expires (default 30).
    #[tsify(optional)]
    refresh_leeway_secs: Option<i64>,
}

/// What `createApiKey` takes.
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
struct CreateApiKeyInput {
    /// 1 to 100 characters.
    #[tsify(type = "string")]
    name: Option<String>,
    /// The key's scopes; none means the key may do nothing that needs a scope.
    #[tsify(optional)]
    scopes: Option<Vec<String>>,
    /// Lifetime in days (1 to 3650); default: no expiry.
    #[tsify(optional)]
    expires_in_days: Option<i64>,
}

/// Runs `call` as a JS promise of its JSON result (`undefined` for an empty response).
fn promise<F>(call: F) -> Promise
where
    F: Future<Output = Result<Option<Value>, Failure>> + 'static,
{
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
        let storage = match options.storage.as_deref() {
            None | Some("memory") => TokenStorage::Memory,
            Some("session") => TokenStorage::Session,
            Some("local") => TokenStorage::Local,
            Some(other) => {
                let msg = format!("options.storage: {other} is not memory, session or local");
                return Err(js_sys::TypeError::new(&msg).into());
            }
        };
        let base_url = match options.base_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => web_origin().ok_or_else(|| {
                JsValue::from(js_sys::TypeError::new(
                    "options.baseUrl is required outside a browser page",
                ))
            })?,
        };
        Ok(Self {
            inner: Rc::new(Inner {
                base_url,
                storage,
                leeway_secs: options.refresh_leeway_secs.unwrap_or(30),
                tokens: RefCell::new(storage.load()),
                refreshing: RefCell::new(None),
                sign_in_verifier: RefCell::new(None),
            }),
        })
    }

    /// The current access token, if logged in.
    #[wasm_bindgen(getter, js_name = accessToken)]
    pub fn access_token(&self) -> Option<String> {
        self.inner
            .tokens
            .borrow()
            .as_ref()
            .map(|t| t.access_token.clone())
    }

    /// Whether the client holds tokens.
    #[wasm_bindgen(getter, js_name = isLoggedIn)]
    pub fn is_logged_in(&self) -> bool {
        self.inner.tokens.borrow().is_some()
    }

    /// `POST /register`.
    #[wasm_bindgen(unchecked_return_type = "Promise<User>")]
    pub fn register(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RegisterInput")] input: JsValue,
    ) -> Promise {
        let inner = Rc::clone(&self.inner);
        let body: Result<Value, JsValue> = from_js(input, "input");
        promise(async move {
            let body = body.map_err(|_| Failure::new(0, "register: input must be an object"))?;
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
        let body: Result<Value, JsValue> = from_js(input, "input");
        promise(async move {
            let body = body.map_err(|_| Failure::new(0, "login: input must be an object"))?;
            let response = inner
                .send(Method::POST, "/login", Some(&body), None)
                .await?;
            if let Some(response) = &response {
                inner.keep(response)?;
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
            let result = Rc::clone(&inner)
                .authed(Method::POST, "/logout", None)
                .await;
            inner.set_tokens(None);
            match result {
                Err(failure) if failure.status == 401 => Ok(None),
                other => other.map(|_| None),
            }
        })
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
        let input: Result<CreateApiKeyInput, JsValue> = from_js(input, "input");
        promise(async move {
            let input = input.map_err(|_| {
                Failure::new(
                    0,
                    "createApiKey: input must be { name, scopes?, expiresInDays? }",
                )
            })?;
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
