#!/usr/bin/env node
// The npm package, measured offline (no Worker needed): run `node bench/pkg.mjs` after
// scripts/build-pkg.sh has built pkg/web, pkg/node and pkg/verify.
//
// 1. Size, per entry point: gzip (zlib, level 9) of what a browser downloads,
//    edge_auth_bg.wasm + edge_auth.js + the JS it imports from snippets/ (each compressed on its
//    own, as served, then summed), of
//    the full package (pkg/web: `edge-auth`) and of the verify-only entry (pkg/verify:
//    `edge-auth/verify`); the Node build's size for information.
// 2. Speed: verifications per second, in this one Node process and on the same tokens
//    (signed by jose), of the verify entry's `JwtVerifier.verify` (key set parsed once), the
//    full package's `JwtVerifier.verify`,
//    `verifyJwt` (parses the key set on every call) and jose's `jwtVerify` with its keys
//    imported beforehand (createLocalJWKSet for EdDSA, selecting by kid as the package does;
//    an importJWK'd key, which is how jose takes an HS256 secret). Both sides check the same
//    things: signature, exp/nbf, iss, aud, typ, the algorithm allow-list. jose verifies with
//    WebCrypto, which is asynchronous, so its calls are awaited one after the other (the
//    ratio rows); a row with 64 calls in flight at once is given for information.
//    Each row: 0.25 s warm-up, then BENCH_MS (default 2800 ms) in total; the four compared
//    rows run interleaved in ROUNDS (default 7) slices and report their median slice: jose's
//    awaited calls vary by a third between runs on a shared 2-core machine, ours by a few per
//    cent, and 3 slices left the ratios at the mercy of that. The info rows run once for
//    BENCH_MS / 4. About 35 s in all.
//
// The last line printed is one JSON object: `pkg_verify_gzip_bytes`, `pkg_full_gzip_bytes`,
// and `eddsa_vs_jose` / `hs256_vs_jose`, the verify entry's JwtVerifier ops/s over jose's
// (sequential calls); `*_full_vs_jose` are the full package's.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import { SignJWT, base64url, createLocalJWKSet, exportJWK, generateKeyPair, importJWK, jwtVerify } from "jose";
import { loadPkg, loadVerify, root } from "../tests/interop/pkg.mjs";
import * as loader from "../tests/interop/pkg.mjs";

const MAIN_MS = Number(process.env.BENCH_MS || 2800);
const INFO_MS = Math.round(MAIN_MS / 4);
const WARMUP_MS = 250;
const POOL = 64; // distinct tokens, used round-robin
const ISS = "http://127.0.0.1:8787";
const AUD = "edge-auth";
const TYP = "at+jwt";

// ---- sizes -------------------------------------------------------------------------------

/** The crate's own JS modules in a build (snippets/: the error classes, ...), which it imports. */
function snippets(dir) {
  const base = `${root}pkg/${dir}`;
  if (!existsSync(`${base}/snippets`)) return [];
  return readdirSync(`${base}/snippets`, { recursive: true })
    .filter((file) => file.endsWith(".js"))
    .map((file) => `snippets/${file}`);
}

function size(dir, files) {
  files = [...files, ...snippets(dir)];
  const paths = files.map((f) => `${root}pkg/${dir}/${f}`);
  if (!paths.every(existsSync)) return null;
  const parts = paths.map((p) => {
    const bytes = readFileSync(p);
    return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  return {
    raw: parts.reduce((a, p) => a + p.raw, 0),
    gzip: parts.reduce((a, p) => a + p.gzip, 0),
    wasmRaw: parts[0].raw,
    wasmGzip: parts[0].gzip,
    jsGzip: parts.slice(1).reduce((a, p) => a + p.gzip, 0),
  };
}

const web = size("web", ["edge_auth_bg.wasm", "edge_auth.js"]);
const verifyOnly = size("verify", ["edge_auth_bg.wasm", "edge_auth.js"]);
const node = size("node", ["edge_auth_bg.wasm", "edge_auth.js"]);

// ---- tokens and verifiers ----------------------------------------------------------------

const pkg = await loadPkg();
const verifyPkg = await loadVerify();
const now = Math.floor(Date.now() / 1000);

const ed = await generateKeyPair("EdDSA", { crv: "Ed25519" });
const edJwks = { keys: [{ ...(await exportJWK(ed.publicKey)), kid: "bench-ed25519" }] };
const hsSecret = crypto.getRandomValues(new Uint8Array(32));
const hsJwks = { keys: [{ kty: "oct", k: base64url.encode(hsSecret), kid: "bench-hs256" }] };

async function tokens(alg, key, kid) {
  const out = [];
  for (let i = 0; i < POOL; i++) {
    out.push(
      await new SignJWT({ sub: `user-${i}`, sid: `session-${i}`, jti: `jti-${i}` })
        .setProtectedHeader({ alg, kid, typ: TYP })
        .setIssuer(ISS)
        .setAudience(AUD)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + 3600)
        .sign(key),
    );
  }
  return out;
}

const cases = [
  {
    name: "EdDSA",
    tokens: await tokens("EdDSA", ed.privateKey, edJwks.keys[0].kid),
    jwks: edJwks,
    joseKeys: {
      jose: createLocalJWKSet(edJwks),
      jose_cryptokey: await importJWK(edJwks.keys[0], "EdDSA"),
    },
  },
  {
    name: "HS256",
    tokens: await tokens("HS256", hsSecret, hsJwks.keys[0].kid),
    jwks: hsJwks,
    // jose's JWK Sets hold asymmetric keys only; an oct JWK goes through importJWK.
    joseKeys: { jose: await importJWK(hsJwks.keys[0], "HS256") },
  },
];

// ---- timing ------------------------------------------------------------------------------

/** ops/s of `fn(token)` over about `ms`; awaited when `async`, `inFlight` calls at a time. */
async function run({ fn, async = false, inFlight = 1 }, toks, ms) {
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    if (!async) {
      for (let i = 0; i < 64; i++, n++) fn(toks[n % POOL]);
    } else if (inFlight === 1) {
      for (let i = 0; i < 16; i++, n++) await fn(toks[n % POOL]);
    } else {
      const batch = [];
      for (let i = 0; i < inFlight; i++, n++) batch.push(fn(toks[n % POOL]));
      await Promise.all(batch);
    }
    elapsed = performance.now() - start;
  }
  return (n * 1000) / elapsed;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * The compared rows run in ROUNDS interleaved slices (A B C A B C ...) and each reports its
 * median slice, so a burst of load from another process does not land on one side only.
 */
const ROUNDS = Number(process.env.ROUNDS || 7);
async function compare(contenders, toks) {
  for (const c of contenders) await run(c, toks, WARMUP_MS);
  const samples = Object.fromEntries(contenders.map((c) => [c.key, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of contenders) samples[c.key].push(await run(c, toks, MAIN_MS / ROUNDS));
  }
  return Object.fromEntries(contenders.map((c) => [c.key, median(samples[c.key])]));
}

const results = {};
for (const c of cases) {
  const rules = { issuer: ISS, audience: AUD, typ: TYP, algorithms: [c.name] };
  const joseRules = { issuer: ISS, audience: AUD, typ: TYP, algorithms: [c.name] };
  const verifier = new pkg.JwtVerifier(c.jwks, rules);
  const verifyVerifier = new verifyPkg.JwtVerifier(c.jwks, rules);

  // Both sides must accept the tokens and refuse a forged one, or the numbers mean nothing.
  const [h, p, s] = c.tokens[0].split(".");
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
  const forged = `${h}.${base64url.encode(JSON.stringify({ ...claims, sub: "admin" }))}.${s}`;
  if (verifier.verify(c.tokens[0]).sub !== "user-0") throw new Error(`${c.name}: JwtVerifier`);
  if (verifyVerifier.verify(c.tokens[3]).sub !== "user-3") throw new Error(`${c.name}: verify entry`);
  if (pkg.verifyJwt(c.tokens[1], c.jwks, rules).sub !== "user-1") throw new Error(`${c.name}: verifyJwt`);
  for (const [name, v] of [["package", verifier], ["verify entry", verifyVerifier]]) {
    let refused = null;
    try {
      v.verify(forged);
    } catch (err) {
      refused = err.code;
    }
    if (refused !== "bad_signature") throw new Error(`${c.name}: the ${name} did not refuse a forged token (${refused})`);
  }
  for (const key of Object.values(c.joseKeys)) {
    if ((await jwtVerify(c.tokens[2], key, joseRules)).payload.sub !== "user-2") throw new Error(`${c.name}: jose`);
    if (await jwtVerify(forged, key, joseRules).then(() => true, () => false)) throw new Error(`${c.name}: jose accepted a forged token`);
  }

  const r = await compare(
    [
      { key: "verify_verifier", fn: (t) => verifyVerifier.verify(t) },
      { key: "pkg_verifier", fn: (t) => verifier.verify(t) },
      { key: "pkg_verifyJwt", fn: (t) => pkg.verifyJwt(t, c.jwks, rules) },
      { key: "jose", async: true, fn: (t) => jwtVerify(t, c.joseKeys.jose, joseRules) },
    ],
    c.tokens,
  );
  // For information, timed once each.
  if (c.joseKeys.jose_cryptokey) {
    const row = { async: true, fn: (t) => jwtVerify(t, c.joseKeys.jose_cryptokey, joseRules) };
    await run(row, c.tokens, WARMUP_MS);
    r.jose_cryptokey = await run(row, c.tokens, INFO_MS);
  }
  const concurrent = { async: true, inFlight: 64, fn: (t) => jwtVerify(t, c.joseKeys.jose, joseRules) };
  await run(concurrent, c.tokens, WARMUP_MS);
  r.jose_concurrent64 = await run(concurrent, c.tokens, INFO_MS);
  results[c.name] = r;
  verifier.free?.();
  verifyVerifier.free?.();
}

// ---- report ------------------------------------------------------------------------------

const kb = (n) => (n == null ? "n/a" : `${n} B (${(n / 1024).toFixed(1)} KiB)`);
const fmt = (n) => Math.round(n).toLocaleString("en-US").padStart(10);
const ratio = (a, b) => Math.round((a / b) * 100) / 100;

if (loader.loadProblem) {
  console.log(`NOTE: ${loader.loadProblem}; the package was evaluated as CommonJS by hand.`);
}
console.log(`edge-auth npm package (${process.version}, load average ${loadavg()[0].toFixed(2)})`);
console.log("");
console.log("size, gzip -9");
console.log(`  edge-auth/verify (pkg/verify wasm + js): ${kb(verifyOnly?.gzip)}; raw ${kb(verifyOnly?.raw)}`);
if (verifyOnly) console.log(`       wasm ${kb(verifyOnly.wasmGzip)} + js ${kb(verifyOnly.jsGzip)}`);
console.log(`  edge-auth, web (edge_auth_bg.wasm + edge_auth.js + snippets): ${kb(web?.gzip)}; raw ${kb(web?.raw)}`);
if (web) console.log(`       wasm ${kb(web.wasmGzip)} + js ${kb(web.jsGzip)}`);
console.log(`  node (edge_auth_bg.wasm + edge_auth.js + snippets): ${kb(node?.gzip)}; raw ${kb(node?.raw)}`);
console.log("");
console.log(`verifications per second (same tokens; iss, aud, typ, exp/nbf, allow-list checked)`);
const rows = [
  ["edge-auth/verify JwtVerifier.verify", "verify_verifier"],
  ["pkg JwtVerifier.verify (keys parsed once)", "pkg_verifier"],
  ["pkg verifyJwt (keys parsed per call)", "pkg_verifyJwt"],
  ["jose jwtVerify, awaited one by one", "jose"],
  ["jose jwtVerify, CryptoKey (info)", "jose_cryptokey"],
  ["jose jwtVerify, 64 in flight (info)", "jose_concurrent64"],
];
console.log(`  ${"".padEnd(44)}${"EdDSA".padStart(10)}${"HS256".padStart(10)}`);
for (const [label, key] of rows) {
  const cell = (alg) => (results[alg][key] == null ? "—".padStart(10) : fmt(results[alg][key]));
  console.log(`  ${label.padEnd(44)}${cell("EdDSA")}${cell("HS256")}`);
}
const summary = {
  pkg_verify_gzip_bytes: verifyOnly?.gzip ?? null,
  pkg_full_gzip_bytes: web?.gzip ?? null,
  eddsa_vs_jose: ratio(results.EdDSA.verify_verifier, results.EdDSA.jose),
  hs256_vs_jose: ratio(results.HS256.verify_verifier, results.HS256.jose),
  eddsa_full_vs_jose: ratio(results.EdDSA.pkg_verifier, results.EdDSA.jose),
  hs256_full_vs_jose: ratio(results.HS256.pkg_verifier, results.HS256.jose),
  pkg_verify_wasm_gzip_bytes: verifyOnly?.wasmGzip ?? null,
  pkg_verify_js_gzip_bytes: verifyOnly?.jsGzip ?? null,
  pkg_gzip_bytes: web?.gzip ?? null,
  pkg_raw_bytes: web?.raw ?? null,
  pkg_wasm_gzip_bytes: web?.wasmGzip ?? null,
  pkg_js_gzip_bytes: web?.jsGzip ?? null,
  node_pkg_gzip_bytes: node?.gzip ?? null,
  eddsa_verifyjwt_vs_jose: ratio(results.EdDSA.pkg_verifyJwt, results.EdDSA.jose),
  hs256_verifyjwt_vs_jose: ratio(results.HS256.pkg_verifyJwt, results.HS256.jose),
  eddsa_verify_entry_ops: Math.round(results.EdDSA.verify_verifier),
  eddsa_pkg_verifier_ops: Math.round(results.EdDSA.pkg_verifier),
  eddsa_pkg_verifyjwt_ops: Math.round(results.EdDSA.pkg_verifyJwt),
  eddsa_jose_ops: Math.round(results.EdDSA.jose),
  eddsa_jose_cryptokey_ops: Math.round(results.EdDSA.jose_cryptokey),
  eddsa_jose_concurrent64_ops: Math.round(results.EdDSA.jose_concurrent64),
  hs256_verify_entry_ops: Math.round(results.HS256.verify_verifier),
  hs256_pkg_verifier_ops: Math.round(results.HS256.pkg_verifier),
  hs256_pkg_verifyjwt_ops: Math.round(results.HS256.pkg_verifyJwt),
  hs256_jose_ops: Math.round(results.HS256.jose),
  hs256_jose_concurrent64_ops: Math.round(results.HS256.jose_concurrent64),
  node: process.version,
  loadavg_1m: Math.round(loadavg()[0] * 100) / 100,
  pkg_load_problem: loader.loadProblem,
};
console.log("");
console.log(`ratio (edge-auth/verify JwtVerifier / jose): EdDSA ${summary.eddsa_vs_jose}x, HS256 ${summary.hs256_vs_jose}x`);
console.log(`ratio (full package JwtVerifier / jose):     EdDSA ${summary.eddsa_full_vs_jose}x, HS256 ${summary.hs256_full_vs_jose}x`);
console.log(JSON.stringify(summary));
