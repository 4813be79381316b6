//! The small encodings of the OAuth flow: form and query strings, PKCE challenges, client
//! authentication, and the ids of provider identities.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::OidcConfig;

/// `application/x-www-form-urlencoded` / query-string encoding of one value.
pub fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Encodes `pairs` as a query string or form body.
pub fn encode_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The PKCE S256 challenge of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The id of a provider identity: base64url of SHA-256 over issuer and subject.
pub fn identity_id(issuer: &str, subject: &str) -> String {
    let digest = Sha256::digest(format!("{issuer}\u{0}{subject}").as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

/// The store key linking a provider identity to a local user.
pub fn identity_key(issuer: &str, subject: &str) -> String {
    format!("v1:identity:{}", identity_id(issuer, subject))
}

/// `Authorization: Basic` for the client, as RFC 6749 §2.3.1 encodes it.
pub fn client_basic_auth(config: &OidcConfig) -> String {
    let pair = format!(
        "{}:{}",
        url_encode(&config.client_id),
        url_encode(config.client_secret.expose())
    );
    format!("Basic {}", STANDARD.encode(pair))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_matches_rfc7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn url_encoding_escapes_everything_but_unreserved() {
        assert_eq!(url_encode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
        assert_eq!(encode_pairs(&[("x", "1 2"), ("y", "")]), "x=1%202&y=");
    }
}
