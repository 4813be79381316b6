//! The OpenAPI 3.1 document of the API (`GET /api/v1/auth/openapi.json`) and a page that
//! renders it (`GET /api/v1/auth/docs`), self-contained: no script or style from elsewhere.

use serde_json::Value;

#[cfg(test)]
mod generate;

/// The document, generated from the route table's operations, the request types' fields and
/// the response types by `generate` (a test: `UPDATE_OPENAPI=1 cargo test --lib openapi`
/// rewrites it) and checked in, so that serving it costs no code in the Worker.
const DOCUMENT: &str = include_str!("openapi.json");

/// The document. `server` is the API's origin, e.g. `https://auth.example.com`.
pub fn document(server: &str) -> Value {
    // The file is JSON: the test that writes it also parses it back.
    let mut doc: Value = serde_json::from_str(DOCUMENT).unwrap_or_default();
    if let Some(url) = doc.pointer_mut("/servers/0/url") {
        *url = server.into();
    }
    doc
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
