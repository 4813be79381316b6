//! Configuration: vars and secrets, parsed and checked once, by name.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::credentials::jwt::{Alg, Expectations, KeySet, SigningKey};
use crate::credentials::password::PasswordParams;
use crate::util::secret::Secret;

/// Everything the core needs to know about its deployment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `iss` of our tokens (`JWT_ISSUER`).
    pub issuer: String,
    /// `aud` of our tokens (`JWT_AUDIENCE`).
    pub audience: String,
    /// Access-token lifetime (`ACCESS_TOKEN_TTL_SECS`, default 900).
    pub access_ttl_secs: i64,
    /// Session lifetime from login; refresh tokens never outlive it
    /// (`REFRESH_TOKEN_TTL_SECS`, default 30 days).
    pub refresh_ttl_secs: i64,
    /// How long a spent refresh token may still be presented (by a client racing itself)
    /// before it counts as reuse and revokes its family (`REFRESH_REUSE_GRACE_SECS`, default 10).
    pub refresh_grace_secs: i64,
    /// argon2id parameters for new hashes (`ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`,
    /// `ARGON2_PARALLELISM`; default OWASP's m=19 MiB, t=2, p=1).
    pub password: PasswordParams,
    /// Signs our access tokens (`JWT_SIGNING_KEY`: base64 of a 32-byte Ed25519 seed).
    pub signing_key: SigningKey,
    /// Keys rotated out, with the Unix time they stopped signing
    /// (`JWT_RETIRED_SIGNING_KEYS`: `seed:retired_at,...`). Each still verifies, and is
    /// published, until every token it signed has expired.
    pub retired_keys: Vec<(SigningKey, i64)>,
    /// The external OpenID provider, if one is configured (`OIDC_ISSUER` and friends).
    pub oidc: Option<crate::credentials::oidc::OidcConfig>,
    /// Encrypts private keys at rest (`PRIVATE_KEY_ENCRYPTION_KEY`: base64 of 32 bytes).
    pub private_key_kek: Secret<Vec<u8>>,
    /// HMAC key for API-key and refresh-token hashes (`API_KEY_PEPPER`: base64, 32+ bytes).
    pub pepper: Secret<Vec<u8>>,
    /// How many logins, registrations and sign-in starts are allowed (see [`crate::store::throttle`]).
    pub limits: crate::store::throttle::Limits,
    /// Whether every authenticated request asks if its credential was revoked (`CONSISTENCY`).
    pub consistency: Consistency,
    /// How long an isolate serves a session, API-key or private-key record from memory
    /// (`RECORD_CACHE_SECS`, default 10; 0 turns the memory off). See
    /// [`crate::store::cache`]: in edge mode a revocation made elsewhere takes up to this much
    /// longer to be seen; strict mode's revocation check does not go through it.
    pub record_cache_secs: i64,
    /// Origins whose browser apps may call the API (`CORS_ALLOWED_ORIGINS`, comma-separated
    /// exact origins; none by default): see the API's `cors` module.
    pub cors_allowed_origins: Vec<String>,
}

/// `CONSISTENCY`: how an authenticated request learns of a revocation. Either way, what must
/// happen once (one account per email, one successor per refresh token, exact throttles,
/// single-use codes, revocation itself) is decided by the [`crate::ports::Atomic`] port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Consistency {
    /// `edge` (the default): requests read the session or key record from KV at the edge, so a
    /// logout or key revocation reaches other locations as KV does, within about 60 s. Refresh
    /// tokens are refused everywhere at once (their rotation asks the session's atomic record).
    #[default]
    Edge,
    /// `strict`: every request with our JWT or an API key also asks the atomic port (on the
    /// Worker, the session's or key's Durable Object) whether it was revoked: logout and
    /// revocation hold everywhere at once, for one object call per request.
    Strict,
}

impl Consistency {
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        match lookup("CONSISTENCY").as_deref().map(str::trim) {
            None | Some("" | "edge") => Ok(Self::Edge),
            Some("strict") => Ok(Self::Strict),
            Some(_) => Err(ConfigError("CONSISTENCY must be strict or edge".into())),
        }
    }
}

pub use crate::error::ConfigError;

/// Parses `CORS_ALLOWED_ORIGINS`: comma-separated `scheme://host[:port]` origins, exactly as
/// browsers send them (no path, no trailing slash, no wildcard).
fn cors_origins(value: Option<&str>) -> Result<Vec<String>, ConfigError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let bad = |origin: &str| {
        ConfigError(format!(
            "CORS_ALLOWED_ORIGINS: {origin:?} is not an origin like https://app.example (exact, no path, no wildcard)"
        ))
    };
    value
        .split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .ok_or_else(|| bad(origin))?;
            let host_ok = !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
            if host_ok {
                Ok(origin.to_ascii_lowercase())
            } else {
                Err(bad(origin))
            }
        })
        .collect()
}

impl Config {
    /// Reads the configuration through `lookup`, which returns a var or secret by name.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let lookup = &lookup;
        // Read in this order, so that of several bad settings the same one is reported.
        let signing_key = signing_key(lookup)?;
        let retired_keys = retired_keys(lookup)?;
        Ok(Self {
            retired_keys,
            oidc: crate::credentials::oidc::OidcConfig::from_lookup(&lookup)?,
            issuer: issuer(lookup)?,
            audience: required(lookup, "JWT_AUDIENCE")?,
            access_ttl_secs: number(lookup, "ACCESS_TOKEN_TTL_SECS", 900, 60)?,
            refresh_ttl_secs: number(lookup, "REFRESH_TOKEN_TTL_SECS", 30 * 24 * 3600, 120)?,
            refresh_grace_secs: number(lookup, "REFRESH_REUSE_GRACE_SECS", 10, 0)?,
            password: password_params(lookup)?,
            signing_key,
            private_key_kek: secret_bytes(lookup, "PRIVATE_KEY_ENCRYPTION_KEY", 32, 32)?,
            pepper: secret_bytes(lookup, "API_KEY_PEPPER", 32, 1024)?,
            limits: crate::store::throttle::Limits::from_lookup(lookup)?,
            consistency: Consistency::from_lookup(lookup)?,
            record_cache_secs: number(lookup, "RECORD_CACHE_SECS", 10, 0)?,
            cors_allowed_origins: cors_origins(lookup("CORS_ALLOWED_ORIGINS").as_deref())?,
        })
    }
}

/// A var or secret that must be set, and not blank.
fn required(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Result<String, ConfigError> {
    lookup(name)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ConfigError(format!("{name} is not set")))
}

/// An integer var: `default` when unset, and never under `min`.
/// `JWT_ISSUER`, which must be the Worker's public URL: a loopback address is refused unless
/// `LOCAL_DEV=true` (set only by `.dev.vars`, which `wrangler deploy` never reads), so a
/// deployment that forgot to set it fails on its first request instead of issuing tokens for
/// 127.0.0.1.
fn issuer(lookup: &impl Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    let issuer = required(lookup, "JWT_ISSUER")?;
    let host = issuer
        .split_once("://")
        .map_or(issuer.as_str(), |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) && !name.ends_with(':') {
            name
        } else {
            host
        }
    });
    let host = host.to_ascii_lowercase();
    let loopback = host == "localhost"
        || host.ends_with(".localhost")
        || host.starts_with("127.")
        || host == "[::1]";
    let local = lookup("LOCAL_DEV").is_some_and(|v| v.trim() == "true");
    if loopback && !local {
        return Err(ConfigError(format!(
            "JWT_ISSUER is a loopback address ({issuer}): set it to the Worker's public URL \
             (LOCAL_DEV=true, for local development only, allows it)"
        )));
    }
    Ok(issuer)
}

fn number(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: i64,
    min: i64,
) -> Result<i64, ConfigError> {
    match lookup(name) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if n >= min => Ok(n),
            _ => Err(ConfigError(format!("{name} must be an integer >= {min}"))),
        },
    }
}

/// A required secret: standard base64 of `min_len..=max_len` bytes. Errors name it, never
/// show it.
fn secret_bytes(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    min_len: usize,
    max_len: usize,
) -> Result<Secret<Vec<u8>>, ConfigError> {
    let decoded = STANDARD
        .decode(required(lookup, name)?.trim())
        .map_err(|_| ConfigError(format!("{name} must be standard base64")))?;
    if decoded.len() < min_len || decoded.len() > max_len {
        return Err(ConfigError(format!(
            "{name} must decode to {min_len}..={max_len} bytes"
        )));
    }
    Ok(Secret::new(decoded))
}

/// `JWT_SIGNING_KEY`: the key that signs our access tokens.
fn signing_key(lookup: &impl Fn(&str) -> Option<String>) -> Result<SigningKey, ConfigError> {
    let seed = secret_bytes(lookup, "JWT_SIGNING_KEY", 32, 32)?;
    SigningKey::from_seed(seed.expose())
        .ok_or_else(|| ConfigError("JWT_SIGNING_KEY must be a 32-byte seed".into()))
}

/// `JWT_RETIRED_SIGNING_KEYS`: `seed:retired_at,...`, each seed standard base64.
fn retired_keys(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<(SigningKey, i64)>, ConfigError> {
    let seed_key = |seed: &str| {
        STANDARD
            .decode(seed.trim())
            .ok()
            .and_then(|seed| SigningKey::from_seed(&seed))
    };
    let mut retired_keys = Vec::new();
    for entry in lookup("JWT_RETIRED_SIGNING_KEYS")
        .unwrap_or_default()
        .split(',')
    {
        if entry.trim().is_empty() {
            continue;
        }
        let bad = || ConfigError("JWT_RETIRED_SIGNING_KEYS must be seed:retired_at,...".into());
        let (seed, at) = entry.split_once(':').ok_or_else(bad)?;
        let key = seed_key(seed).ok_or_else(bad)?;
        retired_keys.push((key, at.trim().parse::<i64>().map_err(|_| bad())?));
    }
    Ok(retired_keys)
}

/// The argon2id parameters: `ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`, `ARGON2_PARALLELISM`.
fn password_params(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<PasswordParams, ConfigError> {
    let small = |n: i64| u32::try_from(n).map_err(|_| ConfigError("too large".into()));
    Ok(PasswordParams {
        memory_kib: small(number(lookup, "ARGON2_MEMORY_KIB", 19 * 1024, 8)?)?,
        iterations: small(number(lookup, "ARGON2_ITERATIONS", 2, 1)?)?,
        parallelism: small(number(lookup, "ARGON2_PARALLELISM", 1, 1)?)?,
    })
}

impl Config {
    /// What the credentials layer needs of the configuration, borrowed.
    pub fn credentials(&self) -> crate::credentials::CredentialSettings<'_> {
        crate::credentials::CredentialSettings {
            issuer: &self.issuer,
            audience: &self.audience,
            signing_key: &self.signing_key,
            retired_keys: &self.retired_keys,
            access_ttl_secs: self.access_ttl_secs,
            pepper: &self.pepper,
            oidc: self.oidc.as_ref(),
            revocation_at_once: self.consistency == Consistency::Strict,
        }
    }

    /// The keys that verify our tokens at `now` (see [`crate::credentials::CredentialSettings`]).
    pub fn verification_keys(&self, now: i64) -> Vec<&SigningKey> {
        self.credentials().verification_keys(now)
    }
}

/// A verify-only setup: what checking our access tokens offline needs, public values only
/// (`JWT_ISSUER`, `JWT_AUDIENCE`, and `JWT_PUBLIC_JWKS`: the auth Worker's
/// `/.well-known/jwks.json`, as text). No secret, no store: see
/// [`crate::credentials::authenticate_offline`] for what it cannot know.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    /// `iss` of our tokens.
    pub issuer: String,
    /// `aud` of our tokens.
    pub audience: String,
    /// The public keys our tokens are signed with.
    pub keys: KeySet,
}

impl VerifyConfig {
    /// Reads it through `lookup`; the issuer rule is [`Config`]'s (no loopback outside local
    /// development), and the key set must hold at least one Ed25519 key.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let lookup = &lookup;
        let bad = || {
            ConfigError(
                "JWT_PUBLIC_JWKS must be the auth Worker's JWKS (/.well-known/jwks.json) with \
                 at least one Ed25519 key"
                    .to_owned(),
            )
        };
        let jwks = required(lookup, "JWT_PUBLIC_JWKS")?;
        let jwks: serde_json::Value = serde_json::from_str(&jwks).map_err(|_| bad())?;
        let keys = KeySet::from_jwks(&jwks).map_err(|_| bad())?;
        if !keys.fits_any(Alg::EdDsa) {
            return Err(bad());
        }
        Ok(Self {
            issuer: issuer(lookup)?,
            audience: required(lookup, "JWT_AUDIENCE")?,
            keys,
        })
    }

    /// The issuer and audience our tokens must name.
    pub fn expectations(&self) -> Expectations<'_> {
        Expectations {
            issuer: &self.issuer,
            audience: &self.audience,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn origins_are_exact_and_never_a_wildcard() {
        assert_eq!(cors_origins(None), Ok(Vec::new()));
        assert_eq!(
            cors_origins(Some("https://App.example, http://127.0.0.1:5173")),
            Ok(vec![
                "https://app.example".to_owned(),
                "http://127.0.0.1:5173".to_owned()
            ])
        );
        for bad in [
            "*",
            "https://*.example",
            "https://app.example/",
            "app.example",
            "ftp://x",
        ] {
            let err = cors_origins(Some(bad)).unwrap_err();
            assert!(err.0.contains("CORS_ALLOWED_ORIGINS"), "{bad}: {err}");
        }
    }

    fn vars() -> HashMap<&'static str, String> {
        HashMap::from([
            ("JWT_ISSUER", "https://auth.example".to_owned()),
            ("JWT_AUDIENCE", "edge-auth".to_owned()),
            ("JWT_SIGNING_KEY", STANDARD.encode([1u8; 32])),
            ("PRIVATE_KEY_ENCRYPTION_KEY", STANDARD.encode([2u8; 32])),
            ("API_KEY_PEPPER", STANDARD.encode([3u8; 32])),
        ])
    }

    #[test]
    fn a_verify_only_setup_needs_public_values_alone() {
        let auth = Config::from_lookup(|k| vars().get(k).cloned()).unwrap();
        let jwks = crate::credentials::jwt::jwks([&auth.signing_key]).to_string();
        let public = HashMap::from([
            ("JWT_ISSUER", "https://auth.example".to_owned()),
            ("JWT_AUDIENCE", "edge-auth".to_owned()),
            ("JWT_PUBLIC_JWKS", jwks),
        ]);
        let config = VerifyConfig::from_lookup(|k| public.get(k).cloned()).unwrap();
        assert!(config.keys.fits_any(Alg::EdDsa));
        assert_eq!(config.expectations().issuer, "https://auth.example");
        for (name, value) in [
            ("JWT_PUBLIC_JWKS", "not json"),
            ("JWT_PUBLIC_JWKS", r#"{"keys": []}"#),
            (
                "JWT_PUBLIC_JWKS",
                r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}"#,
            ),
            ("JWT_ISSUER", "http://127.0.0.1:8787"),
            ("JWT_AUDIENCE", " "),
        ] {
            let mut vars = public.clone();
            vars.insert(name, value.to_owned());
            let err = VerifyConfig::from_lookup(|k| vars.get(k).cloned()).unwrap_err();
            assert!(err.0.contains(name), "{name}={value}: {err}");
        }
    }

    #[test]
    fn defaults_apply_to_unset_numbers() {
        let vars = vars();
        let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
        assert_eq!(config.access_ttl_secs, 900);
        assert_eq!(config.password.memory_kib, 19 * 1024);
    }

    #[test]
    fn a_loopback_issuer_needs_local_dev() {
        let with = |issuer: &str, local: Option<&str>| {
            let mut vars = vars();
            vars.insert("JWT_ISSUER", issuer.to_owned());
            if let Some(local) = local {
                vars.insert("LOCAL_DEV", local.to_owned());
            }
            Config::from_lookup(|k| vars.get(k).cloned()).map(|c| c.issuer)
        };
        for loopback in [
            "http://127.0.0.1:8787",
            "http://localhost",
            "https://LOCALHOST:8443/x",
            "http://[::1]:8787",
            "http://app.localhost",
        ] {
            let err = with(loopback, None).unwrap_err();
            assert!(err.0.contains("JWT_ISSUER"), "{loopback}: {err}");
            assert!(
                with(&loopback.to_ascii_lowercase(), Some("true")).is_ok(),
                "{loopback}"
            );
        }
        assert!(with("http://127.0.0.1:8787", Some("false")).is_err());
        assert_eq!(
            with("https://auth.example", None),
            Ok("https://auth.example".to_owned())
        );
    }

    #[test]
    fn consistency_is_edge_unless_strict_is_asked_for() {
        let with = |value: Option<&str>| {
            let mut vars = vars();
            if let Some(value) = value {
                vars.insert("CONSISTENCY", value.to_owned());
            }
            Config::from_lookup(|k| vars.get(k).cloned()).map(|c| c.consistency)
        };
        assert_eq!(with(None), Ok(Consistency::Edge));
        assert_eq!(with(Some("edge")), Ok(Consistency::Edge));
        assert_eq!(with(Some(" strict ")), Ok(Consistency::Strict));
        let err = with(Some("eventual")).unwrap_err();
        assert!(err.0.contains("CONSISTENCY"), "{err}");
    }

    #[test]
    fn missing_or_short_secret_is_named_without_its_value() {
        let mut vars = vars();
        vars.remove("API_KEY_PEPPER");
        let err = Config::from_lookup(|k| vars.get(k).cloned()).unwrap_err();
        assert!(err.0.contains("API_KEY_PEPPER"), "{err}");

        let mut vars = self::vars();
        vars.insert("PRIVATE_KEY_ENCRYPTION_KEY", STANDARD.encode([9u8; 16]));
        let err = Config::from_lookup(|k| vars.get(k).cloned()).unwrap_err();
        assert!(err.0.contains("PRIVATE_KEY_ENCRYPTION_KEY"), "{err}");
        assert!(!err.0.contains(&STANDARD.encode([9u8; 16])));
    }

    #[test]
    fn retired_keys_verify_until_their_tokens_expire() {
        let mut vars = vars();
        vars.insert(
            "JWT_RETIRED_SIGNING_KEYS",
            format!("{}:1000", STANDARD.encode([8u8; 32])),
        );
        let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
        assert_eq!(config.verification_keys(1000 + 900 + 30).len(), 2);
        assert_eq!(config.verification_keys(1000 + 900 + 31).len(), 1);
        assert_eq!(
            config.verification_keys(0)[0].kid(),
            config.signing_key.kid()
        );
        vars.insert("JWT_RETIRED_SIGNING_KEYS", "nonsense".into());
        assert!(Config::from_lookup(|k| vars.get(k).cloned()).is_err());
    }

    #[test]
    fn bad_number_is_refused() {
        let mut vars = vars();
        vars.insert("ACCESS_TOKEN_TTL_SECS", "soon".into());
        assert!(Config::from_lookup(|k| vars.get(k).cloned()).is_err());
    }
}
