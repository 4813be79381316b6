//! Reading a JSON request body field by field, collecting every problem in FastAPI's shape
//! so that one 422 answer lists them all.

use serde_json::{Map, Value};

use crate::error::{AuthError, FieldError, Loc};
use crate::http::{Request, MAX_BODY_BYTES};

/// A JSON object body being validated.
#[derive(Debug)]
pub struct Body {
    fields: Map<String, Value>,
    errors: Vec<FieldError>,
}

/// Parses the request body as a JSON object.
///
/// Refuses a body over 64 KB (413), a `Content-Type` that is missing or not JSON (415: a
/// missing one is not read as JSON, so a form post or a `text/plain` "simple request" from
/// another site never reaches a handler), malformed JSON and a body that is not an object (422).
pub fn json_body(req: &Request) -> Result<Body, AuthError> {
    if req.body.len() > MAX_BODY_BYTES {
        return Err(AuthError::PayloadTooLarge);
    }
    let media_type = req
        .header("content-type")
        .and_then(|value| value.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media_type != "application/json" && !media_type.ends_with("+json") {
        return Err(AuthError::UnsupportedMediaType);
    }
    let value: Value = serde_json::from_slice(&req.body).map_err(|err| {
        // serde_json reports line and column; FastAPI reports a position in the body.
        let position = byte_offset(&req.body, err.line(), err.column());
        AuthError::Validation(vec![FieldError {
            loc: vec![Loc::Name("body".into()), Loc::Index(position)],
            msg: format!("JSON decode error: {}", json_error_reason(&err)),
            kind: "json_invalid",
        }])
    })?;
    match value {
        Value::Object(fields) => Ok(Body {
            fields,
            errors: Vec::new(),
        }),
        _ => Err(AuthError::Validation(vec![FieldError {
            loc: vec![Loc::Name("body".into())],
            msg: "Input should be a valid dictionary or object to extract fields from".into(),
            kind: "model_attributes_type",
        }])),
    }
}

fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let line_start: usize = body
        .split(|&b| b == b'\n')
        .take(line.saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    (line_start + column.saturating_sub(1)).min(body.len())
}

fn json_error_reason(err: &serde_json::Error) -> String {
    // Drop serde_json's " at line X column Y" suffix: the position is in `loc`.
    let text = err.to_string();
    match text.find(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// One field of a request body, and what it must hold. A request type's `parse` reads each
/// field through its `Field`, and the OpenAPI document describes the field from the same
/// `Field`: a limit is written once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Its name in the JSON object.
    pub name: &'static str,
    /// Whether the body must have it (`null` never counts as present).
    pub required: bool,
    /// What it holds.
    pub kind: Kind,
    /// What it is, for the document.
    pub description: &'static str,
}

/// What a request field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string of `min` to `max` characters (any length when `max` is `None`).
    Text {
        /// Fewest characters.
        min: usize,
        /// Most characters, if limited.
        max: Option<usize>,
    },
    /// An email address: trimmed and lower-cased (see [`normalize_email`]).
    Email,
    /// An integer from `min` to `max`.
    Integer {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
    },
    /// A list of at most `max_items` strings, each of `min` to `max` characters.
    TextList {
        /// Most items.
        max_items: usize,
        /// Fewest characters of an item.
        min: usize,
        /// Most characters of an item.
        max: usize,
    },
    /// A private key: PEM text or a JWK object; what the request type checks.
    Key,
}

impl Field {
    /// A field the body must have.
    pub const fn required(name: &'static str, kind: Kind, description: &'static str) -> Self {
        Self {
            name,
            required: true,
            kind,
            description,
        }
    }

    /// A field the body may leave out or set to `null`.
    pub const fn optional(name: &'static str, kind: Kind, description: &'static str) -> Self {
        Self {
            name,
            required: false,
            kind,
            description,
        }
    }
}

impl Body {
    /// The field's JSON value: `None` when absent or `null`, which is recorded as `missing`
    /// for a required field.
    fn present(&mut self, field: &Field) -> Option<&Value> {
        match self.fields.get(field.name) {
            None if field.required => {
                self.errors
                    .push(FieldError::body(field.name, "Field required", "missing"));
                None
            }
            None => None,
            // A required field's `null` is "not a string" (FastAPI's answer), not "missing".
            Some(Value::Null) if !field.required => None,
            Some(value) => Some(value),
        }
    }

    /// A string field ([`Kind::Text`], whose length is checked, or [`Kind::Email`], which is
    /// normalized). A wrong type or length is recorded; for a required field the value
    /// returned then is empty and only [`Body::finish`]'s error counts.
    pub fn text(&mut self, field: &Field) -> Option<String> {
        let value = match self.present(field) {
            None => return None,
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                self.reject(field.name, "Input should be a valid string", "string_type");
                return None;
            }
        };
        match field.kind {
            Kind::Text { min, max } => {
                check_len(self, field.name, &value, min, max.unwrap_or(usize::MAX));
                Some(value)
            }
            Kind::Email => match normalize_email(&value) {
                Some(email) => Some(email),
                None => {
                    let msg = "value is not a valid email address";
                    self.reject(field.name, msg, "value_error");
                    None
                }
            },
            Kind::Integer { .. } | Kind::TextList { .. } | Kind::Key => {
                debug_assert!(false, "{} is not a string field", field.name);
                None
            }
        }
    }

    /// A required string field (see [`Body::text`]): empty when it is not valid.
    pub fn required_text(&mut self, field: &Field) -> String {
        debug_assert!(field.required, "{} is optional", field.name);
        self.text(field).unwrap_or_default()
    }

    /// An integer field ([`Kind::Integer`]) within its range.
    pub fn integer(&mut self, field: &Field) -> Option<i64> {
        let Kind::Integer { min, max } = field.kind else {
            debug_assert!(false, "{} is not an integer field", field.name);
            return None;
        };
        let n = match self.present(field) {
            None => return None,
            Some(Value::Number(n)) => n.as_i64(),
            Some(_) => None,
        };
        match n {
            Some(v) if (min..=max).contains(&v) => Some(v),
            Some(v) if v < min => {
                let msg = format!("Input should be greater than or equal to {min}");
                self.reject(field.name, msg, "greater_than_equal");
                None
            }
            Some(_) => {
                let msg = format!("Input should be less than or equal to {max}");
                self.reject(field.name, msg, "less_than_equal");
                None
            }
            None => {
                self.reject(field.name, "Input should be a valid integer", "int_type");
                None
            }
        }
    }

    /// A list of strings ([`Kind::TextList`]): each item not a string is recorded; the
    /// number of items and their lengths are the request type's to check (in its order).
    pub fn text_list(&mut self, field: &Field) -> Option<Vec<String>> {
        let items = match self.present(field) {
            None => return None,
            Some(Value::Array(items)) => items.clone(),
            Some(_) => {
                self.reject(field.name, "Input should be a valid list", "list_type");
                return None;
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Value::String(s) => out.push(s),
                _ => self.errors.push(FieldError {
                    loc: vec![
                        Loc::Name("body".into()),
                        Loc::Name(field.name.into()),
                        Loc::Index(i),
                    ],
                    msg: "Input should be a valid string".into(),
                    kind: "string_type",
                }),
            }
        }
        Some(out)
    }

    /// A field's raw JSON value, for a field that accepts more than one type ([`Kind::Key`]);
    /// `null` counts as absent, and a required field's absence is recorded.
    pub fn raw(&mut self, field: &Field) -> Option<&Value> {
        if self.fields.get(field.name).is_none_or(Value::is_null) {
            if field.required {
                self.reject(field.name, "Field required", "missing");
            }
            return None;
        }
        self.fields.get(field.name)
    }

    /// Records a problem with `field`.
    pub fn reject(&mut self, field: &str, msg: impl Into<String>, kind: &'static str) {
        self.errors.push(FieldError::body(field, msg, kind));
    }

    /// Succeeds when no problem was recorded; otherwise the 422 listing all of them.
    pub fn finish(self) -> Result<(), AuthError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AuthError::Validation(self.errors))
        }
    }
}

/// Checks a string's length in characters, recording FastAPI's `string_too_short` or
/// `string_too_long`.
pub fn check_len(body: &mut Body, field: &str, value: &str, min: usize, max: usize) -> bool {
    let len = value.chars().count();
    if len < min {
        let msg = format!("String should have at least {min} characters");
        body.reject(field, msg, "string_too_short");
        false
    } else if len > max {
        let msg = format!("String should have at most {max} characters");
        body.reject(field, msg, "string_too_long");
        false
    } else {
        true
    }
}

/// Normalizes an email address (trimmed, lower-cased) if it looks like one: one `@`, a
/// non-empty local part, a dotted domain, no spaces or control characters, at most 254 bytes.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let valid = email.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    valid.then_some(email)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EMAIL: Field = Field::required("email", Kind::Email, "");
    const PASSWORD: Field = Field::required("password", Kind::Text { min: 0, max: None }, "");
    const NAME: Field = Field::required(
        "name",
        Kind::Text {
            min: 1,
            max: Some(100),
        },
        "",
    );

    fn req(body: &str) -> Request {
        Request::new("POST", "/")
            .with_header("content-type", "application/json")
            .with_body(body)
    }

    #[test]
    fn malformed_json_reports_position() {
        let err = json_body(&req("{\"email\": ")).unwrap_err();
        let AuthError::Validation(errors) = err else {
            panic!("{err:?}")
        };
        assert_eq!(errors[0].kind, "json_invalid");
        assert_eq!(errors[0].loc[0], Loc::Name("body".into()));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut body = json_body(&req(&json!({"email": 5}).to_string())).unwrap();
        assert_eq!(body.required_text(&EMAIL), "");
        assert_eq!(body.required_text(&PASSWORD), "");
        let AuthError::Validation(errors) = body.finish().unwrap_err() else {
            panic!()
        };
        let kinds: Vec<_> = errors.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["string_type", "missing"]);
    }

    #[test]
    fn null_is_not_a_value_for_a_required_field() {
        let mut body = json_body(&req(r#"{"email": null, "name": null}"#)).unwrap();
        body.required_text(&EMAIL);
        body.required_text(&NAME);
        let AuthError::Validation(errors) = body.finish().unwrap_err() else {
            panic!()
        };
        let kinds: Vec<_> = errors.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["string_type", "string_type"]);
    }

    #[test]
    fn overlong_email_is_a_validation_error() {
        let email = format!("{}@example.com", "a".repeat(600));
        let mut body = json_body(&req(&json!({ "email": email }).to_string())).unwrap();
        assert_eq!(body.required_text(&EMAIL), "");
        let AuthError::Validation(errors) = body.finish().unwrap_err() else {
            panic!()
        };
        assert_eq!(errors[0].kind, "value_error");
    }

    #[test]
    fn a_body_without_content_type_is_refused() {
        let req = Request::new("POST", "/").with_body("{}");
        assert_eq!(
            json_body(&req).unwrap_err(),
            AuthError::UnsupportedMediaType
        );
    }

    #[test]
    fn non_json_content_type_is_refused() {
        let req = Request::new("POST", "/")
            .with_header("Content-Type", "text/plain")
            .with_body("{}");
        assert_eq!(
            json_body(&req).unwrap_err(),
            AuthError::UnsupportedMediaType
        );
        let req = Request::new("POST", "/")
            .with_header("Content-Type", "application/json; charset=utf-8")
            .with_body("{}");
        assert!(json_body(&req).is_ok());
    }

    #[test]
    fn oversized_body_is_refused_before_parsing() {
        let big = format!("{{\"a\": \"{}\"}}", "x".repeat(MAX_BODY_BYTES));
        assert_eq!(
            json_body(&req(&big)).unwrap_err(),
            AuthError::PayloadTooLarge
        );
    }

    #[test]
    fn emails_are_normalized_or_refused() {
        assert_eq!(
            normalize_email(" Ada@Example.COM ").as_deref(),
            Some("ada@example.com")
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "a@b@c.d",
            "ada@example..com",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }
}
