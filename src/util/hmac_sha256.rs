//! HMAC-SHA256 (RFC 2104) with the key's two padded blocks hashed once, when the key is read:
//! a key then costs two SHA-256 blocks less per tag, about 8% of an HS256 verification in the
//! package's verify entry. The `hmac` crate can keep such a keyed state too, but cannot wipe it,
//! and the state is as good as the key: here it is two arrays, wiped on drop. The tests hold it
//! to the `hmac` crate and to Wycheproof's HMAC-SHA256 vectors.

use sha2::digest::generic_array::GenericArray;
use sha2::{compress256, Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroize as _;

/// SHA-256's block size in bytes.
const BLOCK: usize = 64;

/// SHA-256's initial state (FIPS 180-4 §5.3.3).
const INITIAL: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// An HMAC-SHA256 key, ready to tag: SHA-256's state after the key's inner and outer padded
/// blocks.
#[derive(Clone)]
pub struct HmacSha256 {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl Drop for HmacSha256 {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

impl HmacSha256 {
    /// The key `key`, of any length (one longer than a block is hashed first, as RFC 2104 says).
    pub fn new(key: &[u8]) -> Self {
        let mut block = [0u8; BLOCK];
        if key.len() > BLOCK {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let keyed = |pad: u8| {
            let mut padded = block.map(|byte| byte ^ pad);
            let mut state = INITIAL;
            compress256(&mut state, &[GenericArray::from(padded)]);
            padded.zeroize();
            state
        };
        let key = Self {
            inner: keyed(0x36),
            outer: keyed(0x5c),
        };
        block.zeroize();
        key
    }

    /// The tag of `message`.
    pub fn tag(&self, message: &[u8]) -> [u8; 32] {
        let inner = finish(self.inner, message);
        finish(self.outer, &inner)
    }

    /// Whether `tag` is the whole tag of `message` (32 bytes), compared in constant time.
    pub fn verifies(&self, message: &[u8], tag: &[u8]) -> bool {
        tag.len() == 32 && bool::from(self.tag(message).ct_eq(tag))
    }
}

/// SHA-256 of one block already in `state`, then `message`.
fn finish(mut state: [u32; 8], message: &[u8]) -> [u8; 32] {
    let mut blocks = message.chunks_exact(BLOCK);
    for block in &mut blocks {
        compress256(&mut state, &[*GenericArray::from_slice(block)]);
    }
    // The rest, 0x80, zeros, and the bit length of everything hashed: one block or two.
    let rest = blocks.remainder();
    let mut last = [0u8; 2 * BLOCK];
    last[..rest.len()].copy_from_slice(rest);
    last[rest.len()] = 0x80;
    let end = if rest.len() + 9 <= BLOCK {
        BLOCK
    } else {
        2 * BLOCK
    };
    let bits = (BLOCK as u64 + message.len() as u64) * 8;
    last[end - 8..end].copy_from_slice(&bits.to_be_bytes());
    for block in last[..end].chunks_exact(BLOCK) {
        compress256(&mut state, &[*GenericArray::from_slice(block)]);
    }
    let mut digest = [0u8; 32];
    for (bytes, word) in digest.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::HmacSha256;
    use hmac::{Hmac, Mac as _};
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};
    use sha2::Sha256;
    use wycheproof::TestResult;

    fn reference(key: &[u8], message: &[u8]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    #[test]
    fn rfc4231_case_2() {
        let tag = HmacSha256::new(b"Jefe").tag(b"what do ya want for nothing?");
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
    }

    #[test]
    fn every_length_around_the_block_boundaries_matches_the_hmac_crate() {
        // Messages that end a block exactly, leave room for the length, or spill into a second
        // padding block; keys shorter than, equal to and longer than a block.
        let bytes: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        for key_len in [0, 1, 31, 32, 63, 64, 65, 200] {
            let key = HmacSha256::new(&bytes[..key_len]);
            for len in 0..=200 {
                let message = &bytes[3..3 + len];
                let expected = reference(&bytes[..key_len], message);
                assert_eq!(
                    key.tag(message),
                    expected,
                    "key {key_len} bytes, message {len}"
                );
                assert!(key.verifies(message, &expected));
            }
        }
    }

    proptest! {
        #![proptest_config(Config {
            cases: 1024,
            failure_persistence: None,
            rng_seed: RngSeed::Fixed(2104),
            ..Config::default()
        })]

        #[test]
        fn tags_match_the_hmac_crate(
            key in proptest::collection::vec(any::<u8>(), 0..150),
            message in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            prop_assert_eq!(HmacSha256::new(&key).tag(&message), reference(&key, &message));
        }

        #[test]
        fn a_changed_or_cut_tag_does_not_verify(
            key in proptest::collection::vec(any::<u8>(), 0..100),
            message in proptest::collection::vec(any::<u8>(), 0..100),
            position in 0usize..32,
            flip in 1u8..=255,
        ) {
            let key = HmacSha256::new(&key);
            let mut tag = key.tag(&message);
            prop_assert!(key.verifies(&message, &tag));
            prop_assert!(!key.verifies(&message, &tag[..position]));
            tag[position] ^= flip;
            prop_assert!(!key.verifies(&message, &tag));
        }
    }

    #[test]
    fn wycheproof_hmac_sha256() {
        let set = wycheproof::mac::TestSet::load(wycheproof::mac::TestName::HmacSha256)
            .expect("the crate ships hmac_sha256_test.json");
        let (mut valid, mut invalid) = (0, 0);
        let mut failures = Vec::new();
        for group in &set.test_groups {
            let bytes = group.tag_size / 8;
            for test in &group.tests {
                let tag = HmacSha256::new(&test.key).tag(&test.msg);
                let matches = tag[..bytes] == test.tag[..];
                match test.result {
                    TestResult::Valid => valid += 1,
                    _ => invalid += 1,
                }
                if matches != (test.result == TestResult::Valid) {
                    failures.push(format!("tc {} ({}): {matches}", test.tc_id, test.comment));
                }
            }
        }
        assert!(valid > 0 && invalid > 0, "{valid} valid, {invalid} invalid");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
