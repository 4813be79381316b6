// AuthClient's session helpers in a real browser, against the Worker under `wrangler dev`:
// getAccessToken (refreshing a token about to expire), auth.fetch (the bearer attached; on a
// 401 one refresh and one retry) and onAuthStateChange (signed_in, refreshed, signed_out,
// session_ended), with the web package the demo site serves, on sessionStorage (so that a
// step can plant a stale or broken token).
//
//   node --test tests/browser/session.test.mjs
//
// DEMO_SESSION_PORT picks the Worker's port (default 8786, or any free port).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { API, BrowserFlow, freePort, setUp } from "./lib.mjs";

const TOKENS_KEY = "edge-auth.tokens";
const email = `session-${randomBytes(6).toString("hex")}@example.com`;
const password = "correct horse battery";

let base;
let page;
const sent = []; // [method path, Authorization header] of the page's API requests, in order

const flow = new BrowserFlow({ name: "session" });
const { step } = flow;

setUp(flow, async (serve) => {
  const port = await freePort(Number(process.env.DEMO_SESSION_PORT ?? 8786));
  base = `http://127.0.0.1:${port}`;
  await serve(port);
  page = await flow.launch(base);
  flow.context.on("request", (request) => {
    const url = new URL(request.url());
    if (url.origin === base && url.pathname.startsWith(`${API}/`)) {
      sent.push([`${request.method()} ${url.pathname.slice(API.length)}`, request.headers().authorization]);
    }
  });
});

const stored = () => page.evaluate((key) => JSON.parse(sessionStorage.getItem(key)), TOKENS_KEY);
/** Rewrites the stored tokens (the client reads them at construction: a new client follows). */
async function plant(change) {
  await page.evaluate(([key, change]) => {
    const tokens = { ...JSON.parse(sessionStorage.getItem(key)), ...change };
    sessionStorage.setItem(key, JSON.stringify(tokens));
  }, [TOKENS_KEY, change]);
  await newClient();
}
/** A new `window.auth` on sessionStorage, its events collected in `window.events`. */
const newClient = () =>
  page.evaluate(() => {
    window.unsubscribe?.();
    window.auth = new window.AuthClient({ storage: "session" });
    window.unsubscribe = window.auth.onAuthStateChange((event) => window.events.push(event));
  });
const events = () => page.evaluate(() => window.events.splice(0));
const now = () => Math.floor(Date.now() / 1000);

step("log in: signed_in; getAccessToken is the token", async () => {
  await page.goto(`${base}/`);
  await page.evaluate(async () => {
    const { default: init, AuthClient } = await import("/pkg/edge_auth.js");
    await init();
    window.AuthClient = AuthClient;
    window.events = [];
  });
  await newClient();
  await page.evaluate(async ([email, password]) => {
    await window.auth.register({ email, password });
    await window.auth.login({ email, password });
  }, [email, password]);
  assert.deepEqual(await events(), ["signed_in"]);
  const { token, current } = await page.evaluate(async () => ({
    token: await window.auth.getAccessToken(),
    current: window.auth.accessToken,
  }));
  assert.ok(token);
  assert.equal(token, current, "a fresh token is returned as it is");
});

step("auth.fetch sends the bearer: GET /me is 200", async () => {
  sent.length = 0;
  const { status, me } = await page.evaluate(async (api) => {
    const response = await window.auth.fetch(`${api}/me`);
    return { status: response.status, me: await response.json() };
  }, API);
  assert.equal(status, 200);
  assert.equal(me.email, email);
  const token = (await stored()).access_token;
  assert.deepEqual(sent, [["GET /me", `Bearer ${token}`]]);
  assert.deepEqual(await events(), []);
});

step("getAccessToken refreshes a token about to expire: refreshed", async () => {
  const before = await stored();
  await plant({ expires_at: now() + 10 });
  sent.length = 0;
  const token = await page.evaluate(() => window.auth.getAccessToken());
  assert.deepEqual(sent.map(([what]) => what), ["POST /refresh"]);
  const after = await stored();
  assert.notEqual(after.refresh_token, before.refresh_token, "rotated");
  assert.equal(token, after.access_token);
  assert.deepEqual(await events(), ["refreshed"]);
});

step("auth.fetch on a 401: one refresh, one retry, with a body", async () => {
  await plant({ access_token: "not-a-token", expires_at: now() + 600 });
  sent.length = 0;
  const status = await page.evaluate(async (api) => {
    const response = await window.auth.fetch(`${api}/api-keys`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "retried", scopes: [] }),
    });
    return response.status;
  }, API);
  assert.equal(status, 201);
  const token = (await stored()).access_token;
  assert.deepEqual(sent, [
    ["POST /api-keys", "Bearer not-a-token"],
    ["POST /refresh", undefined],
    ["POST /api-keys", `Bearer ${token}`],
  ]);
  assert.deepEqual(await events(), ["refreshed"]);
}, { allowHttp: [401] });

step("logout: signed_out; getAccessToken is undefined", async () => {
  await page.evaluate(() => window.auth.logout());
  assert.deepEqual(await events(), ["signed_out"]);
  assert.equal(await page.evaluate(() => window.auth.getAccessToken()), undefined);
});

step("a refused refresh: session_ended; getAccessToken is undefined", async () => {
  await page.evaluate(([email, password]) => window.auth.login({ email, password }), [email, password]);
  const live = await stored();
  await page.evaluate(() => window.auth.logout()); // revokes the session's refresh token...
  assert.deepEqual(await events(), ["signed_in", "signed_out"]);
  // ...which a client that still holds it presents, its access token expired.
  await page.evaluate(([key, tokens]) => sessionStorage.setItem(key, JSON.stringify(tokens)), [TOKENS_KEY, live]);
  await plant({ expires_at: now() - 1 });
  assert.equal(await page.evaluate(() => window.auth.getAccessToken()), undefined);
  assert.deepEqual(await events(), ["session_ended"]);
  assert.equal(await page.evaluate(() => window.auth.isLoggedIn), false);
  assert.equal(await stored(), null, "the tokens are forgotten");
  // Unsubscribed: nothing more is heard.
  await page.evaluate(() => window.unsubscribe());
  await page.evaluate(([email, password]) => window.auth.login({ email, password }), [email, password]);
  assert.deepEqual(await events(), []);
}, { allowHttp: [401] });
