//! The typed request bodies of the API: each endpoint parses its body once, into one of these,
//! with every problem collected into one 422. Handlers never see a field that validation has
//! not decided.

use crate::api::validate::{self, Field, Kind};
use crate::credentials::private_key;
use crate::error::AuthError;
use crate::http::Request;
use crate::util::secret::Secret;

/// Longest password accepted anywhere: argon2 of a megabyte would be a cheap denial of service.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A request body as the OpenAPI document describes it: a JSON object of these fields, the
/// same [`Field`]s its `parse` reads. (The document is generated in tests: see `openapi`.)
#[cfg(test)]
pub trait RequestBody {
    /// Its schema's name in the document.
    const SCHEMA_NAME: &'static str;
    /// Its fields, in the order `parse` reads them.
    const FIELDS: &'static [Field];
}

const EMAIL: Field = Field::required("email", Kind::Email, "Trimmed and lower-cased");

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
    const PASSWORD: Field = Field::required(
        "password",
        Kind::Text {
            min: 8,
            max: Some(MAX_PASSWORD_CHARS),
        },
        "",
    );
    const NAME: Field = Field::optional(
        "name",
        Kind::Text {
            min: 1,
            max: Some(100),
        },
        "Display name",
    );

    /// Parses and validates the body.
    pub fn parse(req: &Request) -> Result<Self, AuthError> {
        let mut body = validate::json_body(req)?;
        let email = body.required_text(&EMAIL);
        let password = body.required_text(&Self::PASSWORD);
        let name = body.text(&Self::NAME);
        body.finish()?;
        Ok(Self {
            email,
            password,
            name,
        })
    }
}

#[cfg(test)]
impl RequestBody for RegisterRequest {
    const SCHEMA_NAME: &'static str = "RegisterRequest";
    const FIELDS: &'static [Field] = &[EMAIL, Self::PASSWORD, Self::NAME];
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
    const PASSWORD: Field = Field::required(
        "password",
        Kind::Text {
            min: 1,
            max: Some(MAX_PASSWORD_CHARS),
        },
        "",
    );

    /// Parses and validates the body: the email as `/register` checks it.
    pub fn parse(req: &Request) -> Result<Self, AuthError> {
        let mut body = validate::json_body(req)?;
        let email = body.required_text(&EMAIL);
        let password = body.required_text(&Self::PASSWORD);
        body.finish()?;
        Ok(Self { email, password })
    }
}

#[cfg(test)]
impl RequestBody for LoginRequest {
    const SCHEMA_NAME: &'static str = "LoginRequest";
    const FIELDS: &'static [Field] = &[EMAIL, Self::PASSWORD];
}

/// `POST /refresh`.
#[derive(Debug)]
pub struct RefreshRequest {
    /// The presented refresh token, not yet checked.
    pub refresh_token: String,
}

impl RefreshRequest {
    const REFRESH_TOKEN: Field = Field::required(
        "refresh_token",
        Kind::Text { min: 0, max: None },
        "From the last token response; single use",
    );

    /// Parses the body.
    pub fn parse(req: &Request) -> Result<Self, AuthError> {
        let mut body = validate::json_body(req)?;
        let refresh_token = body.required_text(&Self::REFRESH_TOKEN);
        body.finish()?;
        Ok(Self { refresh_token })
    }
}

#[cfg(test)]
impl RequestBody for RefreshRequest {
    const SCHEMA_NAME: &'static str = "RefreshRequest";
    const FIELDS: &'static [Field] = &[Self::REFRESH_TOKEN];
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
    const CODE: Field = Field::required(
        "code",
        Kind::Text {
            min: 1,
            max: Some(128),
        },
        "The one-time code from the redirect's fragment (#code=...)",
    );
    // RFC 7636: 43 to 128 characters.
    const CODE_VERIFIER: Field = Field::required(
        "code_verifier",
        Kind::Text {
            min: 43,
            max: Some(128),
        },
        "The verifier whose S256 challenge started the sign-in",
    );

    /// Parses the body.
    pub fn parse(req: &Request) -> Result<Self, AuthError> {
        let mut body = validate::json_body(req)?;
        let code = body.required_text(&Self::CODE);
        let code_verifier = body.required_text(&Self::CODE_VERIFIER);
        body.finish()?;
        Ok(Self {
            code,
            code_verifier,
        })
    }
}

#[cfg(test)]
impl RequestBody for TokenExchangeRequest {
    const SCHEMA_NAME: &'static str = "TokenExchangeRequest";
    const FIELDS: &'static [Field] = &[Self::CODE, Self::CODE_VERIFIER];
}

/// `POST /oauth/link`.
#[derive(Debug)]
pub struct LinkRequest {
    /// The S256 challenge of a verifier the app keeps.
    pub code_challenge: String,
}

impl LinkRequest {
    const CODE_CHALLENGE: Field = Field::required(
        "code_challenge",
        Kind::Text {
            min: 43,
            max: Some(43),
        },
        "S256 of a verifier the app keeps, for POST /oauth/token",
    );

    /// Parses the body.
    pub fn parse(req: &Request) -> Result<Self, AuthError> {
        let mut body = validate::json_body(req)?;
        let code_challenge = body.required_text(&Self::CODE_CHALLENGE);
        body.finish()?;
        Ok(Self { code_challenge })
    }
}

#[cfg(test)]
impl RequestBody for LinkRequest {
    const SCHEMA_NAME: &'static str = "LinkRequest";
    const FIELDS: &'static [Field] = &[Self::CODE_CHALLENGE];
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

/// Fewest and most characters of one scope.
const MIN_SCOPE_CHARS: usize = 1;
const MAX_SCOPE_CHARS: usize = 64;

/// The characters a scope may use besides ASCII letters and digits.
const SCOPE_PUNCTUATION: &[u8] = b":._-*";

fn scope_ok(scope: &str) -> bool {
    (MIN_SCOPE_CHARS..=MAX_SCOPE_CHARS).contains(&scope.len())
        && scope
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || SCOPE_PUNCTUATION.contains(&b))
}

impl CreateApiKeyRequest {
    const NAME: Field = Field::required(
        "name",
        Kind::Text {
            min: 1,
            max: Some(100),
        },
        "",
    );
    const SCOPES: Field = Field::optional(
        "scopes",
        Kind::TextList {
            max_items: MAX_SCOPES,
            min: MIN_SCOPE_CHARS,
            max: MAX_SCOPE_CHARS,
        },
        "Scopes: a-z A-Z 0-9 : . _ - *",
    );
    const EXPIRES_IN_DAYS: Field = Field::optional(
        "expires_in_days",
        Kind::Integer { min: 1, max: 3650 },
        "Lifetime in days; never expires if left out",
    );

    /// Parses and validates the body.
    pub fn parse(req: &Request) -> Result<Self, AuthError> {
        let mut body = validate::json_body(req)?;
        let name = body.required_text(&Self::NAME);
        let scopes = body.text_list(&Self::SCOPES).unwrap_or_default();
        let expires_in_days = body.integer(&Self::EXPIRES_IN_DAYS);
        if scopes.len() > MAX_SCOPES {
            let msg = format!("List should have at most {MAX_SCOPES} items");
            body.reject(Self::SCOPES.name, msg, "too_long");
        }
        if !scopes.iter().all(|s| scope_ok(s)) {
            let msg = format!(
                "Scopes are {MIN_SCOPE_CHARS}-{MAX_SCOPE_CHARS} characters of a-z A-Z 0-9 : . _ - *"
            );
            body.reject(Self::SCOPES.name, msg, "value_error");
        }
        body.finish()?;
        Ok(Self {
            name,
            scopes,
            expires_in_days,
        })
    }
}

#[cfg(test)]
impl RequestBody for CreateApiKeyRequest {
    const SCHEMA_NAME: &'static str = "CreateApiKeyRequest";
    const FIELDS: &'static [Field] = &[Self::NAME, Self::SCOPES, Self::EXPIRES_IN_DAYS];
}

/// `PUT /private-key`.
#[derive(Debug)]
pub struct PutPrivateKeyRequest {
    /// The key, normalized (PEM text or a JWK's JSON).
    pub private_key: Secret<String>,
}

impl PutPrivateKeyRequest {
    const PRIVATE_KEY: Field = Field::required(
        "private_key",
        Kind::Key,
        "PEM text or a JWK with its private part",
    );

    /// Parses the body and checks that it holds a private key.
    pub fn parse(req: &Request) -> Result<Self, AuthError> {
        let mut body = validate::json_body(req)?;
        let normalized = body.raw(&Self::PRIVATE_KEY).map(private_key::normalize);
        let private_key = match normalized {
            Some(Ok(key)) => key,
            Some(Err(msg)) => {
                body.reject(Self::PRIVATE_KEY.name, msg, "value_error");
                Secret::new(String::new())
            }
            // Recorded as missing by `raw`.
            None => Secret::new(String::new()),
        };
        body.finish()?;
        Ok(Self { private_key })
    }
}

#[cfg(test)]
impl RequestBody for PutPrivateKeyRequest {
    const SCHEMA_NAME: &'static str = "PrivateKeyRequest";
    const FIELDS: &'static [Field] = &[Self::PRIVATE_KEY];
}
