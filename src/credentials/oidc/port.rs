//! The port to the identity provider: HTTP requests and checks of its signatures (on the
//! Worker: `fetch` and WebCrypto), and the provider's algorithms we accept.
#![allow(async_fn_in_trait)]

use crate::credentials::jwt::Alg;
use crate::http::Response;
use crate::ports::PortError;

/// A request to the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Absolute URL.
    pub url: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body (a form, for the token endpoint).
    pub body: Vec<u8>,
}

/// The provider's algorithm named `name`, if we accept it: the asymmetric ones (RS256, PS256,
/// ES256), whose signatures the platform checks; never HS256 (the provider does not share a
/// secret with us) nor `none`.
pub(crate) fn provider_alg(name: &str) -> Option<Alg> {
    Alg::from_name(name).filter(|alg| !alg.is_native())
}

/// The port to the identity provider: HTTP, and checks of its signatures (WebCrypto, on the
/// Worker).
pub trait Provider {
    /// Sends a request to the provider.
    async fn fetch(&self, request: Outbound) -> Result<Response, PortError>;
    /// Whether `signature` over `message` verifies with the public `jwk` (JSON text) under
    /// `alg`, one of the provider's (RS256, PS256, ES256).
    async fn verify_signature(
        &self,
        alg: Alg,
        jwk: &str,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, PortError>;
}

/// No provider: for deployments and tests without OpenID sign-in.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProvider;

impl Provider for NoProvider {
    async fn fetch(&self, _: Outbound) -> Result<Response, PortError> {
        Err(PortError("no identity provider port".into()))
    }

    async fn verify_signature(
        &self,
        _: Alg,
        _: &str,
        _: &[u8],
        _: &[u8],
    ) -> Result<bool, PortError> {
        Err(PortError("no identity provider port".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::jwt::VerifyingKey;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use serde_json::Value;

    /// Whether `jwk` is a usable public key for `alg`, as a provider's JWKS is read.
    fn fits(alg: Alg, jwk: &Value) -> bool {
        matches!(VerifyingKey::from_jwk(jwk), Ok(Some(key)) if key.fits(alg))
    }

    #[test]
    fn algorithm_must_fit_the_key_type() {
        let n = URL_SAFE_NO_PAD.encode([0xab; 256]);
        let rsa = serde_json::json!({"kty": "RSA", "n": n, "e": "AQAB"});
        let ec = serde_json::json!({"kty": "EC", "crv": "P-256", "alg": "ES256",
            "x": URL_SAFE_NO_PAD.encode([1u8; 32]), "y": URL_SAFE_NO_PAD.encode([2u8; 32])});
        let weak = serde_json::json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode([0xab; 128]), "e": "AQAB"});
        assert!(fits(Alg::Rs256, &rsa) && fits(Alg::Ps256, &rsa));
        assert!(!fits(Alg::Es256, &rsa));
        assert!(fits(Alg::Es256, &ec));
        assert!(!fits(Alg::Rs256, &ec));
        assert!(!fits(Alg::Rs256, &weak));
        assert_eq!(provider_alg("RS256"), Some(Alg::Rs256));
        assert_eq!(provider_alg("PS256"), Some(Alg::Ps256));
        assert_eq!(provider_alg("HS256"), None);
        assert_eq!(provider_alg("EdDSA"), None);
        assert_eq!(provider_alg("none"), None);
    }
}
