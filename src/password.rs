//! Password hashing with argon2id. Each stored hash is a PHC string that records its own
//! parameters, so they can be raised and old hashes upgraded at the next login.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::AuthError;
use crate::ports::Random;

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
    fn hasher(self) -> Result<Argon2<'static>, AuthError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|err| AuthError::Internal(format!("argon2 parameters: {err}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Hashes `password` with a fresh 16-byte salt into a PHC string.
pub fn hash_password(
    params: PasswordParams,
    password: &str,
    rng: &impl Random,
) -> Result<String, AuthError> {
    let mut salt = [0u8; 16];
    rng.fill(&mut salt)?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|err| AuthError::Internal(format!("argon2 salt: {err}")))?;
    params
        .hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| AuthError::Internal(format!("argon2: {err}")))
}

/// Whether `password` matches the PHC string `stored`, with the parameters it records.
/// A stored value that is not an argon2 PHC string never matches.
pub fn verify_password(stored: &str, password: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_ok()
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
    fn garbage_stored_value_never_matches() {
        assert!(!verify_password("", ""));
        assert!(!verify_password("$argon2id$v=19$m=64,t=1,p=1$", "x"));
    }
}
