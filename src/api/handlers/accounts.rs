//! Registration, login and the caller (`/register`, `/login`, `/me`).

use crate::api::requests::{LoginRequest, RegisterRequest};
use crate::api::responses::{Me, User};
use crate::api::App;
use crate::credentials::oidc::Provider;
use crate::credentials::password;
use crate::credentials::Principal;
use crate::error::{AuthError, Rejection};
use crate::http::{Request, Response};
use chrono::{DateTime, Utc};

use crate::ports::{Atomic, Claim, Clock, Random, Store};
use crate::store::throttle::{self, Throttle};
use crate::store::{self, EmailRecord, UserId, UserRecord};

const USER_ID_LEN: usize = 22;

impl<S: Store, C: Clock, R: Random, P: Provider, A: Atomic> App<S, C, R, P, A> {
    pub(crate) async fn register(&self, req: &Request) -> Result<Response, AuthError> {
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
            let per_ip =
                Throttle::check(&records, &self.atomic, "register-ip", ip, limit, now).await?;
            per_ip.hit(&records, now).await;
        }
        let email_key = store::email_key(&email);
        if records.get::<EmailRecord>(&email_key).await?.is_some() {
            return Err(AuthError::Conflict("A user with this email already exists"));
        }
        let password_hash = password::hash_password(self.config.password, &password, &self.rng)?;
        let user = self.create_user(email, name, password_hash).await?;
        Ok(Response::json(201, &User::from(&user)))
    }

    /// Stores a new user and the record that makes its email taken, once the email is
    /// claimed for it: of any number of simultaneous registrations of one email, one wins and
    /// the others get 409. If the records cannot be written, the claim is given back.
    pub(crate) async fn create_user(
        &self,
        email: String,
        name: Option<String>,
        password_hash: String,
    ) -> Result<UserRecord, AuthError> {
        let now = self.clock.now();
        let user = UserRecord {
            id: UserId::new(crate::util::base62::random(&self.rng, USER_ID_LEN)?),
            email,
            name,
            password_hash,
            created_at: now.into(),
        };
        let email_hash = store::email_hash(&user.email);
        if self
            .atomic
            .claim_email(&email_hash, user.id.as_str())
            .await?
            == Claim::Taken
        {
            return Err(AuthError::Conflict("A user with this email already exists"));
        }
        if let Err(err) = self.write_user(&user, now).await {
            // Best effort: a claim that outlives a failed write would make the email unusable.
            let _ = self
                .atomic
                .release_email(&email_hash, user.id.as_str())
                .await;
            return Err(err);
        }
        Ok(user)
    }

    async fn write_user(&self, user: &UserRecord, now: DateTime<Utc>) -> Result<(), AuthError> {
        let records = self.records();
        // The user first: an email record never points at a missing user.
        records
            .put(&store::user_key(&user.id), user, None, now)
            .await?;
        let owner = EmailRecord {
            user_id: user.id.clone(),
        };
        records
            .put(&store::email_key(&user.email), &owner, None, now)
            .await?;
        Ok(())
    }

    pub(crate) async fn login(&self, req: &Request) -> Result<Response, AuthError> {
        let LoginRequest { email, password } = LoginRequest::parse(req)?;
        let _permit = self.hash_permit()?;
        let records = self.records();
        let now = self.clock.now();
        let (per_email, per_ip) = self.login_throttles(req, &email).await?;
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
        per_email.clear(&records, &self.atomic).await;
        if let Some(per_ip) = &per_ip {
            // The address's limit counts failures only.
            per_ip.refund(&self.atomic).await;
        }
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

    /// The login's two throttles: per (email, address), so that the owner elsewhere keeps
    /// logging in whatever an attacker does, and per address across emails, against one
    /// password sprayed over many accounts. 429 when either is reached.
    async fn login_throttles(
        &self,
        req: &Request,
        email: &str,
    ) -> Result<(Throttle, Option<Throttle>), AuthError> {
        let (records, atomic, now) = (self.records(), &self.atomic, self.clock.now());
        let limits = &self.config.limits;
        let ip = throttle::client_ip(req);
        let subject = format!("{email}\u{0}{}", ip.unwrap_or(""));
        let per_email_limit = limits.login_per_email_ip;
        let per_email =
            Throttle::check(&records, atomic, "login", &subject, per_email_limit, now).await?;
        let Some(ip) = ip else {
            return Ok((per_email, None));
        };
        match Throttle::check(&records, atomic, "login-ip", ip, limits.login_per_ip, now).await {
            Ok(per_ip) => Ok((per_email, Some(per_ip))),
            Err(err) => {
                // Stopped by the address's limit: this attempt never happened.
                per_email.refund(atomic).await;
                Err(err.into())
            }
        }
    }

    pub(crate) async fn user(&self, principal: &Principal) -> Result<UserRecord, AuthError> {
        self.records()
            .get(&store::user_key(&principal.user_id))
            .await?
            .ok_or(AuthError::InvalidToken(Rejection::UserGone))
    }

    pub(crate) async fn me(&self, principal: &Principal) -> Result<Response, AuthError> {
        let user = self.user(principal).await?;
        Ok(Response::json(
            200,
            &Me {
                user: User::from(&user),
                auth_scheme: principal.scheme,
                identities: self.identities(&user.id).await?,
            },
        ))
    }
}
