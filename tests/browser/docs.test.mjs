// The API reference in a real browser: /docs/ is Swagger UI (swagger-ui-dist from npm, served
// as the Worker's static assets, no CDN) rendering the API's own /openapi.json, with schemas
// and "Try it out" against the same origin. A screenshot is saved to test-results/docs.png.
//
//   node --test tests/browser/docs.test.mjs

import assert from "node:assert/strict";
import { API, BrowserFlow, freePort, setUp } from "./lib.mjs";

let base = process.env.DEMO_BASE_URL?.replace(/\/$/, "");
let page;
const flow = new BrowserFlow({ name: "docs" });
const { step, shot } = flow;

setUp(flow, async (serve) => {
  if (!base) {
    const port = await freePort(Number(process.env.DOCS_PORT ?? 8794));
    base = `http://127.0.0.1:${port}`;
    await serve(port);
  }
  page = await flow.launch(base);
});

step("the API's docs route leads to the reference, under its own strict policy", async () => {
  const response = await page.goto(`${base}${API}/docs`);
  assert.equal(new URL(page.url()).pathname, "/docs/");
  assert.equal(response.status(), 200);
  const csp = response.headers()["content-security-policy"] ?? "";
  // Its own policy replaces the demo's: scripts from this origin only, never inline ones.
  assert.match(csp, /script-src 'self';/);
  assert.ok(!csp.includes("wasm-unsafe-eval"), csp);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(await page.title(), "edge-auth API");
});

step("every operation and the schemas are rendered from /openapi.json", async (t) => {
  await page.waitForSelector(".opblock", { timeout: 30_000 });
  const operations = await page.locator(".opblock").count();
  assert.ok(operations >= 18, `${operations} operations rendered`);
  const body = await page.locator("#api-reference").innerText();
  for (const expected of ["/api/v1/auth/register", "/api/v1/auth/api-keys/{key_id}", "Schemas"]) {
    assert.ok(body.includes(expected), `the reference shows ${expected}`);
  }
  await shot(t, "docs");
});

step("Try it out calls the API on the same origin", async () => {
  const jwks = page.locator(".opblock", { hasText: "/.well-known/jwks.json" }).first();
  await jwks.locator(".opblock-summary").click();
  await jwks.locator("button.try-out__btn").click();
  await jwks.locator("button.execute").click();
  const status = jwks.locator(".live-responses-table tr.response .response-col_status").first();
  await status.waitFor({ timeout: 15_000 });
  assert.equal((await status.innerText()).trim(), "200");
  const shown = await jwks.locator(".request-url").innerText();
  const url = shown.match(/https?:\/\/\S+/)?.[0];
  assert.ok(url, `a request URL is shown: ${shown}`);
  assert.equal(new URL(url).origin, base);
});
