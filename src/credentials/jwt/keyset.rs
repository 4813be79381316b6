//! The keys and algorithms a JWT is verified with: [`Alg`], one [`VerifyingKey`] (Ed25519, an
//! HS256 secret, or an identity provider's RSA or P-256 key, read from a JWK), and the
//! [`KeySet`] a token's key is chosen from. Verification itself is `verify.rs`.

use ed25519_dalek::{Signature, Verifier as _, VerifyingKey as PublicKey};
use serde_json::Value;

use super::TokenError;
use crate::util::base64url;
use crate::util::hmac_sha256::HmacSha256;

/// The shortest HS256 secret we accept: the hash size (RFC 7518 §3.2).
pub const MIN_HS256_KEY_BYTES: usize = 32;

/// A signature algorithm we verify. EdDSA and HS256 are checked here; the others (an identity
/// provider's) by the platform's crypto, WebCrypto:
/// [`verify_or_defer`](super::verify_or_defer) hands them back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// Ed25519 (`EdDSA`).
    EdDsa,
    /// HMAC-SHA256 (`HS256`).
    Hs256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (`RS256`), an `RSA` key.
    Rs256,
    /// RSASSA-PSS with SHA-256 and a 32-byte salt (`PS256`), an `RSA` key.
    Ps256,
    /// ECDSA on P-256 with SHA-256 (`ES256`), an `EC` key; the signature is `r || s`.
    Es256,
}

impl Alg {
    /// Every algorithm we verify.
    pub const ALL: [Self; 5] = [
        Self::EdDsa,
        Self::Hs256,
        Self::Rs256,
        Self::Ps256,
        Self::Es256,
    ];

    /// The JOSE name.
    pub fn name(self) -> &'static str {
        match self {
            Self::EdDsa => "EdDSA",
            Self::Hs256 => "HS256",
            Self::Rs256 => "RS256",
            Self::Ps256 => "PS256",
            Self::Es256 => "ES256",
        }
    }

    /// The algorithm with this JOSE name (case-sensitive), if we verify it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// Whether its signatures are checked here rather than by the platform's crypto.
    pub fn is_native(self) -> bool {
        matches!(self, Self::EdDsa | Self::Hs256)
    }
}

/// The smallest RSA modulus we accept (RFC 7518 §3.3: 2048 bits or larger).
pub const MIN_RSA_MODULUS_BYTES: usize = 256;

#[derive(Clone)]
pub(super) enum Material {
    Ed25519(PublicKey),
    /// The secret, as HMAC's keyed state (wiped on drop).
    Hs256(HmacSha256),
    /// A public `RSA` or `EC` (P-256) key whose signatures the platform checks: its JWK text
    /// with the members WebCrypto imports, the algorithms it may verify.
    Platform {
        jwk: String,
        algs: &'static [Alg],
    },
}

/// One verification key.
#[derive(Clone)]
pub struct VerifyingKey {
    kid: Option<String>,
    pub(super) material: Material,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("algs", &self.algs())
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// An Ed25519 public key.
    pub fn ed25519(kid: Option<String>, public: PublicKey) -> Self {
        Self {
            kid,
            material: Material::Ed25519(public),
        }
    }

    /// An HS256 shared secret; `None` if it is shorter than [`MIN_HS256_KEY_BYTES`], short
    /// enough to be guessed offline from one token.
    pub fn hs256(kid: Option<String>, secret: &[u8]) -> Option<Self> {
        (secret.len() >= MIN_HS256_KEY_BYTES).then(|| Self {
            kid,
            material: Material::Hs256(HmacSha256::new(secret)),
        })
    }

    /// The algorithms this key verifies: one, but two for an unrestricted RSA key.
    fn algs(&self) -> &[Alg] {
        match &self.material {
            Material::Ed25519(_) => &[Alg::EdDsa],
            Material::Hs256(_) => &[Alg::Hs256],
            Material::Platform { algs, .. } => algs,
        }
    }

    /// The key's `kid`, if its JWK had one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The JWK text WebCrypto imports (only the members that make the key), for a key whose
    /// signatures the platform checks (RSA, P-256); `None` for Ed25519 and HS256 keys.
    pub fn platform_jwk(&self) -> Option<&str> {
        match &self.material {
            Material::Platform { jwk, .. } => Some(jwk),
            _ => None,
        }
    }

    /// Whether this key verifies `alg`.
    pub fn fits(&self, alg: Alg) -> bool {
        self.algs().contains(&alg)
    }

    /// The key from one JWK: `OKP`/`Ed25519`, `oct`, `RSA` or `EC`/`P-256`. `None` for other key
    /// types or curves, an RSA modulus shorter than [`MIN_RSA_MODULUS_BYTES`], or a JWK
    /// restricted to another use or algorithm; `Err` for a malformed one, or an `oct` key
    /// shorter than [`MIN_HS256_KEY_BYTES`].
    pub fn from_jwk(jwk: &Value) -> Result<Option<Self>, TokenError> {
        let field = |name: &str| jwk.get(name).and_then(Value::as_str);
        let kid = field("kid").map(str::to_owned);
        if field("use").is_some_and(|u| u != "sig") {
            return Ok(None);
        }
        // A member's base64url text (padding dropped) and its bytes.
        let member = |name: &str| {
            let text = field(name)
                .ok_or(TokenError::InvalidJwks)?
                .trim_end_matches('=');
            let bytes = base64url::decode(text).ok_or(TokenError::InvalidJwks)?;
            Ok::<_, TokenError>((text, bytes))
        };
        let bytes = |name: &str| member(name).map(|(_, bytes)| bytes);
        let algs: &'static [Alg] = match (field("kty"), field("crv")) {
            (Some("OKP"), Some("Ed25519")) => &[Alg::EdDsa],
            (Some("oct"), _) => &[Alg::Hs256],
            (Some("RSA"), _) => &[Alg::Rs256, Alg::Ps256],
            (Some("EC"), Some("P-256")) => &[Alg::Es256],
            (Some(_), _) => return Ok(None),
            (None, _) => return Err(TokenError::InvalidJwks),
        };
        // A JWK's `alg` restricts it to that one algorithm, which must be one of its type's.
        let algs = match field("alg") {
            None => algs,
            Some(name) => match algs.iter().find(|alg| alg.name() == name) {
                Some(alg) => std::slice::from_ref(alg),
                None => return Ok(None),
            },
        };
        let material = match algs[0] {
            Alg::EdDsa => {
                let x = bytes("x")?;
                let x: [u8; 32] = x.try_into().map_err(|_| TokenError::InvalidJwks)?;
                let public = PublicKey::from_bytes(&x).map_err(|_| TokenError::InvalidJwks)?;
                Material::Ed25519(public)
            }
            Alg::Hs256 => {
                return Ok(Some(
                    Self::hs256(kid, &bytes("k")?).ok_or(TokenError::InvalidJwks)?,
                ))
            }
            // The JWK WebCrypto imports is built from the members' own text, which decoded as
            // base64url (so it needs no JSON escaping), and nothing else of the given JWK.
            Alg::Rs256 | Alg::Ps256 => {
                let ((n_text, n), (e_text, e)) = (member("n")?, member("e")?);
                if e.is_empty() || e.len() > 8 {
                    return Err(TokenError::InvalidJwks);
                }
                // Too weak to trust, but a provider may still publish one beside its real keys:
                // skipped, so its tokens are `UnknownKey` and the set's other keys still work.
                if n.iter().skip_while(|b| **b == 0).count() < MIN_RSA_MODULUS_BYTES {
                    return Ok(None);
                }
                let jwk = format!(r#"{{"kty":"RSA","n":"{n_text}","e":"{e_text}"}}"#);
                Material::Platform { jwk, algs }
            }
            Alg::Es256 => {
                let ((x_text, x), (y_text, y)) = (member("x")?, member("y")?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(TokenError::InvalidJwks);
                }
                let jwk = format!(r#"{{"kty":"EC","crv":"P-256","x":"{x_text}","y":"{y_text}"}}"#);
                Material::Platform { jwk, algs }
            }
        };
        Ok(Some(Self { kid, material }))
    }

    /// Whether `signature` is this key's signature of `message`: its length first (64 bytes
    /// for Ed25519, 32 for HS256), then the algorithm's own check, constant-time for HMAC.
    /// Never for a key whose signatures the platform checks (see
    /// [`verify_or_defer`](super::verify_or_defer)).
    pub(super) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.material {
            Material::Ed25519(public) => Signature::from_slice(signature)
                .is_ok_and(|signature| public.verify(message, &signature).is_ok()),
            Material::Hs256(key) => key.verifies(message, signature),
            Material::Platform { .. } => false,
        }
    }
}

/// The keys a token may be signed with.
#[derive(Debug, Clone, Default)]
pub struct KeySet(pub(super) Vec<VerifyingKey>);

impl KeySet {
    /// A key set of these keys.
    pub fn new(keys: Vec<VerifyingKey>) -> Self {
        Self(keys)
    }

    /// The usable keys of a JWK Set (`{"keys": [...]}`); keys of other types are skipped.
    pub fn from_jwks(jwks: &Value) -> Result<Self, TokenError> {
        let keys = jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(TokenError::InvalidJwks)?;
        let mut usable = Vec::with_capacity(keys.len());
        for jwk in keys {
            if let Some(key) = VerifyingKey::from_jwk(jwk)? {
                usable.push(key);
            }
        }
        Ok(Self(usable))
    }

    /// Whether any key verifies `alg`.
    pub fn fits_any(&self, alg: Alg) -> bool {
        self.0.iter().any(|key| key.fits(alg))
    }

    /// The key for a token's `alg` and `kid`: the one with that kid, or, for a token without
    /// a kid, the only key of that algorithm.
    pub(super) fn select(&self, alg: Alg, kid: Option<&str>) -> Result<&VerifyingKey, TokenError> {
        let found = match kid {
            Some(kid) => self
                .0
                .iter()
                .find(|key| key.fits(alg) && key.kid() == Some(kid)),
            None => self.single(alg, None),
        };
        found.ok_or(TokenError::UnknownKey)
    }

    /// The one key that fits `alg` (and has `kid`, if given); `None` when there is none or more
    /// than one.
    pub fn single(&self, alg: Alg, kid: Option<&str>) -> Option<&VerifyingKey> {
        let mut candidates = self
            .0
            .iter()
            .filter(|key| key.fits(alg))
            .filter(|key| kid.is_none() || key.kid() == kid);
        match (candidates.next(), candidates.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    }
}

/// Wycheproof's Ed25519 and HMAC-SHA256 vectors through [`VerifyingKey::verifies`], the check
/// `jwt::verify` makes.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod wycheproof_vectors {
    use super::{VerifyingKey, MIN_HS256_KEY_BYTES};
    use wycheproof::TestResult;

    #[test]
    fn ed25519_valid_verify_and_invalid_do_not() {
        let set = wycheproof::eddsa::TestSet::load(wycheproof::eddsa::TestName::Ed25519)
            .expect("the crate ships ed25519_test.json");
        let mut failures = Vec::new();
        let (mut valid, mut invalid, mut acceptable) = (0, 0, 0);
        for group in &set.test_groups {
            // A public key we cannot decode is refused when the JWK Set is read.
            let key = <[u8; 32]>::try_from(&group.key.pk[..])
                .ok()
                .and_then(|pk| ed25519_dalek::VerifyingKey::from_bytes(&pk).ok())
                .map(|public| VerifyingKey::ed25519(None, public));
            for test in &group.tests {
                let accepted = key
                    .as_ref()
                    .is_some_and(|key| key.verifies(&test.msg, &test.sig));
                match test.result {
                    TestResult::Valid => valid += 1,
                    TestResult::Invalid => invalid += 1,
                    // None today; if one appears, it is listed below rather than judged.
                    TestResult::Acceptable => {
                        acceptable += 1;
                        continue;
                    }
                }
                if accepted != (test.result == TestResult::Valid) {
                    failures.push(format!("tc {} ({}): {accepted}", test.tc_id, test.comment));
                }
            }
        }
        assert!(valid > 0 && invalid > 0, "{valid} valid, {invalid} invalid");
        assert_eq!(acceptable, 0, "acceptable Ed25519 cases need a decision");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn hmac_sha256_valid_verify_and_invalid_do_not() {
        let set = wycheproof::mac::TestSet::load(wycheproof::mac::TestName::HmacSha256)
            .expect("the crate ships hmac_sha256_test.json");
        let mut failures = Vec::new();
        let (mut full, mut truncated) = (0, 0);
        for group in &set.test_groups {
            for test in &group.tests {
                // Keys below 32 bytes never get this far: the key set refuses them.
                let Some(key) = VerifyingKey::hs256(None, &test.key) else {
                    assert!(test.key.len() < MIN_HS256_KEY_BYTES, "tc {}", test.tc_id);
                    continue;
                };
                let accepted = key.verifies(&test.msg, &test.tag);
                // JWS HS256 always carries the full 256-bit tag (RFC 7518 §3.2): a truncated tag
                // is refused even where Wycheproof calls it a valid truncated HMAC.
                let expected = if group.tag_size == 256 {
                    full += 1;
                    test.result == TestResult::Valid
                } else {
                    truncated += 1;
                    false
                };
                if accepted != expected {
                    failures.push(format!(
                        "tc {} ({}, key {} bits, tag {} bits): {accepted}",
                        test.tc_id, test.comment, group.key_size, group.tag_size
                    ));
                }
            }
        }
        assert!(
            full > 0 && truncated > 0,
            "{full} full, {truncated} truncated"
        );
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
