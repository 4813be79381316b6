// "Sign in with provider", end to end: the real OpenID provider (oidc-provider, tests/oidc/
// provider.mjs) on a loopback port and the Worker under `wrangler dev` configured for it by
// --var flags. No browser: the provider's login is automated with plain fetch and cookies.
// Run: node --test tests/oidc/   (the first start of wrangler builds the Worker: up to 300 s)
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { SignJWT, decodeProtectedHeader, exportSPKI, generateKeyPair, importJWK } from "jose";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  CookieJar,
  DEFAULT_PORT,
  RESOURCE_ES256,
  RESOURCE_PS256,
  RESOURCE_OTHER,
  getProviderAccessToken,
  getProviderTokens,
  loginAt,
  startProvider,
} from "./provider.mjs";
import { API, freePortOf, startWorker } from "../lib/worker.mjs";

const WORKER_PORTS = [8795, 8794, 8793, 8792, 8791, 8790, 8789, 8788, 8797, 8798, 8799];
const T = { timeout: 60_000 };
const REQUEST_TIMEOUT_MS = 15_000;

let op; // the provider
let worker;
let base; // the Worker's origin
let app; // the post-login redirect URI the Worker allows (OIDC_REDIRECT_URIS)

before(async () => {
  const external = Boolean(process.env.OIDC_WORKER_BASE);
  op = await startProvider({ port: external ? DEFAULT_PORT : 0 }).catch((err) => {
    if (err.code !== "EADDRINUSE") throw err;
    // The tests need their own provider (its stats and keys): stop the one `make dev` runs.
    throw new Error(`OIDC_WORKER_BASE: port ${DEFAULT_PORT} is taken; stop the provider running there first`);
  });
  const port = external ? undefined : await freePortOf(WORKER_PORTS);
  worker = await startWorker({
    port,
    external: process.env.OIDC_WORKER_BASE,
    timeoutSecs: 300,
    vars: (origin) => ({
      // Our own tokens' issuer follows the port the Worker is served on.
      JWT_ISSUER: origin,
      OIDC_ISSUER: op.issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_REDIRECT_URIS: `${origin}/`,
    }),
  });
  base = worker.base;
  app = `${base}/`;
}, { timeout: 360_000 });

after(async () => {
  await worker?.stop();
  await op?.stop();
});

// ---------------------------------------------------------------------------------------

/** One request to the Worker, redirects not followed. Resolves to { status, body, headers, location }. */
async function call(method, path, { token, json, jar } = {}) {
  const headers = {};
  if (json !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  if (jar) headers.cookie = jar.header();
  const url = path.startsWith("http") ? path : `${base}${path}`;
  const r = await fetch(url, {
    method,
    headers,
    redirect: "manual",
    body: json === undefined ? undefined : JSON.stringify(json),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  jar?.store(r);
  const text = await r.text();
  let body = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: keep the text.
  }
  return { status: r.status, body, headers: r.headers, location: r.headers.get("location") };
}

const get = (path, opts) => call("GET", path, opts);

function assertRedirect(r) {
  assert.ok([302, 303].includes(r.status), `expected a redirect, got ${r.status} ${JSON.stringify(r.body)}`);
  assert.ok(r.location, "redirect without Location");
  return new URL(r.location, base);
}

/** A refusal with a clear message: the given 4xx status(es) and {"detail": ...}. */
function assertRefused(r, statuses) {
  const allowed = [statuses].flat();
  assert.ok(allowed.includes(r.status), `expected ${allowed.join("/")}, got ${r.status} ${JSON.stringify(r.body)}`);
  assert.equal(typeof r.body, "object", `expected a JSON body, got ${JSON.stringify(r.body)}`);
  assert.ok(r.body?.detail, `expected {"detail": ...}, got ${JSON.stringify(r.body)}`);
  if (typeof r.body.detail === "string") assert.ok(r.body.detail.length > 3);
}

function assertUnauthorized(r) {
  assertRefused(r, 401);
  assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer/);
}

/** A PKCE pair as the app (AuthClient) makes one: it keeps the verifier, sends the challenge. */
function pkcePair() {
  const verifier = randomBytes(48).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  return { verifier, challenge };
}

/** GET /oauth/authorize for the allowed redirect URI: the provider's authorization URL. */
async function authorize(jar = new CookieJar(), { extra = "" } = {}) {
  const pkce = pkcePair();
  const query = `redirect_uri=${encodeURIComponent(app)}&code_challenge=${pkce.challenge}&code_challenge_method=S256${extra}`;
  const r = await get(`${API}/oauth/authorize?${query}`, { jar });
  return { url: assertRedirect(r), jar, pkce };
}

/** The provider's login for `email`, up to (not including) the Worker's callback. */
async function loginToCallback(email, { deny = false } = {}) {
  const { url, jar, pkce } = await authorize();
  const callback = new URL(await loginAt(url.href, { email, deny }));
  return { callback, jar, pkce, state: url.searchParams.get("state") };
}

/** POST /oauth/token: the one-time code and the app's verifier for our tokens. */
const exchange = (code, verifier) => call("POST", `${API}/oauth/token`, { json: { code, code_verifier: verifier } });

/** The callback's redirect to the app, and the one-time code in its fragment. */
async function toApp(callback, jar) {
  const r = await get(callback.href, { jar });
  const landed = assertRedirect(r);
  const fragment = new URLSearchParams(landed.hash.slice(1));
  return { r, landed, fragment, code: fragment.get("code") };
}

/** The whole sign-in: the callback's redirect, then the code traded for our tokens. */
async function signIn(email) {
  const { callback, jar, pkce } = await loginToCallback(email);
  const { r, landed, fragment, code } = await toApp(callback, jar);
  const traded = await exchange(code, pkce.verifier);
  assert.equal(traded.status, 200, JSON.stringify(traded.body));
  return { r, landed, fragment, code, tokens: traded.body, callback, jar };
}

const sixTimes = (f) => Promise.all(Array.from({ length: 6 }, f));

// ---------------------------------------------------------------------------------------

describe("sign in with the OpenID provider", () => {
  test("/oauth/authorize redirects to the provider with code flow, PKCE S256, state and nonce", T, async () => {
    const { url } = await authorize();
    assert.equal(`${url.origin}${url.pathname}`, `${op.issuer}/auth`);
    const p = url.searchParams;
    assert.equal(p.get("response_type"), "code");
    assert.equal(p.get("client_id"), CLIENT_ID);
    assert.equal(p.get("redirect_uri"), `${base}${API}/oauth/callback`);
    assert.deepEqual(new Set(p.get("scope").split(" ")), new Set(["openid", "email", "profile"]));
    assert.ok(p.get("state")?.length >= 16, "state too short");
    assert.ok(p.get("nonce")?.length >= 16, "nonce too short");
    assert.match(p.get("code_challenge") ?? "", /^[A-Za-z0-9_-]{43}$/);
    assert.equal(p.get("code_challenge_method"), "S256");
    // Every sign-in gets its own state, nonce and PKCE pair.
    const { url: again } = await authorize();
    for (const k of ["state", "nonce", "code_challenge"]) assert.notEqual(again.searchParams.get(k), p.get(k));
  });

  test("/oauth/authorize refuses a redirect_uri that is not allowed", T, async () => {
    for (const bad of ["http://evil.example/", `${base}.evil.example/`, "http://127.0.0.1:1/", "javascript:alert(1)"]) {
      const r = await get(`${API}/oauth/authorize?redirect_uri=${encodeURIComponent(bad)}`);
      assertRefused(r, 400);
      assert.equal(r.location, null);
    }
  });

  let ada; // { tokens, me, callback, jar } of the first sign-in

  test("signing in ends at the allowed redirect URI with a one-time code, never our tokens", T, async () => {
    const { landed, fragment, tokens, callback, jar } = await signIn("ada@example.test");
    assert.equal(`${landed.origin}${landed.pathname}`, app);
    assert.equal(landed.search, "", "nothing in the query");
    assert.deepEqual([...fragment.keys()], ["code"], "only the code in the fragment");
    assert.ok(!landed.href.includes("eyJ"), `no JWT in the URL: ${landed.href}`);
    assert.ok(tokens.access_token, "the code trades for an access token");
    assert.ok(tokens.refresh_token, "and a refresh token");
    assert.equal(tokens.token_type, "bearer");
    assert.equal(tokens.expires_in, 900);
    const me = await get(`${API}/me`, { token: tokens.access_token });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.auth_scheme, "jwt");
    assert.equal(me.body.email, "ada@example.test");
    ada = { tokens, me: me.body, callback, jar };
  });

  test("the refresh token from the code exchange rotates like one from /login", T, async () => {
    const r = await call("POST", `${API}/refresh`, { json: { refresh_token: ada.tokens.refresh_token } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.access_token);
    assert.notEqual(r.body.refresh_token, ada.tokens.refresh_token);
  });

  test("the same callback a second time is refused (state and code are single-use)", T, async () => {
    assertRefused(await get(ada.callback.href, { jar: ada.jar }), 400);
  });

  test("signing in again links to the same user (by issuer and subject)", T, async () => {
    const { tokens } = await signIn("ada@example.test");
    const me = await get(`${API}/me`, { token: tokens.access_token });
    assert.equal(me.status, 200);
    assert.equal(me.body.id, ada.me.id);
  });

  test("the one-time code is refused with another verifier, twice, or forged", T, async () => {
    const { callback, jar, pkce } = await loginToCallback("grace@example.test");
    const { code } = await toApp(callback, jar);
    // A stolen code without the app's verifier: refused, and burned for everyone.
    assertRefused(await exchange(code, pkcePair().verifier), 400);
    assertRefused(await exchange(code, pkce.verifier), 400);
    const again = await signIn("grace@example.test");
    assertRefused(await exchange(again.code, pkce.verifier), 400);
    assertRefused(await exchange(randomBytes(24).toString("base64url"), pkce.verifier), 400);
  });

  test("a one-time code traded by 10 callers at once signs in once", T, async () => {
    const { callback, jar, pkce } = await loginToCallback("tenfold@example.test");
    const { code } = await toApp(callback, jar);
    const trades = await Promise.all(Array.from({ length: 10 }, () => exchange(code, pkce.verifier)));
    const statuses = trades.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
    assert.equal(statuses.filter((s) => s === 400).length, 9, JSON.stringify(statuses));
  });

  test("a pre-registered email is never joined by a provider sign-in (account takeover)", T, async () => {
    // The attacker registers the victim's address with a password of their choosing.
    const email = `linda-${randomBytes(4).toString("hex")}@example.test`;
    const password = "attackers own password";
    const reg = await call("POST", `${API}/register`, { json: { email, password, name: "Linda" } });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    // The victim signs in with the provider (email verified there): refused, not joined.
    const { callback, jar } = await loginToCallback(email);
    const r = await get(callback.href, { jar });
    assertRefused(r, 409);
    assert.match(r.body.detail, /already exists/);
    assert.equal(r.location, null);
    // The attacker's password account has no provider identity.
    const login = await call("POST", `${API}/login`, { json: { email, password } });
    const me = await get(`${API}/me`, { token: login.body.access_token });
    assert.deepEqual(me.body.identities, []);
  });

  test("an email the provider has not verified never creates an account", T, async () => {
    const email = `unverified-${randomBytes(4).toString("hex")}@example.test`;
    const { callback, jar } = await loginToCallback(email);
    const r = await get(callback.href, { jar });
    assertRefused(r, 403);
    assert.match(r.body.detail, /not verified/);
    // Nobody can log in as that address now: no account was made.
    const login = await call("POST", `${API}/login`, { json: { email, password: "anything at all" } });
    assert.equal(login.status, 401);
    const reg = await call("POST", `${API}/register`, { json: { email, password: "a fine password" } });
    assert.equal(reg.status, 201, "the address is still free");
  });

  test("a signed-in user links a provider identity explicitly, and unlinks it", T, async () => {
    const email = `lars-${randomBytes(4).toString("hex")}@example.test`;
    const password = "correct horse battery staple";
    assert.equal((await call("POST", `${API}/register`, { json: { email, password } })).status, 201);
    const login = await call("POST", `${API}/login`, { json: { email, password } });
    const access = login.body.access_token;
    const pkce = pkcePair();
    const started = await call("POST", `${API}/oauth/link`, { token: access, json: { code_challenge: pkce.challenge } });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const link = new URL(started.body.authorization_url);
    assert.equal(`${link.origin}${link.pathname}`, `${base}${API}/oauth/authorize`);
    // The provider account has another email: linking follows the signed-in user, not the email.
    const providerEmail = `lars.work-${randomBytes(4).toString("hex")}@example.test`;
    const jar = new CookieJar();
    const query = `&redirect_uri=${encodeURIComponent(app)}&code_challenge=${pkce.challenge}&code_challenge_method=S256`;
    const toProvider = assertRedirect(await get(`${link.href}${query}`, { jar }));
    const callback = new URL(await loginAt(toProvider.href, { email: providerEmail }));
    const { code } = await toApp(callback, jar);
    const traded = await exchange(code, pkce.verifier);
    assert.equal(traded.status, 200, JSON.stringify(traded.body));
    const me = await get(`${API}/me`, { token: traded.body.access_token });
    assert.equal(me.body.email, email);
    assert.equal(me.body.identities.length, 1);
    assert.equal(me.body.identities[0].issuer, op.issuer);
    assert.equal(me.body.identities[0].email, providerEmail);
    // Signing in with the provider now lands in this account.
    const { tokens } = await signIn(providerEmail);
    assert.equal((await get(`${API}/me`, { token: tokens.access_token })).body.id, me.body.id);
    // Unlinked, the provider account no longer opens it.
    const id = me.body.identities[0].id;
    assert.equal((await call("DELETE", `${API}/identities/${id}`, { token: access })).status, 204);
    const after = await signIn(providerEmail);
    assert.notEqual((await get(`${API}/me`, { token: after.tokens.access_token })).body.id, me.body.id);
  });

  test("an ID token whose nonce is not the one the Worker sent is refused", T, async () => {
    // The real provider signs whatever nonce it is asked for: swap the Worker's for another.
    const { url, jar } = await authorize();
    url.searchParams.set("nonce", "not-the-workers-nonce");
    const callback = new URL(await loginAt(url.href, { email: "nonce@example.test" }));
    const r = await get(callback.href, { jar });
    assertRefused(r, 400);
    assert.match(r.body.detail, /nonce/);
  });

  test("a callback opened in another browser (no state cookie) is refused: no login CSRF", T, async () => {
    // An attacker signs in as themselves and sends the victim their callback URL.
    const { callback } = await loginToCallback("mallory@example.test");
    const r = await get(callback.href, { jar: new CookieJar() });
    assertRefused(r, 400);
    assert.match(r.body.detail, /not started in this browser/);
  });

  test("a browser landing on a failed callback gets a page with a way back to the app", T, async () => {
    const { callback, jar } = await loginToCallback("page@example.test", { deny: true });
    const r = await fetch(callback.href, {
      headers: { accept: "text/html", cookie: jar.header() },
      redirect: "manual",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    assert.equal(r.status, 400);
    assert.match(r.headers.get("content-type") ?? "", /^text\/html/);
    const page = await r.text();
    assert.match(page, /access_denied/);
    assert.ok(page.includes(`href="${app}#error=400&amp;error_description=`), page);
  });

  test("a callback with a state the Worker never issued is refused", T, async () => {
    const { callback, jar } = await loginToCallback("eve@example.test");
    const forged = new URL(callback);
    forged.searchParams.set("state", randomBytes(24).toString("base64url"));
    assertRefused(await get(forged.href, { jar }), 400);
    forged.searchParams.delete("state");
    assertRefused(await get(forged.href, { jar }), [400, 422]);
  });

  test("the provider's error (the user cancelled) is refused with a clear message", T, async () => {
    const { callback, jar } = await loginToCallback("ada@example.test", { deny: true });
    assert.equal(callback.searchParams.get("error"), "access_denied");
    assertRefused(await get(callback.href, { jar }), 400);
  });

  test("error params on the callback are refused, never a 500", T, async () => {
    const { url, jar } = await authorize();
    const state = url.searchParams.get("state");
    const r = await get(`${API}/oauth/callback?error=access_denied&error_description=nope&state=${state}`, { jar });
    assertRefused(r, 400);
  });

  test("a callback without a code is refused", T, async () => {
    const { url, jar } = await authorize();
    const state = url.searchParams.get("state");
    assertRefused(await get(`${API}/oauth/callback?state=${state}`, { jar }), [400, 422]);
    assertRefused(await get(`${API}/oauth/callback`, { jar }), [400, 422]);
  });

  test("a code the provider did not issue is refused", T, async () => {
    const { url, jar } = await authorize();
    const state = url.searchParams.get("state");
    const r = await get(`${API}/oauth/callback?code=${randomBytes(32).toString("base64url")}&state=${state}`, { jar });
    assert.ok(r.status >= 400 && r.status < 500, `expected a 4xx, got ${r.status}`);
    assertRefused(r, r.status);
  });
});

describe("the provider's access tokens at the Worker", () => {
  let email;
  let me;
  let token;

  before(async () => {
    email = `oscar-${randomBytes(4).toString("hex")}@example.test`;
    const { tokens } = await signIn(email);
    me = (await get(`${API}/me`, { token: tokens.access_token })).body;
    token = await getProviderAccessToken({ email, issuer: op.issuer });
  }, T);

  test("a provider access token authenticates a user who signed in through the flow", T, async () => {
    const r = await get(`${API}/me`, { token });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.auth_scheme, "oauth2");
    assert.equal(r.body.id, me.id);
    assert.equal(r.body.email, email);
  });

  test("it may manage API keys, and the key is the same user's", T, async () => {
    const created = await call("POST", `${API}/api-keys`, { token, json: { name: "from-oidc" } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.body.key, /^sk-/);
    const listed = await get(`${API}/api-keys`, { token });
    assert.equal(listed.status, 200);
    assert.ok(listed.body.keys.some((k) => k.id === created.body.id));
    const viaKey = await get(`${API}/me`, { token: created.body.key });
    assert.equal(viaKey.status, 200);
    assert.equal(viaKey.body.auth_scheme, "api_key");
    assert.equal(viaKey.body.id, me.id);
  });

  test("the provider's JWKS and discovery are cached across requests with one kid", T, async () => {
    const s0 = op.stats();
    assert.equal((await get(`${API}/me`, { token })).status, 200);
    const s1 = op.stats();
    assert.ok(s1.jwks - s0.jwks <= 1, `first request fetched the JWKS ${s1.jwks - s0.jwks} times`);
    for (let i = 0; i < 20; i += 1) {
      const r = await get(`${API}/me`, { token });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    await sixTimes(async () => assert.equal((await get(`${API}/me`, { token })).status, 200));
    const s2 = op.stats();
    assert.ok(s2.jwks - s1.jwks <= 1, `26 more requests fetched the JWKS ${s2.jwks - s1.jwks} times`);
    assert.ok(s2.discovery - s1.discovery <= 1, `26 more requests fetched discovery ${s2.discovery - s1.discovery} times`);
  });

  test("a token with an unknown kid is refused, and a storm of them refetches the JWKS at most once", T, async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const now = Math.floor(Date.now() / 1000);
    const rogue = await new SignJWT({
      sub: email, scope: "openid email profile", client_id: CLIENT_ID, jti: randomBytes(8).toString("hex"),
    })
      .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: `rogue-${randomBytes(6).toString("hex")}` })
      .setIssuer(op.issuer)
      .setAudience(CLIENT_ID)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    const s0 = op.stats();
    assertUnauthorized(await get(`${API}/me`, { token: rogue }));
    const s1 = op.stats();
    assert.ok(s1.jwks - s0.jwks <= 1, `one unknown kid fetched the JWKS ${s1.jwks - s0.jwks} times`);
    for (let i = 0; i < 20; i += 1) assertUnauthorized(await get(`${API}/me`, { token: rogue }));
    const s2 = op.stats();
    assert.ok(s2.jwks - s1.jwks <= 1, `20 more unknown-kid requests fetched the JWKS ${s2.jwks - s1.jwks} times`);
    // The genuine keys are still known.
    assert.equal((await get(`${API}/me`, { token })).status, 200);
  });

  test("a provider token signed with the ES256 key works too", T, async () => {
    const es = await getProviderAccessToken({ email, issuer: op.issuer, resource: RESOURCE_ES256 });
    assert.equal(decodeProtectedHeader(es).alg, "ES256");
    const r = await get(`${API}/me`, { token: es });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.auth_scheme, "oauth2");
    assert.equal(r.body.id, me.id);
  });

  test("a provider token signed with the PS256 key (RSA-PSS) works too", T, async () => {
    const ps = await getProviderAccessToken({ email, issuer: op.issuer, resource: RESOURCE_PS256 });
    assert.equal(decodeProtectedHeader(ps).alg, "PS256");
    const r = await get(`${API}/me`, { token: ps });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.id, me.id);
    // Its signature tampered with: refused, as for the other algorithms.
    const [h, p, sig] = ps.split(".");
    const tampered = `${h}.${p}.${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`;
    assertUnauthorized(await get(`${API}/me`, { token: tampered }));
  });

  test("a genuine provider token for another audience is refused", T, async () => {
    const other = await getProviderAccessToken({ email, issuer: op.issuer, resource: RESOURCE_OTHER });
    assertUnauthorized(await get(`${API}/me`, { token: other }));
  });

  test("a genuine provider token without the required scopes is refused", T, async () => {
    const narrow = await getProviderAccessToken({ email, issuer: op.issuer, scope: "openid" });
    assertRefused(await get(`${API}/me`, { token: narrow }), [401, 403]);
  });

  test("the provider's ID token is not an access token", T, async () => {
    // Same issuer, same key, same aud (the client id) as an access token: only its type
    // (no `typ: at+jwt`) and its missing `scope` tell it apart.
    const { id_token: idToken } = await getProviderTokens({ email, issuer: op.issuer });
    assert.equal(decodeProtectedHeader(idToken).typ, undefined);
    assertRefused(await get(`${API}/me`, { token: idToken }), [401, 403]);
  });

  test("tokens with the provider's keys but bad claims are refused", T, async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases = {
      expired: { iat: now - 7200, exp: now - 3600 },
      "not yet valid": { nbf: now + 3600 },
      "another issuer": { iss: "http://127.0.0.1:9999" },
      "another audience": { aud: "someone-else" },
      "no audience": { aud: undefined },
      "no expiry": { exp: undefined },
    };
    for (const [name, claims] of Object.entries(cases)) {
      const r = await get(`${API}/me`, { token: await op.signToken({ sub: email, ...claims }) });
      assert.equal(r.status, 401, `${name}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    // The same with good claims is accepted: only the claims above made the difference.
    assert.equal((await get(`${API}/me`, { token: await op.signToken({ sub: email }) })).status, 200);
  });

  test("forged signatures are refused: wrong key with a known kid, alg none, HS256 with the public key", T, async () => {
    const genuineKid = decodeProtectedHeader(token).kid;
    const { privateKey } = await generateKeyPair("RS256");
    const claims = {
      sub: email, scope: "openid email profile", client_id: CLIENT_ID, iss: op.issuer, aud: CLIENT_ID,
      iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600,
    };
    const wrongKey = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: genuineKid })
      .sign(privateKey);
    assertUnauthorized(await get(`${API}/me`, { token: wrongKey }));

    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const none = `${b64({ alg: "none", typ: "at+jwt", kid: genuineKid })}.${b64(claims)}.`;
    assertUnauthorized(await get(`${API}/me`, { token: none }));

    // Algorithm confusion: HMAC keyed with the provider's RSA public key (as PEM, as JWK, as n).
    const jwks = await (await fetch(`${op.issuer}/jwks`)).json();
    const rsa = jwks.keys.find((k) => k.kid === genuineKid);
    const pem = await exportSPKI(await importJWK(rsa, "RS256", { extractable: true }));
    for (const secret of [pem, JSON.stringify(rsa), rsa.n]) {
      const hs = await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid: genuineKid })
        .sign(new TextEncoder().encode(secret));
      assertUnauthorized(await get(`${API}/me`, { token: hs }));
    }
  });

  test("a provider token for a user who never signed in is never a 500", T, async () => {
    const stranger = await getProviderAccessToken({ email: `stranger-${randomBytes(4).toString("hex")}`, issuer: op.issuer });
    const r = await get(`${API}/me`, { token: stranger });
    assert.ok(r.status < 500, `got ${r.status} ${JSON.stringify(r.body)}`);
    if (r.status === 200) assert.equal(r.body.auth_scheme, "oauth2");
  });
});
