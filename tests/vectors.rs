//! Test vectors as data: `tests/vectors/rfc8725.json` (also run by the package's wasm tests in
//! tests/wasm/cases.rs) through `jwt::verify`. Wycheproof's Ed25519 and HMAC-SHA256 vectors run
//! as unit tests of the signature check itself (src/credentials/jwt/keyset.rs) and of HMAC
//! (src/util/hmac_sha256.rs).

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
