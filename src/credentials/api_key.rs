//! The `sk-` API key format.
//!
//! `sk-` + a 16-character key id + a 43-character secret (256 bits) + a 6-character checksum,
//! all base62: 68 characters that survive a double-click. The checksum (the first 32 bits of
//! SHA-256 over everything before it) lets a mistyped or truncated key be refused offline,
//! without a store read. Keys are stored only as a peppered HMAC-SHA256 ([`hash_secret`]) and
//! found by their id.

use sha2::{Digest, Sha256};

use crate::ports::{PortError, Random};
use crate::store::ApiKeyId;
use crate::util::base62;
use crate::util::hmac_sha256::HmacSha256;
use crate::util::secret::Secret;

/// Every API key starts with this.
pub const PREFIX: &str = "sk-";
/// Length of the key id.
pub const ID_LEN: usize = 16;
/// Length of the secret part: 43 base62 characters hold 256 bits.
pub const SECRET_LEN: usize = 43;
/// Length of the checksum.
pub const CHECKSUM_LEN: usize = 6;
/// Length of a whole key.
pub const KEY_LEN: usize = PREFIX.len() + ID_LEN + SECRET_LEN + CHECKSUM_LEN;

/// A freshly generated API key. The full key is shown to its owner once, never stored.
#[derive(Debug)]
pub struct NewApiKey {
    /// The key id (public: it names the key in URLs and lists).
    pub id: ApiKeyId,
    /// The whole key.
    pub key: Secret<String>,
}

/// Why a string is not a well-formed API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyFormatError {
    /// Not `sk-` followed by 65 base62 characters.
    Malformed,
    /// Well-formed, but the checksum does not match: a typo or a truncated copy.
    BadChecksum,
}

/// Generates a new key.
pub fn generate(rng: &impl Random) -> Result<NewApiKey, PortError> {
    let id = base62::random(rng, ID_LEN)?;
    let secret = Secret::new(base62::random(rng, SECRET_LEN)?);
    let body = format!("{PREFIX}{id}{}", secret.expose());
    let key = format!("{body}{}", checksum(&body));
    Ok(NewApiKey {
        id: ApiKeyId::new(id),
        key: Secret::new(key),
    })
}

/// Checks the format and checksum of `key` offline and returns its id.
pub fn parse(key: &str) -> Result<ApiKeyId, ApiKeyFormatError> {
    let rest = key
        .strip_prefix(PREFIX)
        .ok_or(ApiKeyFormatError::Malformed)?;
    if key.len() != KEY_LEN || !base62::is_base62(rest) {
        return Err(ApiKeyFormatError::Malformed);
    }
    // ASCII by now, so these never fail; the checked forms keep str slicing's panic (and its
    // message formatting) out of the package's wasm.
    let (body, sum) = key
        .split_at_checked(KEY_LEN - CHECKSUM_LEN)
        .ok_or(ApiKeyFormatError::Malformed)?;
    if checksum(body) != sum {
        return Err(ApiKeyFormatError::BadChecksum);
    }
    let id = rest.get(..ID_LEN).ok_or(ApiKeyFormatError::Malformed)?;
    Ok(ApiKeyId::new(id))
}

/// The display prefix of a key: `sk-` and its id.
pub fn display_prefix(id: &str) -> String {
    format!("{PREFIX}{id}")
}

/// The last four characters of a key, to tell keys apart in a list.
pub fn last4(key: &str) -> String {
    key[key.len().saturating_sub(4)..].to_owned()
}

fn checksum(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let value = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    base62::encode_u32(value, CHECKSUM_LEN)
}

/// The stored form of a high-entropy secret (API key or refresh token): HMAC-SHA256 under the
/// pepper, base64url. A leaked store alone cannot be used to check guesses.
pub fn hash_secret(pepper: &Secret<Vec<u8>>, secret: &str) -> String {
    use base64::Engine as _;
    let tag = HmacSha256::new(pepper.expose()).tag(secret.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag)
}

/// Whether `secret` is the one whose [`hash_secret`] is `stored`, compared in constant time.
pub fn secret_matches(pepper: &Secret<Vec<u8>>, secret: &str, stored: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    hash_secret(pepper, secret)
        .as_bytes()
        .ct_eq(stored.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SeqRandom;

    fn key() -> NewApiKey {
        generate(&SeqRandom::new(42)).unwrap()
    }

    #[test]
    fn generated_key_parses_to_its_id() {
        let new = key();
        let key = new.key.expose();
        assert_eq!(key.len(), KEY_LEN);
        assert!(key.starts_with("sk-"));
        assert_eq!(parse(key), Ok(new.id.clone()));
        assert_eq!(display_prefix(new.id.as_str()), key[..3 + ID_LEN]);
    }

    #[test]
    fn any_single_character_typo_is_caught_offline() {
        let new = key();
        let key = new.key.expose();
        for i in PREFIX.len()..key.len() {
            let mut typo = key.clone().into_bytes();
            typo[i] = if typo[i] == b'a' { b'b' } else { b'a' };
            let typo = String::from_utf8(typo).unwrap();
            assert_eq!(
                parse(&typo),
                Err(ApiKeyFormatError::BadChecksum),
                "position {i}"
            );
        }
    }

    #[test]
    fn malformed_keys_are_refused() {
        let new = key();
        let key = new.key.expose();
        let cases = [
            String::new(),
            "sk-".into(),
            key[..key.len() - 1].to_owned(),
            format!("{key}x"),
            key.replacen("sk-", "pk-", 1),
            format!("{}-{}", &key[..10], &key[11..]),
            format!("{}é{}", &key[..10], &key[12..]),
        ];
        for case in cases {
            assert_eq!(parse(&case), Err(ApiKeyFormatError::Malformed), "{case}");
        }
    }

    #[test]
    fn hash_depends_on_pepper_and_key() {
        let a = Secret::new(vec![1u8; 32]);
        let b = Secret::new(vec![2u8; 32]);
        assert_eq!(hash_secret(&a, "k"), hash_secret(&a, "k"));
        assert_ne!(hash_secret(&a, "k"), hash_secret(&b, "k"));
        assert_ne!(hash_secret(&a, "k"), hash_secret(&a, "l"));
        assert!(secret_matches(&a, "k", &hash_secret(&a, "k")));
        assert!(!secret_matches(&a, "k", &hash_secret(&b, "k")));
    }
}
