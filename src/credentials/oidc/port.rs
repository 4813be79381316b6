//! The port to the identity provider: HTTP requests and RS256/ES256 signature checks (on the
//! Worker: `fetch` and WebCrypto), and the algorithms we accept.
#![allow(async_fn_in_trait)]

use serde_json::Value;

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

/// A signature algorithm of the provider's that we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// ECDSA on P-256 with SHA-256 (signature is `r || s`).
    Es256,
}

impl ProviderAlg {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Self::Rs256),
            "ES256" => Some(Self::Es256),
            _ => None,
        }
    }

    /// The JOSE name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }

    pub(crate) fn fits(self, jwk: &Value) -> bool {
        let field = |name: &str| jwk.get(name).and_then(Value::as_str);
        let kty_ok = match self {
            Self::Rs256 => field("kty") == Some("RSA"),
            Self::Es256 => field("kty") == Some("EC") && field("crv") == Some("P-256"),
        };
        kty_ok
            && field("alg").is_none_or(|alg| alg == self.name())
            && field("use").is_none_or(|u| u == "sig")
    }
}

/// The port to the identity provider: HTTP and signature checks.
pub trait Provider {
    /// Sends a request to the provider.
    async fn fetch(&self, request: Outbound) -> Result<Response, PortError>;
    /// Whether `signature` over `message` verifies with the public `jwk` under `alg`.
    async fn verify_signature(
        &self,
        alg: ProviderAlg,
        jwk: &Value,
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
        _: ProviderAlg,
        _: &Value,
        _: &[u8],
        _: &[u8],
    ) -> Result<bool, PortError> {
        Err(PortError("no identity provider port".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_must_fit_the_key_type() {
        let rsa = serde_json::json!({"kty": "RSA", "n": "x", "e": "AQAB"});
        let ec =
            serde_json::json!({"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "alg": "ES256"});
        assert!(ProviderAlg::Rs256.fits(&rsa));
        assert!(!ProviderAlg::Es256.fits(&rsa));
        assert!(ProviderAlg::Es256.fits(&ec));
        assert!(!ProviderAlg::Rs256.fits(&ec));
        assert_eq!(ProviderAlg::from_name("HS256"), None);
        assert_eq!(ProviderAlg::from_name("none"), None);
    }
}
