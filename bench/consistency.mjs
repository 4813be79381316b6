#!/usr/bin/env node
// What strict consistency costs: the same Worker served twice by `wrangler dev` (real workerd,
// local KV, local Durable Objects), once with CONSISTENCY=strict and once with
// CONSISTENCY=edge, measured in one run: `node bench/consistency.mjs STRICT_URL EDGE_URL`
// (bench/worker.sh starts both).
//
// Two operations, each one request at a time (latency, not throughput):
// - a protected request, GET /me with our JWT: edge reads the session from KV; strict also
//   asks the session's Durable Object whether it was revoked (both at once);
// - a refresh, POST /refresh: edge rotates by KV alone; strict offers the successor to the
//   session's object, which decides it once.
// Rounds alternate strict and edge (ROUNDS, default 5; PROTECTED and REFRESHES requests per
// round) so that a noisy machine weighs on both alike. Prints the median and p99 of each, and
// strict/edge ratios; the last line is one JSON object.
const [strictBase, edgeBase] = process.argv.slice(2);
if (!strictBase || !edgeBase) {
  console.error("usage: node bench/consistency.mjs STRICT_URL EDGE_URL");
  process.exit(2);
}
const ROUNDS = Number(process.env.ROUNDS || 5);
const PROTECTED = Number(process.env.PROTECTED || 100);
const REFRESHES = Number(process.env.REFRESHES || 30);
const API = "/api/v1/auth";

async function json(base, path, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(base + API + path, { method: "POST", headers, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  return r.status === 204 ? null : r.json();
}

async function signIn(base) {
  const email = `bench-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const password = "correct horse battery";
  await json(base, "/register", { email, password });
  return json(base, "/login", { email, password });
}

async function timed(call) {
  const start = performance.now();
  await call();
  return performance.now() - start;
}

const modes = { strict: { base: strictBase }, edge: { base: edgeBase } };
for (const mode of Object.values(modes)) {
  mode.tokens = await signIn(mode.base);
  mode.protected = [];
  mode.refresh = [];
}

const me = async (mode) => {
  const r = await fetch(mode.base + API + "/me", {
    headers: { authorization: `Bearer ${mode.tokens.access_token}` },
  });
  if (r.status !== 200) throw new Error(`/me: HTTP ${r.status}`);
  await r.arrayBuffer();
};
const refresh = async (mode) => {
  mode.tokens = await json(mode.base, "/refresh", { refresh_token: mode.tokens.refresh_token });
};

// Warm-up: both instances compiled and their objects created.
for (const mode of Object.values(modes)) {
  for (let i = 0; i < 10; i++) await me(mode);
  await refresh(mode);
}
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? ["edge", "strict"] : ["strict", "edge"];
  for (const name of order) {
    const mode = modes[name];
    for (let i = 0; i < PROTECTED; i++) mode.protected.push(await timed(() => me(mode)));
    for (let i = 0; i < REFRESHES; i++) mode.refresh.push(await timed(() => refresh(mode)));
  }
}

const quantile = (xs, q) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
};
const round2 = (x) => Math.round(x * 100) / 100;
const figures = {};
for (const op of ["protected", "refresh"]) {
  for (const q of [["median", 0.5], ["p99", 0.99]]) {
    const strict = quantile(modes.strict[op], q[1]);
    const edge = quantile(modes.edge[op], q[1]);
    figures[`${op}_${q[0]}_strict_ms`] = round2(strict);
    figures[`${op}_${q[0]}_edge_ms`] = round2(edge);
    figures[`${op}_${q[0]}_strict_over_edge`] = round2(strict / edge);
    console.log(
      `${op === "protected" ? "GET /me (JWT)" : "POST /refresh"} ${q[0]}: strict ${strict.toFixed(2)} ms, edge ${edge.toFixed(2)} ms, strict/edge ${(strict / edge).toFixed(2)}`,
    );
  }
}
console.log(
  `(${modes.strict.protected.length} protected requests and ${modes.strict.refresh.length} refreshes per mode, ${ROUNDS} interleaved rounds)`,
);
console.log(JSON.stringify(figures));
