#!/usr/bin/env node
// argon2id in the Worker (wasm in workerd) against the same parameters natively:
//   node bench/argon2.mjs URL PGID NATIVE_MS
// URL and PGID are one `wrangler dev` instance of our Worker and its process group
// (bench/worker.sh passes the edge instance); NATIVE_MS is the median of
// `cargo run --release --example argon2_native` (examples/argon2_native.rs, thread CPU time).
//
// Method. The wasm figure is the workerd CPU time (bench/cpu.mjs: both workerd processes of the
// group, as bench/auth-cost.mjs measures) of one successful POST /login minus that of the floor,
// GET /.well-known/jwks.json. A login is one argon2id verify at wrangler.toml's parameters plus a
// throttle check, a session write and a JWT signature; argon2id dominates it (tens of ms against
// well under 1 ms for the rest, see auth-cost's JWT and sk- figures), so the figure is argon2 in
// wasm plus that small remainder: a slight overestimate, never an underestimate. Successful
// logins only (a wrong password also runs argon2 but is throttled after 10), of USERS users in
// turn (default 2). ROUNDS rounds (default 5), each a batch of FLOOR floor requests (default 40)
// and LOGINS logins (default 8), one at a time, the order alternating; per round, login CPU per
// request minus floor CPU per request is one sample; the figure is the median over rounds.
// Ratio = wasm / native. Any non-200 reply or non-positive figure exits non-zero without the
// JSON line. The last line is one JSON object.
//
// wasm SIMD was tried and not kept: the Worker built with RUSTFLAGS="-C target-feature=+simd128"
// (3180 SIMD instructions in the .wasm, 1% smaller) measured 68.4 ms against 69.6 ms without,
// medians of 7 interleaved runs on a loaded machine, within the noise, for a second target
// folder costing ~3 min of CPU (~6 min wall on 2 shared cores) per cold build. The release
// profile's opt-level "z" turns LLVM's loop vectorizer off, and argon2 0.5 has no wasm SIMD code.
import { cpuMethod, cpuNs, median, sum, workerdPids } from "./cpu.mjs";

const ROUNDS = Number(process.env.ROUNDS || 5);
const LOGINS = Number(process.env.LOGINS || 8);
const FLOOR = Number(process.env.FLOOR || 40);
const USERS = Number(process.env.USERS || 2);
const API = "/api/v1/auth";

function fail(msg) {
  console.error(`argon2: ${msg}`);
  process.exit(1);
}

const [base, pgidArg, nativeArg] = process.argv.slice(2);
const pgid = Number(pgidArg);
const nativeMs = Number(nativeArg);
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(base ?? "") || !(pgid > 0) || !(nativeMs > 0)) {
  fail("usage: node bench/argon2.mjs http://127.0.0.1:PORT PGID NATIVE_MS");
}

async function call(path, { method = "GET", body } = {}) {
  const headers = body ? { "content-type": "application/json" } : {};
  const r = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) }).catch((e) => {
    throw new Error(`${method} ${base}${path}: ${e.cause?.message ?? e.message}`);
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${base}${path}: HTTP ${r.status} ${text.slice(0, 200)}`);
  return text;
}

const r1 = (x) => Math.round(x * 10) / 10;

try {
  const password = "correct horse battery staple 9";
  const users = [];
  for (let i = 0; i < USERS; i++) {
    const email = `argon2-${Date.now()}-${i}-${Math.random().toString(36).slice(2)}@example.com`;
    await call(`${API}/register`, { method: "POST", body: { email, password } });
    users.push({ email, password });
  }
  const workerd = workerdPids(pgid, base);
  const cpu = () => sum(workerd.map(cpuNs));
  let next = 0;
  const cases = {
    floor: { n: FLOOR, run: () => call("/.well-known/jwks.json"), cpu: [] },
    login: {
      n: LOGINS,
      run: () => call(`${API}/login`, { method: "POST", body: users[next++ % users.length] }),
      cpu: [],
    },
  };
  for (const c of Object.values(cases)) for (let i = 0; i < 3; i++) await c.run(); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? ["login", "floor"] : ["floor", "login"];
    for (const name of order) {
      const c = cases[name];
      const before = cpu();
      for (let i = 0; i < c.n; i++) await c.run();
      c.cpu.push((cpu() - before) / 1e6 / c.n); // ms per request
    }
  }
  const samples = cases.login.cpu.map((x, i) => x - cases.floor.cpu[i]);
  const wasmMs = median(samples);
  if (!(wasmMs > 0)) throw new Error(`non-positive argon2 figure ${wasmMs} ms`);
  console.log(
    `==> argon2id in wasm: workerd CPU (${cpuMethod()}) of POST /login minus GET /.well-known/jwks.json, ` +
      `${ROUNDS} rounds of ${LOGINS} logins (${USERS} users) and ${FLOOR} floor requests`,
  );
  console.log(
    `login ${r1(median(cases.login.cpu))} ms, floor ${r1(median(cases.floor.cpu))} ms CPU per request; ` +
      `argon2 (login - floor) ${r1(wasmMs)} ms (range ${r1(Math.min(...samples))}-${r1(Math.max(...samples))})`,
  );
  const ratio = Math.round((wasmMs / nativeMs) * 100) / 100;
  console.log(`argon2id wasm / native: ${r1(wasmMs)} / ${nativeMs} ms = ${ratio}`);
  console.log(JSON.stringify({ argon2_wasm_ms: r1(wasmMs), argon2_native_ms: nativeMs, argon2_wasm_vs_native: ratio }));
} catch (e) {
  fail(e.message);
}
