// Two tabs sharing one session through `storage: "local"`, in a real browser: Debian's
// Chromium driven by playwright-core, two pages of one profile (so one localStorage and one
// Web Lock manager), each with its own `AuthClient` from the web package the demo site serves.
// The Worker runs under `wrangler dev` with REFRESH_REUSE_GRACE_SECS=0, so any refresh token
// presented twice is reuse and ends the session: a tab that refreshed with a refresh token the
// other tab had already rotated would sign both out.
//
//   node --test tests/browser/
//
// DEMO_TABS_PORT picks the Worker's port (default 8785, or any free port);
// DEMO_STARTUP_TIMEOUT_SECS bounds wrangler's start (default 300). Screenshots go to
// test-results/.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  API,
  BrowserFlow,
  freePort,
  setUp,
  sleep,
  within,
} from "./lib.mjs";

const TOKENS_KEY = "edge-auth.tokens";
const REFRESH_LOCK = "edge-auth:refresh";

const email = `tabs-${randomBytes(6).toString("hex")}@example.com`;
const password = "correct horse battery";

let base;
let tab1;
let tab2;
const refreshes = []; // the POST /refresh requests of both tabs, in order

const flow = new BrowserFlow({ name: "tabs" });
const { step } = flow;

// ---------------------------------------------------------------------------------------
// Setup and teardown

setUp(flow, async (serve) => {
  const port = await freePort(Number(process.env.DEMO_TABS_PORT ?? 8785));
  base = `http://127.0.0.1:${port}`;
  await serve(port, { vars: { REFRESH_REUSE_GRACE_SECS: "0" } });
  tab1 = await flow.launch(base);
  flow.context.on("request", (request) => {
    if (request.method() === "POST" && request.url() === `${base}${API}/refresh`) {
      refreshes.push(request.postDataJSON().refresh_token);
    }
  });
});

/** Opens the demo page in `page` and makes `window.tabAuth`, a client on localStorage. */
async function openTab(page) {
  await page.goto(`${base}/`);
  await page.evaluate(async () => {
    const { default: init, AuthClient } = await import("/pkg/edge_auth.js");
    await init();
    window.tabAuth = new AuthClient({ storage: "local" });
  });
}

/** A second tab of the same profile; its errors fail the current step too. */
async function openSecondTab() {
  const page = await flow.context.newPage();
  page.on("pageerror", (err) => flow.problem(`tab 2: uncaught exception: ${err.stack ?? err}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") flow.problem(`tab 2: console error: ${msg.text()}`);
  });
  await openTab(page);
  return page;
}

const stored = (page) => page.evaluate((key) => JSON.parse(localStorage.getItem(key)), TOKENS_KEY);

/** `tabAuth.refresh()` started in the page: resolves "ok", or to the failure's status and message. */
const startRefresh = (page) =>
  page.evaluate(() => {
    window.refreshed = window.tabAuth.refresh().then(
      () => "ok",
      (err) => `${err.status}: ${err.message}`,
    );
  });
const refreshResult = (page) => within(15_000, "the refresh", page.evaluate(() => window.refreshed));

async function assertSignedIn(page, which) {
  const me = await page.evaluate(async () => {
    const me = await window.tabAuth.me();
    return { email: me.email, loggedIn: window.tabAuth.isLoggedIn };
  });
  assert.deepEqual(me, { email, loggedIn: true }, `${which} is signed in`);
}

// ---------------------------------------------------------------------------------------
// The flow

step("tab 1 signs up and logs in, keeping the tokens in localStorage", async () => {
  await openTab(tab1);
  await tab1.evaluate(async ([email, password]) => {
    await window.tabAuth.register({ email, password });
    await window.tabAuth.login({ email, password });
  }, [email, password]);
  const tokens = await stored(tab1);
  assert.ok(tokens?.refresh_token, "the tokens are in localStorage");
  await assertSignedIn(tab1, "tab 1");
});

step("tab 2 picks the session up from localStorage", async () => {
  tab2 = await openSecondTab();
  await assertSignedIn(tab2, "tab 2");
  assert.deepEqual(await stored(tab2), await stored(tab1));
});

step("both tabs refresh at once (held at the Web Lock): one request, both stay signed in", async () => {
  const before = await stored(tab1);
  refreshes.length = 0;
  // Tab 1 holds the refresh lock, so that both clients read the same refresh token and queue
  // behind it; then lets them go in turn.
  await tab1.evaluate((name) => new Promise((held) => {
    navigator.locks.request(name, () => new Promise((release) => {
      window.releaseGate = release;
      held();
    }));
  }), REFRESH_LOCK);
  await startRefresh(tab1);
  await startRefresh(tab2);
  const queued = async () => {
    const { pending } = await tab1.evaluate(() => navigator.locks.query());
    return pending.filter((lock) => lock.name === REFRESH_LOCK).length;
  };
  for (let i = 0; (await queued()) < 2; i++) {
    assert.ok(i < 100, "both clients wait for the refresh lock");
    await sleep(50);
  }
  assert.deepEqual(refreshes, [], "no refresh is sent while another tab holds the lock");
  await tab1.evaluate(() => window.releaseGate());
  assert.equal(await refreshResult(tab1), "ok");
  assert.equal(await refreshResult(tab2), "ok");
  assert.deepEqual(refreshes, [before.refresh_token], "one refresh, with the token both tabs held");
  const after = await stored(tab1);
  assert.notEqual(after.refresh_token, before.refresh_token, "the refresh token was rotated");
  await assertSignedIn(tab1, "tab 1");
  await assertSignedIn(tab2, "tab 2");
  assert.deepEqual(await tab2.evaluate(() => window.tabAuth.accessToken), after.access_token);
});

step("both tabs refresh at once, unprompted: both stay signed in", async () => {
  refreshes.length = 0;
  await Promise.all([startRefresh(tab1), startRefresh(tab2)]);
  assert.deepEqual(await Promise.all([refreshResult(tab1), refreshResult(tab2)]), ["ok", "ok"]);
  assert.equal(new Set(refreshes).size, refreshes.length, `no refresh token sent twice: ${refreshes}`);
  await assertSignedIn(tab1, "tab 1");
  await assertSignedIn(tab2, "tab 2");
});

step("a tab refreshes after the other one rotated the tokens: it uses the new ones", async () => {
  refreshes.length = 0;
  await startRefresh(tab1);
  assert.equal(await refreshResult(tab1), "ok");
  const rotated = await stored(tab1);
  await startRefresh(tab2);
  assert.equal(await refreshResult(tab2), "ok");
  assert.equal(refreshes.length, 2);
  assert.equal(refreshes[1], rotated.refresh_token, "tab 2 sent the refresh token tab 1 got");
  await assertSignedIn(tab1, "tab 1");
  await assertSignedIn(tab2, "tab 2");
});

step("logging out in one tab signs the other out", async () => {
  await tab2.evaluate(() => window.tabAuth.logout());
  assert.equal(await stored(tab1), null);
  assert.equal(await tab1.evaluate(() => window.tabAuth.isLoggedIn), false);
  assert.equal(await tab1.evaluate(() => window.tabAuth.accessToken), undefined);
});
