//! Password hashing with argon2id. Each stored hash is a PHC string that records its own
//! parameters, so they can be raised and old hashes upgraded at the next login.
//!
//! Every hash runs in one memory buffer kept for the life of the isolate (or thread), grown
//! to the largest `m` used. Allocating 19 MiB per call, as the argon2 crate's own helpers do,
//! fragments a Worker's wasm heap under concurrent logins until the isolate passes its memory
//! limit and is restarted with requests in flight (seen as 503s at 100 parallel logins). A
//! hash never awaits, so no two calls share the buffer at once.

use std::cell::RefCell;

use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use subtle::ConstantTimeEq as _;

use crate::error::AuthError;
use crate::ports::Random;

/// Length of the hashes we make (argon2's default).
const OUTPUT_LEN: usize = 32;

thread_local! {
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// A password could not be hashed: a server fault (bad parameters, no randomness), a 500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashError(pub String);

impl std::fmt::Display for HashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "password hash: {}", self.0)
    }
}

impl std::error::Error for HashError {}

impl From<HashError> for AuthError {
    fn from(err: HashError) -> Self {
        Self::Internal(err.to_string())
    }
}

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory in KiB (`m`).
    pub memory_kib: u32,
    /// Passes (`t`).
    pub iterations: u32,
    /// Lanes (`p`).
    pub parallelism: u32,
}

impl PasswordParams {
    fn params(self) -> Result<Params, HashError> {
        Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(OUTPUT_LEN),
        )
        .map_err(|err| HashError(format!("argon2 parameters: {err}")))
    }
}

/// argon2 of `password` and `salt` into `out`, in the shared buffer.
fn compute(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon2.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

/// Hashes `password` with a fresh 16-byte salt into a PHC string.
pub fn hash_password(
    params: PasswordParams,
    password: &str,
    rng: &impl Random,
) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    rng.fill(&mut salt)
        .map_err(|err| HashError(format!("salt: {err}")))?;
    let mut out = [0u8; OUTPUT_LEN];
    compute(
        Algorithm::Argon2id,
        Version::V0x13,
        params.params()?,
        password.as_bytes(),
        &salt,
        &mut out,
    )
    .map_err(|err| HashError(format!("argon2: {err}")))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|err| HashError(format!("argon2 salt: {err}")))?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.memory_kib,
        params.iterations,
        params.parallelism,
        salt.as_str(),
        STANDARD_NO_PAD.encode(out)
    ))
}

/// Whether `password` matches the PHC string `stored`, with the parameters it records.
/// A stored value that is not an argon2 PHC string never matches.
pub fn verify_password(stored: &str, password: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Some(expected)) = (Algorithm::try_from(hash.algorithm), hash.hash) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let (Ok(params), Some(salt)) = (Params::try_from(&hash), hash.salt) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    if compute(
        algorithm,
        version,
        params,
        password.as_bytes(),
        salt,
        &mut out,
    )
    .is_err()
    {
        return false;
    }
    out.ct_eq(expected.as_bytes()).into()
}

/// Whether `stored` is a password hash at all: accounts made by provider sign-in have none.
pub fn is_password_hash(stored: &str) -> bool {
    PasswordHash::new(stored).is_ok()
}

/// Whether `stored` was made with other parameters than `params` (then rehash at login).
pub fn needs_rehash(stored: &str, params: PasswordParams) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return true;
    };
    let Ok(current) = Params::try_from(&hash) else {
        return true;
    };
    hash.algorithm.as_str() != "argon2id"
        || current.m_cost() != params.memory_kib
        || current.t_cost() != params.iterations
        || current.p_cost() != params.parallelism
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SeqRandom;

    const FAST: PasswordParams = PasswordParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn hash_records_argon2id_and_its_parameters() {
        let hash = hash_password(FAST, "correct horse", &SeqRandom::new(1)).unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(verify_password(&hash, "correct horse"));
        assert!(!verify_password(&hash, "correct horsf"));
    }

    #[test]
    fn known_answer_at_the_parameters_we_ship() {
        // Known answer from the reference C implementation (argon2-cffi), at the shipped
        // parameters, salt "saltsaltsaltsalt".
        let stored = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8";
        let shipped = PasswordParams {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1,
        };
        assert!(!needs_rehash(stored, shipped));
        assert!(verify_password(stored, "password"));
        assert!(!verify_password(stored, "Password"));
    }

    #[test]
    fn other_parameters_need_a_rehash() {
        let hash = hash_password(FAST, "pw", &SeqRandom::new(2)).unwrap();
        assert!(!needs_rehash(&hash, FAST));
        assert!(needs_rehash(
            &hash,
            PasswordParams {
                memory_kib: 128,
                ..FAST
            }
        ));
        assert!(needs_rehash("not a hash", FAST));
    }

    #[test]
    fn our_phc_strings_are_the_crates_own() {
        // The argon2 crate's own PHC encoder verifies what we make, and we verify its.
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let ours = hash_password(FAST, "pw", &SeqRandom::new(3)).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"pw", &parsed).is_ok());
        let salt = SaltString::encode_b64(b"saltsaltsaltsalt").unwrap();
        let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, FAST.params().unwrap());
        let theirs = hasher.hash_password(b"pw", &salt).unwrap().to_string();
        assert!(verify_password(&theirs, "pw"));
        assert!(!verify_password(&theirs, "pW"));
    }

    #[test]
    fn one_buffer_serves_every_size() {
        let big = hash_password(FAST, "a", &SeqRandom::new(4)).unwrap();
        let small = PasswordParams {
            memory_kib: 8,
            ..FAST
        };
        let small = hash_password(small, "b", &SeqRandom::new(5)).unwrap();
        assert!(verify_password(&big, "a") && verify_password(&small, "b"));
        assert!(!verify_password(&small, "a"));
    }

    #[test]
    fn garbage_stored_value_never_matches() {
        assert!(!verify_password("", ""));
        assert!(!verify_password("$argon2id$v=19$m=64,t=1,p=1$", "x"));
    }
}
