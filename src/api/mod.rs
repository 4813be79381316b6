//! The REST API: routing and handlers, as one function from [`Request`] to [`Response`].

pub mod openapi;
pub mod requests;
pub mod responses;
pub mod signin;
pub mod validate;

use std::rc::Rc;

use futures_util::future::join_all;

use crate::api::requests::{
    CreateApiKeyRequest, LoginRequest, PutPrivateKeyRequest, RefreshRequest, RegisterRequest,
};
use crate::api::responses::{
    ApiKeyCreated, ApiKeyList, ApiKeySummary, MeResponse, PrivateKeyStatus, TokenResponse,
    UserResponse,
};
use crate::config::Config;
use crate::credentials::api_key;
use crate::credentials::jwt::{self, AccessClaims};
use crate::credentials::memo::Memo;
use crate::credentials::oidc::{NoProvider, Oidc, Provider};
use crate::credentials::password;
use crate::credentials::private_key;
use crate::credentials::session::{self, Exchange};
use crate::credentials::{Authenticator, Principal};
use crate::error::AuthError;
use crate::http::{Request, Response};
use crate::ports::{Clock, Random, Store};
use crate::store::throttle::{self, Throttle};
use crate::store::{
    self, ApiKeyIndexRecord, ApiKeyRecord, ApiKeyUseRecord, EmailRecord, PrivateKeyRecord, Records,
    RefreshRecord, SessionRecord, UserRecord,
};

pub use crate::http::BASE_PATH;

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
    OauthToken,
    OauthLink,
    Identity(String),
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
            "/oauth/token" => Self::OauthToken,
            "/oauth/link" => Self::OauthLink,
            "/openapi.json" => Self::OpenApi,
            "/docs" => Self::Docs,
            _ => {
                let (route, id): (fn(String) -> Self, _) = match rest.strip_prefix("/api-keys/") {
                    Some(id) => (Self::ApiKey, id),
                    None => (Self::Identity, rest.strip_prefix("/identities/")?),
                };
                if id.is_empty() || id.contains('/') {
                    return None;
                }
                route(id.to_owned())
            }
        })
    }

    fn methods(&self) -> &'static [&'static str] {
        match self {
            Self::Register
            | Self::Login
            | Self::Refresh
            | Self::Logout
            | Self::OauthToken
            | Self::OauthLink => &["POST"],
            Self::Me
            | Self::Jwks
            | Self::OauthAuthorize
            | Self::OauthCallback
            | Self::OpenApi
            | Self::Docs => &["GET", "HEAD"],
            Self::ApiKeys => &["GET", "HEAD", "POST"],
            Self::ApiKey(_) | Self::Identity(_) => &["DELETE"],
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
        response.secure(req.origin.starts_with("https:"))
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
            (Route::OauthToken, _) => self.oauth_token(req).await,
            (Route::OpenApi, _) => {
                let server = if req.origin.is_empty() {
                    &self.config.issuer
                } else {
                    &req.origin
                };
                Ok(Response::json(200, &crate::api::openapi::document(server)))
            }
            (Route::Docs, _) => {
                let (page, csp) = crate::api::openapi::docs_page();
                Ok(Response::html(200, page).with_header("content-security-policy", csp))
            }
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

    async fn register(&self, req: &Request) -> Result<Response, AuthError> {
        let RegisterRequest {
            email,
            password,
            name,
        } = RegisterRequest::parse(req)?;
        let _permit = self.hash_permit()?;

        let records = self.records();
        if let Some(ip) = throttle::client_ip(req) {
            // Every registration writes to the store without any credential: limit it per
            // address, successful or not.
            let limit = self.config.limits.register_per_ip;
            let now = self.clock.now();
            let per_ip = Throttle::check(&records, "register-ip", ip, limit, now).await?;
            per_ip.hit(&records, now).await;
        }
        let email_key = store::email_key(&email);
        if records.get::<EmailRecord>(&email_key).await?.is_some() {
            return Err(AuthError::Conflict("A user with this email already exists"));
        }
        let password_hash = password::hash_password(self.config.password, &password, &self.rng)?;
        let user = self.create_user(email, name, password_hash).await?;
        Ok(Response::json(201, &UserResponse::from(&user)))
    }

    /// Stores a new user and the record that makes its email taken.
    pub(crate) async fn create_user(
        &self,
        email: String,
        name: Option<String>,
        password_hash: String,
    ) -> Result<UserRecord, AuthError> {
        let now = self.clock.now();
        let user = UserRecord {
            id: crate::util::base62::random(&self.rng, USER_ID_LEN)?,
            email,
            name,
            password_hash,
            created_at: now.timestamp(),
        };
        let records = self.records();
        // The user first: an email record never points at a missing user.
        records
            .put(&store::user_key(&user.id), &user, None, now)
            .await?;
        let owner = EmailRecord {
            user_id: user.id.clone(),
        };
        records
            .put(&store::email_key(&user.email), &owner, None, now)
            .await?;
        Ok(user)
    }

    async fn login(&self, req: &Request) -> Result<Response, AuthError> {
        let LoginRequest { email, password } = LoginRequest::parse(req)?;
        let _permit = self.hash_permit()?;
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
        let owner: Option<EmailRecord> = records.get(&store::email_key(&email)).await?;
        let user: Option<UserRecord> = match owner {
            Some(owner) => records.get(&store::user_key(&owner.user_id)).await?,
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
                .put(&store::user_key(&user.id), &user, None, now)
                .await?;
        }
        let tokens = self.start_session(&user.id).await?;
        Ok(Self::token_response(&tokens))
    }

    pub(crate) fn token_response(tokens: &TokenResponse) -> Response {
        Response::json(200, tokens).with_header("cache-control", "no-store")
    }

    /// Starts a session (a refresh-token family) for a user who has just proven who they are.
    pub(crate) async fn start_session(&self, user_id: &str) -> Result<TokenResponse, AuthError> {
        let now = self.clock.now();
        let session_id = crate::util::base62::random(&self.rng, SESSION_ID_LEN)?;
        let session = SessionRecord {
            user_id: user_id.to_owned(),
            revoked: false,
            created_at: now.timestamp(),
            expires_at: now.timestamp() + self.config.refresh_ttl_secs,
        };
        let key = store::session_key(&session_id);
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
                &store::refresh_key(&refresh.id),
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
            jti: crate::util::base62::random(&self.rng, 16)?,
        };
        let access_token = jwt::issue_access(
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
        let token_key = store::refresh_key(token_id);
        let mut record: RefreshRecord = records.get(&token_key).await?.ok_or(invalid.clone())?;
        if !api_key::secret_matches(&self.config.pepper, &presented, &record.hash) {
            return Err(invalid);
        }
        let session_key = store::session_key(&record.session_id);
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
            let key = store::session_key(session_id);
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

    pub(crate) async fn user(&self, principal: &Principal) -> Result<UserRecord, AuthError> {
        self.records()
            .get(&store::user_key(&principal.user_id))
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
                identities: self.identities(&user.id).await?,
            },
        ))
    }

    async fn list_api_keys(&self, principal: &Principal) -> Result<Response, AuthError> {
        principal.require_interactive()?;
        let records = self.records();
        let prefix = store::user_api_keys_prefix(&principal.user_id);
        let ids = records.list(&prefix).await?;
        let lookups = ids.iter().map(|index_key| {
            let key_id = &index_key[prefix.len()..];
            let records = &records;
            async move {
                let (key, used) = (store::api_key_key(key_id), store::api_key_use_key(key_id));
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
                &store::api_key_key(&record.id),
                &record,
                record.expires_at,
                now,
            )
            .await?;
        let index_key = format!(
            "{}{}",
            store::user_api_keys_prefix(&record.user_id),
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
        if key_id.len() != api_key::ID_LEN || !crate::util::base62::is_base62(key_id) {
            return Err(not_found);
        }
        let key = store::api_key_key(key_id);
        let record: ApiKeyRecord = records.get(&key).await?.ok_or(not_found.clone())?;
        if record.user_id != principal.user_id {
            return Err(not_found);
        }
        // The key record first: once it is gone the key no longer authenticates.
        records.delete(&key).await?;
        let index_key = format!(
            "{}{}",
            store::user_api_keys_prefix(&record.user_id),
            record.id
        );
        records.delete(&index_key).await?;
        records.delete(&store::api_key_use_key(&record.id)).await?;
        Ok(Response::empty(204))
    }

    async fn private_key_record(
        &self,
        user_id: &str,
    ) -> Result<Option<PrivateKeyRecord>, AuthError> {
        self.records().get(&store::private_key_key(user_id)).await
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
                &store::private_key_key(&principal.user_id),
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
            .delete(&store::private_key_key(&principal.user_id))
            .await?;
        Ok(Response::empty(204))
    }

    /// What authenticating a request reads, borrowed from the service.
    pub fn authenticator(&self) -> Authenticator<'_, S, C, P> {
        Authenticator {
            store: &self.store,
            clock: &self.clock,
            provider: &self.provider,
            memo: &self.memo,
            config: &self.config,
        }
    }

    /// The provider-facing half of the service.
    pub(crate) fn oidc(&self) -> Result<Oidc<'_, S, C, P>, AuthError> {
        self.authenticator().oidc()
    }
}
