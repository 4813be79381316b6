// Builds the tokens described by `rfc8725.json`: shared by the native run (tests/vectors.rs)
// and the package's wasm runs (tests/wasm/cases.rs), so both check the same cases.

use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ed25519_dalek::Signer as _;
use hmac::{Hmac, Mac as _};
use serde_json::{Map, Value};
use sha2::Sha256;

/// The vector file, compiled in so it also runs in wasm.
pub const FILE: &str = include_str!("rfc8725.json");

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// One token to verify, and what must happen.
pub struct Case {
    /// The case name (with " (unmutated)" for the control of a mutated case).
    pub name: String,
    /// The token as sent.
    pub token: String,
    /// The JWK Set the verifier trusts.
    pub jwks: Value,
    /// The package's `VerifyOptions`.
    pub options: Value,
    /// `"ok"` or a `TokenError` code.
    pub expect: String,
    /// For `"ok"`: the claims the verifier must return, exactly.
    pub claims: Option<Value>,
}

enum Key {
    Ed25519(Box<ed25519_dalek::SigningKey>),
    Hs256(Vec<u8>),
}

struct NamedKey {
    kid: String,
    key: Key,
}

impl NamedKey {
    fn public_jwk(&self) -> Value {
        match &self.key {
            Key::Ed25519(secret) => serde_json::json!({
                "kty": "OKP", "crv": "Ed25519", "kid": self.kid,
                "x": URL_SAFE_NO_PAD.encode(secret.verifying_key().as_bytes()),
            }),
            Key::Hs256(secret) => serde_json::json!({
                "kty": "oct", "kid": self.kid, "k": URL_SAFE_NO_PAD.encode(secret),
            }),
        }
    }

    fn sign(&self, input: &[u8]) -> Vec<u8> {
        match &self.key {
            Key::Ed25519(secret) => secret.sign(input).to_bytes().to_vec(),
            Key::Hs256(secret) => {
                let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
                mac.update(input);
                mac.finalize().into_bytes().to_vec()
            }
        }
    }
}

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex {text}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn text<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    value.get(name).and_then(Value::as_str)
}

fn keys(file: &Value) -> Map<String, Value> {
    file["keys"].as_object().expect("keys").clone()
}

fn key(file: &Value, name: &str) -> NamedKey {
    let spec = &file["keys"][name];
    let kid = text(spec, "kid").expect("kid").to_owned();
    let key = if let Some(seed) = text(spec, "ed25519_seed") {
        let seed: [u8; 32] = hex(seed).try_into().expect("32-byte seed");
        Key::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)))
    } else if let Some(secret) = text(spec, "hs256_secret") {
        Key::Hs256(hex(secret))
    } else {
        let of = key(file, text(spec, "of").expect("of"));
        let Key::Ed25519(secret) = &of.key else {
            panic!("{name}: derived from a non-Ed25519 key")
        };
        Key::Hs256(match text(spec, "hs256_secret_from") {
            Some("public_key_bytes") => secret.verifying_key().as_bytes().to_vec(),
            Some("public_jwk_json") => of.public_jwk().to_string().into_bytes(),
            other => panic!("{name}: unknown key derivation {other:?}"),
        })
    };
    NamedKey { kid, key }
}

/// Replaces every `"$jwk:NAME"` string with that key's public JWK.
fn substitute(file: &Value, value: &mut Value) {
    match value {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix("$jwk:") {
                *value = key(file, name).public_jwk();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| substitute(file, v)),
        Value::Object(map) => map.values_mut().for_each(|v| substitute(file, v)),
        _ => {}
    }
}

/// `base` with `changes` merged in; a `null` change removes the member.
fn merged(file: &Value, base: &Value, changes: Option<&Value>) -> Value {
    let mut out = base.as_object().expect("object").clone();
    for (name, value) in changes.and_then(Value::as_object).into_iter().flatten() {
        if value.is_null() {
            out.remove(name);
        } else {
            let mut value = value.clone();
            substitute(file, &mut value);
            out.insert(name.clone(), value);
        }
    }
    Value::Object(out)
}

/// Replaces part `index` of a dot-separated token.
fn with_part(token: &str, index: usize, f: impl FnOnce(&str) -> String) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[index] = f(&parts[index]);
    parts.join(".")
}

fn part_index(arg: Option<&str>) -> usize {
    arg.and_then(|a| a.parse().ok()).expect("a part index")
}

fn mutate(token: &str, mutation: &str) -> String {
    let (name, arg) = match mutation.split_once(':') {
        Some((name, arg)) => (name, Some(arg)),
        None => (mutation, None),
    };
    let (signed, signature) = token.rsplit_once('.').expect("three parts");
    let out = match name {
        "pad" => with_part(token, part_index(arg), |p| format!("{p}=")),
        "standard_alphabet" => with_part(token, part_index(arg), |p| {
            STANDARD_NO_PAD.encode(URL_SAFE_NO_PAD.decode(p).expect("base64url"))
        }),
        "trailing_bits" => with_part(token, part_index(arg), |p| {
            assert!(p.len() % 4 != 0, "{p}: no unused bits to set");
            let mut bytes = p.as_bytes().to_vec();
            let last = bytes.len() - 1;
            let value = ALPHABET
                .iter()
                .position(|&c| c == bytes[last])
                .expect("b64");
            bytes[last] = ALPHABET[value | 1];
            String::from_utf8(bytes).expect("ascii")
        }),
        "line_break" => with_part(token, part_index(arg), |p| {
            format!("{}\n{}", &p[..p.len() / 2], &p[p.len() / 2..])
        }),
        "leading_space" => format!(" {token}"),
        "drop_signature" => signed.to_owned(),
        "strip_signature" => format!("{signed}."),
        "append_part" => format!("{token}.{signature}"),
        "jwe_shape" => format!("{token}.AAAA.BBBB"),
        "flip_signature_bit" => {
            let mut bytes = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
            bytes[0] ^= 1;
            format!("{signed}.{}", URL_SAFE_NO_PAD.encode(bytes))
        }
        "truncate_signature" => {
            let bytes = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
            format!(
                "{signed}.{}",
                URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() - 3])
            )
        }
        other => panic!("unknown mutation {other}"),
    };
    assert_ne!(out, token, "mutation {mutation} changed nothing");
    out
}

/// Every case of the file, each mutated case preceded by its unmutated control.
pub fn cases() -> Vec<Case> {
    let file: Value = serde_json::from_str(FILE).expect("rfc8725.json is JSON");
    let base = &file["base"];
    let known_keys = keys(&file);
    let mut out = Vec::new();
    for case in file["cases"].as_array().expect("cases") {
        let name = text(case, "name").expect("name").to_owned();
        let expect = text(case, "expect").expect("expect").to_owned();
        let key_names = case.get("jwks").unwrap_or(&file["jwks"]);
        let jwks: Vec<Value> = key_names
            .as_array()
            .expect("jwks")
            .iter()
            .map(|n| {
                let n = n.as_str().expect("key name");
                assert!(known_keys.contains_key(n), "{name}: no key {n}");
                key(&file, n).public_jwk()
            })
            .collect();
        let jwks = serde_json::json!({ "keys": jwks });
        let options = merged(&file, &base["options"], case.get("options"));
        if let Some(token) = text(case, "token") {
            out.push(Case {
                name,
                token: token.to_owned(),
                jwks,
                options,
                expect,
                claims: None,
            });
            continue;
        }
        let header = match text(case, "header_json") {
            Some(raw) => raw.to_owned(),
            None => merged(&file, &base["header"], case.get("header")).to_string(),
        };
        let claims = match text(case, "claims_json") {
            Some(raw) => raw.to_owned(),
            None => merged(&file, &base["claims"], case.get("claims")).to_string(),
        };
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&header),
            URL_SAFE_NO_PAD.encode(&claims)
        );
        let signature = match text(case, "sign").or_else(|| text(base, "sign")) {
            Some("none") => Vec::new(),
            Some(signer) => key(&file, signer).sign(input.as_bytes()),
            None => panic!("{name}: no signer"),
        };
        let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature));
        let claims = serde_json::from_str(&claims).ok();
        if let Some(mutation) = text(case, "mutate") {
            out.push(Case {
                name: format!("{name} (unmutated)"),
                token: token.clone(),
                jwks: jwks.clone(),
                options: options.clone(),
                expect: text(case, "unmutated").unwrap_or("ok").to_owned(),
                claims: claims.clone(),
            });
            out.push(Case {
                name,
                token: mutate(&token, mutation),
                jwks,
                options,
                expect,
                claims,
            });
        } else {
            out.push(Case {
                name,
                token,
                jwks,
                options,
                expect,
                claims,
            });
        }
    }
    out
}
