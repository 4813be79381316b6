//! The one error type of the API, and the one place that maps it to HTTP.

use serde::Serialize;

use crate::http::Response;
use crate::ports::PortError;

/// One part of a validation error's location, as FastAPI reports it: `["body", "email"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(inline))]
#[cfg_attr(feature = "wasm", derive(tsify_next::Tsify))]
#[serde(untagged)]
pub enum Loc {
    /// A field name, or `body`/`query`/`path`.
    Name(String),
    /// A position: an index in a list or a byte offset in malformed JSON.
    Index(usize),
}

/// One entry of a 422 response's `detail` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(schemars::JsonSchema),
    schemars(rename = "ValidationError")
)]
// The npm package declares it as `ValidationIssue` (an alias, in `adapters::wasm`).
#[cfg_attr(feature = "wasm", derive(tsify_next::Tsify))]
pub struct FieldError {
    /// Where the error is.
    pub loc: Vec<Loc>,
    /// What is wrong, for a person.
    pub msg: String,
    /// What is wrong, for a program (FastAPI's error types: `missing`, `string_type`, ...).
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl FieldError {
    /// An error on the body field `field`.
    pub fn body(field: &str, msg: impl Into<String>, kind: &'static str) -> Self {
        Self {
            loc: vec![Loc::Name("body".into()), Loc::Name(field.into())],
            msg: msg.into(),
            kind,
        }
    }
}

/// Every error but a validation error: what went wrong, for a person.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(rename = "Error"))]
pub struct ErrorBody<'a> {
    /// What went wrong.
    pub detail: &'a str,
}

/// A validation error (422): every problem with the request at once.
#[derive(Debug, Serialize)]
#[cfg_attr(
    test,
    derive(schemars::JsonSchema),
    schemars(rename = "HTTPValidationError")
)]
pub struct ValidationErrorBody<'a> {
    /// One entry per problem.
    pub detail: &'a [FieldError],
}

/// A missing or malformed setting, by name. Never includes a secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Why a token was refused. The messages are safe to send to the client.
///
/// Serialized, and in the npm package's `TokenErrorCode` type (generated from this enum), a
/// variant is its `code()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "verify",
    derive(tsify_next::Tsify),
    tsify(type_suffix = "Code")
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenError {
    /// Not three base64url parts of JSON.
    Malformed,
    /// `alg` is not the one we verify with (this includes `none`).
    UnsupportedAlgorithm,
    /// `kid` names none of our keys.
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// The `typ` header is not the one required (`at+jwt` for access tokens).
    WrongType,
    /// `exp` is missing.
    MissingExpiry,
    /// `exp` has passed.
    Expired,
    /// `nbf` is in the future.
    NotYetValid,
    /// `iss` is not the expected one.
    WrongIssuer,
    /// `aud` is not the expected one.
    WrongAudience,
    /// The key set is not a JWK Set we can use.
    InvalidJwks,
    /// An ID token's `nonce` is not the one this sign-in sent.
    WrongNonce,
    /// An access token lacks a required scope.
    MissingScope,
}

impl TokenError {
    /// A short, client-safe explanation.
    pub fn message(self) -> &'static str {
        match self {
            Self::Malformed => "malformed token",
            Self::UnsupportedAlgorithm => "unsupported token algorithm",
            Self::UnknownKey => "token signed by an unknown key",
            Self::BadSignature => "invalid token signature",
            Self::WrongType => "wrong token type",
            Self::MissingExpiry => "token has no expiry",
            Self::Expired => "token expired",
            Self::NotYetValid => "token not yet valid",
            Self::WrongIssuer => "wrong token issuer",
            Self::WrongAudience => "wrong token audience",
            Self::InvalidJwks => "invalid JWK set",
            Self::WrongNonce => "wrong nonce",
            Self::MissingScope => "token lacks a required scope",
        }
    }

    /// A stable, machine-readable code (`expired`, `bad_signature`, ...): the serde name.
    pub fn code(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::WrongType => "wrong_type",
            Self::MissingExpiry => "missing_expiry",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::InvalidJwks => "invalid_jwks",
            Self::WrongNonce => "wrong_nonce",
            Self::MissingScope => "missing_scope",
        }
    }
}

/// Why a presented credential was refused: a 401 with `error="invalid_token"`. Each
/// module's own verdict, named once; the messages are safe to send to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// A JWT (ours or the identity provider's) failed verification.
    Token(TokenError),
    /// Neither an `sk-` key nor a JWT.
    UnrecognizedCredential,
    /// A JWT from an issuer we do not trust.
    UntrustedIssuer,
    /// A valid provider token whose identity no local user is linked to.
    NotLinked,
    /// The session of the access token or refresh token was logged out or revoked.
    SessionEnded,
    /// The credential's user no longer exists.
    UserGone,
    /// Not the shape of an `sk-` key.
    MalformedApiKey,
    /// An `sk-` key whose checksum does not match (a typo or a truncated copy).
    ApiKeyChecksum,
    /// An API key that does not exist, or whose secret does not match.
    InvalidApiKey,
    /// An API key past its expiry.
    ApiKeyExpired,
    /// A refresh token that does not exist or does not match.
    InvalidRefreshToken,
    /// A refresh token past its session's end.
    RefreshExpired,
    /// A spent refresh token presented again after the grace window: its session is revoked.
    RefreshReused,
}

impl Rejection {
    /// A short, client-safe explanation.
    pub fn message(self) -> &'static str {
        match self {
            Self::Token(err) => err.message(),
            Self::UnrecognizedCredential => "unrecognized credential",
            Self::UntrustedIssuer => "token issuer is not trusted",
            Self::NotLinked => {
                "no local user is linked to this identity: sign in with the provider first"
            }
            Self::SessionEnded => "session has ended",
            Self::UserGone => "user no longer exists",
            Self::MalformedApiKey => "malformed API key",
            Self::ApiKeyChecksum => "API key checksum mismatch",
            Self::InvalidApiKey => "invalid API key",
            Self::ApiKeyExpired => "API key expired",
            Self::InvalidRefreshToken => "invalid refresh token",
            Self::RefreshExpired => "refresh token expired",
            Self::RefreshReused => "refresh token reused; session revoked",
        }
    }
}

impl From<TokenError> for Rejection {
    fn from(err: TokenError) -> Self {
        Self::Token(err)
    }
}

/// Everything that can go wrong while serving a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// 422: the body or a parameter failed validation.
    Validation(Vec<FieldError>),
    /// 401: no credential was sent.
    MissingCredentials,
    /// 401: a credential was sent but is not valid; the rejection says why, without secrets.
    InvalidToken(Rejection),
    /// 401: login failed. Unknown email and wrong password both give this.
    InvalidLogin,
    /// 400: a request that cannot be served as sent (a sign-in callback with a bad state, ...).
    BadRequest(String),
    /// 403: a valid credential that may not do this.
    Forbidden(&'static str),
    /// 404.
    NotFound(&'static str),
    /// 405, with the methods the path allows.
    MethodNotAllowed(&'static [&'static str]),
    /// 409.
    Conflict(&'static str),
    /// 429: too many attempts; try again after this many seconds.
    TooManyRequests {
        /// Sent as `Retry-After`.
        retry_after_secs: u64,
    },
    /// 503: this instance is busy with expensive work (password hashes); retry after this
    /// many seconds.
    Busy {
        /// Sent as `Retry-After`.
        retry_after_secs: u64,
    },
    /// 413: the body is over [`crate::http::MAX_BODY_BYTES`].
    PayloadTooLarge,
    /// 415: a body that is not JSON.
    UnsupportedMediaType,
    /// 502: the identity provider is unreachable or answered nonsense. Logged, never sent.
    Upstream(String),
    /// 500: a port failed or the configuration is broken. The text is logged, never sent.
    Internal(String),
}

impl From<PortError> for AuthError {
    fn from(err: PortError) -> Self {
        Self::Internal(err.0)
    }
}

// Each layer's own error becomes an `AuthError` once, by the `From` beside its definition
// (store, throttle, password, private_key, oidc): this file imports no layer above it.

impl AuthError {
    /// The status code.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Validation(_) => 422,
            Self::MissingCredentials | Self::InvalidToken(_) | Self::InvalidLogin => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::MethodNotAllowed(_) => 405,
            Self::Conflict(_) => 409,
            Self::PayloadTooLarge => 413,
            Self::TooManyRequests { .. } => 429,
            Self::UnsupportedMediaType => 415,
            Self::Upstream(_) => 502,
            Self::Busy { .. } => 503,
            Self::Internal(_) => 500,
        }
    }

    /// The response: FastAPI's shapes (`{"detail": [...]}` for 422, `{"detail": "..."}`
    /// otherwise) and RFC 6750's `WWW-Authenticate` on 401.
    pub fn into_response(self) -> Response {
        let status = self.status();
        fn detail(detail: &str) -> ErrorBody<'_> {
            ErrorBody { detail }
        }
        match self {
            Self::Validation(errors) => {
                Response::json(status, &ValidationErrorBody { detail: &errors })
            }
            Self::MissingCredentials => Response::json(status, &detail("Not authenticated"))
                .with_header("www-authenticate", "Bearer"),
            Self::InvalidToken(rejection) => {
                let msg = rejection.message();
                Response::json(status, &detail(msg)).with_header(
                    "www-authenticate",
                    format!("Bearer error=\"invalid_token\", error_description=\"{msg}\""),
                )
            }
            Self::InvalidLogin => Response::json(status, &detail("Incorrect email or password"))
                .with_header("www-authenticate", "Bearer"),
            Self::BadRequest(msg) => Response::json(status, &detail(&msg)),
            Self::Forbidden(msg) | Self::NotFound(msg) | Self::Conflict(msg) => {
                Response::json(status, &detail(msg))
            }
            Self::MethodNotAllowed(allowed) => {
                Response::json(status, &detail("Method Not Allowed"))
                    .with_header("allow", allowed.join(", "))
            }
            Self::TooManyRequests { retry_after_secs } => {
                Response::json(status, &detail("Too many attempts; try again later"))
                    .with_header("retry-after", retry_after_secs.to_string())
            }
            Self::Busy { retry_after_secs } => {
                Response::json(status, &detail("The server is busy; try again shortly"))
                    .with_header("retry-after", retry_after_secs.to_string())
            }
            Self::PayloadTooLarge => {
                Response::json(status, &detail("Request body is larger than 64 KB"))
            }
            Self::UnsupportedMediaType => {
                Response::json(status, &detail("Content-Type must be application/json"))
            }
            Self::Upstream(log) => {
                let mut response =
                    Response::json(status, &detail("The identity provider is unavailable"));
                response.log = Some(log);
                response
            }
            Self::Internal(log) => {
                let mut response = Response::json(status, &detail("Internal Server Error"));
                response.log = Some(log);
                response
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn internal_errors_are_logged_not_sent() {
        let response =
            AuthError::Internal("kv: connection reset at 10.0.0.1".into()).into_response();
        assert_eq!(response.status, 500);
        assert!(!String::from_utf8_lossy(&response.body).contains("10.0.0.1"));
        assert_eq!(
            response.log.as_deref(),
            Some("kv: connection reset at 10.0.0.1")
        );
    }

    #[test]
    fn invalid_token_says_so_in_www_authenticate() {
        let response =
            AuthError::InvalidToken(Rejection::Token(TokenError::Expired)).into_response();
        assert_eq!(response.status, 401);
        let header = response.header("www-authenticate").unwrap();
        assert!(
            header.starts_with("Bearer error=\"invalid_token\""),
            "{header}"
        );
        assert_eq!(response.json_body()["detail"], "token expired");
    }

    /// `code()` is what the package throws; the serde names are what its `TokenErrorCode`
    /// type lists. The schema lists every variant, so a variant missing from `ALL` fails too.
    #[test]
    fn token_error_codes_are_the_serde_names() {
        use TokenError::*;
        const ALL: [TokenError; 13] = [
            Malformed,
            UnsupportedAlgorithm,
            UnknownKey,
            BadSignature,
            WrongType,
            MissingExpiry,
            Expired,
            NotYetValid,
            WrongIssuer,
            WrongAudience,
            InvalidJwks,
            WrongNonce,
            MissingScope,
        ];
        for err in ALL {
            assert_eq!(serde_json::to_value(err).unwrap(), json!(err.code()));
        }
        let schema = serde_json::to_value(schemars::schema_for!(TokenError)).unwrap();
        // Documented variants come out as `oneOf` a `const` each.
        let mut names: Vec<&str> = schema["oneOf"]
            .as_array()
            .unwrap_or_else(|| panic!("not a oneOf of strings: {schema}"))
            .iter()
            .map(|variant| variant["const"].as_str().unwrap())
            .collect();
        let mut codes: Vec<&str> = ALL.iter().map(|err| err.code()).collect();
        names.sort_unstable();
        codes.sort_unstable();
        assert_eq!(names, codes);
    }

    #[test]
    fn validation_errors_use_fastapi_shape() {
        let response =
            AuthError::Validation(vec![FieldError::body("email", "Field required", "missing")])
                .into_response();
        assert_eq!(response.status, 422);
        assert_eq!(
            response.json_body(),
            json!({"detail": [{"loc": ["body", "email"], "msg": "Field required", "type": "missing"}]})
        );
    }
}
