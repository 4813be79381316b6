// Shared by the browser tests (not a test file): `wrangler dev` in its own process group,
// Debian's Chromium driven by playwright-core, and the step-by-step runner that fails a step
// on any console error or uncaught exception of the page.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

import { freePortOf, startWorker } from "../lib/worker.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const RESULTS = path.join(ROOT, "test-results");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const STARTUP_TIMEOUT_MS = 1000 * Number(process.env.DEMO_STARTUP_TIMEOUT_SECS ?? 300);
export const API = "/api/v1/auth";
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const testid = (id) => `[data-testid="${id}"]`;

/** Resolves to `promise`'s value, or rejects after `ms` saying what took too long. */
export function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------
// Ports and wrangler

function listensFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(null));
    srv.listen(port, "127.0.0.1", () => {
      const { port: chosen } = srv.address();
      srv.close(() => resolve(chosen));
    });
  });
}

/** `preferred` if it is free, else any free loopback port. */
export async function freePort(preferred) {
  return (await listensFree(preferred)) ?? (await listensFree(0));
}

export { freePortOf };

/**
 * Starts `wrangler dev` on 127.0.0.1:`port` with `vars` as `--var NAME:value` flags, through
 * the helper every Node suite uses (tests/lib/worker.mjs). Resolves to { base, stop(), log() }.
 */
export async function startWrangler(port, { vars = {} } = {}) {
  console.error(`waiting for wrangler dev on http://127.0.0.1:${port} (it builds first if needed)`);
  const server = await startWorker({ port, vars: () => vars, timeoutSecs: STARTUP_TIMEOUT_MS / 1000 });
  // wrangler is in its own process group, so Ctrl-C does not reach it: take it down with us.
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, async () => {
      await server.stop();
      process.exit(130);
    });
  }
  return server;
}

export async function stopWrangler(server) {
  await server.stop();
}

/**
 * A browser suite's before and after hooks, the same for every suite. Before: `start(serve)`
 * starts what the suite needs; `serve(port, options)` is `startWrangler`, with the server
 * remembered for the teardown even if a later part of `start` fails, which marks the flow
 * broken. After: the browser and the server stop (wrangler's log printed if a step failed),
 * then `cleanUp()`, the suite's own extras, if given.
 */
export function setUp(flow, start, cleanUp) {
  let server;
  const serve = async (port, options) => (server = await startWrangler(port, options));
  before(async () => {
    try {
      await start(serve);
    } catch (err) {
      flow.broken = true; // the teardown prints wrangler's log
      throw err;
    }
  }, { timeout: STARTUP_TIMEOUT_MS + 60_000 });
  after(async () => {
    await tearDown(flow, server);
    if (cleanUp) await cleanUp();
  });
}

/**
 * A suite's teardown: closes the browser, then stops `server` if the suite started one,
 * printing the end of its log when a step failed.
 */
export async function tearDown(flow, server) {
  await flow.close();
  if (server) {
    if (flow.broken) printLogTail(server.log());
    await stopWrangler(server);
  }
}

/** The end of a wrangler log, for a failed run. */
export function printLogTail(log) {
  const lines = log.split("\n");
  console.error(`--- wrangler log (last 60 lines) ---\n${lines.slice(-60).join("\n")}`);
}

// ---------------------------------------------------------------------------------------
// The browser and the steps

/**
 * One headless Chromium (a fresh profile in a temporary folder) and the steps run in it.
 * `name` prefixes the failure screenshots; `allowConsoleError(text, url, allowedHttp)` may
 * let through more console errors than the default (an HTTP status the current step allows,
 * from the Worker's API).
 */
export class BrowserFlow {
  broken = false;
  base;
  context;
  page;
  screenshots = [];
  #name;
  #allowConsoleError;
  #userDataDir;
  #problems = [];
  #checked = 0;
  #allowedHttp = [];

  constructor({ name, allowConsoleError = () => false }) {
    this.#name = name;
    this.#allowConsoleError = allowConsoleError;
    for (const m of ["step", "shot", "settled", "waitForState", "text", "assertNoError", "problem", "takeProblems"]) {
      this[m] = this[m].bind(this);
    }
  }

  /** Starts Chromium; the page's problems are recorded from now on. */
  async launch(base) {
    this.base = base;
    mkdirSync(RESULTS, { recursive: true });
    this.#userDataDir = mkdtempSync(path.join(tmpdir(), "edge-auth-chromium-"));
    this.context = await chromium.launchPersistentContext(this.#userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1280, height: 900 },
      permissions: ["clipboard-read", "clipboard-write"],
      timeout: 60_000,
    });
    this.context.setDefaultTimeout(15_000);
    this.context.setDefaultNavigationTimeout(15_000);
    const page = this.context.pages()[0] ?? (await this.context.newPage());
    this.page = page;

    page.on("pageerror", (err) => this.problem(`uncaught exception: ${err.stack ?? err}`));
    page.on("console", (msg) => {
      if (msg.type() !== "error") return;
      const { url } = msg.location();
      // Chromium logs every 4xx/5xx fetch as a console error. A step that provokes one on
      // purpose (a wrong password, a bad form) names the status it expects; nothing else passes.
      const http = /^Failed to load resource: the server responded with a status of (\d+)/.exec(msg.text());
      if (http && url.startsWith(`${this.base}${API}/`) && this.#allowedHttp.includes(Number(http[1]))) {
        return;
      }
      if (this.#allowConsoleError(msg.text(), url, this.#allowedHttp)) return;
      this.problem(`console error: ${msg.text()}${url ? ` (${url})` : ""}`);
    });
    return page;
  }

  /** Records something that fails the current step. */
  problem(text) {
    this.#problems.push(text);
  }

  /**
   * The problems recorded since the last call (a step calls it when it ends; a flow that
   * runs no steps of its own, such as a second browser within another flow's step, too).
   */
  takeProblems() {
    const problems = this.#problems.slice(this.#checked);
    this.#checked = this.#problems.length;
    return problems;
  }

  async close() {
    if (this.context) {
      await within(15_000, "closing Chromium", this.context.close()).catch((err) => console.error(String(err)));
    }
    if (this.#userDataDir) rmSync(this.#userDataDir, { recursive: true, force: true });
    if (this.screenshots.length) {
      console.log(`screenshots:\n${this.screenshots.map((s) => `  ${s}`).join("\n")}`);
    }
  }

  /**
   * One step of the flow. Steps run in order; after a failure the rest are skipped. A step
   * fails on any page console error or uncaught exception, except the HTTP error statuses
   * it provokes on purpose (`allowHttp`).
   */
  step(name, fn, { allowHttp = [] } = {}) {
    test(name, { timeout: 60_000 }, async (t) => {
      if (this.broken) {
        t.skip("an earlier step failed");
        return;
      }
      this.#allowedHttp = allowHttp;
      try {
        await fn(t);
        await sleep(50); // let late console messages arrive
        assert.deepEqual(this.takeProblems(), [], "the page reported errors");
      } catch (err) {
        this.broken = true;
        const slug = name.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
        await this.shot(t, `${this.#name}-failure-${slug}`).catch(() => {});
        throw err;
      } finally {
        this.#allowedHttp = [];
      }
    });
  }

  async shot(t, name) {
    const file = path.join(RESULTS, `${name}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    this.screenshots.push(file);
    t.diagnostic(`screenshot: ${file}`);
    return file;
  }

  /** Waits until no action of the page is in flight (app.js marks body[data-busy]). */
  async settled() {
    await this.page.waitForSelector("body:not([data-busy])", { state: "attached" });
  }

  async waitForState(state) {
    await this.page.waitForSelector(`body[data-state="${state}"]:not([data-busy])`, { state: "attached" });
  }

  async text(selector) {
    return (await this.page.locator(selector).textContent())?.trim() ?? "";
  }

  async assertNoError() {
    if (await this.page.locator("#error").isVisible()) {
      assert.fail(`unexpected error shown: ${await this.text("#error-title")}: ${await this.text("#error-message")}`);
    }
  }
}
