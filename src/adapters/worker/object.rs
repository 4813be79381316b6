//! The `AtomicObject` Durable Object behind [`super::DurableAtomic`]: one per subject, whose
//! SQLite storage holds at most a few rows. An object runs one request at a time and its SQL
//! calls are synchronous, so an insert and the read after it cannot interleave with another
//! caller's: of any number of simultaneous registrations of one email, or trades of one code,
//! anywhere, one wins.
//!
//! Revocation lives in the object of what it revokes (`session:{id}`, shared with that
//! session's refresh rotation, and `apikey:{id}`): one row, read by every authenticated
//! request in strict mode.
//!
//! The load spreads by subject: each address and each code is its own object, so one hot
//! address costs one object's throughput (two SQL statements a call) and nobody else waits.
//! Objects delete their storage by alarm once nothing they hold can be presented.

// `#[durable_object]` generates undocumented JS-facing methods.
#![allow(missing_docs)]

use worker::{durable_object, DurableObject, Env, Request, Response, State};

use crate::ports::{Attempt, AttemptCounter, Rotation};

/// The object: one email's claim, or one single-use record's use.
#[durable_object(alarm)]
pub struct AtomicObject {
    state: State,
}

#[derive(serde::Deserialize)]
struct Holder {
    holder: String,
}

#[derive(serde::Deserialize)]
struct Counter {
    count: u32,
    window_ends_at: i64,
}

const COUNTER_TABLE: &str = "CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER NOT NULL, window_ends_at INTEGER NOT NULL)";

#[derive(serde::Deserialize)]
struct Spent {
    spent_at: i64,
    successor: String,
}

fn param(url: &worker::Url, name: &str) -> worker::Result<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| worker::Error::RustError(format!("{name} is required")))
}

fn number(url: &worker::Url, name: &str) -> worker::Result<i64> {
    param(url, name)?
        .parse()
        .map_err(|_| worker::Error::RustError(format!("{name} is not a number")))
}

impl AtomicObject {
    /// One attempt against this object's limit: counted, or refused with the seconds left.
    async fn attempt(&self, url: &worker::Url) -> worker::Result<Response> {
        let max = u32::try_from(number(url, "max")?).unwrap_or(0);
        let (window, now) = (number(url, "window")?, number(url, "now")?);
        let sql = self.state.storage().sql();
        sql.exec(COUNTER_TABLE, None)?;
        let rows: Vec<Counter> = sql
            .exec(
                "SELECT count, window_ends_at FROM counter WHERE id = 1",
                None,
            )?
            .to_array()?;
        let stored = rows.into_iter().next().map(|c| AttemptCounter {
            count: c.count,
            window_ends_at: c.window_ends_at,
        });
        let (attempt, kept) = AttemptCounter::next(stored, max, window, now);
        if stored.map(|c| c.window_ends_at) != Some(kept.window_ends_at) {
            // A new window: forget it when it ends.
            let keep = std::time::Duration::from_secs(u64::try_from(window).unwrap_or(60));
            self.state.storage().set_alarm(keep).await?;
        }
        match attempt {
            Attempt::Limited { retry_after_secs } => {
                Response::ok(format!("limited {retry_after_secs}"))
            }
            Attempt::Allowed => {
                sql.exec(
                    "INSERT OR REPLACE INTO counter (id, count, window_ends_at) VALUES (1, ?, ?)",
                    vec![i64::from(kept.count).into(), kept.window_ends_at.into()],
                )?;
                Response::ok("allowed")
            }
        }
    }

    /// Takes back attempts: all, or the last one.
    fn forgive(&self, url: &worker::Url) -> worker::Result<Response> {
        let sql = self.state.storage().sql();
        sql.exec(COUNTER_TABLE, None)?;
        if param(url, "all")? == "true" {
            sql.exec("DELETE FROM counter", None)?;
        } else {
            sql.exec(
                "UPDATE counter SET count = MAX(count - 1, 0) WHERE id = 1",
                None,
            )?;
        }
        Response::ok("")
    }

    /// One presentation of a refresh token of this object's session: the first offer wins and
    /// is kept; a retry within the grace window gets it back; later, reuse.
    async fn rotate(&self, url: &worker::Url, successor: String) -> worker::Result<Response> {
        let (token, now, grace, ttl) = (
            param(url, "token")?,
            number(url, "now")?,
            number(url, "grace")?,
            number(url, "ttl")?,
        );
        if self.revoked()? {
            return Response::ok("revoked");
        }
        let sql = self.state.storage().sql();
        sql.exec(
            "CREATE TABLE IF NOT EXISTS spent (token TEXT PRIMARY KEY, spent_at INTEGER NOT NULL, successor TEXT NOT NULL)",
            None,
        )?;
        let found: Vec<Spent> = sql
            .exec(
                "SELECT spent_at, successor FROM spent WHERE token = ?",
                vec![token.clone().into()],
            )?
            .to_array()?;
        match found.into_iter().next() {
            Some(spent) => match Rotation::of_spent(spent.spent_at, spent.successor, now, grace) {
                Rotation::Again(chosen) => Response::ok(format!("again\n{chosen}")),
                // Reuse ends the session here, in the same step: no request after this one
                // gets past `/revoked`. (The storage goes with the session, by the alarm.)
                _ => {
                    sql.exec(REVOKED_TABLE, None)?;
                    sql.exec("INSERT OR IGNORE INTO revoked (id) VALUES (1)", None)?;
                    Response::ok("reused")
                }
            },
            None => {
                sql.exec(
                    "INSERT INTO spent (token, spent_at, successor) VALUES (?, ?, ?)",
                    vec![token.into(), now.into(), successor.into()],
                )?;
                // Kept while any token of the session can still be presented.
                let keep = std::time::Duration::from_secs(u64::try_from(ttl.max(60)).unwrap_or(60));
                self.state.storage().set_alarm(keep).await?;
                Response::ok("won")
            }
        }
    }
}

const REVOKED_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS revoked (id INTEGER PRIMARY KEY CHECK (id = 1))";

impl AtomicObject {
    /// Whether this object's session or API key was revoked.
    fn revoked(&self) -> worker::Result<bool> {
        let sql = self.state.storage().sql();
        sql.exec(REVOKED_TABLE, None)?;
        let rows: Vec<serde_json::Value> = sql
            .exec("SELECT id FROM revoked WHERE id = 1", None)?
            .to_array()?;
        Ok(!rows.is_empty())
    }

    /// Revokes this object's session or API key; with `until`, forgets everything once
    /// nothing it covers can be presented.
    async fn revoke(&self, url: &worker::Url) -> worker::Result<Response> {
        let sql = self.state.storage().sql();
        sql.exec(REVOKED_TABLE, None)?;
        sql.exec("INSERT OR IGNORE INTO revoked (id) VALUES (1)", None)?;
        if let (Ok(until), Ok(now)) = (number(url, "until"), number(url, "now")) {
            // At least as long as the session's rotation records, which end at the same time.
            let keep = u64::try_from(until.saturating_sub(now).max(60)).unwrap_or(60);
            self.state
                .storage()
                .set_alarm(std::time::Duration::from_secs(keep))
                .await?;
        }
        Response::ok("")
    }
}

impl DurableObject for AtomicObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        match url.path() {
            "/rotate" => {
                let successor = req.text().await?;
                return self.rotate(&url, successor).await;
            }
            "/attempt" => return self.attempt(&url).await,
            "/revoke" => return self.revoke(&url).await,
            "/revoked" => return Response::ok(if self.revoked()? { "yes" } else { "no" }),
            "/forgive" => return self.forgive(&url),
            _ => {}
        }
        let sql = self.state.storage().sql();
        sql.exec(
            "CREATE TABLE IF NOT EXISTS one (id INTEGER PRIMARY KEY CHECK (id = 1), holder TEXT NOT NULL)",
            None,
        )?;
        let holder = || -> worker::Result<Option<String>> {
            let rows: Vec<Holder> = sql
                .exec("SELECT holder FROM one WHERE id = 1", None)?
                .to_array()?;
            Ok(rows.into_iter().next().map(|row| row.holder))
        };
        match url.path() {
            "/claim" => {
                let user = param(&url, "user")?;
                sql.exec(
                    "INSERT OR IGNORE INTO one (id, holder) VALUES (1, ?)",
                    vec![user.into()],
                )?;
                Response::ok(holder()?.unwrap_or_default())
            }
            "/release" => {
                let user = param(&url, "user")?;
                sql.exec(
                    "DELETE FROM one WHERE id = 1 AND holder = ?",
                    vec![user.into()],
                )?;
                Response::ok("")
            }
            "/consume" => {
                let ttl_secs: u64 = param(&url, "ttl")?.parse().unwrap_or(60);
                if holder()?.is_some() {
                    return Response::ok("again");
                }
                sql.exec("INSERT INTO one (id, holder) VALUES (1, 'used')", None)?;
                // Forget it once nothing can present it any more.
                let keep = std::time::Duration::from_secs(ttl_secs.saturating_add(60));
                self.state.storage().set_alarm(keep).await?;
                Response::ok("first")
            }
            _ => Response::error("Not Found", 404),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.state.storage().delete_all().await?;
        Response::ok("")
    }
}
