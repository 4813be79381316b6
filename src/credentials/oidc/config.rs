//! The provider's settings, read and checked once (`OIDC_*`).

use crate::error::ConfigError;
use crate::util::secret::Secret;

/// The provider's settings.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// `OIDC_ISSUER`: the provider's issuer URL, exactly as in its tokens.
    pub issuer: String,
    /// `OIDC_CLIENT_ID`.
    pub client_id: String,
    /// `OIDC_CLIENT_SECRET` (a secret).
    pub client_secret: Secret<String>,
    /// `OIDC_REDIRECT_URIS`: where a finished sign-in may return to (comma-separated).
    pub redirect_uris: Vec<String>,
    /// `OIDC_SCOPES`: requested at sign-in; default `openid email profile`.
    pub scopes: String,
    /// `OIDC_AUDIENCE`: the `aud` required of provider access tokens; default the client id.
    pub audience: String,
    /// `OIDC_REQUIRED_SCOPES`: scopes a provider access token must carry; default
    /// `openid email profile`.
    pub required_scopes: Vec<String>,
    /// `OIDC_CALLBACK_URL`: our callback as registered at the provider; default this
    /// request's origin + `/api/v1/auth/oauth/callback`.
    pub callback_url: Option<String>,
    /// `OIDC_ACCESS_TOKEN_TYP`: `at+jwt` (default) requires RFC 9068's `typ` header on
    /// provider access tokens; `any` accepts providers that do not send it.
    pub require_access_token_typ: bool,
}

impl OidcConfig {
    /// The provider settings, or `None` when `OIDC_ISSUER` is not set.
    pub fn from_lookup(
        lookup: &impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let Some(issuer) = get("OIDC_ISSUER") else {
            return Ok(None);
        };
        let required = |name: &str| {
            get(name).ok_or_else(|| ConfigError(format!("{name} is not set (OIDC_ISSUER is)")))
        };
        let list = |text: String, sep: char| -> Vec<String> {
            text.split(sep)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let client_id = required("OIDC_CLIENT_ID")?;
        let redirect_uris = list(required("OIDC_REDIRECT_URIS")?, ',');
        if redirect_uris.iter().any(|uri| uri.contains('#')) {
            return Err(ConfigError(
                "OIDC_REDIRECT_URIS must not contain a fragment (#)".into(),
            ));
        }
        let require_access_token_typ = match get("OIDC_ACCESS_TOKEN_TYP").as_deref() {
            None | Some("at+jwt") => true,
            Some("any") => false,
            Some(_) => {
                return Err(ConfigError(
                    "OIDC_ACCESS_TOKEN_TYP must be at+jwt or any".into(),
                ))
            }
        };
        let scopes = get("OIDC_SCOPES").unwrap_or_else(|| "openid email profile".into());
        Ok(Some(Self {
            // Exactly as written: Auth0's issuer ends with a slash, and tokens carry it so.
            issuer,
            client_secret: Secret::new(required("OIDC_CLIENT_SECRET")?),
            redirect_uris,
            require_access_token_typ,
            audience: get("OIDC_AUDIENCE").unwrap_or_else(|| client_id.clone()),
            required_scopes: list(
                get("OIDC_REQUIRED_SCOPES").unwrap_or_else(|| scopes.clone()),
                ' ',
            ),
            callback_url: get("OIDC_CALLBACK_URL"),
            scopes,
            client_id,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_optional_but_complete_when_present() {
        let none = OidcConfig::from_lookup(&|_: &str| None).unwrap();
        assert!(none.is_none());
        let partial =
            |name: &str| (name == "OIDC_ISSUER").then(|| "https://idp.example".to_owned());
        assert!(OidcConfig::from_lookup(&partial).is_err());
        let full = |name: &str| {
            Some(
                match name {
                    "OIDC_ISSUER" => "https://idp.example/",
                    "OIDC_CLIENT_ID" => "client",
                    "OIDC_CLIENT_SECRET" => "s3cret",
                    "OIDC_REDIRECT_URIS" => "https://app.example/, https://app.example/done",
                    _ => return None,
                }
                .to_owned(),
            )
        };
        let config = OidcConfig::from_lookup(&full).unwrap().unwrap();
        // Exactly as written (Auth0's issuers end with a slash).
        assert_eq!(config.issuer, "https://idp.example/");
        assert!(config.require_access_token_typ);
        assert_eq!(config.audience, "client");
        assert_eq!(
            config.redirect_uris,
            ["https://app.example/", "https://app.example/done"]
        );
        assert_eq!(config.required_scopes, ["openid", "email", "profile"]);
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
