//! Sessions and their refresh tokens.
//!
//! A login starts a session: a family of refresh tokens. Each refresh spends the presented
//! token and issues its one successor in the same family (the session's atomic record picks
//! it when several callers present the token at once). A spent token presented again within
//! a short grace window (a client racing itself, e.g. two tabs) gets that same successor
//! back; presented after it, it is taken as stolen and the whole family is revoked, which
//! also invalidates the session's access tokens (they carry the session id as `sid`).
//!
//! Refresh tokens are `rt-` + a 16-character id + a 43-character secret, base62; only their
//! peppered HMAC is stored.

use crate::ports::{PortError, Random};
use crate::store::{RefreshRecord, UnixTime};
use crate::util::base62;
use crate::util::secret::Secret;

/// Every refresh token starts with this.
pub const PREFIX: &str = "rt-";
const ID_LEN: usize = 16;
const SECRET_LEN: usize = 43;

/// A new refresh token.
#[derive(Debug)]
pub struct NewRefreshToken {
    /// Its id.
    pub id: String,
    /// The whole token, given to the client once.
    pub token: Secret<String>,
}

/// Generates a refresh token.
pub fn generate(rng: &impl Random) -> Result<NewRefreshToken, PortError> {
    let id = base62::random(rng, ID_LEN)?;
    let secret = Secret::new(base62::random(rng, SECRET_LEN)?);
    let token = Secret::new(format!("{PREFIX}{id}{}", secret.expose()));
    Ok(NewRefreshToken { id, token })
}

/// The id of a well-formed refresh token.
pub fn parse(token: &str) -> Option<&str> {
    let rest = token.strip_prefix(PREFIX)?;
    (rest.len() == ID_LEN + SECRET_LEN && base62::is_base62(rest)).then(|| &rest[..ID_LEN])
}

/// What to do with a presented refresh token whose hash matched and whose session is live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exchange {
    /// Unspent: spend it and issue a new pair.
    Rotate,
    /// Spent less than the grace window ago: answer with the successor chosen then.
    WithinGrace,
    /// Spent before the grace window: revoke the family.
    Reuse,
    /// Past its expiry.
    Expired,
}

/// Decides the fate of a presented refresh token at `now`.
pub fn exchange(record: &RefreshRecord, now: UnixTime, grace_secs: i64) -> Exchange {
    if now >= record.expires_at {
        return Exchange::Expired;
    }
    match record.spent_at {
        None => Exchange::Rotate,
        Some(spent) if now.since(spent) < grace_secs => Exchange::WithinGrace,
        Some(_) => Exchange::Reuse,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{SessionId, UserId};
    use crate::testing::SeqRandom;

    fn record(spent_at: Option<i64>) -> RefreshRecord {
        RefreshRecord {
            session_id: SessionId::new("s"),
            user_id: UserId::new("u"),
            hash: "h".into(),
            expires_at: at(1_000),
            spent_at: spent_at.map(at),
        }
    }

    #[test]
    fn generated_token_parses_to_its_id() {
        let new = generate(&SeqRandom::new(9)).unwrap();
        assert_eq!(parse(new.token.expose()), Some(new.id.as_str()));
        assert_eq!(parse(&new.token.expose()[1..]), None);
        assert_eq!(parse("rt-short"), None);
    }

    fn at(secs: i64) -> UnixTime {
        UnixTime::from_secs(secs)
    }

    #[test]
    fn spent_token_is_reuse_only_after_the_grace_window() {
        assert_eq!(exchange(&record(None), at(100), 10), Exchange::Rotate);
        let spent = record(Some(100));
        assert_eq!(exchange(&spent, at(109), 10), Exchange::WithinGrace);
        assert_eq!(exchange(&spent, at(110), 10), Exchange::Reuse);
        assert_eq!(exchange(&spent, at(100), 0), Exchange::Reuse);
        assert_eq!(exchange(&record(None), at(1_000), 10), Exchange::Expired);
    }
}
