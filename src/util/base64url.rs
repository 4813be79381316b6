//! Canonical unpadded base64url (RFC 4648 §5), the encoding of JWS parts and JWK members: the
//! decoder of every token part and key member we read.
//!
//! Written here rather than taken from `base64` (which the rest of the crate uses, and which
//! the tests hold this one to): its general-purpose engine, built for long inputs, is 3.5 KB
//! of the package's verify-only wasm; tokens and keys are a few hundred bytes.

/// The alphabet, in the order of the six bits each character stands for.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Each byte's six bits, or `NOT_BASE64URL` for a byte outside the alphabet: a table lookup
/// rather than comparisons, on the path of every token verified.
const SEXTETS: [u8; 256] = {
    let mut table = [NOT_BASE64URL; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};
const NOT_BASE64URL: u8 = 0xff;

/// The bits of up to 4 characters, the first one highest; `None` if one is not base64url.
// Inlined by hand: the crate is built for size ("z"), which would leave this a call per group.
#[inline(always)]
fn group_bits(group: &[u8]) -> Option<u32> {
    let mut bits = 0u32;
    let mut high = 0u8; // a sextet has the top two bits clear, NOT_BASE64URL does not
    for &c in group {
        let sextet = SEXTETS[usize::from(c)];
        high |= sextet;
        bits = bits << 6 | u32::from(sextet);
    }
    (high & 0xc0 == 0).then_some(bits)
}

/// The bytes `text` encodes, if it is canonical unpadded base64url: characters of the
/// alphabet only (no `=`, `+`, `/` or whitespace), a length that is not 1 more than a multiple
/// of 4, and the unused low bits of a last partial group zero, so that a byte string has
/// exactly one accepted text.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    // 4 characters carry 3 bytes; 3 carry 2 bytes and 2 spare bits; 2 carry 1 byte and 4 spare
    // bits; 1 cannot end a text.
    let last_bytes = match text.len() % 4 {
        0 => 0,
        1 => return None,
        rest => rest - 1,
    };
    let mut out = vec![0u8; text.len() / 4 * 3 + last_bytes];
    let (whole, last_out) = out.split_at_mut(text.len() / 4 * 3);
    let mut groups = text.chunks_exact(4);
    for (group, bytes) in (&mut groups).zip(whole.chunks_exact_mut(3)) {
        let bits = group_bits(group)?;
        bytes[0] = (bits >> 16) as u8;
        bytes[1] = (bits >> 8) as u8;
        bytes[2] = bits as u8;
    }
    let last = groups.remainder();
    if !last.is_empty() {
        let spare = last.len() * 6 - last_bytes * 8;
        let bits = group_bits(last)?;
        if bits & ((1 << spare) - 1) != 0 {
            return None;
        }
        let bits = bits >> spare;
        for (i, byte) in last_out.iter_mut().enumerate() {
            *byte = (bits >> (8 * (last_bytes - 1 - i))) as u8;
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
