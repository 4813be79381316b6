//! Base62 (`0-9A-Za-z`) strings: identifiers and secrets that survive a double-click, a URL
//! path and a shell without quoting.

use crate::ports::{PortError, Random};

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A uniformly random base62 string of `len` characters (5.95 bits each), by rejection
/// sampling so that no character is more likely than another.
pub fn random(rng: &impl Random, len: usize) -> Result<String, PortError> {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        rng.fill(&mut buf)?;
        for &byte in &buf {
            // 248 = 4 * 62: bytes at or above it would bias the first characters.
            if byte < 248 && out.len() < len {
                out.push(ALPHABET[usize::from(byte % 62)] as char);
            }
        }
    }
    Ok(out)
}

/// `value` in base62, left-padded with `0` to `width` characters.
pub fn encode_u32(mut value: u32, width: usize) -> String {
    let mut digits = Vec::with_capacity(width);
    while value > 0 {
        digits.push(ALPHABET[(value % 62) as usize]);
        value /= 62;
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.iter().rev().map(|&b| b as char).collect()
}

/// Whether every byte of `s` is in the base62 alphabet.
pub fn is_base62(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SeqRandom;

    #[test]
    fn random_strings_have_the_length_and_alphabet_asked_for() {
        let rng = SeqRandom::new(7);
        let s = random(&rng, 43).unwrap();
        assert_eq!(s.len(), 43);
        assert!(is_base62(&s));
        assert_ne!(s, random(&rng, 43).unwrap());
    }

    #[test]
    fn encode_u32_pads_and_covers_the_range() {
        assert_eq!(encode_u32(0, 6), "000000");
        assert_eq!(encode_u32(61, 2), "0z");
        assert_eq!(encode_u32(62, 2), "10");
        assert_eq!(encode_u32(u32::MAX, 6), "4gfFC3");
    }
}
