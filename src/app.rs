//! The REST API: routing and handlers, as one function from [`Request`] to [`Response`].

use std::rc::Rc;

use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api_key;
use crate::auth::{self, Principal};
use crate::config::Config;
use crate::error::AuthError;
use crate::http::{Request, Response};
use crate::memo::Memo;
use crate::model::{
    ApiKeyCreated, ApiKeyList, ApiKeySummary, MeResponse, PrivateKeyStatus, TokenResponse,
    UserResponse,
};
use crate::oidc::{self, Expect, NoProvider, Oidc, OidcConfig, Outbound, Provider};
use crate::password;
use crate::ports::{Clock, Random, Store};
use crate::private_key;
use crate::requests::{
    CreateApiKeyRequest, LoginRequest, PutPrivateKeyRequest, RefreshRequest, RegisterRequest,
};
use crate::session::{self, Exchange};
use crate::storage::{
    self, ApiKeyIndexRecord, ApiKeyRecord, ApiKeyUseRecord, EmailRecord, PrivateKeyRecord, Records,
    RefreshRecord, SessionRecord, UserRecord,
};
use crate::throttle::{self, Throttle};
use crate::token::{self, AccessClaims};

/// The API's base path.
pub const BASE_PATH: &str = "/api/v1/auth";

const USER_ID_LEN: usize = 22;
const SESSION_ID_LEN: usize = 22;

/// The auth service: configuration plus the ports.
#[derive(Debug)]
pub struct App<S, C, R, P = NoProvider> {
    /// Where records live.
    pub store: S,
    /// What time it is.
    pub clock: C,
    /// Where randomness comes from.
    pub rng: R,
    /// The identity provider (HTTP and RS256/ES256 checks).
    pub provider: P,
    /// What the isolate remembers across requests (provider documents, key use).
    pub memo: Rc<Memo>,
    /// The deployment's settings and secrets.
    pub config: Config,
}

/// A sign-in in progress, between `/oauth/authorize` and `/oauth/callback`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct OauthState {
    nonce: String,
    verifier: String,
    redirect_uri: String,
    callback_url: String,
}

/// A provider identity linked to a local user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct IdentityRecord {
    pub(crate) user_id: String,
}

const STATE_LEN: usize = 32;

/// The cookie that binds a sign-in's state to the browser that started it: a callback whose
/// state the browser does not hold is refused (login CSRF: an attacker's callback URL opened
/// in the victim's browser).
const STATE_COOKIE: &str = "edge_auth_oauth_state";

fn state_cookie(req: &Request, value: &str, max_age: i64) -> String {
    let secure = if req.origin.starts_with("https:") {
        "; Secure"
    } else {
        ""
    };
    format!("{STATE_COOKIE}={value}; Path={BASE_PATH}/oauth; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// The API's routes, each with the methods it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Register,
    Login,
    Refresh,
    Logout,
    Me,
    ApiKeys,
    ApiKey(String),
    PrivateKey,
    Jwks,
    OauthAuthorize,
    OauthCallback,
    OpenApi,
    Docs,
}

impl Route {
    fn parse(path: &str) -> Option<Self> {
        if path == "/.well-known/jwks.json" {
            return Some(Self::Jwks);
        }
        let rest = path.strip_prefix(BASE_PATH)?;
        Some(match rest {
            "/register" => Self::Register,
            "/login" => Self::Login,
            "/refresh" => Self::Refresh,
            "/logout" => Self::Logout,
            "/me" => Self::Me,
            "/api-keys" => Self::ApiKeys,
            "/private-key" => Self::PrivateKey,
            "/.well-known/jwks.json" => Self::Jwks,
            "/oauth/authorize" => Self::OauthAuthorize,
            "/oauth/callback" => Self::OauthCallback,
            "/openapi.json" => Self::OpenApi,
            "/docs" => Self::Docs,
            _ => {
                let id = rest.strip_prefix("/api-keys/")?;
                if id.is_empty() || id.contains('/') {
                    return None;
                }
                Self::ApiKey(id.to_owned())
            }
        })
    }

    fn methods(&self) -> &'static [&'static str] {
        match self {
            Self::Register | Self::Login | Self::Refresh | Self::Logout => &["POST"],
            Self::Me
            | Self::Jwks
            | Self::OauthAuthorize
            | Self::OauthCallback
            | Self::OpenApi
            | Self::Docs => &["GET", "HEAD"],
            Self::ApiKeys => &["GET", "HEAD", "POST"],
            Self::ApiKey(_) => &["DELETE"],
            Self::PrivateKey => &["GET", "HEAD", "PUT", "DELETE"],
        }
    }
}

impl<S: Store, C: Clock, R: Random, P: Provider> App<S, C, R, P> {
    /// Serves one request. Never panics on client input; every error becomes a response.
    pub async fn handle(&self, req: Request) -> Response {
        let mut response = match self.route(&req).await {
            Ok(response) => response,
            Err(err) => err.into_response(),
        };
        if req.method == "HEAD" {
            // What GET would answer, headers only.
            response.body.clear();
        }
        response
    }

    async fn route(&self, req: &Request) -> Result<Response, AuthError> {
        let route = Route::parse(&req.path).ok_or(AuthError::NotFound("Not Found"))?;
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
            (Route::OpenApi, _) => {
                let server = if req.origin.is_empty() {
                    &self.config.issuer
                } else {
                    &req.origin
                };
                Ok(Response::json(200, &crate::openapi::document(server)))
            }
            (Route::Docs, _) => Ok(Response {
                status: 200,
                headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
                body: crate::openapi::DOCS_PAGE.as_bytes().to_vec(),
                log: None,
            }),
            (Route::Jwks, _) => Ok(Response::json(
                200,
                &token::jwks(self.config.verification_keys(self.clock.now().timestamp())),
            )
            .with_header("cache-control", "public, max-age=300")),
            (route, method) => {
                let principal = auth::authenticate(self, req).await?;
                match (route, method) {
                    (Route::Logout, _) => self.logout(&principal).await,
                    (Route::Me, _) => self.me(&principal).await,
                    (Route::ApiKeys, "GET") => self.list_api_keys(&principal).await,
                    (Route::ApiKeys, _) => self.create_api_key(&principal, req).await,
                    (Route::ApiKey(id), _) => self.revoke_api_key(&principal, &id).await,
                    (Route::PrivateKey, "GET") => self.private_key_status(&principal).await,
                    (Route::PrivateKey, "PUT") => self.put_private_key(&principal, req).await,
                    (Route::PrivateKey, _) => self.delete_private_key(&principal).await,
                    _ => Err(AuthError::NotFound("Not Found")),
                }
            }
        }
    }

    fn records(&self) -> Records<'_, S> {
        Records::new(&self.store)
    }

    async fn register(&self, req: &Request) -> Result<Response, AuthError> {
        let RegisterRequest {
            email,
            password,
            name,
        } = RegisterRequest::parse(req)?;

        let records = self.records();
        if let Some(ip) = throttle::client_ip(req) {
            // Every registration writes to the store without any credential: limit it per
            // address, successful or not.
            let limit = self.config.limits.register_per_ip;
            let now = self.clock.now();
            let per_ip = Throttle::check(&records, "register-ip", ip, limit, now).await?;
            per_ip.hit(&records, now).await;
        }
        let email_key = storage::email_key(&email);
        if records.get::<EmailRecord>(&email_key).await?.is_some() {
            return Err(AuthError::Conflict("A user with this email already exists"));
        }
        let password_hash = password::hash_password(self.config.password, &password, &self.rng)?;
        let user = self.create_user(email, name, password_hash).await?;
        Ok(Response::json(201, &UserResponse::from(&user)))
    }

    /// Stores a new user and the record that makes its email taken.
    async fn create_user(
        &self,
        email: String,
        name: Option<String>,
        password_hash: String,
    ) -> Result<UserRecord, AuthError> {
        let now = self.clock.now();
        let user = UserRecord {
            id: crate::base62::random(&self.rng, USER_ID_LEN)?,
            email,
            name,
            password_hash,
            created_at: now.timestamp(),
        };
        let records = self.records();
        // The user first: an email record never points at a missing user.
        records
            .put(&storage::user_key(&user.id), &user, None, now)
            .await?;
        let owner = EmailRecord {
            user_id: user.id.clone(),
        };
        records
            .put(&storage::email_key(&user.email), &owner, None, now)
            .await?;
        Ok(user)
    }

    async fn login(&self, req: &Request) -> Result<Response, AuthError> {
        let LoginRequest { email, password } = LoginRequest::parse(req)?;
        let records = self.records();
        let now = self.clock.now();
        let limits = &self.config.limits;
        let ip = throttle::client_ip(req);
        // Per (email, address): the owner elsewhere keeps logging in whatever an attacker does.
        let subject = format!("{email}\u{0}{}", ip.unwrap_or(""));
        let per_email =
            Throttle::check(&records, "login", &subject, limits.login_per_email_ip, now).await?;
        // Per address across emails: one password sprayed over many accounts.
        let per_ip = match ip {
            Some(ip) => {
                Some(Throttle::check(&records, "login-ip", ip, limits.login_per_ip, now).await?)
            }
            None => None,
        };
        let owner: Option<EmailRecord> = records.get(&storage::email_key(&email)).await?;
        let user: Option<UserRecord> = match owner {
            Some(owner) => records.get(&storage::user_key(&owner.user_id)).await?,
            None => None,
        };
        let verified = match &user {
            Some(user) if password::is_password_hash(&user.password_hash) => {
                password::verify_password(&user.password_hash, &password)
            }
            _ => {
                // No such user, or one without a password (provider sign-in only): spend what a
                // real check would, so that timing does not tell which emails exist or how
                // they sign in.
                password::hash_password(self.config.password, &password, &self.rng)?;
                false
            }
        };
        let (Some(mut user), true) = (user, verified) else {
            // Counted per email, known or not, so the throttle does not tell either.
            per_email.hit(&records, now).await;
            if let Some(per_ip) = &per_ip {
                per_ip.hit(&records, now).await;
            }
            return Err(AuthError::InvalidLogin);
        };
        per_email.clear(&records).await;
        if password::needs_rehash(&user.password_hash, self.config.password) {
            user.password_hash =
                password::hash_password(self.config.password, &password, &self.rng)?;
            records
                .put(&storage::user_key(&user.id), &user, None, now)
                .await?;
        }
        let tokens = self.start_session(&user.id).await?;
        Ok(Self::token_response(&tokens))
    }

    fn token_response(tokens: &TokenResponse) -> Response {
        Response::json(200, tokens).with_header("cache-control", "no-store")
    }

    /// Starts a session (a refresh-token family) for a user who has just proven who they are.
    async fn start_session(&self, user_id: &str) -> Result<TokenResponse, AuthError> {
        let now = self.clock.now();
        let session_id = crate::base62::random(&self.rng, SESSION_ID_LEN)?;
        let session = SessionRecord {
            user_id: user_id.to_owned(),
            revoked: false,
            created_at: now.timestamp(),
            expires_at: now.timestamp() + self.config.refresh_ttl_secs,
        };
        let key = storage::session_key(&session_id);
        self.records()
            .put(&key, &session, Some(session.expires_at), now)
            .await?;
        self.issue_tokens(&session_id, &session).await
    }

    /// A new access token and refresh token for a live session.
    async fn issue_tokens(
        &self,
        session_id: &str,
        session: &SessionRecord,
    ) -> Result<TokenResponse, AuthError> {
        let now = self.clock.now();
        let refresh = session::generate(&self.rng)?;
        let record = RefreshRecord {
            session_id: session_id.to_owned(),
            user_id: session.user_id.clone(),
            hash: api_key::hash_secret(&self.config.pepper, refresh.token.expose()),
            expires_at: session.expires_at,
            spent_at: None,
        };
        self.records()
            .put(
                &storage::refresh_key(&refresh.id),
                &record,
                Some(record.expires_at),
                now,
            )
            .await?;
        let claims = AccessClaims {
            iss: self.config.issuer.clone(),
            sub: session.user_id.clone(),
            aud: self.config.audience.clone(),
            sid: session_id.to_owned(),
            jti: crate::base62::random(&self.rng, 16)?,
        };
        let access_token = token::issue_access(
            &self.config.signing_key,
            claims,
            now,
            self.config.access_ttl_secs,
        );
        Ok(TokenResponse {
            access_token,
            refresh_token: refresh.token.expose().clone(),
            token_type: "bearer".into(),
            expires_in: self.config.access_ttl_secs,
        })
    }

    async fn refresh(&self, req: &Request) -> Result<Response, AuthError> {
        let presented = RefreshRequest::parse(req)?.refresh_token;

        let invalid = AuthError::InvalidToken("invalid refresh token");
        let token_id = session::parse(&presented).ok_or(invalid.clone())?;
        let records = self.records();
        let token_key = storage::refresh_key(token_id);
        let mut record: RefreshRecord = records.get(&token_key).await?.ok_or(invalid.clone())?;
        if !api_key::secret_matches(&self.config.pepper, &presented, &record.hash) {
            return Err(invalid);
        }
        let session_key = storage::session_key(&record.session_id);
        let mut session: SessionRecord = records.get(&session_key).await?.ok_or(invalid)?;
        let now = self.clock.now();
        if session.revoked {
            return Err(AuthError::InvalidToken("session has ended"));
        }
        match session::exchange(&record, now.timestamp(), self.config.refresh_grace_secs) {
            Exchange::Expired => Err(AuthError::InvalidToken("refresh token expired")),
            Exchange::Reuse => {
                session.revoked = true;
                records
                    .put(&session_key, &session, Some(session.expires_at), now)
                    .await?;
                Err(AuthError::InvalidToken(
                    "refresh token reused; session revoked",
                ))
            }
            Exchange::Rotate => {
                record.spent_at = Some(now.timestamp());
                records
                    .put(&token_key, &record, Some(record.expires_at), now)
                    .await?;
                let tokens = self.issue_tokens(&record.session_id, &session).await?;
                Ok(Self::token_response(&tokens))
            }
            Exchange::WithinGrace => {
                let tokens = self.issue_tokens(&record.session_id, &session).await?;
                Ok(Self::token_response(&tokens))
            }
        }
    }

    async fn logout(&self, principal: &Principal) -> Result<Response, AuthError> {
        if let Some(session_id) = &principal.session_id {
            let records = self.records();
            let key = storage::session_key(session_id);
            if let Some(mut session) = records.get::<SessionRecord>(&key).await? {
                session.revoked = true;
                let now = self.clock.now();
                records
                    .put(&key, &session, Some(session.expires_at), now)
                    .await?;
            }
        }
        Ok(Response::empty(204))
    }

    async fn user(&self, principal: &Principal) -> Result<UserRecord, AuthError> {
        self.records()
            .get(&storage::user_key(&principal.user_id))
            .await?
            .ok_or(AuthError::InvalidToken("user no longer exists"))
    }

    async fn me(&self, principal: &Principal) -> Result<Response, AuthError> {
        let user = self.user(principal).await?;
        Ok(Response::json(
            200,
            &MeResponse {
                user: UserResponse::from(&user),
                auth_scheme: principal.scheme,
            },
        ))
    }

    async fn list_api_keys(&self, principal: &Principal) -> Result<Response, AuthError> {
        principal.require_interactive()?;
        let records = self.records();
        let prefix = storage::user_api_keys_prefix(&principal.user_id);
        let ids = records.list(&prefix).await?;
        let lookups = ids.iter().map(|index_key| {
            let key_id = &index_key[prefix.len()..];
            let records = &records;
            async move {
                let (key, used) = (
                    storage::api_key_key(key_id),
                    storage::api_key_use_key(key_id),
                );
                let (key, used) = futures_util::future::join(
                    records.get::<ApiKeyRecord>(&key),
                    records.get::<ApiKeyUseRecord>(&used),
                )
                .await;
                Ok::<_, AuthError>((key?, used?))
            }
        });
        let mut keys = Vec::with_capacity(ids.len());
        for lookup in join_all(lookups).await {
            // A key revoked between the list and the read is simply not listed.
            if let (Some(mut record), used) = lookup? {
                if record.user_id == principal.user_id {
                    record.last_used_at = used.map(|u| u.at).or(record.last_used_at);
                    keys.push(record);
                }
            }
        }
        keys.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let keys = keys.iter().map(ApiKeySummary::from).collect();
        Ok(Response::json(200, &ApiKeyList { keys }))
    }

    async fn create_api_key(
        &self,
        principal: &Principal,
        req: &Request,
    ) -> Result<Response, AuthError> {
        principal.require_interactive()?;
        let CreateApiKeyRequest {
            name,
            scopes,
            expires_in_days: days,
        } = CreateApiKeyRequest::parse(req)?;

        let now = self.clock.now();
        let new = api_key::generate(&self.rng)?;
        let record = ApiKeyRecord {
            id: new.id.clone(),
            user_id: principal.user_id.clone(),
            name,
            hash: api_key::hash_secret(&self.config.pepper, new.key.expose()),
            last4: api_key::last4(new.key.expose()),
            scopes,
            created_at: now.timestamp(),
            expires_at: days.map(|d| now.timestamp() + d * 86_400),
            last_used_at: None,
        };
        let records = self.records();
        records
            .put(
                &storage::api_key_key(&record.id),
                &record,
                record.expires_at,
                now,
            )
            .await?;
        let index_key = format!(
            "{}{}",
            storage::user_api_keys_prefix(&record.user_id),
            record.id
        );
        let index = ApiKeyIndexRecord {
            key_id: record.id.clone(),
        };
        records
            .put(&index_key, &index, record.expires_at, now)
            .await?;
        let summary = ApiKeySummary::from(&record);
        let created = ApiKeyCreated {
            id: summary.id,
            name: summary.name,
            key: new.key.expose().clone(),
            prefix: summary.prefix,
            last4: summary.last4,
            scopes: summary.scopes,
            created_at: summary.created_at,
            expires_at: summary.expires_at,
        };
        Ok(Response::json(201, &created).with_header("cache-control", "no-store"))
    }

    async fn revoke_api_key(
        &self,
        principal: &Principal,
        key_id: &str,
    ) -> Result<Response, AuthError> {
        principal.require_interactive()?;
        let records = self.records();
        let not_found = AuthError::NotFound("API key not found");
        if key_id.len() != api_key::ID_LEN || !crate::base62::is_base62(key_id) {
            return Err(not_found);
        }
        let key = storage::api_key_key(key_id);
        let record: ApiKeyRecord = records.get(&key).await?.ok_or(not_found.clone())?;
        if record.user_id != principal.user_id {
            return Err(not_found);
        }
        // The key record first: once it is gone the key no longer authenticates.
        records.delete(&key).await?;
        let index_key = format!(
            "{}{}",
            storage::user_api_keys_prefix(&record.user_id),
            record.id
        );
        records.delete(&index_key).await?;
        records
            .delete(&storage::api_key_use_key(&record.id))
            .await?;
        Ok(Response::empty(204))
    }

    async fn private_key_record(
        &self,
        user_id: &str,
    ) -> Result<Option<PrivateKeyRecord>, AuthError> {
        self.records().get(&storage::private_key_key(user_id)).await
    }

    async fn private_key_status(&self, principal: &Principal) -> Result<Response, AuthError> {
        let record = self.private_key_record(&principal.user_id).await?;
        Ok(Response::json(
            200,
            &PrivateKeyStatus::from(record.as_ref()),
        ))
    }

    async fn put_private_key(
        &self,
        principal: &Principal,
        req: &Request,
    ) -> Result<Response, AuthError> {
        principal.require_interactive()?;
        let key = PutPrivateKeyRequest::parse(req)?.private_key;
        let now = self.clock.now();
        let previous = self.private_key_record(&principal.user_id).await?;
        let sealed = private_key::seal(
            &self.config.private_key_kek,
            &principal.user_id,
            &key,
            &self.rng,
        )?;
        let record = PrivateKeyRecord {
            sealed,
            created_at: previous.map_or(now.timestamp(), |p| p.created_at),
            updated_at: now.timestamp(),
        };
        self.records()
            .put(
                &storage::private_key_key(&principal.user_id),
                &record,
                None,
                now,
            )
            .await?;
        Ok(Response::json(200, &PrivateKeyStatus::from(Some(&record))))
    }

    async fn delete_private_key(&self, principal: &Principal) -> Result<Response, AuthError> {
        principal.require_interactive()?;
        self.records()
            .delete(&storage::private_key_key(&principal.user_id))
            .await?;
        Ok(Response::empty(204))
    }

    fn oidc_config(&self) -> Result<&OidcConfig, AuthError> {
        self.config.oidc.as_ref().ok_or(AuthError::NotFound(
            "Sign-in with an identity provider is not configured",
        ))
    }

    /// The provider-facing half of the service.
    pub(crate) fn oidc(&self) -> Result<Oidc<'_, S, C, P>, AuthError> {
        Ok(Oidc {
            config: self.oidc_config()?,
            store: &self.store,
            clock: &self.clock,
            provider: &self.provider,
            cache: &self.memo.provider,
        })
    }

    async fn oauth_authorize(&self, req: &Request) -> Result<Response, AuthError> {
        let config = self.oidc_config()?;
        let redirect_uri = match req.query_param("redirect_uri") {
            Some(uri) if config.redirect_uris.contains(&uri) => uri,
            Some(_) => return Err(AuthError::BadRequest("redirect_uri is not allowed".into())),
            None => config
                .redirect_uris
                .first()
                .cloned()
                .ok_or_else(|| AuthError::BadRequest("redirect_uri is required".into()))?,
        };
        let callback_url = match &config.callback_url {
            Some(url) => url.clone(),
            None if !req.origin.is_empty() => format!("{}{BASE_PATH}/oauth/callback", req.origin),
            None => {
                return Err(AuthError::Internal(
                    "OIDC_CALLBACK_URL is needed: request origin unknown".into(),
                ))
            }
        };
        let records = self.records();
        let now = self.clock.now();
        if let Some(ip) = throttle::client_ip(req) {
            // Each start writes a state record without any credential: limit it per address.
            let limit = self.config.limits.authorize_per_ip;
            let per_ip = Throttle::check(&records, "authorize-ip", ip, limit, now).await?;
            per_ip.hit(&records, now).await;
        }
        let metadata = self.oidc()?.metadata().await?;
        let state = crate::base62::random(&self.rng, STATE_LEN)?;
        let pending = OauthState {
            nonce: crate::base62::random(&self.rng, 32)?,
            verifier: crate::base62::random(&self.rng, 64)?,
            redirect_uri,
            callback_url,
        };
        let expires = now.timestamp() + oidc::STATE_TTL_SECS;
        records
            .put(&state_key(&state), &pending, Some(expires), now)
            .await?;
        let query = oidc::encode_pairs(&[
            ("response_type", "code"),
            ("client_id", &config.client_id),
            ("redirect_uri", &pending.callback_url),
            ("scope", &config.scopes),
            ("state", &state),
            ("nonce", &pending.nonce),
            ("code_challenge", &oidc::pkce_challenge(&pending.verifier)),
            ("code_challenge_method", "S256"),
        ]);
        let separator = if metadata.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        let location = format!("{}{separator}{query}", metadata.authorization_endpoint);
        Ok(Response::empty(302)
            .with_header("location", location)
            .with_header(
                "set-cookie",
                state_cookie(req, &state, oidc::STATE_TTL_SECS),
            )
            .with_header("cache-control", "no-store"))
    }

    /// The sign-in callback. A browser that lands on an error gets a small page with a way back
    /// to the app (same status), anything else the API's JSON error.
    async fn oauth_callback(&self, req: &Request) -> Result<Response, AuthError> {
        let mut back_to = None;
        let result = self.finish_sign_in(req, &mut back_to).await;
        let wants_html = req
            .header("accept")
            .is_some_and(|a| a.contains("text/html"));
        let result = match result {
            Err(err) if wants_html && err.status() < 500 => {
                Ok(sign_in_failed_page(err, back_to.as_deref()))
            }
            other => other,
        };
        // The state is spent either way: drop its cookie.
        result.map(|response| response.with_header("set-cookie", state_cookie(req, "", 0)))
    }

    async fn finish_sign_in(
        &self,
        req: &Request,
        back_to: &mut Option<String>,
    ) -> Result<Response, AuthError> {
        let config = self.oidc_config()?;
        let bad = |msg: &str| AuthError::BadRequest(msg.to_owned());
        let state = req.query_param("state").unwrap_or_default();
        if state.len() != STATE_LEN || !crate::base62::is_base62(&state) {
            return Err(bad("Unknown or expired sign-in state"));
        }
        let records = self.records();
        let key = state_key(&state);
        let pending: OauthState = records
            .get(&key)
            .await?
            .ok_or_else(|| bad("Unknown or expired sign-in state"))?;
        // Single use: a replayed callback finds nothing.
        records.delete(&key).await?;
        *back_to = Some(pending.redirect_uri.clone());
        if req.cookie(STATE_COOKIE) != Some(state.as_str()) {
            return Err(bad("This sign-in was not started in this browser"));
        }
        // RFC 9207: a response from another issuer is a mix-up attack.
        if req
            .query_param("iss")
            .is_some_and(|iss| iss.trim_end_matches('/') != config.issuer)
        {
            return Err(bad("The sign-in response came from another issuer"));
        }
        if let Some(error) = req.query_param("error") {
            let code: String = error
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(64)
                .collect();
            return Err(AuthError::BadRequest(format!(
                "The identity provider refused the sign-in: {code}"
            )));
        }
        let code = req
            .query_param("code")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| bad("Missing code"))?;

        let oidc = self.oidc()?;
        let metadata = oidc.metadata().await?;
        let body = oidc::encode_pairs(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &pending.callback_url),
            ("code_verifier", &pending.verifier),
        ]);
        let exchange = Outbound {
            method: "POST",
            url: metadata.token_endpoint.clone(),
            headers: vec![
                (
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                ("accept".into(), "application/json".into()),
                ("authorization".into(), oidc::client_basic_auth(config)),
            ],
            body: body.into_bytes(),
        };
        let response = self.provider.fetch(exchange).await.map_err(|err| {
            AuthError::Upstream(format!("identity provider token endpoint: {}", err.0))
        })?;
        match response.status {
            200 => {}
            400 | 401 => return Err(bad("The identity provider refused the code")),
            status => {
                return Err(AuthError::Upstream(format!(
                    "identity provider token endpoint: HTTP {status}"
                )))
            }
        }
        let id_token = response.json_body()["id_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                AuthError::Upstream("identity provider token endpoint: no id_token".into())
            })?;
        let claims = oidc
            .verify(
                &id_token,
                Expect::IdToken {
                    nonce: &pending.nonce,
                },
            )
            .await?
            .map_err(|err| AuthError::BadRequest(format!("Invalid ID token: {}", err.message())))?;
        let user_id = self.link_identity(config, &claims).await?;
        let tokens = self.start_session(&user_id).await?;
        let expires_in = tokens.expires_in.to_string();
        let fragment = oidc::encode_pairs(&[
            ("access_token", &tokens.access_token),
            ("refresh_token", &tokens.refresh_token),
            ("token_type", "bearer"),
            ("expires_in", &expires_in),
        ]);
        Ok(Response::empty(302)
            .with_header("location", format!("{}#{fragment}", pending.redirect_uri))
            .with_header("cache-control", "no-store"))
    }

    /// The local user of a provider identity: the linked one, the owner of the same verified
    /// email (then linked), or a new user.
    async fn link_identity(
        &self,
        config: &OidcConfig,
        claims: &serde_json::Map<String, Value>,
    ) -> Result<String, AuthError> {
        let records = self.records();
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or_else(|| AuthError::BadRequest("ID token has no subject".into()))?;
        let link = oidc::identity_key(&config.issuer, subject);
        if let Some(identity) = records.get::<IdentityRecord>(&link).await? {
            return Ok(identity.user_id);
        }
        let email = claims
            .get("email")
            .and_then(Value::as_str)
            .and_then(crate::validate::normalize_email)
            .ok_or_else(|| {
                AuthError::BadRequest("The identity provider shared no valid email address".into())
            })?;
        let verified = claims.get("email_verified") == Some(&Value::Bool(true));
        let now = self.clock.now();
        let email_key = storage::email_key(&email);
        let user_id =
            match records.get::<EmailRecord>(&email_key).await? {
                Some(owner) if verified => owner.user_id,
                Some(_) => return Err(AuthError::Conflict(
                    "An account with this email exists and the provider has not verified the email",
                )),
                None => {
                    let name = claims
                        .get("name")
                        .and_then(Value::as_str)
                        .map(|n| n.chars().take(100).collect());
                    // Not a PHC string: no password ever matches it.
                    self.create_user(email, name, "!oidc".into()).await?.id
                }
            };
        let identity = IdentityRecord {
            user_id: user_id.clone(),
        };
        records.put(&link, &identity, None, now).await?;
        Ok(user_id)
    }
}

/// A minimal HTML page for a failed sign-in, with a link back to the app when known.
fn sign_in_failed_page(err: AuthError, back_to: Option<&str>) -> Response {
    let status = err.status();
    let detail = err.into_response().json_body()["detail"]
        .as_str()
        .unwrap_or("Sign-in failed")
        .to_owned();
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let link = back_to
        .map(|uri| format!("<p><a href=\"{}\">Back to the app</a></p>", escape(uri)))
        .unwrap_or_default();
    let page = format!(
        "<!doctype html><meta charset=\"utf-8\"><title>Sign-in failed</title>\
         <h1>Sign-in failed</h1><p>{}</p>{link}",
        escape(&detail)
    );
    Response {
        status,
        headers: vec![
            ("content-type".into(), "text/html; charset=utf-8".into()),
            ("cache-control".into(), "no-store".into()),
        ],
        body: page.into_bytes(),
        log: None,
    }
}

fn state_key(state: &str) -> String {
    format!("v1:oauth:state:{state}")
}
