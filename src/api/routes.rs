//! The route table: every path of the API and the methods it answers.

use crate::http::BASE_PATH;

/// The API's routes, each with the methods it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Register,
    Login,
    Refresh,
    Logout,
    Me,
    ApiKeys,
    ApiKey(String),
    PrivateKey,
    Jwks,
    OauthAuthorize,
    OauthCallback,
    OauthToken,
    OauthLink,
    Identity(String),
    OpenApi,
    Docs,
}

impl Route {
    pub(crate) fn parse(path: &str) -> Option<Self> {
        if path == "/.well-known/jwks.json" {
            return Some(Self::Jwks);
        }
        let rest = path.strip_prefix(BASE_PATH)?;
        Some(match rest {
            "/register" => Self::Register,
            "/login" => Self::Login,
            "/refresh" => Self::Refresh,
            "/logout" => Self::Logout,
            "/me" => Self::Me,
            "/api-keys" => Self::ApiKeys,
            "/private-key" => Self::PrivateKey,
            "/.well-known/jwks.json" => Self::Jwks,
            "/oauth/authorize" => Self::OauthAuthorize,
            "/oauth/callback" => Self::OauthCallback,
            "/oauth/token" => Self::OauthToken,
            "/oauth/link" => Self::OauthLink,
            "/openapi.json" => Self::OpenApi,
            "/docs" => Self::Docs,
            _ => {
                let (route, id): (fn(String) -> Self, _) = match rest.strip_prefix("/api-keys/") {
                    Some(id) => (Self::ApiKey, id),
                    None => (Self::Identity, rest.strip_prefix("/identities/")?),
                };
                if id.is_empty() || id.contains('/') {
                    return None;
                }
                route(id.to_owned())
            }
        })
    }

    pub(crate) fn methods(&self) -> &'static [&'static str] {
        match self {
            Self::Register
            | Self::Login
            | Self::Refresh
            | Self::Logout
            | Self::OauthToken
            | Self::OauthLink => &["POST"],
            Self::Me
            | Self::Jwks
            | Self::OauthAuthorize
            | Self::OauthCallback
            | Self::OpenApi
            | Self::Docs => &["GET", "HEAD"],
            Self::ApiKeys => &["GET", "HEAD", "POST"],
            Self::ApiKey(_) | Self::Identity(_) => &["DELETE"],
            Self::PrivateKey => &["GET", "HEAD", "PUT", "DELETE"],
        }
    }
}

#[cfg(test)]
impl Route {
    /// One of each route, for the tests that must cover them all.
    pub(crate) fn every() -> Vec<Self> {
        let every = vec![
            Self::Register,
            Self::Login,
            Self::Refresh,
            Self::Logout,
            Self::Me,
            Self::ApiKeys,
            Self::ApiKey("id".into()),
            Self::PrivateKey,
            Self::Jwks,
            Self::OauthAuthorize,
            Self::OauthCallback,
            Self::OauthToken,
            Self::OauthLink,
            Self::Identity("id".into()),
            Self::OpenApi,
            Self::Docs,
        ];
        for route in &every {
            // A new route stops this match from compiling until it is listed above too.
            match route {
                Self::Register
                | Self::Login
                | Self::Refresh
                | Self::Logout
                | Self::Me
                | Self::ApiKeys
                | Self::ApiKey(_)
                | Self::PrivateKey
                | Self::Jwks
                | Self::OauthAuthorize
                | Self::OauthCallback
                | Self::OauthToken
                | Self::OauthLink
                | Self::Identity(_)
                | Self::OpenApi
                | Self::Docs => {}
            }
        }
        every
    }
}
