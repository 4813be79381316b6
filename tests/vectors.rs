//! Test vectors as data: `tests/vectors/rfc8725.json` (also run by the package's wasm tests in
//! tests/wasm/cases.rs) through `jwt::verify`, and, natively, Wycheproof's Ed25519 and
//! HMAC-SHA256 vectors through the primitives that verifier uses.

use chrono::DateTime;
use edge_auth::jwt::{self, Alg, KeySet, Rules};
use serde_json::Value;

#[path = "vectors/rfc8725.rs"]
mod rfc8725;

/// The package's `VerifyOptions`, read the way `JwtVerifier::new` reads them.
fn rules(options: &Value) -> Rules {
    let text = |name: &str| options.get(name).and_then(Value::as_str).map(str::to_owned);
    let algorithms = match options.get("algorithms").and_then(Value::as_array) {
        None => vec![Alg::EdDsa],
        Some(names) => names
            .iter()
            .map(|n| Alg::from_name(n.as_str().unwrap_or_default()).expect("known alg"))
            .collect(),
    };
    Rules {
        algorithms,
        issuer: text("issuer"),
        audience: text("audience"),
        token_type: text("typ"),
        leeway_secs: options
            .get("leewaySecs")
            .and_then(Value::as_i64)
            .unwrap_or(jwt::LEEWAY_SECS),
    }
}

/// The claims, or the error code.
fn run(case: &rfc8725::Case) -> Result<Value, &'static str> {
    let keys = KeySet::from_jwks(&case.jwks).map_err(|err| err.code())?;
    let now = case.options["now"].as_i64().expect("options.now");
    let now = DateTime::from_timestamp(now, 0).expect("a valid now");
    jwt::verify(&case.token, &keys, &rules(&case.options), now)
        .map(|verified| Value::Object(verified.claims()))
        .map_err(|err| err.code())
}

#[test]
fn rfc8725_vectors_give_the_expected_outcome() {
    let cases = rfc8725::cases();
    assert!(cases.len() >= 100, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let outcome = match run(case) {
            Ok(claims) if case.expect == "ok" => {
                // A success must hand back exactly the claims that were signed.
                if Some(&claims) == case.claims.as_ref() {
                    continue;
                }
                format!("ok with other claims: {claims}")
            }
            Ok(_) => "ok".to_owned(),
            Err(code) if code == case.expect => continue,
            Err(code) => code.to_owned(),
        };
        failures.push(format!(
            "{}: expected {}, got {outcome}\n  {}",
            case.name, case.expect, case.token
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rfc8725_vectors_reach_every_refusal_verify_can_give() {
    let expected: std::collections::BTreeSet<String> =
        rfc8725::cases().into_iter().map(|c| c.expect).collect();
    for code in [
        "ok",
        "malformed",
        "unsupported_algorithm",
        "unknown_key",
        "bad_signature",
        "wrong_type",
        "missing_expiry",
        "expired",
        "not_yet_valid",
        "wrong_issuer",
        "wrong_audience",
        "invalid_jwks",
    ] {
        assert!(expected.contains(code), "no vector expects {code}");
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod wycheproof_vectors {
    //! The primitives exactly as `jwt::verify` calls them: jwt-compact's algorithm, its
    //! signature length check and `try_from_slice`, then `verify_signature` (for Ed25519 that is
    //! ed25519-dalek's `VerifyingKey::verify`, not `verify_strict`).

    use jwt_compact::alg::{Ed25519, Hs256, Hs256Key};
    use jwt_compact::{Algorithm, AlgorithmSignature};
    use wycheproof::TestResult;

    fn verifies<A: Algorithm>(alg: A, key: &A::VerifyingKey, msg: &[u8], sig: &[u8]) -> bool {
        if A::Signature::LENGTH.is_some_and(|len| len.get() != sig.len()) {
            return false;
        }
        A::Signature::try_from_slice(sig).is_ok_and(|sig| alg.verify_signature(&sig, key, msg))
    }

    #[test]
    fn wycheproof_ed25519_valid_verify_and_invalid_do_not() {
        let set = wycheproof::eddsa::TestSet::load(wycheproof::eddsa::TestName::Ed25519)
            .expect("the crate ships ed25519_test.json");
        let mut failures = Vec::new();
        let (mut valid, mut invalid, mut acceptable) = (0, 0, 0);
        for group in &set.test_groups {
            // A public key we cannot decode is refused when the JWK Set is read.
            let public = <[u8; 32]>::try_from(&group.key.pk[..])
                .ok()
                .and_then(|pk| ed25519_dalek::VerifyingKey::from_bytes(&pk).ok());
            for test in &group.tests {
                let accepted = public
                    .as_ref()
                    .is_some_and(|public| verifies(Ed25519, public, &test.msg, &test.sig));
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
                    failures.push(format!(
                        "tc {} ({}): {}",
                        test.tc_id, test.comment, accepted
                    ));
                }
            }
        }
        assert!(valid > 0 && invalid > 0, "{valid} valid, {invalid} invalid");
        assert_eq!(acceptable, 0, "acceptable Ed25519 cases need a decision");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn wycheproof_hmac_sha256_valid_verify_and_invalid_do_not() {
        let set = wycheproof::mac::TestSet::load(wycheproof::mac::TestName::HmacSha256)
            .expect("the crate ships hmac_sha256_test.json");
        let mut failures = Vec::new();
        let (mut full, mut truncated) = (0, 0);
        for group in &set.test_groups {
            for test in &group.tests {
                let accepted = verifies(Hs256, &Hs256Key::new(&test.key[..]), &test.msg, &test.tag);
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
                // Keys below 32 bytes never get this far: the key set refuses them.
                assert_eq!(
                    edge_auth::jwt::VerifyingKey::hs256(None, &test.key).is_some(),
                    test.key.len() >= edge_auth::jwt::MIN_HS256_KEY_BYTES,
                    "tc {}",
                    test.tc_id
                );
            }
        }
        assert!(
            full > 0 && truncated > 0,
            "{full} full, {truncated} truncated"
        );
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
