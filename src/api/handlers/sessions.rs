//! Sessions: issuing token pairs, `/refresh` (rotation, reuse detection) and `/logout`.

use crate::api::requests::RefreshRequest;
use crate::api::responses::TokenResponse;
use crate::api::App;
use crate::credentials::api_key;
use crate::credentials::jwt::{self, AccessClaims};
use crate::credentials::oidc::Provider;
use crate::credentials::private_key;
use crate::credentials::session::{self, Exchange};
use crate::credentials::Principal;
use crate::error::{AuthError, Rejection};
use crate::http::{Request, Response};
use crate::ports::{Atomic, Clock, Random, Revocable, Rotation, Store};
use crate::store::{self, RefreshRecord, SessionId, SessionRecord, StoreError, UnixTime, UserId};
use crate::util::secret::Secret;

const SESSION_ID_LEN: usize = 22;

/// A token pair made but not yet stored.
struct Minted {
    tokens: TokenResponse,
    key: String,
    record: RefreshRecord,
}

impl<S: Store, C: Clock, R: Random, P: Provider, A: Atomic> App<S, C, R, P, A> {
    pub(crate) fn token_response(tokens: &TokenResponse) -> Response {
        Response::json(200, tokens).with_header("cache-control", "no-store")
    }

    /// Starts a session (a refresh-token family) for a user who has just proven who they are.
    pub(crate) async fn start_session(&self, user_id: &UserId) -> Result<TokenResponse, AuthError> {
        let now = self.clock.now();
        let session_id = SessionId::new(crate::util::base62::random(&self.rng, SESSION_ID_LEN)?);
        let session = SessionRecord {
            user_id: user_id.to_owned(),
            revoked: false,
            created_at: now.into(),
            expires_at: UnixTime::from(now).plus(self.config.refresh_ttl_secs),
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
        session_id: &SessionId,
        session: &SessionRecord,
    ) -> Result<TokenResponse, AuthError> {
        let minted = self.mint_tokens(session_id, session)?;
        self.persist(&minted).await?;
        Ok(minted.tokens)
    }

    /// A new pair, not yet stored: its refresh token works only once [`Self::persist`]ed.
    fn mint_tokens(
        &self,
        session_id: &SessionId,
        session: &SessionRecord,
    ) -> Result<Minted, AuthError> {
        let now = self.clock.now();
        let refresh = session::generate(&self.rng)?;
        let record = RefreshRecord {
            session_id: session_id.to_owned(),
            user_id: session.user_id.clone(),
            hash: api_key::hash_secret(&self.config.pepper, refresh.token.expose()),
            expires_at: session.expires_at,
            spent_at: None,
        };
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
        Ok(Minted {
            tokens: TokenResponse {
                access_token,
                refresh_token: refresh.token.expose().clone(),
                token_type: "bearer".into(),
                expires_in: self.config.access_ttl_secs,
            },
            key: store::refresh_key(&refresh.id),
            record,
        })
    }

    async fn persist(&self, minted: &Minted) -> Result<(), StoreError> {
        let now = self.clock.now();
        self.records()
            .put(
                &minted.key,
                &minted.record,
                Some(minted.record.expires_at),
                now,
            )
            .await
    }

    pub(crate) async fn refresh(&self, req: &Request) -> Result<Response, AuthError> {
        let presented = RefreshRequest::parse(req)?.refresh_token;
        let (token_id, record, session) = self.presented_refresh(&presented).await?;
        let session_key = store::session_key(&record.session_id);
        let now = self.clock.now();
        let grace = self.config.refresh_grace_secs;
        let first = match session::exchange(&record, now.into(), grace) {
            Exchange::Expired => return Err(AuthError::InvalidToken(Rejection::RefreshExpired)),
            Exchange::Reuse => return self.end_reused(&record, &session_key, session).await,
            Exchange::Rotate => true,
            Exchange::WithinGrace => false,
        };
        // One successor per token, however many present it at once: the session's atomic
        // record decides, and a retry within the grace window gets the same pair back.
        let minted = self.mint_tokens(&record.session_id, &session)?;
        let aad = format!("refresh-successor:{}:{token_id}", record.session_id);
        let offered = self.seal_pair(&aad, &minted.tokens)?;
        let rotation = self
            .atomic
            .rotate_refresh(
                record.session_id.as_str(),
                token_id,
                now.timestamp(),
                grace,
                &offered,
                session.expires_at.since(now.into()),
            )
            .await?;
        let tokens = match rotation {
            Rotation::Won => {
                self.persist(&minted).await?;
                minted.tokens
            }
            Rotation::Again(chosen) => {
                let tokens = self.open_pair(&aad, &chosen)?;
                self.keep_successor(&record, &tokens).await?;
                tokens
            }
            Rotation::Reused => return self.end_reused(&record, &session_key, session).await,
            Rotation::Revoked => return Err(AuthError::InvalidToken(Rejection::SessionEnded)),
        };
        if first {
            self.mark_spent(token_id, record).await?;
        }
        Ok(Self::token_response(&tokens))
    }

    /// The presented refresh token's id, record and live session; 401 for anything else.
    async fn presented_refresh<'t>(
        &self,
        presented: &'t str,
    ) -> Result<(&'t str, RefreshRecord, SessionRecord), AuthError> {
        let invalid = AuthError::InvalidToken(Rejection::InvalidRefreshToken);
        let token_id = session::parse(presented).ok_or(invalid.clone())?;
        let records = self.records();
        let key = store::refresh_key(token_id);
        let record: RefreshRecord = records.get(&key).await?.ok_or(invalid.clone())?;
        if !api_key::secret_matches(&self.config.pepper, presented, &record.hash) {
            return Err(invalid);
        }
        let session_key = store::session_key(&record.session_id);
        let session: SessionRecord = records.get(&session_key).await?.ok_or(invalid)?;
        if session.revoked {
            return Err(AuthError::InvalidToken(Rejection::SessionEnded));
        }
        Ok((token_id, record, session))
    }

    /// Records in the store that the presented token is spent (its successor is chosen).
    async fn mark_spent(&self, token_id: &str, mut record: RefreshRecord) -> Result<(), AuthError> {
        let now = self.clock.now();
        record.spent_at = Some(now.into());
        let key = store::refresh_key(token_id);
        self.records()
            .put(&key, &record, Some(record.expires_at), now)
            .await?;
        Ok(())
    }

    /// The successor chosen earlier is stored, if the write after its choice failed: the
    /// retry that gets it back must get a refresh token that works. Never overwrites it (it
    /// may have been spent since).
    async fn keep_successor(
        &self,
        spent: &RefreshRecord,
        tokens: &TokenResponse,
    ) -> Result<(), AuthError> {
        let broken = || AuthError::Internal("kept token pair: not a refresh token".into());
        let id = session::parse(&tokens.refresh_token).ok_or_else(broken)?;
        let key = store::refresh_key(id);
        let records = self.records();
        if records.get::<RefreshRecord>(&key).await?.is_some() {
            return Ok(());
        }
        let record = RefreshRecord {
            hash: api_key::hash_secret(&self.config.pepper, &tokens.refresh_token),
            spent_at: None,
            ..spent.clone()
        };
        let now = self.clock.now();
        records
            .put(&key, &record, Some(record.expires_at), now)
            .await?;
        Ok(())
    }

    /// A reused refresh token ends its whole session: 401 either way.
    async fn end_reused(
        &self,
        record: &RefreshRecord,
        session_key: &str,
        session: SessionRecord,
    ) -> Result<Response, AuthError> {
        self.revoke_session(&record.session_id, session_key, session)
            .await?;
        Err(AuthError::InvalidToken(Rejection::RefreshReused))
    }

    /// Ends a session (logout, or a reused refresh token): first in its atomic record, which
    /// every authenticated request asks, so it holds everywhere from here on; then in the
    /// store, for readers at the edge. If the store write fails the session stays revoked
    /// (strict mode) and the error is returned so the caller retries, which is harmless.
    async fn revoke_session(
        &self,
        session_id: &SessionId,
        session_key: &str,
        mut session: SessionRecord,
    ) -> Result<(), AuthError> {
        let until = Some(session.expires_at);
        self.atomic
            .revoke(
                Revocable::Session(session_id.as_str()),
                until.map(UnixTime::secs),
            )
            .await?;
        session.revoked = true;
        let now = self.clock.now();
        self.records()
            .put(session_key, &session, Some(session.expires_at), now)
            .await?;
        Ok(())
    }

    /// A token pair, encrypted (AES-256-GCM under the deployment's key, bound to `aad`) for
    /// the short time the atomic record keeps it to answer retries.
    fn seal_pair(&self, aad: &str, tokens: &TokenResponse) -> Result<String, AuthError> {
        let plain = Secret::new(
            serde_json::to_string(tokens)
                .map_err(|err| AuthError::Internal(format!("token pair: {err}")))?,
        );
        let sealed = private_key::seal(&self.config.private_key_kek, aad, &plain, &self.rng)?;
        serde_json::to_string(&sealed).map_err(|err| AuthError::Internal(format!("seal: {err}")))
    }

    fn open_pair(&self, aad: &str, sealed: &str) -> Result<TokenResponse, AuthError> {
        let broken = |what: &str| AuthError::Internal(format!("kept token pair: {what}"));
        let sealed = serde_json::from_str(sealed).map_err(|_| broken("not sealed"))?;
        let plain = private_key::open(&self.config.private_key_kek, aad, &sealed)?;
        serde_json::from_str(plain.expose()).map_err(|_| broken("not a token pair"))
    }

    pub(crate) async fn logout(&self, principal: &Principal) -> Result<Response, AuthError> {
        if let Some(session_id) = &principal.session_id {
            let key = store::session_key(session_id);
            match self.records().get::<SessionRecord>(&key).await? {
                Some(session) => self.revoke_session(session_id, &key, session).await?,
                // Not (yet) visible here: the atomic record still ends it everywhere.
                None => {
                    let until = self.clock.now().timestamp() + self.config.refresh_ttl_secs;
                    let session = Revocable::Session(session_id.as_str());
                    self.atomic.revoke(session, Some(until)).await?;
                }
            }
        }
        Ok(Response::empty(204))
    }
}
