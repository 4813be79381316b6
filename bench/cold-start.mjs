#!/usr/bin/env node
// Cold start: our Worker against the JavaScript baseline, each started afresh by `wrangler dev`:
//   node bench/cold-start.mjs OURS_DIR BASELINE_DIR
// (the folders holding each wrangler.toml; bench/worker.sh passes . and the baseline's copy).
//
// Method. ROUNDS rounds (default 5); in each, three Workers are started one after another
// (the order rotating), each with `wrangler dev --local` in its own process group on a free
// loopback port with empty local storage: ours, the baseline, and a null Worker (a one-line
// fetch handler, made here) that shows what workerd itself costs. Once wrangler prints "Ready on",
// one GET /.well-known/jwks.json is sent (the floor request of bench/auth-cost.mjs; the null
// Worker answers any path) and must be a 200; then the instance is stopped. The cost of a
// start is the CPU time of the group's workerd processes (bench/cpu.mjs) from spawn until that
// first reply has arrived: loading the configuration, compiling and instantiating the script
// (and our wasm), and serving the first request. A Worker's cold start = that minus the null
// Worker's in the same round, which leaves what the script itself costs (on Cloudflare the
// runtime is already running); the figure is the median over rounds, and
// cold_start_ratio = ours / baseline. The wall time from "Ready on" to the first reply is
// printed for information (it waits for shared cores). Any failure, or a non-positive cold
// start, exits non-zero without the JSON line. The last line is one JSON object.
//
// Ours starts as bench/script-only.mjs makes it: without the demo site's [assets], whose
// Workers wrangler dev would start too (measured with them: 68 ms above the null Worker;
// without them: 37 to 44 ms).
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { cpuMethod, cpuNs, groupPids, median, sum } from "./cpu.mjs";
import { scriptOnly } from "./script-only.mjs";

const ROUNDS = Number(process.env.ROUNDS || 5);
const [oursDir, baselineDir] = process.argv.slice(2);
if (!oursDir || !baselineDir) fail("usage: node bench/cold-start.mjs OURS_DIR BASELINE_DIR");

function fail(msg) {
  console.error(`cold-start: ${msg}`);
  process.exit(1);
}

const temp = fs.mkdtempSync(path.join(os.tmpdir(), "cold-start-"));
const nullDir = path.join(temp, "null");
fs.mkdirSync(nullDir);
fs.writeFileSync(
  path.join(nullDir, "wrangler.toml"),
  'name = "null-worker"\nmain = "index.js"\ncompatibility_date = "2025-09-01"\n',
);
fs.writeFileSync(
  path.join(nullDir, "index.js"),
  'export default { fetch: () => Response.json({ keys: [] }) };\n',
);

let live = null; // the process group running now, stopped on any exit
process.on("exit", () => {
  if (live) {
    try {
      process.kill(-live, "SIGKILL");
    } catch {} // already gone
  }
  fs.rmSync(temp, { recursive: true, force: true });
});

const workerdCpu = (pgid) =>
  sum(groupPids(pgid).filter((p) => p.comm === "workerd").map((p) => cpuNs(p.pid)));

// A loopback port free now, so that no start waits on, or collides with, an earlier one still
// letting go of its port (or anything else on the machine).
const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

async function coldStart(name, dir, round) {
  const state = path.join(temp, `${name}-${round}`);
  const PORT = await freePort();
  const t0 = performance.now();
  const child = spawn(
    "wrangler",
    ["dev", "--local", "--ip", "127.0.0.1", "--port", String(PORT), "--persist-to", path.join(state, "kv"),
      "--show-interactive-dev-session=false"],
    { cwd: dir, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  live = child.pid;
  let log = "";
  const exited = new Promise((resolve) => child.on("exit", resolve));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no "Ready on" within 120 s\n${log}`)), 120_000);
    const onData = (d) => {
      log += d;
      if (/Ready on/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`${name}: wrangler exited (${code}) before ready\n${log}`)));
  });
  const tReady = performance.now();
  const url = `http://127.0.0.1:${PORT}/.well-known/jwks.json`;
  const r = await fetch(url).catch((e) => {
    throw new Error(`${name}: GET ${url}: ${e.cause?.message ?? e.message}`);
  });
  const body = await r.text();
  const tReply = performance.now();
  const cpuMs = workerdCpu(child.pid) / 1e6;
  if (r.status !== 200) throw new Error(`${name}: GET ${url}: HTTP ${r.status} ${body.slice(0, 200)}\n${log}`);
  if (!(cpuMs > 0)) throw new Error(`${name}: no workerd CPU time in process group ${child.pid}`);
  process.kill(-child.pid, "SIGTERM");
  const stopped = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve("timeout"), 5000))]);
  try {
    process.kill(-child.pid, "SIGKILL"); // workerd children, or a wrangler that ignored SIGTERM
  } catch {} // all gone
  if (stopped === "timeout") await exited;
  live = null;
  return { cpuMs, readyMs: tReady - t0, firstMs: tReply - tReady };
}

let oursScript;
try {
  oursScript = scriptOnly(oursDir, path.join(temp, "ours"));
} catch (e) {
  fail(e.message);
}
const kinds = { ours: oursScript, baseline: baselineDir, null: nullDir };
const runs = { ours: [], baseline: [], null: [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    const names = Object.keys(kinds);
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length];
      runs[name].push(await coldStart(name, kinds[name], round));
    }
    process.stderr.write(`cold-start: round ${round + 1}/${ROUNDS} done\n`);
  }
} catch (e) {
  fail(e.message);
}

const r1 = (x) => Math.round(x * 10) / 10;
const above = (name) => runs[name].map((x, i) => x.cpuMs - runs.null[i].cpuMs);
const figures = {};
const rows = [];
for (const name of ["ours", "baseline", "null"]) {
  const cpu = runs[name].map((x) => x.cpuMs);
  rows.push({
    worker: name,
    "workerd CPU ms, spawn to first reply (median)": r1(median(cpu)),
    range: `${r1(Math.min(...cpu))}-${r1(Math.max(...cpu))}`,
    "cold start CPU ms (above null)": name === "null" ? "" : r1(median(above(name))),
    "wall ms, ready to first reply": r1(median(runs[name].map((x) => x.firstMs))),
    "wall ms, spawn to ready": r1(median(runs[name].map((x) => x.readyMs))),
  });
}
const ours = median(above("ours"));
const base = median(above("baseline"));
console.log(
  `==> cold start: workerd CPU (${cpuMethod()}) from spawning wrangler dev to the first GET /.well-known/jwks.json ` +
    `reply, minus a null Worker's; ${ROUNDS} rounds, medians`,
);
console.table(rows);
if (!(ours > 0) || !(base > 0)) fail(`non-positive cold start (ours ${r1(ours)} ms, baseline ${r1(base)} ms): too noisy`);
figures.cold_start_ms = r1(ours);
figures.cold_start_baseline_ms = r1(base);
figures.cold_start_ratio = Math.round((ours / base) * 100) / 100;
console.log(`ours / baseline cold start: ${figures.cold_start_ms} / ${figures.cold_start_baseline_ms} ms = ${figures.cold_start_ratio}`);
console.log(JSON.stringify(figures));
