//! The REST API: routing and handlers, as one function from [`Request`] to [`Response`].

pub(crate) mod cors;
pub mod handlers;
pub mod openapi;
pub mod requests;
pub mod responses;
mod routes;
pub mod validate;

use std::rc::Rc;

use crate::config::Config;
use crate::credentials::jwt::{self};
use crate::credentials::memo::Memo;
use crate::credentials::oidc::{NoProvider, Oidc, Provider};
use crate::credentials::Authenticator;
use crate::error::AuthError;
use crate::http::{Request, Response};
use crate::ports::{Atomic, Clock, EdgeOnly, Random, Store};
use crate::store::Records;
use routes::Route;

/// The auth service: configuration plus the ports.
#[derive(Debug)]
pub struct App<S, C, R, P = NoProvider, A = EdgeOnly> {
    /// Where records live.
    pub store: S,
    /// What time it is.
    pub clock: C,
    /// Where randomness comes from.
    pub rng: R,
    /// The identity provider (HTTP and RS256/ES256 checks).
    pub provider: P,
    /// The operations that must be atomic (email claims), beyond what the store can promise.
    pub atomic: A,
    /// What the isolate remembers across requests (provider documents, key use).
    pub memo: Rc<Memo>,
    /// The deployment's settings and secrets.
    pub config: Config,
}

impl<S: Store, C: Clock, R: Random, P: Provider, A: Atomic> App<S, C, R, P, A> {
    /// Serves one request. Never panics on client input; every error becomes a response.
    pub async fn handle(&self, req: Request) -> Response {
        let route = Route::parse(&req.path);
        let allowed = &self.config.cors_allowed_origins;
        let mut response = match &route {
            // A preflight's answer carries its own CORS headers.
            Some(route) if req.method == "OPTIONS" => cors::preflight(&req, route, allowed),
            Some(route) => {
                let response = self.route(route.clone(), &req).await;
                let response = response.unwrap_or_else(AuthError::into_response);
                cors::decorate(response, &req, Some(route), allowed)
            }
            None => AuthError::NotFound("Not Found").into_response(),
        };
        if req.method == "HEAD" {
            // What GET would answer, headers only.
            response.body.clear();
        }
        response.secure(req.origin.starts_with("https:"))
    }

    async fn route(&self, route: Route, req: &Request) -> Result<Response, AuthError> {
        // HEAD is GET without the body, wherever GET is served.
        let method = match req.method.as_str() {
            "HEAD" => "GET",
            method => method,
        };
        if !route.methods().contains(&method) {
            return Err(AuthError::MethodNotAllowed(route.methods()));
        }
        match (route, method) {
            (Route::Register, _) => self.register(req).await,
            (Route::Login, _) => self.login(req).await,
            (Route::Refresh, _) => self.refresh(req).await,
            (Route::OauthAuthorize, _) => self.oauth_authorize(req).await,
            (Route::OauthCallback, _) => self.oauth_callback(req).await,
            (Route::OauthToken, _) => self.oauth_token(req).await,
            (Route::OpenApi, _) => {
                let server = if req.origin.is_empty() {
                    &self.config.issuer
                } else {
                    &req.origin
                };
                Ok(Response::json(200, &crate::api::openapi::document(server)))
            }
            // The API reference is a static page beside the demo (Swagger UI, `www/docs/`).
            (Route::Docs, _) => Ok(Response::empty(302).with_header("location", "/docs/")),
            (Route::Jwks, _) => Ok(Response::json(
                200,
                &jwt::jwks(self.config.verification_keys(self.clock.now().timestamp())),
            )
            .with_header("cache-control", "public, max-age=300")),
            (route, method) => {
                let principal = self.authenticator().authenticate(req).await?;
                match (route, method) {
                    (Route::Logout, _) => self.logout(&principal).await,
                    (Route::Me, _) => self.me(&principal).await,
                    (Route::ApiKeys, "GET") => self.list_api_keys(&principal).await,
                    (Route::ApiKeys, _) => self.create_api_key(&principal, req).await,
                    (Route::ApiKey(id), _) => self.revoke_api_key(&principal, &id).await,
                    (Route::OauthLink, _) => self.oauth_link(&principal, req).await,
                    (Route::Identity(id), _) => self.unlink_identity(&principal, &id).await,
                    (Route::PrivateKey, "GET") => self.private_key_status(&principal).await,
                    (Route::PrivateKey, "PUT") => self.put_private_key(&principal, req).await,
                    (Route::PrivateKey, _) => self.delete_private_key(&principal).await,
                    _ => Err(AuthError::NotFound("Not Found")),
                }
            }
        }
    }

    /// A place among the requests of this isolate allowed to hash a password now (503 with
    /// `Retry-After` when there is none).
    fn hash_permit(&self) -> Result<crate::credentials::memo::HashPermit<'_>, AuthError> {
        self.memo.hash_permit().ok_or(AuthError::Busy {
            retry_after_secs: 1,
        })
    }

    pub(crate) fn records(&self) -> Records<'_, S> {
        Records::new(&self.store)
    }

    /// What authenticating a request reads, borrowed from the service.
    pub fn authenticator(&self) -> Authenticator<'_, S, C, P, A> {
        Authenticator {
            store: &self.store,
            clock: &self.clock,
            provider: &self.provider,
            atomic: &self.atomic,
            memo: &self.memo,
            settings: self.config.credentials(),
        }
    }

    /// The provider-facing half of the service.
    pub(crate) fn oidc(&self) -> Result<Oidc<'_, S, C, P>, AuthError> {
        self.authenticator().oidc()
    }
}
