use super::*;
use crate::jwt::VerifyingKey;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::TimeDelta;
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt as _, Claims, Header};
use serde_json::json;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn rules(algorithms: Vec<Alg>) -> Rules {
    Rules {
        algorithms,
        issuer: Some("iss".into()),
        audience: Some("aud".into()),
        token_type: None,
        leeway_secs: 0,
    }
}

fn hs256_token(secret: &[u8], aud: Value) -> String {
    let time = jwt_compact::TimeOptions::new(TimeDelta::zero(), now);
    let claims = Claims::new(json!({"iss": "iss", "aud": aud, "sub": "u"}))
        .set_duration_and_issuance(&time, TimeDelta::seconds(60));
    Hs256
        .token(
            &Header::empty().with_key_id("h1"),
            &claims,
            &Hs256Key::new(secret),
        )
        .unwrap()
}

#[test]
fn hs256_verifies_against_an_oct_jwk_and_audience_lists() {
    let secret = [9u8; 32];
    let jwks = json!({"keys": [{"kty": "oct", "kid": "h1", "k": URL_SAFE_NO_PAD.encode(secret)}]});
    let keys = KeySet::from_jwks(&jwks).unwrap();
    let verified = verify(
        &hs256_token(&secret, json!(["x", "aud"])),
        &keys,
        &rules(vec![Alg::Hs256]),
        now(),
    )
    .unwrap();
    assert_eq!(verified.claims()["sub"], "u");
    assert_eq!(verified.claims()["exp"], 1_800_000_060);
    // The text handed to JS is the same claims.
    let text: Value = serde_json::from_str(&verified.claims_json).unwrap();
    assert_eq!(text, Value::Object(verified.claims()));
    let wrong = hs256_token(&secret, json!(["x"]));
    assert_eq!(
        verify(&wrong, &keys, &rules(vec![Alg::Hs256]), now()),
        Err(TokenError::WrongAudience)
    );
    // Not on the allow-list: refused before any key is looked at.
    let token = hs256_token(&secret, json!("aud"));
    assert_eq!(
        verify(&token, &keys, &rules(vec![Alg::EdDsa]), now()),
        Err(TokenError::UnsupportedAlgorithm)
    );
}

const ED_SEED: [u8; 32] = [3u8; 32];

fn ed_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&ED_SEED)
}

fn ed_keys() -> KeySet {
    KeySet::new(vec![VerifyingKey::ed25519(
        Some("e1".into()),
        ed_key().verifying_key(),
    )])
}

fn claims_json() -> String {
    json!({"iss": "iss", "aud": "aud", "sub": "u", "exp": 1_800_000_060}).to_string()
}

/// A token of exactly these header and claims texts, signed with [`ed_key`].
fn raw_ed(header: &str, claims: impl AsRef<[u8]>) -> String {
    use ed25519_dalek::Signer as _;
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature = ed_key().sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

fn check_ed(token: &str) -> Result<Verified, TokenError> {
    verify(token, &ed_keys(), &rules(vec![Alg::EdDsa]), now())
}

#[test]
fn raw_token_helper_makes_tokens_that_verify() {
    let token = raw_ed(r#"{"alg":"EdDSA","kid":"e1"}"#, claims_json());
    assert_eq!(check_ed(&token).unwrap().claims()["sub"], "u");
}

#[test]
fn any_crit_header_is_refused() {
    for crit in [r#"["exp"]"#, r#"["b64"]"#, "[]", r#""exp""#, "null"] {
        let header = format!(r#"{{"alg":"EdDSA","kid":"e1","exp":1,"b64":true,"crit":{crit}}}"#);
        let token = raw_ed(&header, claims_json());
        assert_eq!(check_ed(&token), Err(TokenError::Malformed), "{crit}");
    }
}

#[test]
fn duplicate_header_parameters_are_refused() {
    for header in [
        r#"{"alg":"EdDSA","kid":"e1","alg":"none"}"#,
        r#"{"alg":"EdDSA","kid":"e1","kid":"e1"}"#,
        r#"{"alg":"EdDSA","kid":"e1","typ":"a","typ":"b"}"#,
        r#"{"alg":"EdDSA","kid":"e1","x5u":"a","x5u":"b"}"#,
        r#"{"alg":"EdDSA","kid":"e1","\u0061lg":"none"}"#,
    ] {
        let token = raw_ed(header, claims_json());
        assert_eq!(check_ed(&token), Err(TokenError::Malformed), "{header}");
    }
}

#[test]
fn duplicate_claims_are_refused_at_any_depth() {
    for claims in [
        r#"{"iss":"iss","aud":"aud","sub":"u","sub":"admin","exp":1800000060}"#,
        r#"{"iss":"iss","aud":"aud","sub":"u","exp":1800000060,"exp":9999999999}"#,
        r#"{"iss":"iss","aud":"aud","sub":"u","sub":"admin","exp":1800000060}"#,
        r#"{"iss":"iss","aud":"aud","exp":1800000060,"x":[{"a":1,"a":2}]}"#,
        // The same name once escaped, at the top and inside a checked claim.
        r#"{"iss":"iss","aud":"aud","sub":"u","s\u0075b":"admin","exp":1800000060}"#,
        r#"{"iss":"iss","aud":{"a":1,"\u0061":2},"exp":1800000060}"#,
        // Not one JSON object.
        r#"{"iss":"iss","aud":"aud","exp":1800000060} {}"#,
        r#"[{"iss":"iss","aud":"aud","exp":1800000060}]"#,
        r#""iss""#,
    ] {
        let token = raw_ed(r#"{"alg":"EdDSA","kid":"e1"}"#, claims);
        assert_eq!(check_ed(&token), Err(TokenError::Malformed), "{claims}");
    }
}

#[test]
fn non_canonical_base64url_is_refused_in_every_part() {
    let token = raw_ed(r#"{"alg":"EdDSA","kid":"e1"}"#, claims_json());
    assert!(check_ed(&token).is_ok());
    let parts: Vec<&str> = token.split('.').collect();
    let mut forged = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let with = |new: String| {
            let mut p: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
            p[i] = new;
            p.join(".")
        };
        // Padding, whatever the length.
        forged.push(with(format!("{part}=")));
        forged.push(with(format!("{part}==")));
        // The standard alphabet for the same bytes.
        let standard = base64::engine::general_purpose::STANDARD_NO_PAD
            .encode(URL_SAFE_NO_PAD.decode(part).unwrap());
        if standard != *part {
            forged.push(with(standard));
        }
        // Unused trailing bits set: decodes to the same bytes in a lenient decoder.
        if part.len() % 4 != 0 {
            let mut chars: Vec<u8> = part.bytes().collect();
            let last = chars.len() - 1;
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let value = alphabet.iter().position(|&c| c == chars[last]).unwrap();
            chars[last] = alphabet[value | 1];
            if chars[last] != part.as_bytes()[last] {
                forged.push(with(String::from_utf8(chars).unwrap()));
            }
        }
    }
    assert!(forged.len() >= 8, "{}", forged.len());
    for token in forged {
        assert_eq!(
            check_ed(&token).map(|_| ()),
            Err(TokenError::Malformed),
            "{token}"
        );
    }
}

#[test]
fn short_hmac_keys_are_refused() {
    assert!(VerifyingKey::hs256(None, &[1u8; 31]).is_none());
    assert!(VerifyingKey::hs256(None, &[]).is_none());
    assert!(VerifyingKey::hs256(None, &[1u8; 32]).is_some());
    let short = json!({"keys": [{"kty": "oct", "k": URL_SAFE_NO_PAD.encode([1u8; 31])}]});
    assert_eq!(
        KeySet::from_jwks(&short).unwrap_err(),
        TokenError::InvalidJwks
    );
    let empty = json!({"keys": [{"kty": "oct", "k": ""}]});
    assert_eq!(
        KeySet::from_jwks(&empty).unwrap_err(),
        TokenError::InvalidJwks
    );
}

fn claims_with(extra: Value) -> RegisteredClaims {
    let mut claims = json!({"iss": "iss", "aud": "aud"});
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    RegisteredClaims::parse(claims.to_string().as_bytes()).unwrap()
}

#[test]
fn absurd_times_are_malformed_never_a_panic() {
    let rules = rules(vec![Alg::EdDsa]);
    for (claims, expected) in [
        (json!({"exp": i64::MAX}), Err(TokenError::Malformed)),
        (json!({"exp": i64::MIN}), Err(TokenError::Malformed)),
        (json!({"exp": u64::MAX}), Err(TokenError::Malformed)),
        (json!({"exp": 1e300}), Err(TokenError::Malformed)),
        (json!({"exp": -1e300}), Err(TokenError::Malformed)),
        (json!({"exp": "1800000060"}), Err(TokenError::Malformed)),
        (json!({"exp": true}), Err(TokenError::Malformed)),
        (json!({"exp": -1}), Err(TokenError::Expired)),
        // The last instant chrono can represent: adding the leeway overflowed.
        (json!({"exp": 8_210_266_876_799_i64}), Ok(())),
        (
            json!({"exp": 1_800_000_060, "nbf": i64::MAX}),
            Err(TokenError::Malformed),
        ),
        (
            json!({"exp": 1_800_000_060, "nbf": -8_334_601_228_800_i64}),
            Ok(()),
        ),
        (
            json!({"exp": 1_800_000_060, "nbf": 1e300}),
            Err(TokenError::Malformed),
        ),
        (
            json!({"exp": 1_800_000_060, "nbf": "0"}),
            Err(TokenError::Malformed),
        ),
    ] {
        for leeway_secs in [0, 30, MAX_LEEWAY_SECS] {
            let rules = Rules {
                leeway_secs,
                ..rules.clone()
            };
            let got = check_claims(&claims_with(claims.clone()), &rules, now()).map(|_| ());
            assert_eq!(got, expected, "{claims} leeway {leeway_secs}");
        }
    }
}

#[test]
fn absurd_leeway_is_refused_never_a_panic() {
    let claims = claims_with(json!({"exp": 1_800_000_060, "nbf": 1_700_000_000}));
    for leeway_secs in [i64::MAX, i64::MIN, MAX_LEEWAY_SECS + 1, -1] {
        let rules = Rules {
            leeway_secs,
            ..rules(vec![Alg::EdDsa])
        };
        assert_eq!(
            check_claims(&claims, &rules, now()),
            Err(TokenError::Malformed),
            "{leeway_secs}"
        );
    }
    let at_the_end = DateTime::<Utc>::MAX_UTC;
    let rules = Rules {
        leeway_secs: MAX_LEEWAY_SECS,
        ..rules(vec![Alg::EdDsa])
    };
    assert_eq!(
        check_claims(&claims, &rules, at_the_end),
        Err(TokenError::Expired)
    );
}

#[test]
fn header_alg_disagreeing_with_the_key_type_is_refused() {
    let secret = [9u8; 32];
    let hs = VerifyingKey::hs256(Some("h1".into()), &secret).unwrap();
    let keys = KeySet::new(vec![
        VerifyingKey::ed25519(Some("e1".into()), ed_key().verifying_key()),
        hs,
    ]);
    let both = rules(vec![Alg::EdDsa, Alg::Hs256]);
    // An EdDSA-signed token claiming HS256 with our Ed25519 key's kid: no HS256 key "e1".
    let token = raw_ed(r#"{"alg":"HS256","kid":"e1"}"#, claims_json());
    assert_eq!(
        verify(&token, &keys, &both, now()),
        Err(TokenError::UnknownKey)
    );
    // An EdDSA-signed token naming the HMAC key: no EdDSA key "h1".
    let token = raw_ed(r#"{"alg":"EdDSA","kid":"h1"}"#, claims_json());
    assert_eq!(
        verify(&token, &keys, &both, now()),
        Err(TokenError::UnknownKey)
    );
    // HS256 signed with the Ed25519 public key bytes as the secret, naming the Ed25519 kid.
    let public = ed_key().verifying_key().to_bytes();
    let forged = Hs256
        .token(
            &Header::empty().with_key_id("e1"),
            &Claims::new(serde_json::from_str::<Value>(&claims_json()).unwrap()),
            &Hs256Key::new(public),
        )
        .unwrap();
    assert_eq!(
        verify(&forged, &keys, &both, now()),
        Err(TokenError::UnknownKey)
    );
    // Sanity: the same token shape with the real HMAC key verifies.
    let genuine = Hs256
        .token(
            &Header::empty().with_key_id("h1"),
            &Claims::new(serde_json::from_str::<Value>(&claims_json()).unwrap()),
            &Hs256Key::new(secret),
        )
        .unwrap();
    assert!(verify(&genuine, &keys, &both, now()).is_ok());
}

#[test]
fn key_carrying_headers_never_pick_the_key() {
    use ed25519_dalek::Signer as _;
    let attacker = ed25519_dalek::SigningKey::from_bytes(&[66u8; 32]);
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "kid": "e1",
        "x": URL_SAFE_NO_PAD.encode(attacker.verifying_key().to_bytes())});
    for extra in [
        json!({"jwk": jwk}),
        json!({"jku": "https://evil.example/jwks.json"}),
        json!({"x5u": "https://evil.example/cert.pem"}),
        json!({"x5c": ["MIIB"]}),
    ] {
        let mut header = json!({"alg": "EdDSA", "kid": "e1"});
        for (k, v) in extra.as_object().unwrap() {
            header[k] = v.clone();
        }
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims_json())
        );
        let forged = format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(attacker.sign(input.as_bytes()).to_bytes())
        );
        assert_eq!(
            check_ed(&forged).map(|_| ()),
            Err(TokenError::BadSignature),
            "{extra}"
        );
        // Ignored, not refused: our own key's token with the same header verifies.
        assert!(
            check_ed(&raw_ed(&header.to_string(), claims_json())).is_ok(),
            "{extra}"
        );
    }
}

#[test]
fn claims_and_header_must_be_objects_of_utf8_json() {
    let claims = claims_json();
    for (header, claims) in [
        ("[]", claims.as_str()),
        ("null", claims.as_str()),
        (r#"{"alg":"EdDSA","kid":"e1"} x"#, claims.as_str()),
        (r#"{"kid":"e1"}"#, claims.as_str()),
        (r#"{"alg":5,"kid":"e1"}"#, claims.as_str()),
        (r#"{"alg":"EdDSA","kid":5}"#, claims.as_str()),
        (r#"{"alg":"EdDSA","kid":"e1","cty":"JWT"}"#, claims.as_str()),
        (r#"{"alg":"EdDSA","kid":"e1"}"#, "[1]"),
        (r#"{"alg":"EdDSA","kid":"e1"}"#, "\"x\""),
    ] {
        let token = raw_ed(header, claims);
        assert_eq!(
            check_ed(&token).map(|_| ()),
            Err(TokenError::Malformed),
            "{header} {claims}"
        );
    }
    let not_utf8 = raw_ed(
        r#"{"alg":"EdDSA","kid":"e1"}"#,
        b"{\"exp\":1800000060,\"a\":\"\xff\"}",
    );
    assert_eq!(check_ed(&not_utf8).map(|_| ()), Err(TokenError::Malformed));
    let deep = format!(
        r#"{{"exp":1800000060,"x":{}{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    let token = raw_ed(r#"{"alg":"EdDSA","kid":"e1"}"#, &deep);
    assert_eq!(check_ed(&token).map(|_| ()), Err(TokenError::Malformed));
}

#[test]
fn jwks_skips_foreign_keys_and_refuses_broken_ones() {
    let jwks = json!({"keys": [
        {"kty": "RSA", "n": "abc", "e": "AQAB"},
        {"kty": "EC", "crv": "P-384", "x": "abc", "y": "abc"},
        {"kty": "oct", "k": "c2VjcmV0", "use": "enc"},
        {"kty": "oct", "k": "c2VjcmV0", "alg": "HS512"},
        {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
    ]});
    let keys = KeySet::from_jwks(&jwks).unwrap();
    assert_eq!(keys.0.len(), 1);
    assert!(keys.0[0].fits(Alg::EdDsa) && !keys.0[0].fits(Alg::Hs256));
    for broken in [
        json!({}),
        json!({"keys": 5}),
        json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "short"}]}),
        json!({"keys": [{"k": "abc"}]}),
    ] {
        assert_eq!(
            KeySet::from_jwks(&broken).unwrap_err(),
            TokenError::InvalidJwks,
            "{broken}"
        );
    }
}

// ---- algorithms the platform verifies (RS256, PS256, ES256: WebCrypto in the package)

/// A public RSA JWK with a 2048-bit modulus (its value does not matter here: no signature is
/// checked in Rust), extra private and metadata members included.
fn rsa_jwk(extra: Value) -> Value {
    let mut jwk = json!({
        "kty": "RSA", "kid": "r1", "n": URL_SAFE_NO_PAD.encode([0xab; 256]), "e": "AQAB",
        "d": "private-part", "key_ops": ["verify"],
    });
    jwk.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    jwk
}

/// A token of these header and claims texts with a signature of `0x5a` bytes: 64 of them for
/// ES256 (r || s), 256 (an RSA-2048 signature's length) otherwise.
fn unsigned(header: &str, claims: &str) -> String {
    let length = if header.contains("ES256") { 64 } else { 256 };
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims),
        URL_SAFE_NO_PAD.encode(vec![0x5a; length])
    )
}

fn deferred(token: &str, keys: &KeySet, algs: Vec<Alg>) -> Deferred {
    match verify_or_defer(token, keys, &rules(algs), now()) {
        Ok(Outcome::Deferred(deferred)) => deferred,
        other => panic!("not deferred: {other:?}"),
    }
}

#[test]
fn platform_algorithms_are_deferred_with_only_the_public_key_and_the_signed_bytes() {
    let keys = KeySet::from_jwks(&json!({"keys": [rsa_jwk(json!({}))]})).unwrap();
    let token = unsigned(r#"{"alg":"RS256","kid":"r1"}"#, &claims_json());
    let pending = deferred(&token, &keys, vec![Alg::Rs256]);
    assert_eq!(pending.alg, Alg::Rs256);
    // The JWK WebCrypto imports: the public members, never `d` or anything else.
    let jwk: Value = serde_json::from_str(&pending.jwk).unwrap();
    assert_eq!(
        jwk,
        json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode([0xab; 256]), "e": "AQAB"})
    );
    let dot = token.rfind('.').unwrap();
    assert_eq!(pending.message, &token.as_bytes()[..dot]);
    assert_eq!(pending.signature, [0x5a; 256]);
    assert_eq!(pending.finish(true).unwrap().claims()["sub"], "u");
    // Told the signature failed: refused, whatever else held.
    let pending = deferred(&token, &keys, vec![Alg::Rs256]);
    assert_eq!(pending.finish(false), Err(TokenError::BadSignature));
    // The synchronous verifier cannot check it: refused, never accepted.
    assert_eq!(
        verify(&token, &keys, &rules(vec![Alg::Rs256]), now()),
        Err(TokenError::UnsupportedAlgorithm)
    );
}

#[test]
fn a_deferred_bad_signature_comes_before_the_other_verdicts() {
    let keys = KeySet::from_jwks(&json!({"keys": [rsa_jwk(json!({}))]})).unwrap();
    let expired = json!({"iss": "iss", "aud": "aud", "exp": 1_700_000_000}).to_string();
    let token = unsigned(r#"{"alg":"PS256","kid":"r1"}"#, &expired);
    let pending = deferred(&token, &keys, vec![Alg::Ps256]);
    assert_eq!(pending.finish(false), Err(TokenError::BadSignature));
    let pending = deferred(&token, &keys, vec![Alg::Ps256]);
    assert_eq!(pending.finish(true), Err(TokenError::Expired));
}

#[test]
fn rsa_and_ec_keys_fit_only_their_algorithms() {
    let ec = json!({"kty": "EC", "crv": "P-256", "kid": "c1",
        "x": URL_SAFE_NO_PAD.encode([1u8; 32]), "y": URL_SAFE_NO_PAD.encode([2u8; 32])});
    let secret = [9u8; 32];
    let oct = json!({"kty": "oct", "kid": "h1", "k": URL_SAFE_NO_PAD.encode(secret)});
    let pss_only = rsa_jwk(json!({"kid": "p1", "alg": "PS256"}));
    let keys =
        KeySet::from_jwks(&json!({"keys": [rsa_jwk(json!({})), pss_only, ec, oct]})).unwrap();
    let all = vec![Alg::Rs256, Alg::Ps256, Alg::Es256, Alg::Hs256];
    let verdict = |header: &str| match verify_or_defer(
        &unsigned(header, &claims_json()),
        &keys,
        &rules(all.clone()),
        now(),
    ) {
        Ok(Outcome::Deferred(pending)) => Ok(pending.alg),
        Ok(Outcome::Verified(_)) => panic!("{header}: verified without a signature"),
        Err(err) => Err(err),
    };
    for (header, expected) in [
        (r#"{"alg":"RS256","kid":"r1"}"#, Ok(Alg::Rs256)),
        (r#"{"alg":"PS256","kid":"r1"}"#, Ok(Alg::Ps256)),
        (r#"{"alg":"ES256","kid":"c1"}"#, Ok(Alg::Es256)),
        (r#"{"alg":"PS256","kid":"p1"}"#, Ok(Alg::Ps256)),
        // A JWK's `alg` restricts it.
        (r#"{"alg":"RS256","kid":"p1"}"#, Err(TokenError::UnknownKey)),
        // Key confusion: no algorithm uses another type's key...
        (r#"{"alg":"ES256","kid":"r1"}"#, Err(TokenError::UnknownKey)),
        (r#"{"alg":"RS256","kid":"c1"}"#, Err(TokenError::UnknownKey)),
        (r#"{"alg":"RS256","kid":"h1"}"#, Err(TokenError::UnknownKey)),
        // ...nor HS256 the RSA key's (its public key as the HMAC secret).
        (r#"{"alg":"HS256","kid":"r1"}"#, Err(TokenError::UnknownKey)),
    ] {
        assert_eq!(verdict(header), expected, "{header}");
    }
    // An ES256 signature is 64 bytes: any other length is refused without asking the platform.
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256","kid":"c1"}"#);
    let claims = URL_SAFE_NO_PAD.encode(claims_json());
    let long = format!("{header}.{claims}.{}", URL_SAFE_NO_PAD.encode([0x5a; 65]));
    assert_eq!(
        verify_or_defer(&long, &keys, &rules(all.clone()), now()).err(),
        Some(TokenError::BadSignature)
    );
    // Off the allow-list: refused before any key.
    let token = unsigned(r#"{"alg":"RS256","kid":"r1"}"#, &claims_json());
    assert_eq!(
        verify_or_defer(&token, &keys, &rules(vec![Alg::Es256]), now()).err(),
        Some(TokenError::UnsupportedAlgorithm)
    );
}

#[test]
fn weak_or_broken_rsa_and_ec_keys() {
    // A 1024-bit modulus: skipped, the set's other keys still usable.
    let weak = json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode([0xab; 128]), "e": "AQAB"});
    let keys = KeySet::from_jwks(&json!({"keys": [weak, rsa_jwk(json!({}))]})).unwrap();
    assert_eq!(keys.0.len(), 1);
    // Leading zero bytes do not make a modulus longer.
    let mut padded = vec![0u8; 200];
    padded.extend([0xab; 128]);
    let padded = json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode(padded), "e": "AQAB"});
    assert!(KeySet::from_jwks(&json!({"keys": [padded]}))
        .unwrap()
        .0
        .is_empty());
    for broken in [
        json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode([0xab; 256])}),
        json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode([0xab; 256]), "e": ""}),
        json!({"kty": "EC", "crv": "P-256", "x": URL_SAFE_NO_PAD.encode([1u8; 31]),
            "y": URL_SAFE_NO_PAD.encode([2u8; 32])}),
        json!({"kty": "EC", "crv": "P-256", "x": URL_SAFE_NO_PAD.encode([1u8; 32])}),
    ] {
        assert_eq!(
            KeySet::from_jwks(&json!({ "keys": [broken.clone()] })).err(),
            Some(TokenError::InvalidJwks),
            "{broken}"
        );
    }
}
