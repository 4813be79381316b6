//! [`Atomic`] on Durable Objects: one `EmailClaim` object per (hashed) email, whose SQLite
//! storage holds at most one claim. An object runs one request at a time and its SQL calls
//! are synchronous, so an insert and the read after it cannot interleave with another
//! claim: of any number of simultaneous registrations of one email, anywhere, one wins.
//!
//! The load spreads by email: each address has its own object, so one hot address costs one
//! object's throughput (a claim is two SQL statements) and nobody else waits on it.

// `#[durable_object]` generates undocumented JS-facing methods.
#![allow(missing_docs)]

use worker::{durable_object, DurableObject, Env, ObjectNamespace, Request, Response, State};

use crate::ports::{Atomic, Claim, PortError};

/// The Durable Object namespace binding (see `wrangler.toml`).
pub const ATOMIC_BINDING: &str = "EMAIL_CLAIMS";

fn object_error(err: impl std::fmt::Display) -> PortError {
    PortError(format!("Durable Object: {err}"))
}

/// The client side: [`Atomic`] through the `EMAIL_CLAIMS` namespace.
pub struct DurableAtomic(pub ObjectNamespace);

impl DurableAtomic {
    async fn call(
        &self,
        email_hash: &str,
        action: &str,
        user_id: &str,
    ) -> Result<String, PortError> {
        let stub = self
            .0
            .id_from_name(email_hash)
            .and_then(|id| id.get_stub())
            .map_err(object_error)?;
        let url = format!("https://email-claim/{action}?user={user_id}");
        let mut response = stub.fetch_with_str(&url).await.map_err(object_error)?;
        if response.status_code() != 200 {
            return Err(object_error(format!("HTTP {}", response.status_code())));
        }
        response.text().await.map_err(object_error)
    }
}

impl Atomic for DurableAtomic {
    async fn claim_email(&self, email_hash: &str, user_id: &str) -> Result<Claim, PortError> {
        let holder = self.call(email_hash, "claim", user_id).await?;
        Ok(if holder == user_id {
            Claim::Won
        } else {
            Claim::Taken
        })
    }

    async fn release_email(&self, email_hash: &str, user_id: &str) -> Result<(), PortError> {
        self.call(email_hash, "release", user_id).await.map(drop)
    }
}

/// The object: the claim on one email.
#[durable_object(fetch)]
pub struct EmailClaim {
    state: State,
}

#[derive(serde::Deserialize)]
struct Holder {
    user_id: String,
}

impl DurableObject for EmailClaim {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        let user = url
            .query_pairs()
            .find(|(k, _)| k == "user")
            .map(|(_, v)| v.into_owned())
            .filter(|u| !u.is_empty())
            .ok_or_else(|| worker::Error::RustError("user is required".into()))?;
        let sql = self.state.storage().sql();
        sql.exec(
            "CREATE TABLE IF NOT EXISTS claim (id INTEGER PRIMARY KEY CHECK (id = 1), user_id TEXT NOT NULL)",
            None,
        )?;
        match url.path() {
            "/claim" => {
                sql.exec(
                    "INSERT OR IGNORE INTO claim (id, user_id) VALUES (1, ?)",
                    vec![user.into()],
                )?;
                let holder: Holder = sql
                    .exec("SELECT user_id FROM claim WHERE id = 1", None)?
                    .one()?;
                Response::ok(holder.user_id)
            }
            "/release" => {
                sql.exec(
                    "DELETE FROM claim WHERE id = 1 AND user_id = ?",
                    vec![user.into()],
                )?;
                Response::ok("")
            }
            _ => Response::error("Not Found", 404),
        }
    }
}
