//! An `AuthClient`'s session: its tokens, the one refresh that concurrent calls share,
//! authenticated calls that refresh when needed, and the verifier of a provider sign-in.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::future::{FutureExt as _, LocalBoxFuture, Shared};
use gloo_net::http::{Method, RequestBuilder};
use gloo_storage::{SessionStorage, Storage as _};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

use crate::adapters::wasm::{error, now_secs, to_js};
use crate::api::responses::TokenResponse;
use crate::http::BASE_PATH;

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
}

/// Where a provider sign-in's verifier waits across the redirect (per tab).
const VERIFIER_KEY: &str = "edge-auth.sign-in-verifier";

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
        }
    }

    /// The current access token, if logged in.
    pub(super) fn access_token(&self) -> Option<String> {
        self.tokens
            .borrow()
            .as_ref()
            .map(|t| t.access_token.clone())
    }

    /// Whether the session holds tokens.
    pub(super) fn is_logged_in(&self) -> bool {
        self.tokens.borrow().is_some()
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

    /// Refreshes the tokens; concurrent callers share one request.
    pub(super) async fn refresh(self: Rc<Self>) -> Result<(), Failure> {
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
    pub(super) async fn authed(
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
