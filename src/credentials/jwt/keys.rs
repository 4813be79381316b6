//! Our Ed25519 signing keys and their public JWKS.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::{SigningKey as SecretKey, VerifyingKey as PublicKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// An Ed25519 signing key with its key id (the RFC 7638 JWK thumbprint of its public key).
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    secret: SecretKey,
    public: PublicKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The key derived from a 32-byte seed; `None` for any other length.
    pub fn from_seed(seed: &[u8]) -> Option<Self> {
        let seed: [u8; 32] = seed.try_into().ok()?;
        let secret = SecretKey::from_bytes(&seed);
        let public = secret.verifying_key();
        let x = URL_SAFE_NO_PAD.encode(public.as_bytes());
        // RFC 7638: the SHA-256 of the required members, in lexicographic order, no spaces.
        let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        Some(Self {
            kid,
            secret,
            public,
        })
    }

    /// The key id, sent as the token header's `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub(crate) fn secret(&self) -> &SecretKey {
        &self.secret
    }

    pub(crate) fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The public half as a JWK.
    pub fn public_jwk(&self) -> Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(self.public.as_bytes()),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        })
    }
}

/// The JWKS document for `keys`: `{"keys": [...]}`.
pub fn jwks<'a>(keys: impl IntoIterator<Item = &'a SigningKey>) -> Value {
    json!({ "keys": keys.into_iter().map(SigningKey::public_jwk).collect::<Vec<_>>() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kid_is_the_rfc7638_thumbprint() {
        // RFC 8037 appendix A.3: the thumbprint of its Ed25519 example key.
        let seed = hex_decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let key = SigningKey::from_seed(&seed).unwrap();
        assert_eq!(
            key.public_jwk()["x"],
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        );
        assert_eq!(key.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    #[test]
    fn wrong_seed_length_is_refused() {
        assert!(SigningKey::from_seed(&[0u8; 31]).is_none());
        assert!(SigningKey::from_seed(&[0u8; 33]).is_none());
    }

    #[test]
    fn debug_hides_the_secret() {
        let key = SigningKey::from_seed(&[7u8; 32]).unwrap();
        let text = format!("{key:?}");
        assert!(
            text.contains(key.kid()) && !text.contains("secret"),
            "{text}"
        );
    }

    fn hex_decode(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }
}
