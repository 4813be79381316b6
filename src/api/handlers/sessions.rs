//! Sessions: issuing token pairs, `/refresh` (rotation, reuse detection) and `/logout`.

use crate::api::requests::RefreshRequest;
use crate::api::responses::TokenResponse;
use crate::api::App;
use crate::credentials::api_key;
use crate::credentials::jwt::{self, AccessClaims};
use crate::credentials::oidc::Provider;
use crate::credentials::session::{self, Exchange};
use crate::credentials::Principal;
use crate::error::{AuthError, Rejection};
use crate::http::{Request, Response};
use crate::ports::{Atomic, Clock, Random, Store};
use crate::store::{self, RefreshRecord, SessionRecord};

const SESSION_ID_LEN: usize = 22;

impl<S: Store, C: Clock, R: Random, P: Provider, A: Atomic> App<S, C, R, P, A> {
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
    pub(crate) async fn issue_tokens(
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

    pub(crate) async fn refresh(&self, req: &Request) -> Result<Response, AuthError> {
        let presented = RefreshRequest::parse(req)?.refresh_token;

        let invalid = AuthError::InvalidToken(Rejection::InvalidRefreshToken);
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
            return Err(AuthError::InvalidToken(Rejection::SessionEnded));
        }
        match session::exchange(&record, now.timestamp(), self.config.refresh_grace_secs) {
            Exchange::Expired => Err(AuthError::InvalidToken(Rejection::RefreshExpired)),
            Exchange::Reuse => {
                session.revoked = true;
                records
                    .put(&session_key, &session, Some(session.expires_at), now)
                    .await?;
                Err(AuthError::InvalidToken(Rejection::RefreshReused))
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

    pub(crate) async fn logout(&self, principal: &Principal) -> Result<Response, AuthError> {
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
}
