// "Sign in with provider" on the demo app (www/) in a real browser: Debian's Chromium driven
// by playwright-core clicks the button, signs in on the login page of a real OpenID provider
// (oidc-provider, tests/oidc/provider.mjs, on a free loopback port) and comes back to the demo
// page signed in. The Worker runs under `wrangler dev` (real workerd, local KV in a temporary
// folder) with --var overrides pointing it at that provider.
//
//   node --test tests/browser/
//
// Always starts its own provider and Worker (DEMO_BASE_URL is not used: the Worker must know
// this provider). The Worker's port is DEMO_PROVIDER_PORT, else the first free of 8794, 8793,
// ...: the provider only accepts callbacks on 127.0.0.1:8787..8799. DEMO_STARTUP_TIMEOUT_SECS
// bounds wrangler's start (default 300). Screenshots go to test-results/.

import { after, before } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { CALLBACK_PATH, CLIENT_ID, CLIENT_SECRET, startProvider } from "../oidc/provider.mjs";
import {
  API,
  BrowserFlow,
  STARTUP_TIMEOUT_MS,
  freePortOf,
  printLogTail,
  startWrangler,
  stopWrangler,
  testid,
  within,
} from "./lib.mjs";

const WORKER_PORTS = [8794, 8793, 8792, 8791, 8790, 8789, 8788, 8796, 8798, 8799];
const REQUEST_TIMEOUT_MS = 15_000;

const email = `provider-${randomBytes(6).toString("hex")}@example.test`;
const providerPassword = "anything at all"; // the provider's dev login takes any password

let op; // the OpenID provider
let base; // the Worker's origin
let app; // the demo page, the post-login redirect URI the Worker allows
let server; // wrangler
let page;

const flow = new BrowserFlow({ name: "provider" });
const { step, shot, settled, waitForState, text, assertNoError } = flow;

// Every top-level navigation (redirect hops included) and the Worker's callback answer.
const navigations = [];
let callbackResponse; // { status, location }

// ---------------------------------------------------------------------------------------
// Setup and teardown

before(async () => {
  try {
    await setUp();
  } catch (err) {
    flow.broken = true; // after() prints wrangler's log
    throw err;
  }
}, { timeout: STARTUP_TIMEOUT_MS + 60_000 });

async function setUp() {
  op = await startProvider({ port: 0 });
  const preferred = process.env.DEMO_PROVIDER_PORT ? [Number(process.env.DEMO_PROVIDER_PORT)] : [];
  const port = await freePortOf([...preferred, ...WORKER_PORTS]);
  base = `http://127.0.0.1:${port}`;
  app = `${base}/`;
  server = await startWrangler(port, {
    vars: {
      // Our own tokens' issuer follows the port the Worker is served on.
      JWT_ISSUER: base,
      OIDC_ISSUER: op.issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_REDIRECT_URIS: app,
    },
  });
  for (const asset of ["/", "/app.js", "/pkg/edge_auth.js", "/pkg/edge_auth_bg.wasm"]) {
    const response = await fetch(base + asset, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    assert.equal(response.status, 200, `GET ${asset} should serve the demo site (build/site)`);
  }

  page = await flow.launch(base);
  // The provider's dev login page @imports a Google Fonts stylesheet; answer it here with an
  // empty one so the test neither needs the internet nor sees a failed load from it. The
  // provider has no favicon either (Chromium's request for it would log a 404 once its page
  // has loaded, in whichever step is running then). Both are the test provider's, not ours.
  await flow.context.route("https://fonts.googleapis.com/**", (route) =>
    route.fulfill({ status: 200, contentType: "text/css", body: "" }));
  await flow.context.route(`${op.issuer}/favicon.ico`, (route) => route.fulfill({ status: 204 }));
  page.on("request", (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
      navigations.push({ method: request.method(), url: request.url() });
    }
  });
  page.on("response", async (response) => {
    if (response.url().startsWith(`${base}${API}/oauth/callback`)) {
      callbackResponse = { status: response.status(), location: (await response.allHeaders()).location };
    }
  });
}

after(async () => {
  await flow.close();
  if (server) {
    if (flow.broken) printLogTail(server.log());
    await stopWrangler(server);
  }
  if (op) await within(10_000, "stopping the provider", op.stop()).catch((err) => console.error(String(err)));
});

// ---------------------------------------------------------------------------------------
// Helpers

/** POST /refresh from Node (not the page): resolves to { status, body }. */
async function refreshWith(refreshToken) {
  const r = await fetch(`${base}${API}/refresh`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ refresh_token: refreshToken }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: r.status, body: await r.json().catch(() => null) };
}

/** The navigations since index `from`, as "METHOD origin+path". */
const hops = (from) => navigations.slice(from).map(({ method, url }) => {
  const u = new URL(url);
  return `${method} ${u.origin}${u.pathname}`;
});

const isLoginPage = (url) => url.origin === op.issuer && url.pathname.startsWith("/interaction/");

// ---------------------------------------------------------------------------------------
// The flow

let userId;
let refreshToken; // the one the Worker put in the fragment
let apiKey;

step("the demo page loads signed out and offers provider sign-in", async () => {
  await page.goto(app);
  await waitForState("logged-out");
  await assertNoError();
  const button = page.locator("#provider-sign-in");
  assert.ok(await button.isVisible(), "the provider button is shown");
  assert.equal((await button.textContent()).trim(), "Sign in with provider");
});

step("Sign in with provider: via the Worker to the provider's login page", async (t) => {
  const start = navigations.length;
  await page.click("#provider-sign-in");
  await page.waitForURL(isLoginPage);

  // The demo page -> the Worker's /oauth/authorize for this page -> the provider.
  const [authorize, auth] = navigations.slice(start).map((n) => new URL(n.url));
  assert.equal(`${authorize.origin}${authorize.pathname}`, `${base}${API}/oauth/authorize`);
  assert.equal(authorize.searchParams.get("redirect_uri"), app);
  assert.equal(`${auth.origin}${auth.pathname}`, `${op.issuer}/auth`);
  const params = Object.fromEntries(auth.searchParams);
  assert.equal(params.client_id, CLIENT_ID);
  assert.equal(params.response_type, "code");
  assert.equal(params.redirect_uri, `${base}${CALLBACK_PATH}`);
  assert.equal(params.code_challenge_method, "S256");
  for (const p of ["state", "nonce", "code_challenge", "scope"]) assert.ok(params[p], `the request has ${p}`);
  assert.ok(params.scope.split(" ").includes("openid"), `scope ${params.scope} includes openid`);

  // The provider's own (devInteractions) login form.
  assert.equal(await page.title(), "Sign-in");
  const form = page.locator('form:has(input[name="prompt"][value="login"])');
  assert.equal(await form.count(), 1, "one login form");
  await form.locator('input[name="login"]').fill(email);
  await form.locator('input[name="password"]').fill(providerPassword);
  await shot(t, "provider-login");
});

step("log in at the provider: back on the demo page, signed in, fragment cleared", async (t) => {
  const start = navigations.length;
  await page.locator('form:has(input[name="prompt"][value="login"]) [type="submit"]').click();
  await page.waitForURL((url) => url.origin === base);
  await waitForState("logged-in");
  await assertNoError();

  // The provider -> the Worker's callback -> the demo page with the tokens in the fragment.
  const path = hops(start);
  assert.ok(path.includes(`GET ${base}${CALLBACK_PATH}`), `the Worker's callback was visited: ${path.join(" -> ")}`);
  assert.equal(path.at(-1), `GET ${base}/`, `it ends on the demo page: ${path.join(" -> ")}`);
  assert.equal(callbackResponse?.status, 302, `the callback redirects: ${JSON.stringify(callbackResponse?.status)}`);
  const back = new URL(callbackResponse.location);
  assert.equal(`${back.origin}${back.pathname}${back.search}`, app, "to the allowed redirect URI");
  const fragment = new URLSearchParams(back.hash.slice(1));
  assert.deepEqual([...fragment.keys()].sort(), ["access_token", "expires_in", "refresh_token", "token_type"]);
  assert.equal(fragment.get("token_type"), "bearer");
  refreshToken = fragment.get("refresh_token");

  // The page took the tokens and removed them from the address bar.
  assert.equal(page.url(), app, "the fragment is cleared from the URL");
  assert.equal(await page.evaluate(() => location.hash), "");
  const stored = JSON.parse(await page.evaluate(() => sessionStorage.getItem("edge-auth.tokens")) ?? "null");
  assert.ok(stored, "tokens are kept in sessionStorage");
  assert.equal(JSON.stringify(stored).includes(fragment.get("access_token")), true, "the fragment's access token is the one kept");

  // GET /me: the provider's account, signed in with the Worker's own token.
  assert.equal(await text("#me-email"), email);
  assert.equal(await text("#me-name"), email.split("@")[0], "the name the provider shared");
  assert.equal(await text("#me-scheme"), "jwt");
  userId = await text("#me-id");
  assert.ok(userId, "the user id is shown");
  assert.equal(await text("#session-label"), `Signed in as ${email}`);
  const header = JSON.parse(await text("#token-header"));
  const claims = JSON.parse(await text("#token-claims"));
  assert.equal(header.alg, "EdDSA", "the Worker's own token, not the provider's");
  assert.equal(claims.iss, base);
  assert.equal(claims.sub, userId);
  assert.ok(claims.exp * 1000 > Date.now(), "the token has not expired");
  assert.ok(await page.locator("#apikey-empty").isVisible(), "a new account has no API keys");
  assert.equal(await text("#pk-has-key"), "No");
  await shot(t, "provider-signed-in");
});

step("the session works: create an API key", async () => {
  await page.fill("#apikey-name", "provider key");
  await page.fill("#apikey-scopes", "read");
  await page.click("#apikey-submit");
  await settled();
  await assertNoError();
  apiKey = await text("#new-key-value");
  assert.ok(apiKey.startsWith("sk-") && apiKey.length === 68, `a whole API key: ${apiKey}`);
  assert.equal(await text("#new-key-name"), "provider key");
  const rows = page.locator(testid("apikey-row"));
  assert.equal(await rows.count(), 1);
  assert.equal((await rows.first().locator(testid("apikey-name")).textContent()).trim(), "provider key");

  // The key is the provider user's.
  const r = await fetch(`${base}${API}/me`, {
    headers: { authorization: `Bearer ${apiKey}` },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  assert.equal(r.status, 200);
  const me = await r.json();
  assert.equal(me.id, userId);
  assert.equal(me.email, email);
  assert.equal(me.auth_scheme, "api_key");
});

step("the session survives a reload", async () => {
  await page.reload();
  await waitForState("logged-in");
  await assertNoError();
  assert.equal(page.url(), app);
  assert.equal(await text("#me-email"), email);
  assert.equal(await text("#me-id"), userId);
  assert.equal(await page.locator(testid("apikey-row")).count(), 1);
});

step("log out: signed out, and the session's refresh token is refused", async () => {
  await page.click("#logout-button");
  await waitForState("logged-out");
  await assertNoError();
  assert.equal(await text("#notice"), "Logged out.");
  assert.equal(await text("#session-label"), "Not signed in");
  assert.equal(await text("#me-email"), "", "the last user's data is cleared");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("edge-auth.tokens")), null);

  const refused = await refreshWith(refreshToken);
  assert.equal(refused.status, 401, `refresh after logout: ${JSON.stringify(refused)}`);

  await page.reload();
  await waitForState("logged-out");
});

step("signing in again (provider session still open) finds the same user", async () => {
  const start = navigations.length;
  await page.click("#provider-sign-in");
  // The provider remembers the login: no login page this time, straight back.
  await waitForState("logged-in");
  assert.equal(page.url(), app, "the fragment is cleared from the URL");
  await assertNoError();
  const path = hops(start);
  assert.ok(!path.some((h) => h.includes("/interaction/")), `no login page: ${path.join(" -> ")}`);
  assert.equal(await text("#me-email"), email);
  assert.equal(await text("#me-id"), userId, "the provider identity is linked to the same user");
  assert.equal(await page.locator(testid("apikey-row")).count(), 1, "with the key created before");

  await page.click("#logout-button");
  await waitForState("logged-out");
  await assertNoError();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("edge-auth.tokens")), null);
});
