//! `/private-key`: status, store (sealed at rest), remove.

use crate::api::requests::PutPrivateKeyRequest;
use crate::api::responses::PrivateKeyStatus;
use crate::api::App;
use crate::credentials::oidc::Provider;
use crate::credentials::private_key;
use crate::credentials::Principal;
use crate::error::AuthError;
use crate::http::{Request, Response};
use crate::ports::{Atomic, Clock, Random, Store};
use crate::store::{self, PrivateKeyRecord, UserId};

impl<S: Store, C: Clock, R: Random, P: Provider, A: Atomic> App<S, C, R, P, A> {
    pub(crate) async fn private_key_record(
        &self,
        user_id: &UserId,
    ) -> Result<Option<PrivateKeyRecord>, AuthError> {
        Ok(self.records().get(&store::private_key_key(user_id)).await?)
    }

    pub(crate) async fn private_key_status(
        &self,
        principal: &Principal,
    ) -> Result<Response, AuthError> {
        let record = self.private_key_record(&principal.user_id).await?;
        Ok(Response::json(
            200,
            &PrivateKeyStatus::from(record.as_ref()),
        ))
    }

    pub(crate) async fn put_private_key(
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
            principal.user_id.as_str(),
            &key,
            &self.rng,
        )?;
        let record = PrivateKeyRecord {
            sealed,
            created_at: previous.map_or(now.into(), |p| p.created_at),
            updated_at: now.into(),
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

    pub(crate) async fn delete_private_key(
        &self,
        principal: &Principal,
    ) -> Result<Response, AuthError> {
        principal.require_interactive()?;
        self.records()
            .delete(&store::private_key_key(&principal.user_id))
            .await?;
        Ok(Response::empty(204))
    }
}
