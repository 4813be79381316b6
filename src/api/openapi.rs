//! The OpenAPI 3.1 document of the API (`GET /api/v1/auth/openapi.json`) and a page that
//! renders it (`GET /api/v1/auth/docs`), self-contained: no script or style from elsewhere.

use serde_json::{json, Map, Value};

use crate::http::BASE_PATH;

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn body(name: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema(name) } } })
}

fn reply(description: &str, name: Option<&str>) -> Value {
    match name {
        Some(name) => json!({
            "description": description,
            "content": { "application/json": { "schema": schema(name) } }
        }),
        None => json!({ "description": description }),
    }
}

/// One operation: its id, summary, who may call it, request body schema, responses.
fn operation(
    id: &str,
    summary: &str,
    security: &[&str],
    request: Option<&str>,
    responses: &[(&str, &str, Option<&str>)],
) -> Value {
    let mut op = Map::new();
    op.insert("operationId".into(), id.into());
    op.insert("summary".into(), summary.into());
    let schemes: Vec<Value> = security.iter().map(|s| json!({ *s: [] })).collect();
    op.insert("security".into(), schemes.into());
    if let Some(request) = request {
        op.insert("requestBody".into(), body(request));
    }
    let mut all: Vec<(&str, &str, Option<&str>)> = responses.to_vec();
    if request.is_some() {
        all.push(("413", "Body over 64 KB", Some("Error")));
        all.push(("415", "Content-Type is not application/json", Some("Error")));
        all.push(("422", "Validation error", Some("HTTPValidationError")));
    }
    if !security.is_empty() {
        all.push((
            "401",
            "Missing or invalid credential (WWW-Authenticate: Bearer)",
            Some("Error"),
        ));
    }
    let responses: Map<String, Value> = all
        .into_iter()
        .map(|(status, description, name)| (status.to_owned(), reply(description, name)))
        .collect();
    op.insert("responses".into(), responses.into());
    op.into()
}

const ANY: &[&str] = &["jwt", "apiKey", "oauth2"];
const INTERACTIVE: &[&str] = &["jwt", "oauth2"];
const BUSY: (&str, &str, Option<&str>) = (
    "503",
    "Too many password hashes in progress here: retry after Retry-After seconds",
    Some("Error"),
);
const FORBIDDEN: (&str, &str, Option<&str>) = ("403", "An API key may not do this", Some("Error"));

/// The document. `server` is the API's origin, e.g. `https://auth.example.com`.
pub fn document(server: &str) -> Value {
    let string = json!({ "type": "string" });
    let time = json!({ "type": ["string", "null"], "format": "date-time" });
    let p = |path: &str| format!("{BASE_PATH}{path}");
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "edge-auth",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Login, sessions, API keys and private-key storage. Protected routes take `Authorization: Bearer <credential>`: our JWT, an `sk-` API key, or the identity provider's access token."
        },
        "servers": [{ "url": server }],
        "paths": {
            p("/register"): { "post": operation("register", "Create a user", &[], Some("RegisterRequest"), &[("201", "The new user", Some("User")), ("409", "The email is taken", Some("Error")), ("429", "Too many registrations from this address (Retry-After)", Some("Error")), BUSY]) },
            p("/login"): { "post": operation("login", "Log in with email and password", &[], Some("LoginRequest"), &[("200", "Tokens", Some("TokenResponse")), ("401", "Incorrect email or password", Some("Error")), ("429", "Too many failed logins for this email from this address, or from this address (Retry-After)", Some("Error")), BUSY]) },
            p("/refresh"): { "post": operation("refresh", "Exchange a refresh token for a new pair", &[], Some("RefreshRequest"), &[("200", "Tokens", Some("TokenResponse")), ("401", "Invalid, expired or reused refresh token", Some("Error"))]) },
            p("/logout"): { "post": operation("logout", "Revoke the session", ANY, None, &[("204", "Logged out", None)]) },
            p("/me"): { "get": operation("getMe", "The caller", ANY, None, &[("200", "The caller", Some("Me"))]) },
            p("/api-keys"): {
                "get": operation("listApiKeys", "List the caller's API keys (never their secrets)", INTERACTIVE, None, &[("200", "Keys", Some("ApiKeyList")), FORBIDDEN]),
                "post": operation("createApiKey", "Create an API key, shown once", INTERACTIVE, Some("CreateApiKeyRequest"), &[("201", "The key", Some("ApiKeyCreated")), FORBIDDEN])
            },
            p("/api-keys/{key_id}"): {
                "parameters": [{ "name": "key_id", "in": "path", "required": true, "schema": string }],
                "delete": operation("revokeApiKey", "Revoke an API key", INTERACTIVE, None, &[("204", "Revoked", None), FORBIDDEN, ("404", "Not one of the caller's keys", Some("Error"))])
            },
            p("/private-key"): {
                "get": operation("getPrivateKeyStatus", "Whether the caller has a private key (never the key)", ANY, None, &[("200", "Status", Some("PrivateKeyStatus"))]),
                "put": operation("putPrivateKey", "Store the caller's private key, encrypted at rest", INTERACTIVE, Some("PrivateKeyRequest"), &[("200", "Status", Some("PrivateKeyStatus")), FORBIDDEN]),
                "delete": operation("deletePrivateKey", "Remove the caller's private key", INTERACTIVE, None, &[("204", "Removed", None), FORBIDDEN])
            },
            p("/oauth/authorize"): {
                "parameters": [
                    { "name": "redirect_uri", "in": "query", "schema": string, "description": "One of OIDC_REDIRECT_URIS (no fragment); default the first" },
                    { "name": "code_challenge", "in": "query", "required": true, "schema": string, "description": "S256 of a verifier the app keeps, for POST /oauth/token" },
                    { "name": "code_challenge_method", "in": "query", "schema": { "const": "S256" } },
                    { "name": "link", "in": "query", "schema": string, "description": "A ticket from POST /oauth/link: attach the identity to that account" }
                ],
                "get": operation("startProviderSignIn", "Start sign-in with the identity provider (redirect)", &[], None, &[("302", "To the provider", None), ("400", "redirect_uri not allowed, code_challenge missing, or link ticket unknown", Some("Error")), ("429", "Too many sign-ins started from this address (Retry-After)", Some("Error"))])
            },
            p("/oauth/callback"): { "get": operation("finishProviderSignIn", "Finish sign-in: redirect to the app with a one-time code in the fragment (#code=...), never tokens", &[], None, &[("302", "To the app", None), ("400", "Bad state, refused or invalid sign-in", Some("Error")), ("403", "The provider has not verified the email", Some("Error")), ("409", "An account with this email exists (link instead), or the identity is linked to another account", Some("Error"))]) },
            p("/oauth/token"): { "post": operation("exchangeSignInCode", "Trade the one-time code and the app's verifier for tokens", &[], Some("TokenExchangeRequest"), &[("200", "Tokens", Some("TokenResponse")), ("400", "Invalid, used or expired code, or wrong verifier", Some("Error")), ("409", "The identity was linked to another account meanwhile", Some("Error"))]) },
            p("/oauth/link"): { "post": operation("startProviderLink", "Start linking a provider identity to the caller's account", INTERACTIVE, Some("LinkRequest"), &[("200", "Where to send the browser", Some("LinkStarted")), FORBIDDEN]) },
            p("/identities/{identity_id}"): {
                "parameters": [{ "name": "identity_id", "in": "path", "required": true, "schema": string }],
                "delete": operation("unlinkIdentity", "Unlink a provider identity from the caller's account", INTERACTIVE, None, &[("204", "Unlinked", None), FORBIDDEN, ("404", "Not one of the caller's identities", Some("Error")), ("409", "The account's only way to sign in", Some("Error"))])
            },
            "/.well-known/jwks.json": { "get": operation("getJwks", "Our public signing keys", &[], None, &[("200", "JWK Set", None)]) },
            p("/openapi.json"): { "get": operation("getOpenApi", "This document", &[], None, &[("200", "OpenAPI 3.1", None)]) }
        },
        "components": {
            "securitySchemes": {
                "jwt": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "An access token from /login, /refresh or provider sign-in." },
                "apiKey": { "type": "http", "scheme": "bearer", "description": "An API key: `Bearer sk-...`." },
                "oauth2": { "type": "oauth2", "description": "The identity provider's access token.", "flows": { "authorizationCode": {
                    "authorizationUrl": p("/oauth/authorize"), "tokenUrl": p("/oauth/callback"),
                    "scopes": { "openid": "OpenID", "email": "Email", "profile": "Profile" } } } }
            },
            "schemas": {
                "RegisterRequest": { "type": "object", "required": ["email", "password"], "properties": { "email": { "type": "string", "format": "email" }, "password": { "type": "string", "minLength": 8, "maxLength": 256 }, "name": { "type": ["string", "null"], "maxLength": 100 } } },
                "LoginRequest": { "type": "object", "required": ["email", "password"], "properties": { "email": { "type": "string", "format": "email" }, "password": { "type": "string", "minLength": 1, "maxLength": 256 } } },
                "RefreshRequest": { "type": "object", "required": ["refresh_token"], "properties": { "refresh_token": string } },
                "CreateApiKeyRequest": { "type": "object", "required": ["name"], "properties": { "name": { "type": "string", "minLength": 1, "maxLength": 100 }, "scopes": { "type": "array", "items": string, "maxItems": 32 }, "expires_in_days": { "type": ["integer", "null"], "minimum": 1, "maximum": 3650 } } },
                "PrivateKeyRequest": { "type": "object", "required": ["private_key"], "properties": { "private_key": { "description": "PEM text or a JWK with its private part", "oneOf": [string, { "type": "object" }] } } },
                "User": { "type": "object", "required": ["id", "email", "name", "created_at"], "properties": { "id": string, "email": string, "name": { "type": ["string", "null"] }, "created_at": { "type": "string", "format": "date-time" } } },
                "Me": { "allOf": [schema("User"), { "type": "object", "required": ["auth_scheme", "identities"], "properties": { "auth_scheme": { "enum": ["jwt", "api_key", "oauth2"] }, "identities": { "type": "array", "items": schema("Identity") } } }] },
                "Identity": { "type": "object", "required": ["id", "issuer", "subject", "email", "linked_at"], "properties": { "id": string, "issuer": string, "subject": string, "email": { "type": ["string", "null"] }, "linked_at": { "type": "string", "format": "date-time" } } },
                "TokenExchangeRequest": { "type": "object", "required": ["code", "code_verifier"], "properties": { "code": string, "code_verifier": { "type": "string", "minLength": 43, "maxLength": 128 } } },
                "LinkRequest": { "type": "object", "required": ["code_challenge"], "properties": { "code_challenge": { "type": "string", "minLength": 43, "maxLength": 43 } } },
                "LinkStarted": { "type": "object", "required": ["authorization_url", "expires_in"], "properties": { "authorization_url": string, "expires_in": { "type": "integer" } } },
                "TokenResponse": { "type": "object", "required": ["access_token", "refresh_token", "token_type", "expires_in"], "properties": { "access_token": string, "refresh_token": string, "token_type": { "const": "bearer" }, "expires_in": { "type": "integer" } } },
                "ApiKeySummary": { "type": "object", "required": ["id", "name", "prefix", "last4", "scopes", "created_at", "last_used_at", "expires_at"], "properties": { "id": string, "name": string, "prefix": string, "last4": string, "scopes": { "type": "array", "items": string }, "created_at": { "type": "string", "format": "date-time" }, "last_used_at": time, "expires_at": time } },
                "ApiKeyList": { "type": "object", "required": ["keys"], "properties": { "keys": { "type": "array", "items": schema("ApiKeySummary") } } },
                "ApiKeyCreated": { "type": "object", "required": ["id", "name", "key", "prefix", "last4", "scopes", "created_at", "expires_at"], "properties": { "id": string, "name": string, "key": { "type": "string", "description": "The whole key, shown once" }, "prefix": string, "last4": string, "scopes": { "type": "array", "items": string }, "created_at": { "type": "string", "format": "date-time" }, "expires_at": time } },
                "PrivateKeyStatus": { "type": "object", "required": ["has_key", "created_at", "updated_at"], "properties": { "has_key": { "type": "boolean" }, "created_at": time, "updated_at": time } },
                "Error": { "type": "object", "required": ["detail"], "properties": { "detail": string } },
                "ValidationError": { "type": "object", "required": ["loc", "msg", "type"], "properties": { "loc": { "type": "array", "items": { "type": ["string", "integer"] } }, "msg": string, "type": string } },
                "HTTPValidationError": { "type": "object", "required": ["detail"], "properties": { "detail": { "type": "array", "items": schema("ValidationError") } } }
            }
        }
    })
}

/// The `/docs` page's stylesheet (inline; allowed by its hash in the page's CSP).
const DOCS_STYLE: &str = r#"body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2430}
h1{margin-bottom:.25rem}.op{border:1px solid #d9dde5;border-radius:6px;padding:.6rem .9rem;margin:.6rem 0}
.m{display:inline-block;min-width:4.5rem;font-weight:600;font-family:monospace}.path{font-family:monospace}
.muted{color:#5f6878;font-size:.9rem}code{background:#f1f3f7;padding:0 .25rem;border-radius:3px}
"#;

/// The `/docs` page's script: renders `openapi.json` (inline; allowed by its hash).
const DOCS_SCRIPT: &str = r#"const doc = await (await fetch("openapi.json")).json();
document.getElementById("about").textContent = `${doc.info.description} Version ${doc.info.version}.`;
const ops = document.getElementById("ops");
ops.textContent = "";
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; return e; };
const ref = (s) => (s && s.$ref ? s.$ref.split("/").pop() : "");
for (const [path, item] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(item)) {
    if (method === "parameters") continue;
    const box = el("div", "op");
    const head = el("div");
    head.append(el("span", "m", method.toUpperCase()), el("span", "path", path));
    box.append(head, el("div", "", op.summary));
    const auth = (op.security || []).map((s) => Object.keys(s)[0]).join(", ") || "none";
    const body = ref(op.requestBody?.content?.["application/json"]?.schema);
    box.append(el("div", "muted", `Auth: ${auth}${body ? ` | Body: ${body}` : ""}`));
    const codes = Object.entries(op.responses).map(([code, r]) => `${code} ${r.description}${ref(r.content?.["application/json"]?.schema) ? ` (${ref(r.content["application/json"].schema)})` : ""}`);
    box.append(el("div", "muted", codes.join(" · ")));
    ops.append(box);
  }
}
"#;

/// The page at `/docs`, and the Content-Security-Policy that allows exactly its inline
/// style and script and nothing else.
pub fn docs_page() -> (String, String) {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>edge-auth API</title><link rel=\"icon\" href=\"/favicon.svg\">\n\
         <style>{DOCS_STYLE}</style></head><body>\n\
         <h1>edge-auth API</h1><p class=\"muted\" id=\"about\"></p><div id=\"ops\">Loading openapi.json...</div>\n\
         <script type=\"module\">{DOCS_SCRIPT}</script></body></html>\n"
    );
    let hash = |text: &str| {
        use base64::Engine as _;
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(text.as_bytes());
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    };
    let csp = format!(
        "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; img-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        hash(DOCS_SCRIPT),
        hash(DOCS_STYLE)
    );
    (page, csp)
}
