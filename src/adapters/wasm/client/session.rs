//! An `AuthClient`'s session: its tokens, the one refresh that concurrent calls share,
//! authenticated calls that refresh when needed, and the verifier of a provider sign-in.
//!
//! With `storage: "local"` the tabs of an origin share one session, and the server rotates
//! the refresh token on each refresh (a reused one ends the session: reuse detection). So
//! such tokens are read from storage before each use (another tab may have rotated them), and
//! a refresh runs under the Web Lock `edge-auth:refresh`: the tab that waited for it reads
//! storage again and uses the tokens the other tab just got instead of spending a stale one.
//! Chromium copies a localStorage write to other tabs asynchronously, so that read may lag
//! behind the lock: the tab that refreshed also holds a lock named after the token it spent
//! for a few seconds, and a tab that finds its token marked so waits for the new tokens.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures_util::future::{FutureExt as _, LocalBoxFuture, Shared};
use gloo_net::http::{Method, RequestBuilder};
use gloo_storage::{SessionStorage, Storage as _};
use js_sys::{Function, Reflect};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

use crate::adapters::wasm::{api_error, now_secs, to_js};
use crate::api::responses::TokenResponse;
use crate::http::BASE_PATH;

use super::locks::{mark_spent, sleep, spent_elsewhere, with_web_lock};
use super::storage::{TokenStorage, Tokens};

/// A failed API call, kept as data so that one refresh can be awaited by many callers.
#[derive(Debug, Clone)]
pub(super) struct Failure {
    pub(super) status: u16,
    detail: Value,
}

impl Failure {
    pub(super) fn new(status: u16, detail: &str) -> Self {
        Self {
            status,
            detail: Value::String(detail.to_owned()),
        }
    }

    pub(super) fn into_js(self) -> JsValue {
        let message = match &self.detail {
            Value::String(s) => s.clone(),
            Value::Array(issues) => issues
                .iter()
                .map(|issue| issue["msg"].as_str().unwrap_or("invalid").to_owned())
                .collect::<Vec<_>>()
                .join("; "),
            _ => format!("HTTP {}", self.status),
        };
        api_error(&message, self.status, to_js(&self.detail))
    }
}

type Refresh = Shared<LocalBoxFuture<'static, Result<(), Failure>>>;

/// What an `AuthClient` and its pending calls share.
pub(super) struct Inner {
    pub(super) base_url: String,
    storage: TokenStorage,
    leeway_secs: i64,
    tokens: RefCell<Option<Tokens>>,
    refreshing: RefCell<Option<Refresh>>,
    /// The verifier of the provider sign-in this client started, if any.
    sign_in_verifier: RefCell<Option<String>>,
    /// The `onAuthStateChange` callbacks, by subscription number.
    listeners: RefCell<Vec<(u32, Function)>>,
    next_listener: Cell<u32>,
}

/// What an `onAuthStateChange` callback is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, tsify_next::Tsify)]
#[serde(rename_all = "snake_case")]
pub(super) enum AuthStateEvent {
    /// `login` or `completeProviderSignIn` kept new tokens.
    SignedIn,
    /// The tokens were refreshed (by this client, or by another tab sharing its storage).
    Refreshed,
    /// `logout` forgot the tokens.
    SignedOut,
    /// The server refused the refresh token (401 from /refresh): the session is over.
    SessionEnded,
}

impl AuthStateEvent {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::SignedIn => "signed_in",
            Self::Refreshed => "refreshed",
            Self::SignedOut => "signed_out",
            Self::SessionEnded => "session_ended",
        }
    }
}

/// Where a provider sign-in's verifier waits across the redirect (per tab).
const VERIFIER_KEY: &str = "edge-auth.sign-in-verifier";

/// The Web Lock that serializes refreshes of a shared session across the tabs of an origin.
const REFRESH_LOCK: &str = "edge-auth:refresh";

/// How long a tab that refreshed holds the Web Lock that says which refresh token it spent
/// (`edge-auth:spent:` and a hash of it), and how long another tab waits for the new tokens
/// to show in its localStorage.
pub(super) const SPENT_WAIT_MS: i32 = 3_000;

impl Inner {
    /// A session with the tokens `storage` kept from an earlier page, if any.
    pub(super) fn new(base_url: String, storage: TokenStorage, leeway_secs: i64) -> Self {
        Self {
            base_url,
            storage,
            leeway_secs,
            tokens: RefCell::new(storage.load()),
            refreshing: RefCell::new(None),
            sign_in_verifier: RefCell::new(None),
            listeners: RefCell::new(Vec::new()),
            next_listener: Cell::new(0),
        }
    }

    /// Adds an `onAuthStateChange` callback; returns its number for `unsubscribe`.
    pub(super) fn subscribe(&self, callback: Function) -> u32 {
        let id = self.next_listener.get();
        self.next_listener.set(id.wrapping_add(1));
        self.listeners.borrow_mut().push((id, callback));
        id
    }

    /// Removes callback `id`; removing it again does nothing.
    pub(super) fn unsubscribe(&self, id: u32) {
        self.listeners
            .borrow_mut()
            .retain(|(other, _)| *other != id);
    }

    /// Tells every callback subscribed now, in the order they subscribed. A callback that
    /// throws does not stop the others or the call that changed the state: its exception goes
    /// to `reportError` where there is one (the page's error handlers and console see it).
    pub(super) fn emit(&self, event: AuthStateEvent) {
        let listeners: Vec<Function> = self
            .listeners
            .borrow()
            .iter()
            .map(|(_, f)| f.clone())
            .collect();
        let name = JsValue::from_str(event.as_str());
        for listener in listeners {
            if let Err(thrown) = listener.call1(&JsValue::UNDEFINED, &name) {
                let report = Reflect::get(&js_sys::global(), &"reportError".into())
                    .ok()
                    .and_then(|f| f.dyn_into::<Function>().ok());
                if let Some(report) = report {
                    drop(report.call1(&JsValue::UNDEFINED, &thrown));
                }
            }
        }
    }

    /// Whether `tokens` are expired or expire within the leeway. The expiry is the token's
    /// lifetime (`expires_in`, its `exp` minus `iat`) counted on this machine's clock from
    /// when it was received, so a clock that is off does not make every call refresh.
    fn due(&self, tokens: &Tokens) -> bool {
        tokens.expires_at - now_secs() <= self.leeway_secs
    }

    /// The access token, refreshed first when it is due (the refresh every call shares, under
    /// the Web Lock for a shared session); `None` when signed out, or when the refresh was
    /// refused (the session ended).
    pub(super) async fn fresh_access_token(self: Rc<Self>) -> Result<Option<String>, Failure> {
        let Some(tokens) = self.tokens() else {
            return Ok(None);
        };
        if !self.due(&tokens) {
            return Ok(Some(tokens.access_token));
        }
        match Rc::clone(&self).refresh().await {
            Ok(()) => Ok(self.access_token()),
            Err(failure) if failure.status == 401 => Ok(None),
            Err(failure) => Err(failure),
        }
    }

    /// The tokens to use now. Shared storage is read again first: another tab may have
    /// rotated the tokens (a refresh) or removed them (a logout).
    pub(super) fn tokens(&self) -> Option<Tokens> {
        if self.storage.is_shared() {
            *self.tokens.borrow_mut() = self.storage.load();
        }
        self.tokens.borrow().clone()
    }

    /// The current access token, if logged in.
    pub(super) fn access_token(&self) -> Option<String> {
        self.tokens().map(|t| t.access_token)
    }

    /// Whether the session holds tokens.
    pub(super) fn is_logged_in(&self) -> bool {
        self.tokens().is_some()
    }

    /// A fresh verifier for a provider sign-in, kept in memory and in sessionStorage (which
    /// survives the redirect); returns its S256 challenge.
    pub(super) fn new_sign_in_verifier(&self) -> Result<String, JsValue> {
        let verifier = crate::util::base62::random(&crate::ports::OsRandom, 64)
            .map_err(|err| JsValue::from(js_sys::Error::new(&err.0)))?;
        // Storage can be missing (Node) or disabled; memory still works within this page.
        drop(SessionStorage::set(VERIFIER_KEY, &verifier));
        let challenge = crate::credentials::oidc::pkce_challenge(&verifier);
        *self.sign_in_verifier.borrow_mut() = Some(verifier);
        Ok(challenge)
    }

    /// The verifier of the sign-in this tab started, used once.
    pub(super) fn take_sign_in_verifier(&self) -> Option<String> {
        let stored: Option<String> = SessionStorage::get(VERIFIER_KEY).ok();
        SessionStorage::delete(VERIFIER_KEY);
        self.sign_in_verifier.borrow_mut().take().or(stored)
    }

    pub(super) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        bearer: Option<&str>,
    ) -> Result<Option<Value>, Failure> {
        // The browser says no more than "Failed to fetch", whatever the cause: name the two
        // usual ones, the second being an API on another origin that does not list this one.
        let network = |err: gloo_net::Error| {
            let hint = "no response from the API: unreachable, or on another origin whose \
                        CORS_ALLOWED_ORIGINS does not list this page's origin";
            Failure::new(0, &format!("network error ({hint}): {err}"))
        };
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

    pub(super) fn set_tokens(&self, tokens: Option<Tokens>) {
        self.storage.save(tokens.as_ref());
        *self.tokens.borrow_mut() = tokens;
    }

    pub(super) fn keep(&self, response: &Value) -> Result<(), Failure> {
        let response: TokenResponse = serde_json::from_value(response.clone())
            .map_err(|_| Failure::new(0, "unexpected token response"))?;
        self.set_tokens(Some(Tokens {
            access_token: response.access_token,
            refresh_token: response.refresh_token,
            expires_at: now_secs().saturating_add(response.expires_in),
        }));
        Ok(())
    }

    /// Refreshes the tokens; concurrent callers share one request. A shared session is
    /// refreshed under the Web Lock, and not at all when another tab refreshed it meanwhile.
    pub(super) async fn refresh(self: Rc<Self>) -> Result<(), Failure> {
        let pending = self.refreshing.borrow().clone();
        if let Some(pending) = pending {
            return pending.await;
        }
        let refresh_token = self
            .tokens()
            .map(|t| t.refresh_token)
            .ok_or_else(|| Failure::new(401, "Not logged in"))?;
        let this = Rc::clone(&self);
        let shared = async move {
            let result = if this.storage.is_shared() {
                let task = Rc::clone(&this).refresh_with(refresh_token).boxed_local();
                with_web_lock(REFRESH_LOCK, task).await
            } else {
                Rc::clone(&this).refresh_with(refresh_token).await
            };
            *this.refreshing.borrow_mut() = None;
            if result.is_ok() {
                this.emit(AuthStateEvent::Refreshed);
            }
            result
        }
        .boxed_local()
        .shared();
        *self.refreshing.borrow_mut() = Some(shared.clone());
        shared.await
    }

    /// Trades `refresh_token` for new tokens, unless another tab already did (its tokens are
    /// used) or signed out.
    async fn refresh_with(self: Rc<Self>, refresh_token: String) -> Result<(), Failure> {
        if self.storage.is_shared() {
            if spent_elsewhere(&refresh_token).await {
                return self.rotated_elsewhere(&refresh_token).await;
            }
            match self.tokens() {
                None => return Err(Failure::new(401, "Not logged in")),
                Some(stored) if stored.refresh_token != refresh_token => return Ok(()),
                Some(_) => {}
            }
        }
        let body = json!({ "refresh_token": refresh_token });
        match self.send(Method::POST, "/refresh", Some(&body), None).await {
            Ok(Some(response)) => {
                self.keep(&response)?;
                if self.storage.is_shared() {
                    mark_spent(&refresh_token).await;
                }
                Ok(())
            }
            Ok(None) => Err(Failure::new(0, "unexpected empty response")),
            Err(failure) => {
                if failure.status == 401 {
                    self.set_tokens(None);
                    self.emit(AuthStateEvent::SessionEnded);
                }
                Err(failure)
            }
        }
    }

    /// Waits until this tab's localStorage shows the tokens another tab got for `spent` (the
    /// browser copies a write to other tabs' storage asynchronously, so it may lag behind
    /// the lock that tab released).
    async fn rotated_elsewhere(&self, spent: &str) -> Result<(), Failure> {
        for _ in 0..(SPENT_WAIT_MS / 20) {
            match self.tokens() {
                None => return Err(Failure::new(401, "Not logged in")),
                Some(stored) if stored.refresh_token != spent => return Ok(()),
                Some(_) => sleep(20).await,
            }
        }
        Err(Failure::new(
            0,
            "another tab refreshed the session; its tokens did not reach this tab",
        ))
    }

    /// An authenticated call: refreshes first when the access token is about to expire, and
    /// once more on a 401 (the token may have been revoked or the clock may be off).
    pub(super) async fn authed(
        self: Rc<Self>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Option<Value>, Failure> {
        let tokens = self
            .tokens()
            .ok_or_else(|| Failure::new(401, "Not logged in"))?;
        let mut refreshed = false;
        if self.due(&tokens) {
            Rc::clone(&self).refresh().await?;
            refreshed = true;
        }
        loop {
            let token = self
                .access_token()
                .ok_or_else(|| Failure::new(401, "Not logged in"))?;
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
