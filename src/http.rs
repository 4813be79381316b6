//! Platform-free HTTP messages: what the adapters convert to and from.

use serde::Serialize;

/// The API's base path.
pub const BASE_PATH: &str = "/api/v1/auth";

/// Requests with a larger body are refused with 413 before it is parsed.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// An HTTP request as the core sees it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Upper-case method, e.g. `GET`.
    pub method: String,
    /// The URL path, e.g. `/api/v1/auth/login`.
    pub path: String,
    /// The query string without `?`; unknown parameters are ignored.
    pub query: String,
    /// `scheme://host[:port]` the request was sent to (empty when unknown).
    pub origin: String,
    /// Header names and values, in any case.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: &str, path: &str) -> Self {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        Self {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            query: query.to_owned(),
            ..Self::default()
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets a JSON body and its content type.
    pub fn with_json(self, body: &serde_json::Value) -> Self {
        self.with_header("content-type", "application/json")
            .with_body(body.to_string())
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Adds `Authorization: Bearer {credential}`.
    pub fn with_bearer(self, credential: &str) -> Self {
        self.with_header("authorization", &format!("Bearer {credential}"))
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The value of the cookie `name`, if the request carries it.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case("cookie"))
            .flat_map(|(_, value)| value.split(';'))
            .find_map(|pair| {
                let (key, value) = pair.trim().split_once('=')?;
                (key == name).then_some(value)
            })
    }

    /// The first query parameter named `name`, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key) == name).then(|| percent_decode(value))
        })
    }
}

/// Decodes `%XX` escapes and `+` (as a space); an invalid escape is kept as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[i], escaped) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An HTTP response as the core produces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
    /// A message for the operator's log, never sent to the client (set for internal errors).
    pub log: Option<String>,
}

impl Response {
    /// A JSON response.
    pub fn json(status: u16, body: &impl Serialize) -> Self {
        // Serializing our own models cannot fail: they are plain structs of strings and numbers.
        let body = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
            log: None,
        }
    }

    /// An HTML page (no caching: pages here carry per-request content).
    pub fn html(status: u16, page: String) -> Self {
        Self {
            status,
            headers: vec![
                ("content-type".into(), "text/html; charset=utf-8".into()),
                ("cache-control".into(), "no-store".into()),
            ],
            body: page.into_bytes(),
            log: None,
        }
    }

    /// Adds the headers every response gets: `nosniff`; on HTML, a Content-Security-Policy
    /// that allows nothing (unless the page set its own), no framing and no referrer; over
    /// https, HSTS.
    pub fn secure(mut self, https: bool) -> Self {
        self = self.with_header("x-content-type-options", "nosniff");
        let html = self
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html"));
        if html {
            if self.header("content-security-policy").is_none() {
                self = self.with_header(
                    "content-security-policy",
                    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                );
            }
            self = self
                .with_header("x-frame-options", "DENY")
                .with_header("referrer-policy", "no-referrer");
        }
        if https {
            self = self.with_header(
                "strict-transport-security",
                "max-age=63072000; includeSubDomains",
            );
        }
        self
    }

    /// A response without a body.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            log: None,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body parsed as JSON (`Null` when it is not JSON).
    pub fn json_body(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name() {
        let req = Request::new("GET", "/")
            .with_header("Cookie", "a=1; edge_auth_state=xyz")
            .with_header("cookie", "b=2");
        assert_eq!(req.cookie("edge_auth_state"), Some("xyz"));
        assert_eq!(req.cookie("b"), Some("2"));
        assert_eq!(req.cookie("edge_auth"), None);
    }

    #[test]
    fn query_params_are_decoded() {
        let req = Request::new(
            "GET",
            "/x?a=1&redirect_uri=http%3A%2F%2Fh%2F%3Fq%3D1&b=x+y&bad=%zz&e",
        );
        assert_eq!(
            req.query_param("redirect_uri").as_deref(),
            Some("http://h/?q=1")
        );
        assert_eq!(req.query_param("b").as_deref(), Some("x y"));
        assert_eq!(req.query_param("bad").as_deref(), Some("%zz"));
        assert_eq!(req.query_param("e").as_deref(), Some(""));
        assert_eq!(req.query_param("missing"), None);
    }
}
