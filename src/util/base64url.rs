//! Canonical unpadded base64url (RFC 4648 §5), the encoding of JWS parts and JWK members: the
//! decoder of every token part and key member we read.
//!
//! Written here rather than taken from `base64` (which the rest of the crate uses, and which
//! the tests hold this one to): its general-purpose engine, built for long inputs, is 3.5 KB
//! of the package's verify-only wasm; tokens and keys are a few hundred bytes.

/// The six bits a base64url character stands for.
fn sextet(c: u8) -> Option<u32> {
    let value = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

/// The bytes `text` encodes, if it is canonical unpadded base64url: characters of the
/// alphabet only (no `=`, `+`, `/` or whitespace), a length that is not 1 more than a multiple
/// of 4, and the unused low bits of a last partial group zero, so that a byte string has
/// exactly one accepted text.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for group in text.chunks(4) {
        let mut bits = 0u32;
        for &c in group {
            bits = bits << 6 | sextet(c)?;
        }
        // 4 characters carry 3 bytes; 3 carry 2 and 2 spare bits; 2 carry 1 and 4 spare bits.
        let bytes = group.len() * 6 / 8;
        let spare = group.len() * 6 - bytes * 8;
        if bits & ((1 << spare) - 1) != 0 {
            return None;
        }
        bits >>= spare;
        for byte in (0..bytes).rev() {
            out.push((bits >> (8 * byte)) as u8);
        }
    }
    Some(out)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::decode;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};

    fn config() -> Config {
        Config {
            cases: 2048,
            failure_persistence: None,
            rng_seed: RngSeed::Fixed(4648),
            ..Config::default()
        }
    }

    #[test]
    fn known_answers() {
        assert_eq!(decode(""), Some(vec![]));
        assert_eq!(decode("Zm9vYmFy"), Some(b"foobar".to_vec()));
        assert_eq!(decode("Zm9vYg"), Some(b"foob".to_vec()));
        assert_eq!(decode("Zm9vYmE"), Some(b"fooba".to_vec()));
        assert_eq!(decode("-_-_"), Some(vec![0xfb, 0xff, 0xbf]));
        for refused in [
            "Zm9vYg==", "Zm9vYh", "Z", "Zm9v+g", "Zm9v/g", "Zm 9v", "Zm9vYmE=",
        ] {
            assert_eq!(decode(refused), None, "{refused}");
        }
    }

    proptest! {
        #![proptest_config(config())]

        /// Any text: accepted, with the same bytes, exactly when the `base64` crate's strict
        /// engine accepts it.
        #[test]
        fn agrees_with_the_base64_crate(text in "[A-Za-z0-9_=+/ .-]{0,24}") {
            prop_assert_eq!(decode(&text), URL_SAFE_NO_PAD.decode(&text).ok());
        }

        /// Any bytes come back from their encoding, and one changed character never decodes
        /// to them again.
        #[test]
        fn round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64), at in any::<usize>()) {
            let text = URL_SAFE_NO_PAD.encode(&bytes);
            prop_assert_eq!(decode(&text), Some(bytes.clone()));
            if !text.is_empty() {
                let mut changed = text.into_bytes();
                let at = at % changed.len();
                changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
                let changed = String::from_utf8(changed).expect("ASCII");
                prop_assert_ne!(decode(&changed), Some(bytes));
            }
        }
    }
}
