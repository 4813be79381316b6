//! Provider sign-in and linking as an attacker would try them, natively: a scripted provider
//! (discovery, JWKS, token endpoint; a signature is "valid" when it says so) lets each
//! decision of the flow be tested in isolation. The real OpenID provider runs the same flow
//! end to end in tests/oidc/.

mod common;

use std::cell::{Cell, RefCell};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use edge_auth::http::Response;
use edge_auth::jwt::Alg;
use edge_auth::oidc::{pkce_challenge, Outbound, Provider};
use edge_auth::ports::PortError;
use edge_auth::testing::{FixedClock, MemoryAtomic, MemoryStore, SeqRandom};
use edge_auth::{App, Clock as _, Request};
use futures_executor::block_on;
use serde_json::{json, Value};

const ISSUER: &str = "http://127.0.0.1:9/";
const CLIENT: &str = "edge-auth";
const APP: &str = "http://127.0.0.1:8787/";
const VERIFIER: &str = "app-verifier-0123456789-0123456789-0123456789";

/// An identity provider that answers from a script.
#[derive(Default)]
struct ScriptedProvider {
    /// The claims of the next ID token (the nonce is filled in from the authorize request).
    id_claims: RefCell<Value>,
    /// How many times the JWKS was fetched.
    jwks_fetches: Cell<u32>,
    /// The JWKS it serves, when not its one RS256 key `k1`.
    jwks: RefCell<Option<Value>>,
    /// The JWK text of each signature check.
    checked_with: RefCell<Vec<String>>,
}

/// An RSA JWK with a 2048-bit modulus of `byte`s (shorter RSA keys are not used); its value
/// does not matter, as this provider's verify_signature only looks at the signature.
fn rsa_jwk(kid: &str, byte: u8) -> Value {
    json!({"kty": "RSA", "kid": kid, "n": URL_SAFE_NO_PAD.encode([byte; 256]), "e": "AQAB"})
}

fn jwt(header: Value, claims: &Value, signature: &[u8]) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.{}",
        part(&header),
        part(claims),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

impl Provider for ScriptedProvider {
    async fn fetch(&self, request: Outbound) -> Result<Response, PortError> {
        let base = ISSUER.trim_end_matches('/');
        let body = match request.url.strip_prefix(base) {
            Some("/.well-known/openid-configuration") => json!({
                "issuer": ISSUER,
                "authorization_endpoint": format!("{base}/auth"),
                "token_endpoint": format!("{base}/token"),
                "jwks_uri": format!("{base}/jwks"),
            }),
            Some("/jwks") => {
                self.jwks_fetches.set(self.jwks_fetches.get() + 1);
                let scripted = self.jwks.borrow().clone();
                scripted.unwrap_or_else(|| json!({"keys": [rsa_jwk("k1", 0xab)]}))
            }
            Some("/token") => {
                let header = json!({"alg": "RS256", "kid": "k1"});
                json!({"id_token": jwt(header, &self.id_claims.borrow(), b"valid")})
            }
            _ => return Ok(Response::empty(404)),
        };
        Ok(Response::json(200, &body))
    }

    async fn verify_signature(
        &self,
        _: Alg,
        jwk: &str,
        _: &[u8],
        signature: &[u8],
    ) -> Result<bool, PortError> {
        self.checked_with.borrow_mut().push(jwk.to_owned());
        Ok(signature == b"valid")
    }
}

struct Flow {
    app: App<MemoryStore, FixedClock, SeqRandom, ScriptedProvider, MemoryAtomic>,
    clock: FixedClock,
}

fn flow_with(extra: &[(&str, &str)]) -> Flow {
    let mut vars = vec![
        ("OIDC_ISSUER", ISSUER),
        ("OIDC_CLIENT_ID", CLIENT),
        ("OIDC_CLIENT_SECRET", "secret"),
        ("OIDC_REDIRECT_URIS", APP),
    ];
    vars.extend_from_slice(extra);
    let Api { app, clock } = api_with(config_with(&vars));
    Flow {
        app: App {
            store: app.store,
            clock: app.clock,
            rng: app.rng,
            provider: ScriptedProvider::default(),
            atomic: app.atomic,
            memo: app.memo,
            config: app.config,
        },
        clock,
    }
}

fn flow() -> Flow {
    flow_with(&[])
}

/// What a provider sign-in came back with.
struct Landed {
    response: Response,
    /// The one-time code in the fragment, if the sign-in succeeded.
    code: Option<String>,
}

impl Flow {
    fn send(&self, req: Request) -> Response {
        let mut req = req;
        req.origin = "http://127.0.0.1:8787".into();
        let response = block_on(self.app.handle(req));
        assert!(response.status < 500, "server error: {response:?}");
        response
    }

    fn post(&self, path: &str, body: Value) -> Response {
        self.send(Request::new("POST", &format!("{BASE}{path}")).with_json(&body))
    }

    fn register_and_login(&self, email: &str) -> String {
        let body = json!({"email": email, "password": PASSWORD});
        assert_eq!(self.post("/register", body.clone()).status, 201);
        let tokens = self.post("/login", body).json_body();
        tokens["access_token"].as_str().unwrap().to_owned()
    }

    /// The claims the provider will sign for `sub`.
    fn claims(&self, sub: &str, email: &str, verified: bool) -> Value {
        let now = self.clock.now().timestamp();
        json!({
            "iss": ISSUER, "sub": sub, "aud": CLIENT, "iat": now, "exp": now + 300,
            "email": email, "email_verified": verified, "name": "Provider Name",
        })
    }

    /// authorize (with `extra` query) -> provider (signs `claims` with our nonce) -> callback.
    fn sign_in(&self, claims: Value, extra: &str) -> Landed {
        let challenge = pkce_challenge(VERIFIER);
        let path = format!(
            "{BASE}/oauth/authorize?redirect_uri={}&code_challenge={challenge}&code_challenge_method=S256{extra}",
            edge_auth::oidc::url_encode(APP)
        );
        let started = self.send(Request::new("GET", &path));
        assert_eq!(started.status, 302, "{:?}", started.json_body());
        let location = started.header("location").unwrap().to_owned();
        let at_provider = Request::new("GET", &location);
        let state = at_provider.query_param("state").unwrap();
        let nonce = at_provider.query_param("nonce").unwrap();
        let mut claims = claims;
        claims["nonce"] = nonce.into();
        *self.app.provider.id_claims.borrow_mut() = claims;
        let cookie = started.header("set-cookie").unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let callback = format!("{BASE}/oauth/callback?state={state}&code=provider-code");
        let response = self.send(Request::new("GET", &callback).with_header("cookie", &cookie));
        let code = response
            .header("location")
            .and_then(|l| l.split_once("#code="))
            .map(|(_, code)| code.to_owned());
        Landed { response, code }
    }

    fn exchange(&self, code: &str, verifier: &str) -> Response {
        self.post(
            "/oauth/token",
            json!({"code": code, "code_verifier": verifier}),
        )
    }

    fn me(&self, token: &str) -> Value {
        let response = self.send(Request::new("GET", &format!("{BASE}/me")).with_bearer(token));
        assert_eq!(response.status, 200, "{:?}", response.json_body());
        response.json_body()
    }

    fn signed_in_user(&self, landed: &Landed) -> Value {
        let code = landed.code.as_deref().unwrap_or_else(|| {
            panic!("no code: {:?}", landed.response.json_body());
        });
        let tokens = self.exchange(code, VERIFIER);
        assert_eq!(tokens.status, 200, "{:?}", tokens.json_body());
        self.me(tokens.json_body()["access_token"].as_str().unwrap())
    }
}

// ---------------------------------------------------------------- no tokens in URLs

#[test]
fn the_callback_returns_a_one_time_code_never_tokens() {
    let flow = flow();
    let landed = flow.sign_in(flow.claims("s-ada", "ada@example.com", true), "");
    assert_eq!(landed.response.status, 302);
    let location = landed.response.header("location").unwrap();
    assert!(location.starts_with(APP), "{location}");
    assert!(!location.contains("access_token") && !location.contains("refresh_token"));
    assert!(!location.contains("eyJ"), "{location}");
    let me = flow.signed_in_user(&landed);
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["auth_scheme"], "jwt");
}

#[test]
fn the_code_works_once_only_with_the_apps_verifier_and_only_for_a_minute() {
    let flow = flow();
    let claims = flow.claims("s-ada", "ada@example.com", true);
    // A forged or stolen code without the verifier: refused, and burned.
    let code = flow.sign_in(claims.clone(), "").code.unwrap();
    let wrong = "attacker-verifier-0123456789-0123456789-01234";
    assert_eq!(flow.exchange(&code, wrong).status, 400);
    assert_eq!(flow.exchange(&code, VERIFIER).status, 400);
    // Replayed: refused.
    let code = flow.sign_in(claims.clone(), "").code.unwrap();
    assert_eq!(flow.exchange(&code, VERIFIER).status, 200);
    let again = flow.exchange(&code, VERIFIER);
    assert_eq!(again.status, 400);
    assert_eq!(detail(&again), "Invalid or expired sign-in code");
    // Late: refused.
    let code = flow.sign_in(claims, "").code.unwrap();
    flow.clock.advance(61);
    assert_eq!(flow.exchange(&code, VERIFIER).status, 400);
}

#[test]
fn a_sign_in_needs_the_apps_challenge_and_a_redirect_uri_without_fragment() {
    let flow = flow();
    let path = format!(
        "{BASE}/oauth/authorize?redirect_uri={}",
        edge_auth::oidc::url_encode(APP)
    );
    let response = flow.send(Request::new("GET", &path));
    assert_eq!(response.status, 400);
    assert!(detail(&response).contains("code_challenge"));
    let path = format!(
        "{BASE}/oauth/authorize?redirect_uri={}&code_challenge={}",
        edge_auth::oidc::url_encode(&format!("{APP}#access_token=x")),
        pkce_challenge(VERIFIER)
    );
    let response = flow.send(Request::new("GET", &path));
    assert_eq!(response.status, 400);
    assert!(detail(&response).contains("fragment"));
    let config = edge_auth::Config::from_lookup(|name| match name {
        "OIDC_REDIRECT_URIS" => Some("https://app.example/#done".into()),
        "OIDC_ISSUER" => Some(ISSUER.into()),
        "OIDC_CLIENT_ID" | "OIDC_CLIENT_SECRET" => Some("x".into()),
        "JWT_ISSUER" => Some("https://auth.example".into()),
        "JWT_AUDIENCE" => Some("edge-auth".into()),
        "JWT_SIGNING_KEY" | "PRIVATE_KEY_ENCRYPTION_KEY" | "API_KEY_PEPPER" => {
            Some(base64::engine::general_purpose::STANDARD.encode([1u8; 32]))
        }
        _ => None,
    });
    assert!(config.unwrap_err().0.contains("fragment"));
}

// ---------------------------------------------------------------- account takeover

#[test]
fn a_pre_registered_email_is_never_joined_by_a_provider_sign_in() {
    let flow = flow();
    // The attacker registers the victim's address with a password of their own.
    flow.register_and_login("victim@corp.example");
    // The victim signs in with the provider, which has verified the address.
    let landed = flow.sign_in(flow.claims("s-victim", "victim@corp.example", true), "");
    assert_eq!(landed.response.status, 409);
    assert!(landed.code.is_none());
    assert!(detail(&landed.response).contains("link"));
    // Nothing links the provider identity to the attacker's account.
    assert!(!flow
        .app
        .store
        .dump()
        .iter()
        .any(|(k, _)| k.starts_with("v1:identity:")));
}

#[test]
fn a_browser_gets_a_page_that_says_so_and_hands_the_error_back_to_the_app() {
    let flow = flow();
    flow.register_and_login("victim@corp.example");
    let challenge = pkce_challenge(VERIFIER);
    let path = format!("{BASE}/oauth/authorize?code_challenge={challenge}");
    let started = flow.send(Request::new("GET", &path));
    let location = started.header("location").unwrap().to_owned();
    let at_provider = Request::new("GET", &location);
    let mut claims = flow.claims("s-victim", "victim@corp.example", true);
    claims["nonce"] = at_provider.query_param("nonce").unwrap().into();
    *flow.app.provider.id_claims.borrow_mut() = claims;
    let cookie = started
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let state = at_provider.query_param("state").unwrap();
    let page = flow.send(
        Request::new(
            "GET",
            &format!("{BASE}/oauth/callback?state={state}&code=c"),
        )
        .with_header("cookie", &cookie)
        .with_header("accept", "text/html"),
    );
    assert_eq!(page.status, 409);
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    let html = String::from_utf8(page.body.clone()).unwrap();
    assert!(
        html.contains("An account with this email already exists"),
        "{html}"
    );
    assert!(
        html.contains(&format!("href=\"{APP}#error=409&amp;error_description=")),
        "{html}"
    );
}

#[test]
fn an_unverified_provider_email_never_creates_or_joins_an_account() {
    let flow = flow();
    let landed = flow.sign_in(flow.claims("s-new", "new@example.com", false), "");
    assert_eq!(landed.response.status, 403);
    assert!(detail(&landed.response).contains("not verified"));
    assert!(!flow
        .app
        .store
        .dump()
        .iter()
        .any(|(k, v)| k.starts_with("v1:user:") || v.contains("new@example.com")));
    // Missing email_verified counts as unverified.
    let mut claims = flow.claims("s-new", "new@example.com", true);
    claims.as_object_mut().unwrap().remove("email_verified");
    assert_eq!(flow.sign_in(claims, "").response.status, 403);
}

// ---------------------------------------------------------------- explicit linking

fn start_link(flow: &Flow, access: &str, verifier: &str) -> String {
    let response = flow.send(
        Request::new("POST", &format!("{BASE}/oauth/link"))
            .with_bearer(access)
            .with_json(&json!({"code_challenge": pkce_challenge(verifier)})),
    );
    assert_eq!(response.status, 200, "{:?}", response.json_body());
    let url = response.json_body()["authorization_url"]
        .as_str()
        .unwrap()
        .to_owned();
    Request::new("GET", &url).query_param("link").unwrap()
}

#[test]
fn a_signed_in_user_links_and_unlinks_a_provider_identity() {
    let flow = flow();
    let access = flow.register_and_login("ada@example.com");
    let ticket = start_link(&flow, &access, VERIFIER);
    // The provider account may carry another email: linking is by the signed-in user.
    let claims = flow.claims("s-ada", "ada.work@corp.example", true);
    let landed = flow.sign_in(claims.clone(), &format!("&link={ticket}"));
    let me = flow.signed_in_user(&landed);
    assert_eq!(me["email"], "ada@example.com");
    let identities = me["identities"].as_array().unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0]["issuer"], ISSUER);
    assert_eq!(identities[0]["subject"], "s-ada");
    assert_eq!(identities[0]["email"], "ada.work@corp.example");
    // From now on the provider signs in to this account.
    let again = flow.signed_in_user(&flow.sign_in(claims.clone(), ""));
    assert_eq!(again["id"], me["id"]);
    // Unlinking: then a provider sign-in no longer lands here (the email is not the key).
    let id = identities[0]["id"].as_str().unwrap();
    let unlinked =
        flow.send(Request::new("DELETE", &format!("{BASE}/identities/{id}")).with_bearer(&access));
    assert_eq!(unlinked.status, 204);
    assert_eq!(flow.me(&access)["identities"], json!([]));
    let after = flow.signed_in_user(&flow.sign_in(claims, ""));
    assert_ne!(after["id"], me["id"]);
}

#[test]
fn a_link_ticket_works_only_for_the_app_that_asked_for_it() {
    let flow = flow();
    let access = flow.register_and_login("ada@example.com");
    // The ticket leaks; the attacker starts their own sign-in with it, with their challenge.
    let ticket = start_link(
        &flow,
        &access,
        "victims-own-verifier-0123456789-0123456789-0",
    );
    let path = format!(
        "{BASE}/oauth/authorize?code_challenge={}&link={ticket}",
        pkce_challenge(VERIFIER)
    );
    let refused = flow.send(Request::new("GET", &path));
    assert_eq!(refused.status, 400);
    assert!(detail(&refused).contains("link ticket"));
    assert!(refused.header("location").is_none());
    assert!(flow.me(&access)["identities"]
        .as_array()
        .unwrap()
        .is_empty());
    // A link ticket is single use and needs a JWT, not an API key.
    let key = flow.send(
        Request::new("POST", &format!("{BASE}/api-keys"))
            .with_bearer(&access)
            .with_json(&json!({"name": "k"})),
    );
    let key = key.json_body()["key"].as_str().unwrap().to_owned();
    let refused = flow.send(
        Request::new("POST", &format!("{BASE}/oauth/link"))
            .with_bearer(&key)
            .with_json(&json!({"code_challenge": pkce_challenge(VERIFIER)})),
    );
    assert_eq!(refused.status, 403);
}

#[test]
fn an_identity_linked_elsewhere_cannot_be_linked_again() {
    let flow = flow();
    let claims = flow.claims("s-shared", "owner@example.com", true);
    let owner = flow.signed_in_user(&flow.sign_in(claims.clone(), ""));
    let access = flow.register_and_login("other@example.com");
    let ticket = start_link(&flow, &access, VERIFIER);
    let landed = flow.sign_in(claims, &format!("&link={ticket}"));
    assert_eq!(landed.response.status, 409);
    assert!(flow.me(&access)["identities"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(owner["identities"].as_array().unwrap().len(), 1);
}

#[test]
fn the_only_way_into_a_provider_account_cannot_be_unlinked() {
    let flow = flow();
    let landed = flow.sign_in(flow.claims("s-sso", "sso@example.com", true), "");
    let tokens = flow
        .exchange(landed.code.as_deref().unwrap(), VERIFIER)
        .json_body();
    let access = tokens["access_token"].as_str().unwrap();
    let me = flow.me(access);
    let id = me["identities"][0]["id"].as_str().unwrap();
    let refused =
        flow.send(Request::new("DELETE", &format!("{BASE}/identities/{id}")).with_bearer(access));
    assert_eq!(refused.status, 409);
    // Another user's identity id is simply not found.
    let other = flow.register_and_login("other@example.com");
    let not_yours =
        flow.send(Request::new("DELETE", &format!("{BASE}/identities/{id}")).with_bearer(&other));
    assert_eq!(not_yours.status, 404);
}

// ---------------------------------------------------------------- tokens from the provider

#[test]
fn an_id_token_for_several_audiences_must_name_us_as_authorized_party() {
    let flow = flow();
    let mut claims = flow.claims("s-aud", "aud@example.com", true);
    claims["aud"] = json!([CLIENT, "another-client"]);
    let landed = flow.sign_in(claims.clone(), "");
    assert_eq!(landed.response.status, 400);
    assert!(detail(&landed.response).contains("audience"));
    claims["azp"] = "another-client".into();
    assert_eq!(flow.sign_in(claims.clone(), "").response.status, 400);
    claims["azp"] = CLIENT.into();
    assert_eq!(flow.sign_in(claims, "").response.status, 302);
}

fn provider_access_token(flow: &Flow, sub: &str, typ: Option<&str>) -> String {
    let now = flow.clock.now().timestamp();
    let claims = json!({
        "iss": ISSUER, "sub": sub, "aud": CLIENT, "iat": now, "exp": now + 300,
        "scope": "openid email profile",
    });
    let mut header = json!({"alg": "RS256", "kid": "k1"});
    if let Some(typ) = typ {
        header["typ"] = typ.into();
    }
    jwt(header, &claims, b"valid")
}

#[test]
fn provider_access_tokens_need_rfc_9068_typ_unless_configured_otherwise() {
    for (setting, plain_ok) in [(None, false), (Some("any"), true)] {
        let flow = match setting {
            Some(value) => flow_with(&[("OIDC_ACCESS_TOKEN_TYP", value)]),
            None => flow(),
        };
        flow.signed_in_user(&flow.sign_in(flow.claims("s-at", "at@example.com", true), ""));
        let get_me =
            |token: &str| flow.send(Request::new("GET", &format!("{BASE}/me")).with_bearer(token));
        for typ in ["at+jwt", "application/at+jwt", "AT+JWT"] {
            let token = provider_access_token(&flow, "s-at", Some(typ));
            assert_eq!(get_me(&token).status, 200, "{typ}");
        }
        for typ in [None, Some("JWT")] {
            let token = provider_access_token(&flow, "s-at", typ);
            let status = get_me(&token).status;
            assert_eq!(status == 200, plain_ok, "{setting:?} {typ:?}: {status}");
        }
    }
}

#[test]
fn provider_tokens_are_checked_with_the_jwk_that_makes_the_key_from_one_jwks_fetch() {
    let flow = flow();
    flow.signed_in_user(&flow.sign_in(flow.claims("s-at", "at@example.com", true), ""));
    let fetches = flow.app.provider.jwks_fetches.get();
    flow.app.provider.checked_with.borrow_mut().clear();
    for _ in 0..3 {
        let token = provider_access_token(&flow, "s-at", Some("at+jwt"));
        let me = flow.send(Request::new("GET", &format!("{BASE}/me")).with_bearer(&token));
        assert_eq!(me.status, 200);
    }
    // The JWKS read at sign-in serves every later token.
    assert_eq!(flow.app.provider.jwks_fetches.get(), fetches);
    // WebCrypto is given the members that make the key, as the package's verifier gives it,
    // not the provider's JWK with its kid, use or key_ops.
    let n = URL_SAFE_NO_PAD.encode([0xab; 256]);
    let expected = format!(r#"{{"kty":"RSA","n":"{n}","e":"AQAB"}}"#);
    assert_eq!(*flow.app.provider.checked_with.borrow(), vec![expected; 3]);
}

#[test]
fn a_hostile_jwks_key_is_left_out_and_a_kid_named_twice_verifies_nothing() {
    let unknown_key = |jwks: Value| {
        let flow = flow();
        *flow.app.provider.jwks.borrow_mut() = Some(jwks);
        let token = provider_access_token(&flow, "s-hostile", Some("at+jwt"));
        let me = flow.send(Request::new("GET", &format!("{BASE}/me")).with_bearer(&token));
        assert_eq!(me.status, 401);
        detail(&me) == "token signed by an unknown key"
    };
    // k1 alone: the token's key is found (it is refused for its unknown user instead).
    assert!(!unknown_key(json!({"keys": [rsa_jwk("k1", 0xab)]})));
    // A malformed key, a weak one and one for encryption beside it: left out, k1 still serves.
    let malformed = json!({"kty": "RSA", "kid": "k0", "n": "not base64url!", "e": "AQAB"});
    let weak =
        json!({"kty": "RSA", "kid": "k2", "n": URL_SAFE_NO_PAD.encode([0xab; 128]), "e": "AQAB"});
    let mut encryption = rsa_jwk("k3", 0xcd);
    encryption["use"] = "enc".into();
    assert!(!unknown_key(
        json!({"keys": [malformed, weak, encryption, rsa_jwk("k1", 0xab)]})
    ));
    // Two keys named k1: which one signed? Neither is used.
    assert!(unknown_key(
        json!({"keys": [rsa_jwk("k1", 0xab), rsa_jwk("k1", 0xcd)]})
    ));
    // The token's key only under a use we refuse: unknown.
    let mut encryption = rsa_jwk("k1", 0xab);
    encryption["use"] = "enc".into();
    assert!(unknown_key(json!({"keys": [encryption]})));
}

#[test]
fn the_issuer_is_compared_exactly_as_written() {
    // ISSUER ends with a slash (as Auth0's does): discovery, ID tokens and access tokens
    // carry it so, and a token without the slash is another issuer.
    let flow = flow();
    flow.signed_in_user(&flow.sign_in(flow.claims("s-iss", "iss@example.com", true), ""));
    let mut claims = flow.claims("s-iss", "iss@example.com", true);
    claims["iss"] = ISSUER.trim_end_matches('/').into();
    assert_eq!(flow.sign_in(claims, "").response.status, 400);
}

#[test]
fn provider_tokens_go_through_the_strict_parser_too() {
    let flow = flow();
    flow.signed_in_user(&flow.sign_in(flow.claims("s-at", "at@example.com", true), ""));
    let now = flow.clock.now().timestamp();
    let claims = format!(
        r#"{{"iss":"{ISSUER}","sub":"s-at","aud":"{CLIENT}","exp":{},"scope":"openid email profile","sub":"s-admin"}}"#,
        now + 300
    );
    let part = |text: &str| URL_SAFE_NO_PAD.encode(text);
    let header = r#"{"alg":"RS256","kid":"k1","typ":"at+jwt"}"#;
    let signature = URL_SAFE_NO_PAD.encode(b"valid");
    let get_me = |token: String| {
        flow.send(Request::new("GET", &format!("{BASE}/me")).with_bearer(&token))
            .status
    };
    // A second `sub`: which one would a consumer read? Refused.
    assert_eq!(
        get_me(format!("{}.{}.{signature}", part(header), part(&claims))),
        401
    );
    // `crit` names an extension we do not understand: refused.
    let good = claims.replace(r#","sub":"s-admin""#, "");
    let crit = r#"{"alg":"RS256","kid":"k1","typ":"at+jwt","crit":["exp"]}"#;
    assert_eq!(
        get_me(format!("{}.{}.{signature}", part(crit), part(&good))),
        401
    );
    // The same token without those is accepted: only they made the difference.
    assert_eq!(
        get_me(format!("{}.{}.{signature}", part(header), part(&good))),
        200
    );
}

#[test]
fn an_unknown_key_id_is_a_401_before_and_within_the_refetch_cooldown() {
    let flow = flow();
    flow.signed_in_user(&flow.sign_in(flow.claims("s-kid", "kid@example.com", true), ""));
    let now = flow.clock.now().timestamp();
    let claims = json!({
        "iss": ISSUER, "sub": "s-kid", "aud": CLIENT, "exp": now + 300,
        "scope": "openid email profile",
    });
    let token = jwt(
        json!({"alg": "RS256", "kid": "k9", "typ": "at+jwt"}),
        &claims,
        b"valid",
    );
    for _ in 0..3 {
        let response = flow.send(Request::new("GET", &format!("{BASE}/me")).with_bearer(&token));
        assert_eq!(response.status, 401);
        assert_eq!(detail(&response), "token signed by an unknown key");
    }
}

/// Trades one code `n` times at once through a store that interleaves requests (as KV's
/// round trips do); the statuses.
fn trade_at_once<A: edge_auth::ports::Atomic>(
    flow: &Flow,
    code: &str,
    atomic: A,
    n: usize,
) -> Vec<u16> {
    use edge_auth::testing::YieldingStore;
    use edge_auth::Store as _;
    use futures_util::future::join_all;

    let store = MemoryStore::new(flow.clock.clone());
    for (key, value) in flow.app.store.dump() {
        block_on(store.put(&key, &value, None)).unwrap();
    }
    let app = App {
        store: YieldingStore(store),
        clock: flow.clock.clone(),
        rng: SeqRandom::new(11),
        provider: ScriptedProvider::default(),
        atomic,
        memo: Default::default(),
        config: config_with(&[
            ("OIDC_ISSUER", ISSUER),
            ("OIDC_CLIENT_ID", CLIENT),
            ("OIDC_CLIENT_SECRET", "secret"),
            ("OIDC_REDIRECT_URIS", APP),
        ]),
    };
    let body = json!({"code": code, "code_verifier": VERIFIER});
    let trades = (0..n)
        .map(|_| app.handle(Request::new("POST", &format!("{BASE}/oauth/token")).with_json(&body)));
    block_on(join_all(trades))
        .iter()
        .map(|r| r.status)
        .collect()
}

#[test]
fn a_code_traded_by_ten_callers_at_once_is_traded_once() {
    let flow = flow();
    let claims = flow.claims("s-race", "race@example.com", true);
    let code = flow.sign_in(claims.clone(), "").code.unwrap();
    let statuses = trade_at_once(&flow, &code, MemoryAtomic::default(), 10);
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 400].contains(s)),
        "{statuses:?}"
    );
    // KV alone (edge-only deployments) cannot tell simultaneous callers apart.
    let code = flow.sign_in(claims, "").code.unwrap();
    let statuses = trade_at_once(&flow, &code, edge_auth::ports::EdgeOnly, 10);
    assert!(
        statuses.iter().filter(|s| **s == 200).count() > 1,
        "{statuses:?}"
    );
}
