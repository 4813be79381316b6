// The npm package in an app built by Vite, as a user builds one: tests/vite (index.html, main.js)
// imports "edge-auth" by name from pkg/ (node_modules/edge-auth here links to it), `vite build`
// bundles it and its wasm, and `vite preview` serves the result on its own origin. In headless
// Chromium the app signs up, logs in, creates and lists an API key and verifies the access token
// offline, against the Worker on another origin that allows the app's (CORS_ALLOWED_ORIGINS).
// The same build served from an origin the Worker does not list is refused by the browser.
//
//   node --test tests/vite/
//
// VITE_API_PORT picks the Worker's port (default 8784, or any free port); the app is served on
// 5173 and 4173 when free, else on any free ports.

import { execFileSync } from "node:child_process";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, preview } from "vite";

import { API, BrowserFlow, ROOT, freePort, setUp, testid } from "../browser/lib.mjs";
import { wranglerVar } from "../lib/worker.mjs";

const APP = path.dirname(fileURLToPath(import.meta.url));
const CORS_REFUSAL = /has been blocked by CORS policy/;

let outDir;
const apps = []; // the preview servers: [allowed, refused]
let allowed; // the app's origin, the one the Worker allows
let refused; // the same app on an origin the Worker does not allow
let base; // the Worker
let page;
let refusalExpected = false;
const consoleErrors = [];

const flow = new BrowserFlow({
  name: "vite",
  // Chromium reports a refused cross-origin request as two console errors: the CORS message and
  // the failed load. Only the step that provokes the refusal lets them through.
  allowConsoleError: (text) => refusalExpected && (CORS_REFUSAL.test(text) || /net::ERR_FAILED/.test(text)),
});
const { step } = flow;

/** `vite preview` of the build on a free loopback port; resolves to [server, origin]. */
async function serve(preferred) {
  const port = await freePort(preferred);
  const app = await preview({
    root: APP,
    logLevel: "warn",
    build: { outDir },
    preview: { port, strictPort: true },
  });
  return [app, `http://127.0.0.1:${port}`];
}

setUp(
  flow,
  async (serveApi) => {
    // The package the app bundles, up to date first (a no-op when it is; `wrangler dev` runs
    // the same build, but only after the app is bundled).
    execFileSync("sh", ["scripts/build.sh"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    // The package by its name, as tests/types/run.sh links it: pkg/package.json's `exports` apply.
    mkdirSync(path.join(APP, "node_modules"), { recursive: true });
    rmSync(path.join(APP, "node_modules/edge-auth"), { force: true });
    symlinkSync("../../../pkg", path.join(APP, "node_modules/edge-auth"));

    outDir = mkdtempSync(path.join(tmpdir(), "edge-auth-vite-"));
    await build({ root: APP, logLevel: "warn", build: { outDir, emptyOutDir: true } });
    const assets = readdirSync(path.join(outDir, "assets"));
    assert.ok(assets.some((f) => f.endsWith(".wasm")), `vite build emitted the package's wasm: ${assets}`);

    let app;
    [app, allowed] = await serve(5173);
    apps.push(app);
    [app, refused] = await serve(4173);
    apps.push(app);

    const port = await freePort(Number(process.env.VITE_API_PORT ?? 8784));
    base = `http://127.0.0.1:${port}`;
    await serveApi(port, { vars: { JWT_ISSUER: base, CORS_ALLOWED_ORIGINS: allowed } });
    page = await flow.launch(base);
    page.on("console", (msg) => msg.type() === "error" && consoleErrors.push(msg.text()));
  },
  async () => {
    await Promise.all(apps.map((app) => app.close()));
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  },
);

/** What the page fetched, by URL: [{ url, method, status, requestHeaders, headers, body }]. */
function recordResponses() {
  const seen = [];
  const pending = [];
  const onResponse = (response) => {
    pending.push(
      (async () => {
        const request = response.request();
        const entry = {
          url: new URL(response.url()),
          method: request.method(),
          status: response.status(),
          requestHeaders: await request.allHeaders(),
          headers: await response.allHeaders(),
        };
        if (entry.url.pathname.startsWith(`${API}/`) && request.method() === "POST") {
          entry.body = await response.json().catch(() => null);
        }
        seen.push(entry);
      })(),
    );
  };
  page.on("response", onResponse);
  return async () => {
    page.off("response", onResponse);
    await Promise.all(pending);
    return seen;
  };
}

/** Opens the app at `origin` against the Worker; resolves when it has finished or failed. */
async function openApp(origin) {
  await page.goto(`${origin}/?api=${encodeURIComponent(base)}`);
  await page.waitForSelector('body[data-state="done"], body[data-state="failed"]', { state: "attached" });
  return page.locator("body").getAttribute("data-state");
}

const text = async (id) => (await page.locator(testid(id)).textContent()).trim();

step("the Vite app on its own origin signs up, lists its key and verifies its token", async () => {
  const responses = recordResponses();
  const state = await openApp(allowed);
  const seen = await responses();
  if (state !== "done") assert.fail(`the app failed: ${await text("error")}`);

  // Cross-origin for real: the page's origin is not the API's, every API call said so, and
  // the Worker allowed it by name (never `*`).
  assert.equal(await text("origin"), allowed);
  assert.equal(await text("api"), base);
  assert.notEqual(new URL(allowed).origin, new URL(base).origin);
  const calls = seen.filter((r) => r.url.origin === base && r.url.pathname.startsWith(`${API}/`));
  assert.deepEqual(
    calls.map((r) => `${r.method} ${r.url.pathname.slice(API.length)} ${r.status}`),
    ["POST /register 201", "POST /login 200", "POST /api-keys 201", "GET /api-keys 200"],
  );
  for (const call of calls) {
    assert.equal(call.requestHeaders.origin, allowed, `${call.method} ${call.url.pathname}: Origin`);
    assert.equal(call.headers["access-control-allow-origin"], allowed, `${call.method} ${call.url.pathname}`);
  }

  // The wasm came from the app's own origin, where Vite put it, as application/wasm.
  const wasm = seen.filter((r) => r.url.pathname.endsWith(".wasm"));
  assert.equal(wasm.length, 1, `one wasm fetched: ${wasm.map((r) => r.url)}`);
  assert.equal(wasm[0].url.origin, allowed);
  assert.equal(wasm[0].status, 200);
  assert.equal(wasm[0].headers["content-type"], "application/wasm");

  // Signed in as the user the API created.
  const [register, , created] = calls.map((r) => r.body);
  assert.equal(register.email, await text("email"));
  assert.equal(await text("logged-in"), "true");

  // The key list holds the key just created, by id and prefix; its secret is nowhere in the page.
  assert.equal(await text("created-key"), created.prefix);
  const listed = await page.locator(`${testid("keys")} li`).evaluateAll((lis) =>
    lis.map((li) => [li.dataset.keyId, li.textContent]),
  );
  assert.equal(listed.length, 1, JSON.stringify(listed));
  assert.equal(listed[0][0], created.id);
  assert.ok(listed[0][1].includes(created.prefix), listed[0][1]);
  assert.match(created.key, /^sk-/);
  assert.ok(!(await page.content()).includes(created.key), "the key's secret is shown in the page");

  // The access token, verified offline against the Worker's JWKS: this user, this issuer.
  assert.equal(await text("sub"), register.id);
  assert.equal(await text("iss"), base);
  assert.equal(await text("aud"), wranglerVar("JWT_AUDIENCE"));
});

step("the same app on an origin the Worker does not allow is refused by the browser", async (t) => {
  refusalExpected = true;
  consoleErrors.length = 0;
  try {
    const responses = recordResponses();
    const state = await openApp(refused);
    const seen = await responses();

    assert.equal(await text("origin"), refused);
    assert.notEqual(refused, allowed);
    assert.equal(state, "failed", "the app should not get past sign-up");
    t.diagnostic(`the page says: ${await text("error")}`);
    const error = page.locator(testid("error"));
    assert.equal(await error.getAttribute("data-name"), "AuthApiError", await text("error"));
    assert.equal(await error.getAttribute("data-status"), "0", await text("error"));
    // The error says what to check, as far as a page can know (the browser hides the cause).
    assert.match(await text("error"), /CORS_ALLOWED_ORIGINS/);
    // The browser refused it for CORS: the Worker answered the preflight without allowing this
    // origin (a Worker that was down would give a connection error instead)...
    const refusal = `${base}${API}/register' from origin '${refused}' has been blocked by CORS policy`;
    assert.ok(
      consoleErrors.some((e) => e.includes(refusal) && e.includes("No 'Access-Control-Allow-Origin' header")),
      `no CORS refusal reported: ${JSON.stringify(consoleErrors)}`,
    );
    // ...and no API response reached the page, nothing was signed up.
    const calls = seen.filter((r) => r.url.origin === base && r.url.pathname.startsWith(`${API}/`));
    assert.deepEqual(calls.map((r) => `${r.method} ${r.url.pathname}`), []);
    assert.equal(await text("logged-in"), "");
  } finally {
    await new Promise((resolve) => setTimeout(resolve, 200)); // late console messages
    refusalExpected = false;
  }
});
