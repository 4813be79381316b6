// "Sign in with provider" on the demo app (www/) in a real browser: Debian's Chromium driven
// by playwright-core clicks the button, signs in on the login page of a real OpenID provider
// (oidc-provider, tests/oidc/provider.mjs, on a free loopback port) and comes back to the demo
// page with a one-time code in the fragment, which the page trades for tokens with the PKCE
// verifier it kept. The Worker runs under `wrangler dev` (real workerd, local KV in a temporary
// folder) with --var overrides pointing it at that provider.
//
// Also: a forged `#code=` link (another browser's code) signs nobody in; a password account
// links a provider identity from the demo page and unlinks it; a provider sign-in whose email
// belongs to an existing password account is refused (409) with a way back to the app.
//
//   node --test tests/browser/
//
// Always starts its own provider and Worker (DEMO_BASE_URL is not used: the Worker must know
// this provider). The Worker's port is DEMO_PROVIDER_PORT, else the first free of 8794, 8793,
// ...: the provider only accepts callbacks on 127.0.0.1:8787..8799. DEMO_STARTUP_TIMEOUT_SECS
// bounds wrangler's start (default 300). Screenshots go to test-results/.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { CALLBACK_PATH, CLIENT_ID, CLIENT_SECRET, startProvider } from "../oidc/provider.mjs";
import {
  API,
  BrowserFlow,
  freePortOf,
  setUp,
  testid,
  within,
} from "./lib.mjs";

const WORKER_PORTS = [8794, 8793, 8792, 8791, 8790, 8789, 8788, 8796, 8798, 8799];
const REQUEST_TIMEOUT_MS = 15_000;
const TOKENS_KEY = "edge-auth.tokens";
const VERIFIER_KEY = "edge-auth.sign-in-verifier";

const unique = () => randomBytes(6).toString("hex");
const email = `provider-${unique()}@example.test`;
const providerPassword = "anything at all"; // the provider's dev login takes any password

let op; // the OpenID provider
let base; // the Worker's origin
let app; // the demo page, the post-login redirect URI the Worker allows
let page;
let victim; // a second Chromium, for the forged link

const flow = new BrowserFlow({ name: "provider" });
const { step, shot, settled, waitForState, text, assertNoError } = flow;

// Every top-level navigation (redirect hops included; request URLs carry no fragment), every
// URL the main frame showed (fragments included), the Worker's last callback answer and the
// page's code exchanges (POST /oauth/token).
const navigations = [];
const visited = [];
let callbackResponse; // { status, location, headers }
const exchanges = []; // { body, status }

// ---------------------------------------------------------------------------------------
// Setup and teardown

setUp(flow, start, async () => {
  if (victim) await victim.close();
  if (op) await within(10_000, "stopping the provider", op.stop()).catch((err) => console.error(String(err)));
});

async function start(serve) {
  op = await startProvider({ port: 0 });
  const preferred = process.env.DEMO_PROVIDER_PORT ? [Number(process.env.DEMO_PROVIDER_PORT)] : [];
  const port = await freePortOf([...preferred, ...WORKER_PORTS]);
  base = `http://127.0.0.1:${port}`;
  app = `${base}/`;
  await serve(port, {
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
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) visited.push(frame.url());
  });
  page.on("response", (response) => {
    const url = response.url();
    if (url.startsWith(`${base}${API}/oauth/callback`)) {
      const headers = response.headers();
      callbackResponse = { status: response.status(), location: headers.location, headers };
    } else if (url === `${base}${API}/oauth/token`) {
      exchanges.push({ body: JSON.parse(response.request().postData() ?? "null"), status: response.status() });
    }
  });
}


// ---------------------------------------------------------------------------------------
// Helpers

/** One JSON request from Node (not the page): resolves to { status, body }. */
async function api(method, path, { json, token } = {}) {
  const headers = {};
  if (json !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${base}${API}${path}`, {
    method,
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: r.status, body: await r.json().catch(() => null) };
}

/** POST /refresh from Node: resolves to { status, body }. */
const refreshWith = (refreshToken) => api("POST", "/refresh", { json: { refresh_token: refreshToken } });

/** The navigations since index `from`, as "METHOD origin+path". */
const hops = (from) => navigations.slice(from).map(({ method, url }) => {
  const u = new URL(url);
  return `${method} ${u.origin}${u.pathname}`;
});

const isLoginPage = (url) => url.origin === op.issuer && url.pathname.startsWith("/interaction/");

/** PKCE S256 (RFC 7636): the challenge of `verifier`. */
const s256 = (verifier) => createHash("sha256").update(verifier).digest("base64url");

/** The tokens and the pending verifier the page keeps in this tab's sessionStorage. */
async function sessionOf(p = page) {
  const [tokens, verifier] = await p.evaluate(
    ([t, v]) => [sessionStorage.getItem(t), sessionStorage.getItem(v)],
    [TOKENS_KEY, VERIFIER_KEY],
  );
  return { tokens: JSON.parse(tokens ?? "null"), verifier };
}

/**
 * The Worker's last callback answer: a 302 to the demo page whose fragment holds exactly a
 * one-time code, nothing that looks like a token. Returns the code.
 */
function codeFromCallback() {
  assert.equal(callbackResponse?.status, 302, `the callback redirects: ${JSON.stringify(callbackResponse?.status)}`);
  const back = new URL(callbackResponse.location);
  assert.equal(`${back.origin}${back.pathname}${back.search}`, app, "to the allowed redirect URI");
  const fragment = new URLSearchParams(back.hash.slice(1));
  assert.deepEqual([...fragment.keys()], ["code"], `only a code in ${back.hash}`);
  assert.ok(!callbackResponse.location.includes("eyJ"), `no JWT in the redirect: ${callbackResponse.location}`);
  assert.equal(callbackResponse.headers["cache-control"], "no-store");
  const code = fragment.get("code");
  assert.ok(code && code.length >= 20, `a one-time code: ${code}`);
  return code;
}

/** The provider's login form: fills it in as `login` and submits it. */
async function logInAtProvider(login) {
  await page.waitForURL(isLoginPage);
  assert.equal(await page.title(), "Sign-in");
  const form = page.locator('form:has(input[name="prompt"][value="login"])');
  assert.equal(await form.count(), 1, "one login form");
  await form.locator('input[name="login"]').fill(login);
  await form.locator('input[name="password"]').fill(providerPassword);
  await form.locator('[type="submit"]').click();
}

/** The Linked sign-ins rows shown, as { email, issuer }. */
async function identityRows() {
  const rows = page.locator(testid("identity-row"));
  const out = [];
  for (let i = 0; i < (await rows.count()); i += 1) {
    out.push({
      email: (await rows.nth(i).locator(testid("identity-email")).textContent()).trim(),
      issuer: (await rows.nth(i).locator(testid("identity-issuer")).textContent()).trim(),
    });
  }
  return out;
}

async function logOut() {
  await page.click("#logout-button");
  await waitForState("logged-out");
  await assertNoError();
  assert.equal((await sessionOf()).tokens, null);
}

// ---------------------------------------------------------------------------------------
// The flow

let userId;
let refreshToken; // the first session's, from sessionStorage (never in a URL)
let apiKey;
let appChallenge; // the demo page's S256 challenge on /oauth/authorize
let firstExchange; // the page's { code, code_verifier } for it

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
  // The page's own PKCE: the one-time code will only go to whoever holds the verifier.
  assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
  appChallenge = authorize.searchParams.get("code_challenge");
  assert.match(appChallenge ?? "", /^[A-Za-z0-9_-]{43}$/, "an S256 challenge from the page");

  assert.equal(`${auth.origin}${auth.pathname}`, `${op.issuer}/auth`);
  const params = Object.fromEntries(auth.searchParams);
  assert.equal(params.client_id, CLIENT_ID);
  assert.equal(params.response_type, "code");
  assert.equal(params.redirect_uri, `${base}${CALLBACK_PATH}`);
  assert.equal(params.code_challenge_method, "S256");
  for (const p of ["state", "nonce", "code_challenge", "scope"]) assert.ok(params[p], `the request has ${p}`);
  assert.notEqual(params.code_challenge, appChallenge, "the Worker uses its own verifier with the provider");
  assert.ok(params.scope.split(" ").includes("openid"), `scope ${params.scope} includes openid`);

  // The provider's own (devInteractions) login form.
  assert.equal(await page.title(), "Sign-in");
  const form = page.locator('form:has(input[name="prompt"][value="login"])');
  assert.equal(await form.count(), 1, "one login form");
  await form.locator('input[name="login"]').fill(email);
  await form.locator('input[name="password"]').fill(providerPassword);
  await shot(t, "provider-login");
});

step("log in at the provider: back with a one-time code, which this tab trades for tokens", async (t) => {
  const start = navigations.length;
  const exchanged = exchanges.length;
  await page.locator('form:has(input[name="prompt"][value="login"]) [type="submit"]').click();
  await page.waitForURL((url) => url.origin === base);
  await waitForState("logged-in");
  await assertNoError();

  // The provider -> the Worker's callback -> the demo page with a one-time code in the fragment.
  const path = hops(start);
  assert.ok(path.includes(`GET ${base}${CALLBACK_PATH}`), `the Worker's callback was visited: ${path.join(" -> ")}`);
  assert.equal(path.at(-1), `GET ${base}/`, `it ends on the demo page: ${path.join(" -> ")}`);
  const code = codeFromCallback();
  assert.equal(callbackResponse.headers["referrer-policy"], "no-referrer");

  // The page traded it, once, with the verifier of the challenge it started with.
  const mine = exchanges.slice(exchanged);
  assert.equal(mine.length, 1, `one POST /oauth/token: ${JSON.stringify(mine)}`);
  assert.equal(mine[0].status, 200);
  assert.deepEqual(Object.keys(mine[0].body).sort(), ["code", "code_verifier"]);
  assert.equal(mine[0].body.code, code);
  assert.equal(s256(mine[0].body.code_verifier), appChallenge, "the verifier of the page's challenge");

  // The page removed the code from the address bar and keeps tokens no URL ever carried.
  assert.equal(page.url(), app, "the fragment is cleared from the URL");
  assert.equal(await page.evaluate(() => location.hash), "");
  const { tokens, verifier } = await sessionOf();
  assert.ok(tokens?.access_token && tokens?.refresh_token, `tokens are kept in sessionStorage: ${JSON.stringify(tokens)}`);
  assert.equal(verifier, null, "the verifier is used up");
  const urls = [...navigations.map((n) => n.url), ...visited, callbackResponse.location];
  assert.ok(visited.includes(`${app}#code=${code}`), `the page was shown the code: ${visited.join(", ")}`);
  for (const url of urls) {
    assert.ok(!url.includes(tokens.access_token), `no access token in ${url}`);
    assert.ok(!url.includes(tokens.refresh_token), `no refresh token in ${url}`);
    assert.ok(!url.includes("eyJ") && !/access_token|refresh_token/.test(url), `nothing token-like in ${url}`);
  }
  refreshToken = tokens.refresh_token;
  firstExchange = mine[0].body;

  // GET /me: the provider's account, signed in with the Worker's own token.
  assert.equal(await text("#me-email"), email);
  assert.equal(await text("#me-name"), email.split("@")[0], "the name the provider shared");
  assert.equal(await text("#me-scheme"), "jwt");
  userId = await text("#me-id");
  assert.ok(userId, "the user id is shown");
  assert.equal(await text("#session-label"), `Signed in as ${email}`);
  assert.deepEqual(await identityRows(), [{ email, issuer: op.issuer }], "the provider identity is listed");
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

step("the one-time code is spent: replayed with the page's own verifier, it is refused", async () => {
  assert.ok(firstExchange?.code && firstExchange?.code_verifier);
  const replay = await api("POST", "/oauth/token", { json: firstExchange });
  assert.equal(replay.status, 400, `a replayed code: ${JSON.stringify(replay)}`);
  assert.equal(replay.body?.detail, "Invalid or expired sign-in code");
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
  const r = await api("GET", "/me", { token: apiKey });
  assert.equal(r.status, 200);
  assert.equal(r.body.id, userId);
  assert.equal(r.body.email, email);
  assert.equal(r.body.auth_scheme, "api_key");
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
  assert.equal(await page.locator(testid("identity-row")).count(), 0, "and their linked sign-ins");
  assert.equal((await sessionOf()).tokens, null);

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
  codeFromCallback();
  assert.equal((await sessionOf()).verifier, null, "the verifier is used up");
  assert.equal(await text("#me-email"), email);
  assert.equal(await text("#me-id"), userId, "the provider identity is linked to the same user");
  assert.equal(await page.locator(testid("apikey-row")).count(), 1, "with the key created before");

  await logOut();
});

step("a forged link: another browser's one-time code signs nobody in", async (t) => {
  // This tab plays the attacker: it signs in (provider session still open) but its page never
  // runs (an empty app.js), so the code stays unused; its verifier stays in this tab.
  const exchanged = exchanges.length;
  const silence = (route) => route.fulfill({ status: 200, contentType: "text/javascript", body: "" });
  await page.route(`${base}/app.js`, silence);
  let code;
  let verifier;
  try {
    await page.click("#provider-sign-in");
    await page.waitForURL((url) => url.origin === base && url.hash.startsWith("#code="));
    code = codeFromCallback();
    assert.equal(new URLSearchParams(new URL(page.url()).hash.slice(1)).get("code"), code);
    ({ verifier } = await sessionOf());
  } finally {
    await page.unroute(`${base}/app.js`, silence);
  }
  assert.equal(exchanges.length, exchanged, "this tab did not trade the code");
  assert.ok(verifier, "this tab still holds the sign-in's verifier");

  // The victim: a fresh browser that started no sign-in opens the demo page with that code.
  victim = new BrowserFlow({ name: "provider-victim" });
  try {
    const other = await victim.launch(base);
    const tried = [];
    other.on("response", (response) => {
      if (response.url() === `${base}${API}/oauth/token`) tried.push(response.status());
    });
    await other.goto(`${app}#code=${code}`);
    await victim.waitForState("logged-out");
    assert.ok(await other.locator("#error").isVisible(), "the page shows why");
    assert.equal(await victim.text("#error-title"), "400 Bad Request");
    assert.equal(await victim.text("#error-message"), "This sign-in was not started in this browser tab");
    assert.equal(other.url(), app, "the fragment is cleared from the URL");
    assert.equal((await sessionOf(other)).tokens, null, "no tokens in the victim's tab");
    assert.ok(!tried.includes(200), `no code traded for tokens: ${JSON.stringify(tried)}`);
    await victim.shot(t, "provider-forged-link");
    assert.deepEqual(victim.takeProblems(), [], "the victim's page reported errors");
  } finally {
    await victim.close();
    victim = undefined;
  }

  // Nor can the code be used without its verifier; a wrong one spends it for good.
  const guessed = await api("POST", "/oauth/token", {
    json: { code, code_verifier: randomBytes(48).toString("base64url") },
  });
  assert.equal(guessed.status, 400, `the code with another verifier: ${JSON.stringify(guessed)}`);
  assert.equal(guessed.body?.detail, "Invalid or expired sign-in code");
  const late = await api("POST", "/oauth/token", { json: { code, code_verifier: verifier } });
  assert.equal(late.status, 400, `the code after a failed attempt, right verifier: ${JSON.stringify(late)}`);

  await page.goto(app);
  await waitForState("logged-out");
  await assertNoError();
});

// A password account links a provider identity with another email.
const passwordEmail = `password-${unique()}@example.test`;
const linkedEmail = `linked-${unique()}@example.test`;
const accountPassword = "correct horse battery";
let passwordUserId;

step("a password account starts linking: Link provider -> the provider's login page", async () => {
  await page.context().clearCookies(); // forget the provider session: log in as someone else
  await page.fill("#signup-email", passwordEmail);
  await page.fill("#signup-password", accountPassword);
  await page.click("#signup-submit");
  await settled();
  await assertNoError();
  await page.fill("#login-email", passwordEmail);
  await page.fill("#login-password", accountPassword);
  await page.click("#login-submit");
  await waitForState("logged-in");
  await assertNoError();
  passwordUserId = await text("#me-id");
  assert.ok(passwordUserId);
  assert.equal(await page.locator(testid("identity-row")).count(), 0);
  assert.ok(await page.locator("#identity-empty").isVisible(), "no linked sign-ins yet");

  const start = navigations.length;
  await page.click("#link-provider");
  await page.waitForURL(isLoginPage);
  const authorize = new URL(navigations[start].url);
  assert.equal(`${authorize.origin}${authorize.pathname}`, `${base}${API}/oauth/authorize`);
  assert.ok(authorize.searchParams.get("link"), `a link ticket: ${authorize.search}`);
  assert.equal(authorize.searchParams.get("redirect_uri"), app);
  assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
  assert.match(authorize.searchParams.get("code_challenge") ?? "", /^[A-Za-z0-9_-]{43}$/);
});

step("log in at the provider as another email: back in the same account, one linked sign-in", async (t) => {
  await logInAtProvider(linkedEmail);
  await page.waitForURL((url) => url.origin === base);
  await waitForState("logged-in");
  await assertNoError();
  codeFromCallback();
  assert.equal(page.url(), app, "the fragment is cleared from the URL");
  assert.equal((await sessionOf()).verifier, null, "the verifier is used up");
  assert.equal(await text("#me-id"), passwordUserId, "the same account");
  assert.equal(await text("#me-email"), passwordEmail, "still the account's own email");
  assert.deepEqual(await identityRows(), [{ email: linkedEmail, issuer: op.issuer }]);
  await shot(t, "provider-linked");
});

step("the linked identity signs in to that account", async () => {
  await logOut();
  await page.click("#provider-sign-in"); // the provider session is the linked email's
  await waitForState("logged-in");
  await assertNoError();
  assert.equal(await text("#me-id"), passwordUserId);
  assert.equal(await text("#me-email"), passwordEmail);
});

step("unlink: the row goes, and the identity no longer signs in to the account", async () => {
  let dialogText = "";
  page.once("dialog", (dialog) => {
    dialogText = dialog.message();
    dialog.accept();
  });
  await page.locator(testid("identity-row")).first().locator(testid("identity-unlink")).click();
  await settled();
  await assertNoError();
  assert.match(dialogText, new RegExp(`^Unlink ${linkedEmail.replace(/\./g, "\\.")}`));
  assert.equal(await page.locator(testid("identity-row")).count(), 0, "the row is gone");
  assert.ok(await page.locator("#identity-empty").isVisible());
  assert.match(await text("#notice"), /^Unlinked /);
  await page.reload();
  await waitForState("logged-in");
  assert.equal(await page.locator(testid("identity-row")).count(), 0, "after a reload too");

  // The provider identity is free again: signing in with it makes an account of its own.
  await logOut();
  await page.click("#provider-sign-in");
  await waitForState("logged-in");
  await assertNoError();
  assert.equal(await text("#me-email"), linkedEmail);
  assert.notEqual(await text("#me-id"), passwordUserId, "not the password account");
  await logOut();
});

// A password account's email was never proven: a provider sign-in with it is refused.
const takenEmail = `taken-${unique()}@example.test`;

step("a provider sign-in with a password account's email: the Worker's 409 page", async (t) => {
  const registered = await api("POST", "/register", { json: { email: takenEmail, password: accountPassword } });
  assert.equal(registered.status, 201, `register: ${JSON.stringify(registered)}`);

  await page.context().clearCookies();
  await page.click("#provider-sign-in");
  await logInAtProvider(takenEmail);
  await page.waitForURL((url) => `${url.origin}${url.pathname}` === `${base}${CALLBACK_PATH}`);
  assert.equal(callbackResponse?.status, 409, `the callback refuses: ${JSON.stringify(callbackResponse?.status)}`);
  assert.equal(await page.title(), "Sign-in failed");
  assert.match(await text("body"), /already exists/);
  const back = page.getByRole("link", { name: "Back to the app" });
  const href = await back.getAttribute("href");
  assert.ok(href.startsWith(`${app}#`), `back to the demo page: ${href}`);
  assert.equal(new URLSearchParams(new URL(href).hash.slice(1)).get("error"), "409");
  assert.ok(!href.includes("code="), `no code: ${href}`);
  await shot(t, "provider-409-page");
}, { allowHttp: [409] });

step("Back to the app: the demo page shows the 409, signed out", async (t) => {
  await page.getByRole("link", { name: "Back to the app" }).click();
  await page.waitForURL((url) => url.origin === base && url.pathname === "/");
  await waitForState("logged-out");
  assert.equal(page.url(), app, "the fragment is cleared from the URL");
  assert.ok(await page.locator("#error").isVisible(), "the error is shown");
  assert.equal(await text("#error-title"), "409 Conflict");
  assert.match(await text("#error-message"), /already exists/);
  assert.equal((await sessionOf()).tokens, null);
  await shot(t, "provider-409-app");

  // The password account was left alone: not joined to the provider identity.
  const login = await api("POST", "/login", { json: { email: takenEmail, password: accountPassword } });
  assert.equal(login.status, 200, `login: ${JSON.stringify(login)}`);
  const me = await api("GET", "/me", { token: login.body.access_token });
  assert.equal(me.status, 200);
  assert.deepEqual(me.body.identities, [], "no provider identity was linked by email");
});
