use super::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::TimeZone;
use jwt_compact::alg::{Hs256, Hs256Key};

const ISS: &str = "https://auth.example";
const AUD: &str = "edge-auth";

fn key() -> SigningKey {
    SigningKey::from_seed(&[1u8; 32]).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
}

fn claims() -> AccessClaims {
    AccessClaims {
        iss: ISS.into(),
        sub: UserId::new("user-1"),
        aud: AUD.into(),
        sid: SessionId::new("session-1"),
        jti: "token-1".into(),
    }
}

fn expect() -> Expectations<'static> {
    Expectations {
        issuer: ISS,
        audience: AUD,
    }
}

fn check(token: &str, at: DateTime<Utc>) -> Result<VerifiedAccess, TokenError> {
    verify_access([&key()], token, &expect(), at)
}

/// Re-encodes a token's header or payload JSON, keeping the rest.
fn edit(token: &str, part: usize, f: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut json: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[part]).unwrap()).unwrap();
    f(&mut json);
    parts[part] = URL_SAFE_NO_PAD.encode(json.to_string());
    parts.join(".")
}

#[test]
fn issued_token_verifies_with_its_claims() {
    let token = issue_access(&key(), claims(), now(), 900);
    let verified = check(&token, now()).unwrap();
    assert_eq!(verified.claims, claims());
    assert_eq!(verified.expires_at, now() + TimeDelta::seconds(900));
}

#[test]
fn expired_token_is_rejected_after_the_leeway() {
    let token = issue_access(&key(), claims(), now(), 900);
    let just_inside = now() + TimeDelta::seconds(900 + LEEWAY_SECS - 1);
    assert!(check(&token, just_inside).is_ok());
    // RFC 7519 §4.1.4: on or after exp (plus the leeway), refused.
    let on_it = just_inside + TimeDelta::seconds(1);
    assert_eq!(check(&token, on_it).unwrap_err(), TokenError::Expired);
}

#[test]
fn token_from_the_future_is_rejected() {
    let token = issue_access(&key(), claims(), now(), 900);
    let before = now() - TimeDelta::seconds(LEEWAY_SECS + 1);
    assert_eq!(check(&token, before).unwrap_err(), TokenError::NotYetValid);
}

#[test]
fn wrong_issuer_and_audience_are_rejected() {
    let mut c = claims();
    c.iss = "https://evil.example".into();
    let token = issue_access(&key(), c, now(), 900);
    assert_eq!(check(&token, now()).unwrap_err(), TokenError::WrongIssuer);

    let mut c = claims();
    c.aud = "another-app".into();
    let token = issue_access(&key(), c, now(), 900);
    assert_eq!(check(&token, now()).unwrap_err(), TokenError::WrongAudience);
}

#[test]
fn every_flipped_signature_bit_is_rejected() {
    let token = issue_access(&key(), claims(), now(), 900);
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    for bit in 0..signature.len() * 8 {
        let mut flipped = signature.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        let forged = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(&flipped));
        assert_eq!(
            check(&forged, now()).unwrap_err(),
            TokenError::BadSignature,
            "bit {bit}"
        );
    }
}

#[test]
fn edited_payload_is_rejected() {
    let token = issue_access(&key(), claims(), now(), 900);
    let forged = edit(&token, 1, |c| c["sub"] = "admin".into());
    assert_eq!(check(&forged, now()).unwrap_err(), TokenError::BadSignature);
}

#[test]
fn alg_none_is_rejected() {
    let token = issue_access(&key(), claims(), now(), 900);
    let forged = edit(&token, 0, |h| h["alg"] = "none".into());
    let unsigned = format!("{}.", forged.rsplit_once('.').unwrap().0);
    assert_eq!(
        check(&unsigned, now()).unwrap_err(),
        TokenError::UnsupportedAlgorithm
    );
    assert_eq!(
        check(&forged, now()).unwrap_err(),
        TokenError::UnsupportedAlgorithm
    );
}

#[test]
fn hs256_signed_with_our_public_key_is_rejected() {
    // Algorithm confusion: an attacker signs with HMAC, using the public key as the secret.
    let public = URL_SAFE_NO_PAD
        .decode(key().public_jwk()["x"].as_str().unwrap())
        .unwrap();
    let header = Header::empty()
        .with_key_id(key().kid())
        .with_token_type(ACCESS_TOKEN_TYPE);
    let time = TimeOptions::new(TimeDelta::zero(), now);
    let forged_claims =
        Claims::new(claims()).set_duration_and_issuance(&time, TimeDelta::seconds(900));
    let forged = Hs256
        .token(&header, &forged_claims, &Hs256Key::new(public))
        .unwrap();
    assert_eq!(
        check(&forged, now()).unwrap_err(),
        TokenError::UnsupportedAlgorithm
    );
}

#[test]
fn unknown_kid_is_rejected() {
    let other = SigningKey::from_seed(&[2u8; 32]).unwrap();
    let token = issue_access(&other, claims(), now(), 900);
    assert_eq!(check(&token, now()).unwrap_err(), TokenError::UnknownKey);
}

#[test]
fn token_without_kid_needs_a_single_candidate_key() {
    // Re-signed without a kid: the only key of the algorithm is the one to try.
    let header = Header::empty().with_token_type(ACCESS_TOKEN_TYPE);
    let time = TimeOptions::new(TimeDelta::zero(), now);
    let c = Claims::new(claims()).set_duration_and_issuance(&time, TimeDelta::seconds(900));
    let token = Ed25519.token(&header, &c, key().secret()).unwrap();
    assert!(check(&token, now()).is_ok());
    let other = SigningKey::from_seed(&[2u8; 32]).unwrap();
    let two = verify_access([&key(), &other], &token, &expect(), now());
    assert_eq!(two.unwrap_err(), TokenError::UnknownKey);
}

#[test]
fn wrong_typ_is_rejected() {
    // Sign a token whose header says it is an ID token.
    let header = Header::empty()
        .with_key_id(key().kid())
        .with_token_type("JWT");
    let time = TimeOptions::new(TimeDelta::zero(), now);
    let c = Claims::new(claims()).set_duration_and_issuance(&time, TimeDelta::seconds(900));
    let token = Ed25519.token(&header, &c, key().secret()).unwrap();
    assert_eq!(check(&token, now()).unwrap_err(), TokenError::WrongType);
}

#[test]
fn token_without_expiry_is_rejected() {
    let header = Header::empty()
        .with_key_id(key().kid())
        .with_token_type(ACCESS_TOKEN_TYPE);
    let token = Ed25519
        .token(&header, &Claims::new(claims()), key().secret())
        .unwrap();
    assert_eq!(check(&token, now()).unwrap_err(), TokenError::MissingExpiry);
}

#[test]
fn garbage_and_truncated_tokens_are_malformed() {
    let token = issue_access(&key(), claims(), now(), 900);
    let cases = [
        String::new(),
        "abc".into(),
        "a.b.c".into(),
        token[..token.len() / 2].to_owned(),
        token.split('.').take(2).collect::<Vec<_>>().join("."),
        format!("{token}.extra"),
        "eyJhbGciOiJFZERTQSJ9.bm90IGpzb24.c2ln".into(),
    ];
    for case in cases {
        let err = check(&case, now()).unwrap_err();
        assert!(
            matches!(
                err,
                TokenError::Malformed | TokenError::UnknownKey | TokenError::BadSignature
            ),
            "{case:?}: {err:?}"
        );
    }
}

/// Signs exactly these header and claims texts with [`key`].
fn signed_raw(header: &str, claims: &str) -> String {
    use ed25519_dalek::Signer as _;
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature = key().secret().sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

#[test]
fn a_second_sub_claim_cannot_change_who_the_token_is_for() {
    // Signed by our own key: the only thing wrong is the repeated member, which a last-wins
    // parser would read as "admin" and a first-wins parser as "user-1".
    let header = format!(
        r#"{{"alg":"EdDSA","kid":"{}","typ":"at+jwt"}}"#,
        key().kid()
    );
    let claims = |sub_twice: bool| {
        let extra = if sub_twice { r#","sub":"admin""# } else { "" };
        format!(
            r#"{{"iss":"{ISS}","aud":"{AUD}","sub":"user-1","sid":"s","jti":"j","exp":{}{extra}}}"#,
            now().timestamp() + 900
        )
    };
    assert_eq!(
        check(&signed_raw(&header, &claims(false)), now())
            .unwrap()
            .claims
            .sub,
        "user-1"
    );
    assert_eq!(
        check(&signed_raw(&header, &claims(true)), now()).unwrap_err(),
        TokenError::Malformed
    );
}

#[test]
fn a_critical_header_extension_is_refused_on_our_own_tokens() {
    let header = format!(
        r#"{{"alg":"EdDSA","kid":"{}","typ":"at+jwt","crit":["exp"],"exp":1}}"#,
        key().kid()
    );
    let claims = format!(
        r#"{{"iss":"{ISS}","aud":"{AUD}","sub":"u","sid":"s","jti":"j","exp":{}}}"#,
        now().timestamp() + 900
    );
    assert_eq!(
        check(&signed_raw(&header, &claims), now()).unwrap_err(),
        TokenError::Malformed
    );
}
