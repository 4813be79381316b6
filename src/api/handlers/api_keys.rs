//! `/api-keys`: create (shown once), list (never the secret), revoke.

use futures_util::future::join_all;

use crate::api::requests::CreateApiKeyRequest;
use crate::api::responses::{ApiKeyCreated, ApiKeyList, ApiKeySummary};
use crate::api::App;
use crate::credentials::api_key;
use crate::credentials::oidc::Provider;
use crate::credentials::Principal;
use crate::error::AuthError;
use crate::http::{Request, Response};
use crate::ports::{Atomic, Clock, Random, Revocable, Store};
use crate::store::{self, ApiKeyId, ApiKeyIndexRecord, ApiKeyRecord, ApiKeyUseRecord, UnixTime};

impl<S: Store, C: Clock, R: Random, P: Provider, A: Atomic> App<S, C, R, P, A> {
    pub(crate) async fn list_api_keys(&self, principal: &Principal) -> Result<Response, AuthError> {
        principal.require_interactive()?;
        let records = self.records();
        let prefix = store::user_api_keys_prefix(&principal.user_id);
        let ids = records.list(&prefix).await?;
        let lookups = ids.iter().map(|index_key| {
            let key_id = ApiKeyId::new(&index_key[prefix.len()..]);
            let records = &records;
            async move {
                let (key, used) = (store::api_key_key(&key_id), store::api_key_use_key(&key_id));
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

    pub(crate) async fn create_api_key(
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
            created_at: now.into(),
            expires_at: days.map(|d| UnixTime::from(now).plus(d * 86_400)),
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

    pub(crate) async fn revoke_api_key(
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
        let key_id = ApiKeyId::new(key_id);
        let key = store::api_key_key(&key_id);
        let record: ApiKeyRecord = records.get(&key).await?.ok_or(not_found.clone())?;
        if record.user_id != principal.user_id {
            return Err(not_found);
        }
        // Revoked at once everywhere (strict), then the key record: once it is gone the key
        // no longer authenticates at the edge either. If a delete below fails the key stays
        // revoked and the error is returned so the caller retries.
        self.atomic
            .revoke(
                Revocable::ApiKey(key_id.as_str()),
                record.expires_at.map(UnixTime::secs),
            )
            .await?;
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
}
