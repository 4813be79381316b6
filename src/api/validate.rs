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

impl Body {
    /// A required string field. A missing field, `null` or another type is recorded; the
    /// value returned then is empty and only [`Body::finish`]'s error counts.
    pub fn required_str(&mut self, field: &str) -> String {
        match self.fields.get(field) {
            None => {
                self.reject(field, "Field required", "missing");
                String::new()
            }
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                self.reject(field, "Input should be a valid string", "string_type");
                String::new()
            }
        }
    }

    /// A required string of `min..=max` characters.
    pub fn required_str_len(&mut self, field: &str, min: usize, max: usize) -> String {
        let present = self.fields.get(field).is_some_and(Value::is_string);
        let value = self.required_str(field);
        if present {
            check_len(self, field, &value, min, max);
        }
        value
    }

    /// An optional string field; `null` counts as absent.
    pub fn optional_str(&mut self, field: &str) -> Option<String> {
        match self.fields.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.reject(field, "Input should be a valid string", "string_type");
                None
            }
        }
    }

    /// A required email address, normalized (see [`normalize_email`]).
    pub fn required_email(&mut self, field: &str) -> String {
        let present = self.fields.get(field).is_some_and(Value::is_string);
        let raw = self.required_str(field);
        if !present {
            return raw;
        }
        match normalize_email(&raw) {
            Some(email) => email,
            None => {
                self.reject(field, "value is not a valid email address", "value_error");
                String::new()
            }
        }
    }

    /// An optional integer field within `min..=max`; `null` counts as absent.
    pub fn optional_int(&mut self, field: &str, min: i64, max: i64) -> Option<i64> {
        match self.fields.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) if (min..=max).contains(&v) => Some(v),
                Some(v) if v < min => {
                    let msg = format!("Input should be greater than or equal to {min}");
                    self.reject(field, msg, "greater_than_equal");
                    None
                }
                Some(_) => {
                    let msg = format!("Input should be less than or equal to {max}");
                    self.reject(field, msg, "less_than_equal");
                    None
                }
                None => {
                    self.reject(field, "Input should be a valid integer", "int_type");
                    None
                }
            },
            Some(_) => {
                self.reject(field, "Input should be a valid integer", "int_type");
                None
            }
        }
    }

    /// An optional list of strings; `null` counts as absent.
    pub fn optional_str_list(&mut self, field: &str) -> Option<Vec<String>> {
        match self.fields.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                let mut bad = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        _ => bad.push(i),
                    }
                }
                for i in bad {
                    self.errors.push(FieldError {
                        loc: vec![
                            Loc::Name("body".into()),
                            Loc::Name(field.into()),
                            Loc::Index(i),
                        ],
                        msg: "Input should be a valid string".into(),
                        kind: "string_type",
                    });
                }
                Some(out)
            }
            Some(_) => {
                self.reject(field, "Input should be a valid list", "list_type");
                None
            }
        }
    }

    /// A raw JSON field, for fields that accept more than one type.
    pub fn raw(&self, field: &str) -> Option<&Value> {
        self.fields.get(field).filter(|v| !v.is_null())
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
        assert_eq!(body.required_str("email"), "");
        assert_eq!(body.required_str("password"), "");
        let AuthError::Validation(errors) = body.finish().unwrap_err() else {
            panic!()
        };
        let kinds: Vec<_> = errors.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["string_type", "missing"]);
    }

    #[test]
    fn null_is_not_a_value_for_a_required_field() {
        let mut body = json_body(&req(r#"{"email": null, "name": null}"#)).unwrap();
        body.required_email("email");
        body.required_str_len("name", 1, 100);
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
        assert_eq!(body.required_email("email"), "");
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
