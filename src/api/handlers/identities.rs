//! Provider identities on an account: the one-time code trade that finishes a sign-in or a
//! link (`POST /oauth/token`), starting a link (`POST /oauth/link`), the list `/me` shows and
//! unlinking (`DELETE /identities/{id}`).

use subtle::ConstantTimeEq as _;

use crate::api::requests::{LinkRequest, TokenExchangeRequest};
use crate::api::responses::{Identity, LinkStarted};
use crate::api::App;
use crate::credentials::oidc::{self, Provider};
use crate::credentials::Principal;
use crate::error::AuthError;
use crate::http::BASE_PATH;
use crate::http::{Request, Response};
use crate::ports::{Atomic, Clock, Random, Store};
use crate::store::{self, IdentityLinkRecord, IdentityRecord, UnixTime, UserId, UserRecord};

use super::oauth::{
    bad, code_key, is_challenge, is_token, link_key, CodeRecord, Grant, LinkTicket, CODE_LEN,
    CODE_TTL_SECS,
};

impl<S: Store, C: Clock, R: Random, P: Provider, A: Atomic> App<S, C, R, P, A> {
    /// Links (`issuer`, `subject`) to a user: the lookup record and the user's list entry.
    pub(super) async fn attach_identity(
        &self,
        user_id: &UserId,
        issuer: &str,
        subject: &str,
        email: Option<String>,
    ) -> Result<(), AuthError> {
        let records = self.records();
        let now = self.clock.now();
        let key = oidc::identity_key(issuer, subject);
        let identity = IdentityRecord {
            user_id: user_id.to_owned(),
        };
        records.put(&key, &identity, None, now).await?;
        let entry = IdentityLinkRecord {
            issuer: issuer.to_owned(),
            subject: subject.to_owned(),
            email,
            linked_at: now.into(),
        };
        let id = oidc::identity_id(issuer, subject);
        records
            .put(&store::user_identity_key(user_id, &id), &entry, None, now)
            .await?;
        Ok(())
    }

    /// `POST /oauth/token`: a one-time code and the app's verifier for our token pair.
    pub(crate) async fn oauth_token(&self, req: &Request) -> Result<Response, AuthError> {
        let TokenExchangeRequest {
            code,
            code_verifier,
        } = TokenExchangeRequest::parse(req)?;
        let invalid = || bad("Invalid or expired sign-in code");
        if !is_token(&code, CODE_LEN) {
            return Err(invalid());
        }
        let records = self.records();
        let key = code_key(&code);
        let record: CodeRecord = records.get(&key).await?.ok_or_else(invalid)?;
        // Single use, whatever happens next; of simultaneous trades exactly one goes on.
        records.delete(&key).await?;
        if !self.atomic.consume_once(&key, CODE_TTL_SECS).await? {
            return Err(invalid());
        }
        let presented = oidc::pkce_challenge(&code_verifier);
        let matches = bool::from(presented.as_bytes().ct_eq(record.challenge.as_bytes()));
        if !matches || UnixTime::from(self.clock.now()) >= record.expires_at {
            return Err(invalid());
        }
        let user_id = match record.grant {
            Grant::SignIn { user_id } => user_id,
            Grant::Link {
                user_id,
                issuer,
                subject,
                email,
            } => {
                let link = oidc::identity_key(&issuer, &subject);
                match records.get::<IdentityRecord>(&link).await? {
                    Some(other) if other.user_id != user_id => {
                        return Err(AuthError::Conflict(
                            "This provider account is linked to another account",
                        ))
                    }
                    _ => {
                        self.attach_identity(&user_id, &issuer, &subject, email)
                            .await?
                    }
                }
                user_id
            }
        };
        let tokens = self.start_session(&user_id).await?;
        Ok(Self::token_response(&tokens))
    }

    /// `POST /oauth/link`: a one-time ticket to start a sign-in that links the provider
    /// identity to the caller's account.
    pub(crate) async fn oauth_link(
        &self,
        principal: &Principal,
        req: &Request,
    ) -> Result<Response, AuthError> {
        principal.require_interactive()?;
        self.oidc_config()?;
        let LinkRequest { code_challenge } = LinkRequest::parse(req)?;
        if !is_challenge(&code_challenge) {
            return Err(AuthError::Validation(vec![crate::error::FieldError::body(
                "code_challenge",
                "The S256 challenge of a verifier the app keeps: 43 base64url characters",
                "value_error",
            )]));
        }
        let ticket = crate::util::base62::random(&self.rng, CODE_LEN)?;
        let now = self.clock.now();
        let record = LinkTicket {
            user_id: principal.user_id.clone(),
            challenge: code_challenge,
        };
        let expires_at = UnixTime::from(now).plus(CODE_TTL_SECS);
        self.records()
            .put(&link_key(&ticket), &record, Some(expires_at), now)
            .await?;
        let url = format!(
            "{}{BASE_PATH}/oauth/authorize?link={ticket}",
            if req.origin.is_empty() {
                &self.config.issuer
            } else {
                &req.origin
            }
        );
        let started = LinkStarted {
            authorization_url: url,
            expires_in: CODE_TTL_SECS,
        };
        Ok(Response::json(200, &started).with_header("cache-control", "no-store"))
    }

    /// The provider identities linked to a user.
    pub(crate) async fn identities(&self, user_id: &UserId) -> Result<Vec<Identity>, AuthError> {
        let records = self.records();
        let prefix = store::user_identities_prefix(user_id);
        let mut out = Vec::new();
        for key in records.list(&prefix).await? {
            if let Some(entry) = records.get::<IdentityLinkRecord>(&key).await? {
                out.push(Identity::new(&key[prefix.len()..], &entry));
            }
        }
        out.sort_by(|a, b| (&a.linked_at, &a.id).cmp(&(&b.linked_at, &b.id)));
        Ok(out)
    }

    /// `DELETE /identities/{id}`: unlinks a provider identity from the caller's account,
    /// unless it is the account's only way to sign in.
    pub(crate) async fn unlink_identity(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<Response, AuthError> {
        principal.require_interactive()?;
        let not_found = AuthError::NotFound("Identity not found");
        if id.len() != 43 || !is_challenge(id) {
            return Err(not_found);
        }
        let records = self.records();
        let entry_key = store::user_identity_key(&principal.user_id, id);
        let entry: IdentityLinkRecord = records.get(&entry_key).await?.ok_or(not_found)?;
        let user: UserRecord = self.user(principal).await?;
        // Counted without the one being removed (a list that lags a recent write must not
        // make the count wrap or let the last one go).
        let others = self
            .identities(&principal.user_id)
            .await?
            .iter()
            .filter(|identity| identity.id != id)
            .count();
        if !crate::credentials::password::is_password_hash(&user.password_hash) && others == 0 {
            return Err(AuthError::Conflict(
                "This is the account's only way to sign in: link another provider first",
            ));
        }
        records
            .delete(&oidc::identity_key(&entry.issuer, &entry.subject))
            .await?;
        records.delete(&entry_key).await?;
        Ok(Response::empty(204))
    }
}
