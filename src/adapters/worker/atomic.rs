//! [`Atomic`] through Durable Objects, the client side: one request to the `AtomicObject`
//! named for the subject (`email:{hash}`, `once:{key}`, `session:{id}`, `apikey:{id}`,
//! `attempts:{key}`). The object itself is in `object.rs`, part of the auth Worker's entry.

use worker::{ObjectNamespace, Request};

use crate::ports::{Atomic, Attempt, Claim, PortError, Revocable, Rotation};

/// The Durable Object namespace binding (see `wrangler.toml`).
pub const ATOMIC_BINDING: &str = "ATOMIC";

fn object_error(err: impl std::fmt::Display) -> PortError {
    PortError(format!("Durable Object: {err}"))
}

/// The client side: [`Atomic`] through the `ATOMIC` namespace.
pub struct DurableAtomic(pub ObjectNamespace);

impl DurableAtomic {
    async fn call(&self, name: &str, path_and_query: &str) -> Result<String, PortError> {
        self.send(name, path_and_query, None).await
    }

    /// One request to the object named `name`, with `body` if given (POST).
    async fn send(
        &self,
        name: &str,
        path_and_query: &str,
        body: Option<&str>,
    ) -> Result<String, PortError> {
        let stub = self
            .0
            .id_from_name(name)
            .and_then(|id| id.get_stub())
            .map_err(object_error)?;
        let url = format!("https://atomic{path_and_query}");
        let mut init = worker::RequestInit::new();
        if let Some(body) = body {
            init.with_method(worker::Method::Post)
                .with_body(Some(body.into()));
        }
        let request = Request::new_with_init(&url, &init).map_err(object_error)?;
        let mut response = stub
            .fetch_with_request(request)
            .await
            .map_err(object_error)?;
        if response.status_code() != 200 {
            return Err(object_error(format!("HTTP {}", response.status_code())));
        }
        response.text().await.map_err(object_error)
    }
}

impl Atomic for DurableAtomic {
    async fn claim_email(&self, email_hash: &str, user_id: &str) -> Result<Claim, PortError> {
        let name = format!("email:{email_hash}");
        let holder = self.call(&name, &format!("/claim?user={user_id}")).await?;
        Ok(if holder == user_id {
            Claim::Won
        } else {
            Claim::Taken
        })
    }

    async fn release_email(&self, email_hash: &str, user_id: &str) -> Result<(), PortError> {
        let name = format!("email:{email_hash}");
        self.call(&name, &format!("/release?user={user_id}"))
            .await
            .map(drop)
    }

    async fn consume_once(&self, key: &str, ttl_secs: i64) -> Result<bool, PortError> {
        let name = format!("once:{key}");
        let first = self
            .call(&name, &format!("/consume?ttl={ttl_secs}"))
            .await?;
        Ok(first == "first")
    }

    async fn rotate_refresh(
        &self,
        session_id: &str,
        token_id: &str,
        now: i64,
        grace_secs: i64,
        successor: &str,
        ttl_secs: i64,
    ) -> Result<Rotation, PortError> {
        let name = format!("session:{session_id}");
        let query = format!("/rotate?token={token_id}&now={now}&grace={grace_secs}&ttl={ttl_secs}");
        let answer = self.send(&name, &query, Some(successor)).await?;
        match answer.split_once('\n') {
            Some(("again", chosen)) => Ok(Rotation::Again(chosen.to_owned())),
            _ if answer == "won" => Ok(Rotation::Won),
            _ if answer == "reused" => Ok(Rotation::Reused),
            _ if answer == "revoked" => Ok(Rotation::Revoked),
            _ => Err(object_error("unexpected rotation answer")),
        }
    }

    fn counts_attempts(&self) -> bool {
        true
    }

    async fn attempt(
        &self,
        key: &str,
        max: u32,
        window_secs: i64,
        now: i64,
    ) -> Result<Attempt, PortError> {
        let name = format!("attempts:{key}");
        let query = format!("/attempt?max={max}&window={window_secs}&now={now}");
        let answer = self.call(&name, &query).await?;
        match answer.strip_prefix("limited ") {
            Some(secs) => Ok(Attempt::Limited {
                retry_after_secs: secs.parse().unwrap_or(1),
            }),
            None if answer == "allowed" => Ok(Attempt::Allowed),
            None => Err(object_error("unexpected attempt answer")),
        }
    }

    async fn forgive(&self, key: &str, all: bool) -> Result<(), PortError> {
        let name = format!("attempts:{key}");
        self.call(&name, &format!("/forgive?all={all}"))
            .await
            .map(drop)
    }

    async fn revoke(&self, what: Revocable<'_>, until: Option<i64>) -> Result<(), PortError> {
        let query = match until {
            Some(until) => format!("/revoke?until={until}&now={}", now_secs()),
            None => "/revoke".to_owned(),
        };
        self.call(&what.record_name(), &query).await.map(drop)
    }

    async fn is_revoked(&self, what: Revocable<'_>) -> Result<bool, PortError> {
        let answer = self.call(&what.record_name(), "/revoked").await?;
        Ok(answer == "yes")
    }
}

/// The Worker's clock, in Unix seconds (for the object's alarm).
fn now_secs() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}
