// Serves the Worker for Node test suites as tests/lib/wrangler.sh does for shell ones:
// `wrangler dev` (real workerd; wrangler runs the build command, `sh scripts/build.sh`, which
// skips when nothing changed) on a loopback port with local KV in a temporary folder, in its
// own process group so that stopping it stops workerd too, with extra vars given as
// `--var NAME:value` flags. Not a test file; used by tests/interop and tests/oidc.
import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const API = "/api/v1/auth";

function isFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** The first free port of `candidates` (the provider only knows redirect URIs on 8787..8799). */
export async function freePortOf(candidates) {
  for (const port of candidates) if (await isFree(port)) return port;
  throw new Error(`no free port among ${candidates.join(", ")}`);
}

/**
 * A var as `wrangler dev` sees it: from .dev.vars (local settings, which win) or wrangler.toml's
 * `[vars]`, read (never written) so the tests follow the configuration.
 */
export function wranglerVar(name) {
  const line = new RegExp(`^${name}\\s*=\\s*"([^"]*)"`, "m");
  for (const file of [".dev.vars", "wrangler.toml"]) {
    const path = join(root, file);
    const m = existsSync(path) ? readFileSync(path, "utf8").match(line) : null;
    if (m) return m[1];
  }
  throw new Error(`neither .dev.vars nor wrangler.toml sets ${name}`);
}

/**
 * Starts `wrangler dev` with `vars(base)` as --var flags and waits (up to `timeoutSecs`) until
 * it serves its JWKS. Resolves to { base, stop(), log() }. With `external` (a base URL), uses
 * that already running Worker instead.
 */
export async function startWorker({ port, vars = () => ({}), timeoutSecs = 300, external }) {
  if (external) {
    return { base: external.replace(/\/$/, ""), stop: async () => {}, log: () => "" };
  }
  if (!existsSync(join(root, ".dev.vars"))) {
    const devVars = execFileSync("sh", ["scripts/dev-vars.sh"], { cwd: root, encoding: "utf8" });
    writeFileSync(join(root, ".dev.vars"), devVars, { mode: 0o600, flag: "wx" });
  }
  const base = `http://127.0.0.1:${port}`;
  const state = mkdtempSync(join(tmpdir(), "edge-auth-worker-"));
  const logPath = join(state, "wrangler.log");
  const logFd = openSync(logPath, "a");
  const env = {
    ...process.env,
    PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}`,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_HIDE_BANNER: "true",
  };
  const varFlags = Object.entries(vars(base)).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const child = spawn(
    "wrangler",
    [
      "dev", "--local", "--ip", "127.0.0.1", "--port", String(port),
      "--persist-to", join(state, "kv"), "--show-interactive-dev-session=false",
      ...varFlags,
    ],
    { cwd: root, env, detached: true, stdio: ["ignore", logFd, logFd] },
  );
  closeSync(logFd);
  let exited = null;
  const exitedPromise = new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once("error", (err) => {
      exited = { error: err.message };
      resolve();
    });
  });
  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  // Should the test process die without running `after`, take wrangler down with it.
  const onExit = () => killGroup("SIGKILL");
  process.once("exit", onExit);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    killGroup("SIGTERM");
    await Promise.race([exitedPromise, sleep(3000)]);
    await sleep(300);
    killGroup("SIGKILL");
    process.removeListener("exit", onExit);
    rmSync(state, { recursive: true, force: true });
  };
  const log = () => {
    try {
      return readFileSync(logPath, "utf8");
    } catch {
      return "";
    }
  };

  const deadline = Date.now() + timeoutSecs * 1000;
  while (Date.now() < deadline && !exited) {
    try {
      const r = await fetch(`${base}/.well-known/jwks.json`, { signal: AbortSignal.timeout(5000) });
      if (r.ok) return { base, stop, log };
    } catch {
      // Not listening yet.
    }
    await sleep(1000);
  }
  const why = exited ? `wrangler exited (${JSON.stringify(exited)})` : `no JWKS after ${timeoutSecs} s`;
  const output = log();
  await stop();
  throw new Error(`${why}; wrangler log:\n${output.slice(-8000)}`);
}

/** One JSON request to the API; resolves to { status, body, headers }. */
export async function call(base, method, path, { token, json } = {}) {
  const headers = {};
  if (json !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${base}${path}`, {
    method,
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await r.text();
  let body = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: keep the text.
  }
  return { status: r.status, body, headers: r.headers };
}
