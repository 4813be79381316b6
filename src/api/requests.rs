//! The typed request bodies of the API: each endpoint parses its body once, into one of these,
//! with every problem collected into one 422. Handlers never see a field that validation has
//! not decided.

use crate::api::validate;
use crate::credentials::private_key;
use crate::error::AuthError;
use crate::http::Request;
use crate::util::secret::Secret;

/// Longest password accepted anywhere: argon2 of a megabyte would be a cheap denial of service.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// `POST /register`.
#[derive(Debug)]
pub struct RegisterRequest {
    /// Normalized email.
    pub email: String,
    /// 8 to 256 characters.
    pub password: String,
    /// 1 to 100 characters, if given.
    pub name: Option<String>,
}

impl RegisterRequest {
    /// Parses and validates the body.
    pub fn parse(req: &Request) -> Result<Self, AuthError> {
        let mut body = validate::json_body(req)?;
        let email = body.required_email("email");
        let password = body.required_str_len("password", 8, MAX_PASSWORD_CHARS);
        let name = body.optional_str("name");
        if let Some(name) = &name {
            validate::check_len(&mut body, "name", name, 1, 100);
        }
        body.finish()?;
        Ok(Self {
            email,
            password,
            name,
        })
    }
}

/// `POST /login`.
#[derive(Debug)]
pub struct LoginRequest {
    /// Normalized email.
    pub email: String,
    /// At most 256 characters.
    pub password: String,
}

impl LoginRequest {
    /// Parses and validates the body: the email as `/register` checks it.
    pub fn parse(req: &Request) -> Result<Self, AuthError> {
        let mut body = validate::json_body(req)?;
        let email = body.required_email("email");
        let password = body.required_str_len("password", 1, MAX_PASSWORD_CHARS);
        body.finish()?;
        Ok(Self { email, password })
    }
}

/// `POST /refresh`.
#[derive(Debug)]
pub struct RefreshRequest {
    /// The presented refresh token, not yet checked.
    pub refresh_token: String,
}

impl RefreshRequest {
    /// Parses the body.
    pub fn parse(req: &Request) -> Result<Self, AuthError> {
        let mut body = validate::json_body(req)?;
        let refresh_token = body.required_str("refresh_token");
        body.finish()?;
        Ok(Self { refresh_token })
    }
}

/// `POST /oauth/token`.
#[derive(Debug)]
pub struct TokenExchangeRequest {
    /// The one-time code the sign-in returned with.
    pub code: String,
    /// The verifier whose S256 challenge started the sign-in.
    pub code_verifier: String,
}

impl TokenExchangeRequest {
    /// Parses the body.
    pub fn parse(req: &Request) -> Result<Self, AuthError> {
        let mut body = validate::json_body(req)?;
        let code = body.required_str_len("code", 1, 128);
        // RFC 7636: 43 to 128 characters.
        let code_verifier = body.required_str_len("code_verifier", 43, 128);
        body.finish()?;
        Ok(Self {
            code,
            code_verifier,
        })
    }
}

/// `POST /oauth/link`.
#[derive(Debug)]
pub struct LinkRequest {
    /// The S256 challenge of a verifier the app keeps.
    pub code_challenge: String,
}

impl LinkRequest {
    /// Parses the body.
    pub fn parse(req: &Request) -> Result<Self, AuthError> {
        let mut body = validate::json_body(req)?;
        let code_challenge = body.required_str_len("code_challenge", 43, 43);
        body.finish()?;
        Ok(Self { code_challenge })
    }
}

/// `POST /api-keys`.
#[derive(Debug)]
pub struct CreateApiKeyRequest {
    /// 1 to 100 characters.
    pub name: String,
    /// The scopes asked for; empty when none were given.
    pub scopes: Vec<String>,
    /// Lifetime in days (1 to 3650), if it expires.
    pub expires_in_days: Option<i64>,
}

/// Most scopes one API key may carry.
pub const MAX_SCOPES: usize = 32;

fn scope_ok(scope: &str) -> bool {
    (1..=64).contains(&scope.len())
        && scope
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":._-*".contains(&b))
}

impl CreateApiKeyRequest {
    /// Parses and validates the body.
    pub fn parse(req: &Request) -> Result<Self, AuthError> {
        let mut body = validate::json_body(req)?;
        let name = body.required_str_len("name", 1, 100);
        let scopes = body.optional_str_list("scopes").unwrap_or_default();
        let expires_in_days = body.optional_int("expires_in_days", 1, 3650);
        if scopes.len() > MAX_SCOPES {
            body.reject("scopes", "List should have at most 32 items", "too_long");
        }
        if !scopes.iter().all(|s| scope_ok(s)) {
            body.reject(
                "scopes",
                "Scopes are 1-64 characters of a-z A-Z 0-9 : . _ - *",
                "value_error",
            );
        }
        body.finish()?;
        Ok(Self {
            name,
            scopes,
            expires_in_days,
        })
    }
}

/// `PUT /private-key`.
#[derive(Debug)]
pub struct PutPrivateKeyRequest {
    /// The key, normalized (PEM text or a JWK's JSON).
    pub private_key: Secret<String>,
}

impl PutPrivateKeyRequest {
    /// Parses the body and checks that it holds a private key.
    pub fn parse(req: &Request) -> Result<Self, AuthError> {
        let mut body = validate::json_body(req)?;
        let normalized = body.raw("private_key").map(private_key::normalize);
        let private_key = match normalized {
            Some(Ok(key)) => key,
            Some(Err(msg)) => {
                body.reject("private_key", msg, "value_error");
                Secret::new(String::new())
            }
            None => {
                body.reject("private_key", "Field required", "missing");
                Secret::new(String::new())
            }
        };
        body.finish()?;
        Ok(Self { private_key })
    }
}
