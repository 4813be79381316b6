//! Users' private keys: accepted as PEM or JWK, stored only encrypted (AES-256-GCM under the
//! deployment's key-encryption key, with the user id as associated data so a ciphertext moved
//! to another user's record does not decrypt).

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;

use crate::error::AuthError;
use crate::ports::{PortError, Random};
use crate::util::secret::Secret;

/// The longest private key accepted, in bytes (an RSA-4096 PEM is about 3.3 KB).
pub const MAX_KEY_BYTES: usize = 16 * 1024;

/// Why a submitted private key was refused; the message is safe to show.
pub type KeyFormatError = &'static str;

/// Normalizes a submitted private key to text: a PEM string, a JWK object, or a JWK as a JSON
/// string. Anything that is not recognizably a *private* key is refused.
pub fn normalize(value: &Value) -> Result<Secret<String>, KeyFormatError> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Object(_) => value.to_string(),
        _ => return Err("private_key must be a PEM string or a JWK object"),
    };
    if text.len() > MAX_KEY_BYTES {
        return Err("private_key is larger than 16 KB");
    }
    if text.starts_with("-----BEGIN ") {
        let first_line = text.lines().next().unwrap_or("");
        let pem_ok = first_line.ends_with("PRIVATE KEY-----")
            && text.contains("-----END ")
            && text.trim_end().ends_with("PRIVATE KEY-----");
        return if pem_ok {
            Ok(Secret::new(text))
        } else {
            Err("PEM must be a private key (BEGIN ... PRIVATE KEY)")
        };
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(jwk)) if jwk.get("kty").is_some_and(Value::is_string) => {
            if jwk.get("d").is_some_and(Value::is_string)
                || jwk.get("k").is_some_and(Value::is_string)
            {
                Ok(Secret::new(text))
            } else {
                Err("JWK has no private part (d)")
            }
        }
        _ => Err("private_key must be a PEM private key or a JWK"),
    }
}

pub use crate::store::Sealed;

/// Why sealing or opening failed: a server fault, never the client's (a 500).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealError {
    /// The key-encryption key is not 32 bytes.
    BadKey,
    /// No randomness for the nonce.
    Random(PortError),
    /// Encryption failed.
    Encrypt,
    /// The sealed value does not open: altered, or sealed for another user or key.
    DoesNotOpen,
}

impl std::fmt::Display for SealError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadKey => f.write_str("private-key encryption key must be 32 bytes"),
            Self::Random(err) => write!(f, "private-key nonce: {err}"),
            Self::Encrypt => f.write_str("private-key encryption failed"),
            Self::DoesNotOpen => f.write_str("stored private key does not decrypt"),
        }
    }
}

impl std::error::Error for SealError {}

impl From<SealError> for AuthError {
    fn from(err: SealError) -> Self {
        Self::Internal(err.to_string())
    }
}

fn cipher(kek: &Secret<Vec<u8>>) -> Result<Aes256Gcm, SealError> {
    Aes256Gcm::new_from_slice(kek.expose()).map_err(|_| SealError::BadKey)
}

/// Encrypts `key` for `user_id` under `kek` with a fresh random nonce.
pub fn seal(
    kek: &Secret<Vec<u8>>,
    user_id: &str,
    key: &Secret<String>,
    rng: &impl Random,
) -> Result<Sealed, SealError> {
    let mut nonce = [0u8; 12];
    rng.fill(&mut nonce).map_err(SealError::Random)?;
    let payload = Payload {
        msg: key.expose().as_bytes(),
        aad: user_id.as_bytes(),
    };
    let ciphertext = cipher(kek)?
        .encrypt(Nonce::from_slice(&nonce), payload)
        .map_err(|_| SealError::Encrypt)?;
    Ok(Sealed {
        nonce: STANDARD.encode(nonce),
        ciphertext: STANDARD.encode(ciphertext),
    })
}

/// Decrypts a sealed key of `user_id`; fails if it was sealed for another user or altered.
pub fn open(
    kek: &Secret<Vec<u8>>,
    user_id: &str,
    sealed: &Sealed,
) -> Result<Secret<String>, SealError> {
    let broken = || SealError::DoesNotOpen;
    let nonce = STANDARD.decode(&sealed.nonce).map_err(|_| broken())?;
    if nonce.len() != 12 {
        return Err(broken());
    }
    let ciphertext = STANDARD.decode(&sealed.ciphertext).map_err(|_| broken())?;
    let payload = Payload {
        msg: &ciphertext,
        aad: user_id.as_bytes(),
    };
    let plain = cipher(kek)?
        .decrypt(Nonce::from_slice(&nonce), payload)
        .map_err(|_| broken())?;
    String::from_utf8(plain)
        .map(Secret::new)
        .map_err(|_| broken())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SeqRandom;
    use serde_json::json;

    const PEM: &str =
        "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIHk1\n-----END PRIVATE KEY-----";

    fn kek() -> Secret<Vec<u8>> {
        Secret::new(vec![5u8; 32])
    }

    #[test]
    fn pem_and_jwk_are_accepted() {
        assert_eq!(normalize(&json!(PEM)).unwrap().expose(), PEM);
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": "abc", "d": "def"});
        assert!(normalize(&jwk).is_ok());
        assert!(normalize(&json!(jwk.to_string())).is_ok());
    }

    #[test]
    fn public_keys_and_garbage_are_refused() {
        let public_pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----";
        let cases = [
            json!(public_pem),
            json!({"kty": "OKP", "crv": "Ed25519", "x": "abc"}),
            json!("hello"),
            json!(42),
            json!(["-----BEGIN PRIVATE KEY-----"]),
            json!("-----BEGIN PRIVATE KEY-----\nMC4C"),
            json!(format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----",
                "A".repeat(MAX_KEY_BYTES)
            )),
        ];
        for case in cases {
            assert!(normalize(&case).is_err(), "{case}");
        }
    }

    #[test]
    fn sealed_key_opens_only_for_its_user_and_kek() {
        let key = Secret::new(PEM.to_owned());
        let sealed = seal(&kek(), "user-1", &key, &SeqRandom::new(3)).unwrap();
        assert!(!sealed.ciphertext.contains("PRIVATE"));
        assert_eq!(open(&kek(), "user-1", &sealed).unwrap().expose(), PEM);
        assert!(open(&kek(), "user-2", &sealed).is_err());
        assert!(open(&Secret::new(vec![6u8; 32]), "user-1", &sealed).is_err());
    }

    #[test]
    fn tampered_ciphertext_does_not_open() {
        let key = Secret::new(PEM.to_owned());
        let mut sealed = seal(&kek(), "u", &key, &SeqRandom::new(4)).unwrap();
        let mut bytes = STANDARD.decode(&sealed.ciphertext).unwrap();
        bytes[0] ^= 1;
        sealed.ciphertext = STANDARD.encode(bytes);
        assert!(open(&kek(), "u", &sealed).is_err());
    }
}
