// End-to-end test of the demo app (www/) in a real browser: Debian's Chromium driven by
// playwright-core, against the Worker served by `wrangler dev` (real workerd, local KV in a
// temporary folder). wrangler runs the [build] command first, so the first start can take
// minutes.
//
//   node --test tests/browser/
//
// DEMO_BASE_URL=http://127.0.0.1:8787 uses a server that is already running instead
// (e.g. `make dev`); DEMO_PORT picks the port of the one started here (default 8797, or any
// free port), DEMO_STARTUP_TIMEOUT_SECS how long to wait for it (default 300).
// Screenshots go to test-results/.

import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import {
  BrowserFlow,
  RFC3339,
  freePort,
  setUp,
  testid,
} from "./lib.mjs";

// A same-origin path whose connections the test refuses, for a network failure.
const OFFLINE_PATH = "/offline";

const email = `demo-${randomBytes(6).toString("hex")}@example.com`;
const password = "correct horse battery";
const displayName = "Ada Lovelace";

let base = process.env.DEMO_BASE_URL?.replace(/\/$/, "");
let page;

// Steps fail on any console error of the page but the HTTP statuses they provoke on purpose,
// and the failed fetches of the network-failure check (allowHttp: [0]).
const flow = new BrowserFlow({
  name: "demo",
  allowConsoleError: (text, url, allowedHttp) =>
    allowedHttp.includes(0) && url.startsWith(`${base}${OFFLINE_PATH}/`) && /net::ERR_/.test(text),
});
const { step, shot, settled, waitForState, text, assertNoError } = flow;

// ---------------------------------------------------------------------------------------
// Setup and teardown

setUp(flow, async (serve) => {
  if (!base) {
    const port = await freePort(Number(process.env.DEMO_PORT ?? 8797));
    base = `http://127.0.0.1:${port}`;
    await serve(port);
  }
  // The demo site and the web package must be served, not just the API.
  for (const asset of ["/", "/app.js", "/pkg/edge_auth.js", "/pkg/edge_auth_bg.wasm"]) {
    const response = await fetch(base + asset, { signal: AbortSignal.timeout(15_000) });
    assert.equal(response.status, 200, `GET ${asset} should serve the demo site (build/site)`);
  }
  page = await flow.launch(base);
});

// ---------------------------------------------------------------------------------------
// The flow

let userId;
let apiKey;

step("the page loads the wasm client and shows the signed-out view", async () => {
  const response = await page.goto(`${base}/`);
  // Under a strict policy: only its own scripts and the package's wasm (a violation would be
  // a console error, which fails the step).
  const headers = response.headers();
  const csp = headers["content-security-policy"] ?? "";
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval';/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.ok(!csp.includes("unsafe-inline"), csp);
  assert.equal(headers["x-content-type-options"], "nosniff");
  assert.equal(headers["referrer-policy"], "no-referrer");
  await waitForState("logged-out");
  assert.equal(await page.title(), "edge-auth demo");
  assert.ok(await page.locator("#login-form").isVisible());
  assert.ok(await page.locator("#signup-form").isVisible());
  assert.equal(await page.locator("#logged-in-view").isVisible(), false);
  assert.equal(await text("#session-label"), "Not signed in");
  await assertNoError();
});

step("sign-up validation errors (422) are listed field by field", async (t) => {
  await page.fill("#signup-email", "not-an-email");
  await page.fill("#signup-password", "short");
  await page.click("#signup-submit");
  await settled();
  assert.ok(await page.locator("#error").isVisible(), "the error area is shown");
  assert.match(await text("#error-title"), /^422\b/);
  const items = await page.locator("#error-list li").allTextContents();
  assert.ok(items.some((i) => i.startsWith("body.email: ")), `an item for body.email in ${JSON.stringify(items)}`);
  assert.ok(items.some((i) => i.startsWith("body.password: ")), `an item for body.password in ${JSON.stringify(items)}`);
  await shot(t, "demo-error-422");
}, { allowHttp: [422] });

step("sign up", async () => {
  await page.fill("#signup-email", email);
  await page.fill("#signup-password", password);
  await page.fill("#signup-name", displayName);
  await page.click("#signup-submit");
  await settled();
  await assertNoError();
  assert.match(await text("#notice"), new RegExp(`Account created for ${email.replace(/\./g, "\\.")}`));
  assert.equal(await page.inputValue("#login-email"), email, "the login form is prefilled");
  assert.equal(await page.inputValue("#signup-password"), "", "the sign-up form is cleared");
});

step("a wrong password shows the 401 error", async (t) => {
  await page.fill("#login-email", email);
  await page.fill("#login-password", "wrong horse battery");
  await page.click("#login-submit");
  await settled();
  assert.ok(await page.locator("#error").isVisible(), "the error area is shown");
  assert.match(await text("#error-title"), /^401\b/);
  assert.equal(await text("#error-message"), "Incorrect email or password");
  assert.equal(await page.getAttribute("body", "data-state"), "logged-out");
  await shot(t, "demo-error-401");
}, { allowHttp: [401] });

step("the package's failures are AuthApiError with status and detail", async () => {
  // What the error area relies on, checked on the package itself in this page. The network
  // failure is a same-origin path whose connection the browser refuses (the page's CSP allows
  // no other origin).
  const offline = `${base}${OFFLINE_PATH}`;
  await page.route(`${offline}/**`, (route) => route.abort("connectionrefused"));
  const seen = await page.evaluate(async ([email, unreachable]) => {
    const { AuthClient, AuthApiError } = await import("/pkg/edge_auth.js");
    const describe = (err) => ({
      isError: err instanceof Error,
      isAuthApiError: err instanceof AuthApiError,
      name: err.name,
      status: err.status,
      detail: err.detail,
    });
    const out = {};
    try {
      await new AuthClient({}).login({ email, password: "wrong horse battery" });
      out.wrongPassword = "resolved";
    } catch (err) {
      out.wrongPassword = describe(err);
    }
    try {
      await new AuthClient({}).register({ email: "not-an-email", password: "short" });
      out.invalid = "resolved";
    } catch (err) {
      out.invalid = describe(err);
    }
    try {
      await new AuthClient({ baseUrl: unreachable }).login({ email, password: "whatever1" });
      out.network = "resolved";
    } catch (err) {
      out.network = describe(err);
    }
    return out;
  }, [email, offline]);
  await page.unroute(`${offline}/**`);

  assert.deepEqual(seen.wrongPassword, {
    isError: true, isAuthApiError: true, name: "AuthApiError", status: 401, detail: "Incorrect email or password",
  });
  assert.equal(seen.invalid.isError, true);
  assert.equal(seen.invalid.isAuthApiError, true, "instanceof AuthApiError");
  assert.equal(seen.invalid.name, "AuthApiError");
  assert.equal(seen.invalid.status, 422);
  assert.ok(Array.isArray(seen.invalid.detail), `422 detail is a list: ${JSON.stringify(seen.invalid)}`);
  for (const issue of seen.invalid.detail) {
    assert.ok(Array.isArray(issue.loc) && typeof issue.msg === "string" && typeof issue.type === "string",
      `a {loc, msg, type} entry: ${JSON.stringify(issue)}`);
  }
  assert.equal(seen.network.isError, true, JSON.stringify(seen.network));
  assert.equal(seen.network.name, "AuthApiError");
  assert.equal(seen.network.isAuthApiError, true, "instanceof AuthApiError");
  assert.equal(seen.network.status, 0, "status 0 for a network failure");
}, { allowHttp: [0, 401, 422] });

step("log in: the decoded access token and /me are shown", async () => {
  await page.fill("#login-email", email);
  await page.fill("#login-password", password);
  await page.click("#login-submit");
  await waitForState("logged-in");
  await assertNoError();

  assert.equal(await text("#me-email"), email);
  assert.equal(await text("#me-name"), displayName);
  assert.equal(await text("#me-scheme"), "jwt");
  userId = await text("#me-id");
  assert.ok(userId, "the user id is shown");
  assert.equal(await text("#session-label"), `Signed in as ${email}`);

  assert.equal(await text(testid("token-unverified")), "decoded, not verified");
  const header = JSON.parse(await text("#token-header"));
  const claims = JSON.parse(await text("#token-claims"));
  assert.equal(header.alg, "EdDSA");
  assert.ok(header.kid, "the header names its key");
  assert.equal(claims.sub, userId, "claims.sub is the user id from /me");
  assert.equal(typeof claims.exp, "number");
  assert.ok(claims.exp * 1000 > Date.now(), "the token has not expired");
  assert.match(await text("#token-expiry"), /^Expires \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);

  // storage: "session" keeps the tokens in sessionStorage under edge-auth.tokens.
  const stored = await page.evaluate(() => sessionStorage.getItem("edge-auth.tokens"));
  assert.ok(stored, "tokens are kept in sessionStorage");

  assert.equal(await page.locator(testid("apikey-row")).count(), 0);
  assert.ok(await page.locator("#apikey-empty").isVisible(), "the empty key list says so");
  assert.equal(await text("#pk-has-key"), "No");
});

step("the session survives a reload (sessionStorage)", async () => {
  await page.reload();
  await waitForState("logged-in");
  await assertNoError();
  assert.equal(await text("#me-email"), email);
  assert.equal(JSON.parse(await text("#token-claims")).sub, userId);
});

step("create an API key: the full key is shown once, then listed", async (t) => {
  await page.fill("#apikey-name", "ci deploy");
  await page.fill("#apikey-scopes", "read, write");
  await page.fill("#apikey-expires", "30");
  await page.click("#apikey-submit");
  await settled();
  await assertNoError();

  assert.ok(await page.locator("#new-key").isVisible(), "the new-key box is shown");
  assert.match(await text("#new-key"), /will not be shown again/);
  apiKey = await text("#new-key-value");
  assert.ok(apiKey.startsWith("sk-"), `the key starts with sk-: ${apiKey}`);
  assert.equal(apiKey.length, 68, `the key is 68 characters: ${apiKey}`);
  assert.equal(await text("#new-key-name"), "ci deploy");

  await page.click("#new-key-copy");
  await page.waitForFunction(() => document.getElementById("new-key-copied").textContent !== "");
  assert.equal(await text("#new-key-copied"), "Copied to the clipboard.");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), apiKey);

  const rows = page.locator(testid("apikey-row"));
  assert.equal(await rows.count(), 1);
  const row = rows.first();
  const display = row.locator(`${testid("apikey-display")} code`);
  const prefix = await display.getAttribute("data-prefix");
  assert.ok(prefix.startsWith("sk-") && apiKey.startsWith(prefix), `the listed prefix ${prefix} starts the key`);
  assert.equal(await display.getAttribute("data-last4"), apiKey.slice(-4));
  assert.equal((await display.textContent()).trim(), `${prefix}…${apiKey.slice(-4)}`);
  assert.equal((await row.locator(testid("apikey-name")).textContent()).trim(), "ci deploy");
  assert.deepEqual(await row.locator(`${testid("apikey-scopes")} .scope`).allTextContents(), ["read", "write"]);
  assert.match(await row.locator(`${testid("apikey-created")} time`).getAttribute("datetime"), RFC3339);
  assert.equal((await row.locator(testid("apikey-last-used")).textContent()).trim(), "never");
  const expires = await row.locator(`${testid("apikey-expires")} time`).getAttribute("datetime");
  const days = (Date.parse(expires) - Date.now()) / 86_400_000;
  assert.ok(days > 29.9 && days < 30.1, `expires in 30 days: ${expires}`);
  assert.ok(!(await text("#apikey-table")).includes(apiKey), "the list never shows the whole key");
  assert.equal(await page.inputValue("#apikey-name"), "", "the form is cleared");

  await shot(t, "demo-logged-in");
});

step("revoke the API key", async () => {
  const row = page.locator(testid("apikey-row")).first();
  const keyId = await row.getAttribute("data-key-id");
  let dialogText = "";
  page.once("dialog", (dialog) => {
    dialogText = dialog.message();
    dialog.accept();
  });
  await row.locator(testid("apikey-revoke")).click();
  await settled();
  await assertNoError();
  assert.match(dialogText, /^Revoke ci deploy/);
  assert.equal(await page.locator(`[data-key-id="${keyId}"]`).count(), 0, "the key is gone");
  assert.equal(await page.locator(testid("apikey-row")).count(), 0);
  assert.ok(await page.locator("#apikey-empty").isVisible());
  assert.equal(await page.locator("#new-key").isVisible(), false, "the one-time key box is gone too");
  assert.match(await text("#notice"), /^Revoked ci deploy/);
});

step("store a private key (PEM): status has_key with timestamps", async (t) => {
  const { privateKey } = generateKeyPairSync("ed25519", {
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  assert.equal(await text("#pk-has-key"), "No");
  assert.ok(await page.locator("#pk-delete").isDisabled(), "nothing to delete yet");
  await page.fill("#pk-input", privateKey);
  await page.click("#pk-save");
  await settled();
  await assertNoError();

  assert.equal(await page.getAttribute("#pk-has-key", "data-has-key"), "true");
  assert.equal(await text("#pk-has-key"), "Yes");
  const created = await page.getAttribute("#pk-created time", "datetime");
  const updated = await page.getAttribute("#pk-updated time", "datetime");
  assert.match(created, RFC3339);
  assert.match(updated, RFC3339);
  assert.ok(Math.abs(Date.parse(created) - Date.now()) < 5 * 60_000, `created just now: ${created}`);
  assert.equal(await page.inputValue("#pk-input"), "", "the key does not stay in the page");
  assert.ok(await page.locator("#pk-delete").isEnabled());
  await shot(t, "demo-private-key");
});

step("delete the private key", async () => {
  page.once("dialog", (dialog) => dialog.accept());
  await page.click("#pk-delete");
  await settled();
  await assertNoError();
  assert.equal(await page.getAttribute("#pk-has-key", "data-has-key"), "false");
  assert.equal(await text("#pk-has-key"), "No");
  assert.equal(await text("#pk-created"), "—");
  assert.equal(await text("#pk-updated"), "—");
  assert.ok(await page.locator("#pk-delete").isDisabled());
});

step("log out: back to the signed-out view, tokens forgotten", async (t) => {
  await page.click("#logout-button");
  await waitForState("logged-out");
  await assertNoError();
  assert.equal(await text("#notice"), "Logged out.");
  assert.ok(await page.locator("#login-form").isVisible());
  assert.equal(await page.locator("#logged-in-view").isVisible(), false);
  assert.equal(await page.locator("#logout-button").isVisible(), false);
  assert.equal(await text("#session-label"), "Not signed in");
  assert.equal(await text("#me-email"), "", "the last user's data is cleared");
  assert.equal(await text("#token-claims"), "");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("edge-auth.tokens")), null);
  await shot(t, "demo-end");

  await page.reload();
  await waitForState("logged-out");
  assert.equal(await text("#session-label"), "Not signed in");
});
