// Interoperability of the npm package's offline token utilities (pkg/node, the Rust
// validation code compiled to WebAssembly) with jose, the reference JOSE library for JS, and
// with the tokens the Worker issues under `wrangler dev`. Run: node --test tests/interop/
//
// INTEROP_NO_WORKER=1 skips the Worker part; INTEROP_PORT picks its port (default 8796).
//
// What pkg/README.md promises is what is tested: verifyJwt, JwtVerifier, decodeJwtUnverified,
// isWellFormedApiKey, classifyCredential, and the `code` of every TokenError.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  SignJWT,
  base64url,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
} from "jose";
import * as loader from "./pkg.mjs";
import { API, call, freePortOf, startWorker, wranglerVar } from "../lib/worker.mjs";

const pkg = await loader.loadPkg();
const { verifyJwt, JwtVerifier, decodeJwtUnverified, isWellFormedApiKey, classifyCredential, TokenError, AuthApiError } =
  pkg;

// The Worker's issuer and audience, as configured in wrangler.toml.
const ISS = wranglerVar("JWT_ISSUER");
const AUD = wranglerVar("JWT_AUDIENCE");
const TYP = "at+jwt";
const RULES = { issuer: ISS, audience: AUD, typ: TYP };

const now = () => Math.floor(Date.now() / 1000);

// Keys jose generates: an Ed25519 pair published in a JWKS with a kid, a second Ed25519 pair
// that is in no key set, and a random 32-byte HS256 secret as an `oct` JWK.
const ED_KID = "interop-ed25519";
const ed = await generateKeyPair("EdDSA", { crv: "Ed25519" });
const edPublicJwk = { ...(await exportJWK(ed.publicKey)), kid: ED_KID };
const edJwks = { keys: [edPublicJwk] };
const stranger = await generateKeyPair("EdDSA", { crv: "Ed25519" });

const HS_KID = "interop-hs256";
const hsSecret = new Uint8Array(randomBytes(32));
const hsJwks = { keys: [{ kty: "oct", k: base64url.encode(hsSecret), kid: HS_KID }] };

/**
 * A token jose signs: by default EdDSA with `ed`, typ at+jwt, our iss/aud, valid 10 min.
 * An option given as `undefined` (e.g. `{ exp: undefined }`) leaves that member out.
 */
async function sign(opts = {}) {
  const defaults = {
    alg: "EdDSA",
    key: ed.privateKey,
    kid: ED_KID,
    typ: TYP,
    claims: {},
    iss: ISS,
    aud: AUD,
    iat: now(),
    exp: now() + 600,
    nbf: undefined,
  };
  const { alg, key, kid, typ, claims, iss, aud, iat, exp, nbf } = { ...defaults, ...opts };
  const header = Object.fromEntries(Object.entries({ alg, kid, typ }).filter(([, v]) => v !== undefined));
  const jwt = new SignJWT({ sub: "user-1", sid: "session-1", jti: "jti-1", ...claims })
    .setProtectedHeader(header)
    .setIssuedAt(iat);
  if (iss !== undefined) jwt.setIssuer(iss);
  if (aud !== undefined) jwt.setAudience(aud);
  if (exp !== undefined) jwt.setExpirationTime(exp);
  if (nbf !== undefined) jwt.setNotBefore(nbf);
  const token = await jwt.sign(key);
  // Guard against this helper lying: what was asked is what was signed.
  const payload = decodeJwt(token);
  for (const [name, value] of Object.entries({ iss, aud, exp, nbf })) {
    assert.deepEqual(payload[name], value, `sign(): ${name}`);
  }
  assert.equal(decodeProtectedHeader(token).typ, typ, "sign(): typ");
  return token;
}

const signHs = (opts = {}) => sign({ alg: "HS256", key: hsSecret, kid: HS_KID, ...opts });
const HS_RULES = { ...RULES, algorithms: ["HS256"] };

/** A compact JWS with this header and payload and a raw signature (no signing). */
function forge(header, payload, signature = new Uint8Array()) {
  const part = (v) => base64url.encode(JSON.stringify(v));
  return `${part(header)}.${part(payload)}.${base64url.encode(signature)}`;
}

/** The error `fn` throws, or fails the test when it throws none. */
function thrown(fn, what) {
  try {
    const value = fn();
    assert.fail(`${what}: expected a TokenError, got ${JSON.stringify(value)}`);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    return err;
  }
}

/** Both verifyJwt and JwtVerifier refuse `token` with a TokenError of this code. */
function assertRejects(token, jwks, options, code) {
  const ways = {
    verifyJwt: () => verifyJwt(token, jwks, options),
    JwtVerifier: () => new JwtVerifier(jwks, options).verify(token),
  };
  for (const [name, fn] of Object.entries(ways)) {
    const err = thrown(fn, name);
    assert.ok(err instanceof Error, `${name}: the TokenError is not an Error: ${String(err)}`);
    assert.ok(err instanceof TokenError, `${name}: not an instance of the package's TokenError class`);
    assert.ok(!(err instanceof AuthApiError), `${name}: an AuthApiError too`);
    assert.equal(err.name, "TokenError", `${name}: name (edge_auth.d.ts: name "TokenError")`);
    assert.equal(err.code, code, `${name}: code ${JSON.stringify(err.code)} (message: ${err.message})`);
    assert.equal(typeof err.message, "string");
  }
}

/** Both verifyJwt and JwtVerifier accept `token`; returns the claims (the same from both). */
function assertVerifies(token, jwks, options) {
  const claims = verifyJwt(token, jwks, options);
  const again = new JwtVerifier(jwks, options).verify(token);
  assert.deepEqual(again, claims, "JwtVerifier and verifyJwt return different claims");
  return claims;
}

describe("loading the Node build", () => {
  test("import() loads pkg/node/edge_auth.js (no init call)", () => {
    assert.equal(loader.loadProblem, null, loader.loadProblem ?? "");
  });

  test("the package folder resolves to the Node build (main, and the exports map's node condition)", () => {
    const manifest = JSON.parse(readFileSync(`${loader.root}pkg/package.json`, "utf8"));
    assert.equal(manifest.exports["."].node.default, "./node/edge_auth.js");
    const viaMain = createRequire(import.meta.url)("../../pkg");
    for (const name of loader.API) assert.equal(typeof viaMain[name], "function", `require("pkg"): ${name}`);
  });

  test("require() loads it too, with the same API", () => {
    const required = loader.requirePkg();
    for (const name of loader.API) assert.equal(typeof required[name], "function", `require: ${name}`);
  });
});

describe("tokens jose signs verify in the package", () => {
  test("EdDSA (Ed25519 key exported by jose as a JWK with a kid)", async () => {
    const token = await sign();
    const claims = assertVerifies(token, edJwks, RULES);
    const { payload } = await jwtVerify(token, createLocalJWKSet(edJwks), { issuer: ISS, audience: AUD, typ: TYP });
    assert.deepEqual(claims, payload, "the package's claims differ from jose's payload");
    assert.equal(claims.sub, "user-1");
    assert.equal(claims.sid, "session-1");
    assert.equal(typeof claims.exp, "number");
  });

  test("EdDSA with the JWKS as JSON text, and with alg/use on the JWK", async () => {
    const token = await sign();
    assert.equal(verifyJwt(token, JSON.stringify(edJwks), RULES).sub, "user-1");
    assert.equal(new JwtVerifier(JSON.stringify(edJwks), RULES).verify(token).sub, "user-1");
    const annotated = { keys: [{ ...edPublicJwk, alg: "EdDSA", use: "sig" }] };
    assert.equal(verifyJwt(token, annotated, RULES).sub, "user-1");
  });

  test("HS256 (random 32-byte secret as an oct JWK)", async () => {
    const token = await signHs();
    const claims = assertVerifies(token, hsJwks, HS_RULES);
    // jose's JWK Sets hold asymmetric keys only: it takes the oct JWK through importJWK.
    const { payload } = await jwtVerify(token, await importJWK(hsJwks.keys[0], "HS256"), {
      issuer: ISS,
      audience: AUD,
      typ: TYP,
      algorithms: ["HS256"],
    });
    assert.deepEqual(claims, payload);
  });

  test("one key set with both keys and both algorithms allowed", async () => {
    const both = { keys: [...edJwks.keys, ...hsJwks.keys] };
    const rules = { ...RULES, algorithms: ["EdDSA", "HS256"] };
    assert.equal(assertVerifies(await sign(), both, rules).sub, "user-1");
    assert.equal(assertVerifies(await signHs(), both, rules).sub, "user-1");
  });

  test("no issuer/audience/typ options: only signature and time are checked", async () => {
    const token = await sign({ iss: "https://elsewhere.example", aud: "someone-else", typ: undefined });
    assert.equal(assertVerifies(token, edJwks, {}).sub, "user-1");
  });

  test("aud as a list containing the audience", async () => {
    const token = await sign({ aud: ["other", AUD] });
    assert.equal(assertVerifies(token, edJwks, RULES).sub, "user-1");
  });

  test("leeway (default 30 s) and the `now` option", async () => {
    const t = 1_700_000_000;
    const token = await sign({ iat: t - 600, exp: t });
    assert.equal(verifyJwt(token, edJwks, { ...RULES, now: t - 1 }).sub, "user-1");
    assert.equal(verifyJwt(token, edJwks, { ...RULES, now: t + 29 }).sub, "user-1");
    assertRejects(token, edJwks, { ...RULES, now: t + 31 }, "expired");
    assertRejects(token, edJwks, { ...RULES, now: t + 1, leewaySecs: 0 }, "expired");
    const early = await sign({ iat: t, nbf: t, exp: t + 600 });
    assert.equal(verifyJwt(early, edJwks, { ...RULES, now: t - 29 }).sub, "user-1");
    assertRejects(early, edJwks, { ...RULES, now: t - 31 }, "not_yet_valid");
  });
});

describe("the package refuses bad tokens with the documented TokenError code", () => {
  test("tampered payload: bad_signature", async () => {
    for (const [token, jwks, rules] of [
      [await sign(), edJwks, RULES],
      [await signHs(), hsJwks, HS_RULES],
    ]) {
      const [h, , s] = token.split(".");
      const forged = base64url.encode(JSON.stringify({ ...decodeJwt(token), sub: "admin" }));
      assertRejects(`${h}.${forged}.${s}`, jwks, rules, "bad_signature");
    }
  });

  test("one flipped signature bit: bad_signature", async () => {
    for (const [token, jwks, rules] of [
      [await sign(), edJwks, RULES],
      [await signHs(), hsJwks, HS_RULES],
    ]) {
      const [h, p, s] = token.split(".");
      const sig = base64url.decode(s);
      sig[0] ^= 0x01;
      assertRejects(`${h}.${p}.${base64url.encode(sig)}`, jwks, rules, "bad_signature");
    }
  });

  test("expired beyond the leeway: expired", async () => {
    assertRejects(await sign({ iat: now() - 7200, exp: now() - 3600 }), edJwks, RULES, "expired");
    assertRejects(await signHs({ iat: now() - 7200, exp: now() - 3600 }), hsJwks, HS_RULES, "expired");
  });

  test("nbf in the future: not_yet_valid", async () => {
    assertRejects(await sign({ nbf: now() + 3600, exp: now() + 7200 }), edJwks, RULES, "not_yet_valid");
  });

  test("another issuer: wrong_issuer", async () => {
    assertRejects(await sign({ iss: "https://evil.example" }), edJwks, RULES, "wrong_issuer");
    assertRejects(await sign(), edJwks, { ...RULES, issuer: "https://other.example" }, "wrong_issuer");
    assertRejects(await sign({ iss: undefined }), edJwks, RULES, "wrong_issuer");
  });

  test("another audience: wrong_audience", async () => {
    assertRejects(await sign({ aud: "someone-else" }), edJwks, RULES, "wrong_audience");
    assertRejects(await sign(), edJwks, { ...RULES, audience: "another-api" }, "wrong_audience");
    assertRejects(await sign({ aud: undefined }), edJwks, RULES, "wrong_audience");
  });

  test("another typ: wrong_type", async () => {
    assertRejects(await sign({ typ: "JWT" }), edJwks, RULES, "wrong_type");
    assertRejects(await sign({ typ: undefined }), edJwks, RULES, "wrong_type");
  });

  test("alg none: unsupported_algorithm", () => {
    const payload = { sub: "admin", sid: "s", iss: ISS, aud: AUD, exp: now() + 600 };
    for (const alg of ["none", "None", "NONE"]) {
      const token = forge({ alg, kid: ED_KID, typ: TYP }, payload);
      assertRejects(token, edJwks, RULES, "unsupported_algorithm");
      assertRejects(token, edJwks, { ...RULES, algorithms: ["EdDSA", "HS256"] }, "unsupported_algorithm");
    }
  });

  test("HS256 keyed with the Ed25519 public key while only EdDSA is allowed: unsupported_algorithm", async () => {
    const publicBytes = base64url.decode(edPublicJwk.x);
    const confused = await sign({ alg: "HS256", key: publicBytes, kid: ED_KID, claims: { sub: "admin" } });
    assertRejects(confused, edJwks, RULES, "unsupported_algorithm");
    assertRejects(confused, edJwks, { ...RULES, algorithms: ["EdDSA"] }, "unsupported_algorithm");
    // Even with HS256 allowed, an OKP key never verifies an HMAC (README: the algorithm comes
    // from the allow-list and the key). Which code is not documented; it must be a refusal.
    for (const fn of [
      () => verifyJwt(confused, edJwks, { ...RULES, algorithms: ["EdDSA", "HS256"] }),
      () => new JwtVerifier(edJwks, { ...RULES, algorithms: ["EdDSA", "HS256"] }).verify(confused),
    ]) {
      const err = thrown(fn, "HS256 keyed with the public key, HS256 allowed");
      assert.ok(["unknown_key", "unsupported_algorithm", "bad_signature"].includes(err.code), err.code);
    }
  });

  test("a token in an algorithm not allowed (HS256 under the default [\"EdDSA\"]): unsupported_algorithm", async () => {
    const { algorithms, ...rules } = HS_RULES;
    assert.deepEqual(algorithms, ["HS256"]);
    assertRejects(await signHs(), hsJwks, rules, "unsupported_algorithm");
  });

  test("a kid that is not in the key set: unknown_key", async () => {
    const token = await sign({ key: stranger.privateKey, kid: "not-in-the-set" });
    assertRejects(token, edJwks, RULES, "unknown_key");
    assertRejects(await signHs({ kid: "not-in-the-set" }), hsJwks, HS_RULES, "unknown_key");
  });

  test("the right kid but another key's signature: bad_signature", async () => {
    assertRejects(await sign({ key: stranger.privateKey }), edJwks, RULES, "bad_signature");
  });

  test("no exp: missing_expiry", async () => {
    assertRejects(await sign({ exp: undefined }), edJwks, RULES, "missing_expiry");
    assertRejects(await signHs({ exp: undefined }), hsJwks, HS_RULES, "missing_expiry");
  });

  test("garbage: malformed", async () => {
    const valid = await sign();
    const garbage = [
      "",
      "garbage",
      "a.b.c",
      "not.a.jwt.at.all",
      valid.split(".").slice(0, 2).join("."),
      `${valid}.`,
      `!!!.${valid.split(".")[1]}.${valid.split(".")[2]}`,
    ];
    for (const token of garbage) assertRejects(token, edJwks, RULES, "malformed");
  });

  test("an invalid JWKS: invalid_jwks", async () => {
    const token = await sign();
    const bad = [
      "not json",
      "{",
      {},
      { keys: "not a list" },
      { keys: [{ kty: "OKP", crv: "Ed25519", x: "!!not-base64url!!", kid: ED_KID }] },
      { keys: [{ kty: "OKP", crv: "Ed25519", x: base64url.encode(new Uint8Array(31)), kid: ED_KID }] },
      { keys: [{ kty: "oct", kid: HS_KID }] },
      { keys: [{ kid: ED_KID, x: edPublicJwk.x }] },
    ];
    for (const jwks of bad) {
      const err = thrown(() => verifyJwt(token, jwks, RULES), `verifyJwt with ${JSON.stringify(jwks)}`);
      assert.ok(err instanceof Error);
      assert.equal(err.code, "invalid_jwks", `verifyJwt with ${JSON.stringify(jwks)}: ${err.message}`);
      // The constructor parses the set; it, not verify(), reports a bad one.
      const err2 = thrown(() => new JwtVerifier(jwks, RULES), `new JwtVerifier(${JSON.stringify(jwks)})`);
      assert.ok(err2 instanceof Error);
      assert.equal(err2.code, "invalid_jwks", `new JwtVerifier(${JSON.stringify(jwks)}): ${err2.message}`);
    }
  });

  test("a verifier keeps working after refusing tokens", async () => {
    const verifier = new JwtVerifier(edJwks, RULES);
    for (let i = 0; i < 50; i++) {
      assert.throws(() => verifier.verify("garbage"), (e) => e.code === "malformed");
      assert.equal(verifier.verify(await sign()).sub, "user-1");
    }
  });
});

describe("decodeJwtUnverified, isWellFormedApiKey, classifyCredential (offline)", () => {
  test("decodeJwtUnverified returns jose's header and claims, verifying nothing", async () => {
    const token = await sign({ key: stranger.privateKey, kid: "whoever", exp: now() - 3600, claims: { extra: [1, "two"] } });
    const decoded = decodeJwtUnverified(token);
    assert.deepEqual(decoded.header, decodeProtectedHeader(token));
    assert.deepEqual(decoded.claims, decodeJwt(token));
    assert.deepEqual(decodeJwtUnverified(await signHs()).header, { alg: "HS256", kid: HS_KID, typ: TYP });
  });

  test("a member named twice, even once escaped, is refused by every reader (jose keeps the last)", async () => {
    // Signed HS256 over raw JSON text, so that the duplicate reaches the readers as sent.
    const signRaw = (claimsText) => {
      const input = `${base64url.encode(JSON.stringify({ alg: "HS256", kid: HS_KID, typ: TYP }))}.${base64url.encode(claimsText)}`;
      return `${input}.${base64url.encode(createHmac("sha256", hsSecret).update(input).digest())}`;
    };
    const claims = `"iss":${JSON.stringify(ISS)},"aud":${JSON.stringify(AUD)},"exp":${now() + 60}`;
    const fine = signRaw(`{${claims},"sub":"user-1","role":"user"}`);
    assert.equal(assertVerifies(fine, hsJwks, HS_RULES).sub, "user-1");
    assert.equal(decodeJwtUnverified(fine).claims.sub, "user-1");
    for (const twice of [`"sub":"user-1","sub":"admin"`, `"sub":"user-1","s\\u0075b":"admin"`, `"sub":"user-1","x":{"a":1,"a":2}`]) {
      const token = signRaw(`{${claims},${twice}}`);
      assertRejects(token, hsJwks, HS_RULES, "malformed");
      assert.equal(thrown(() => decodeJwtUnverified(token), twice).code, "malformed", twice);
    }
    // A JWK Set's text is read the same way.
    const keysText = JSON.stringify(hsJwks);
    assert.equal(assertVerifies(fine, keysText, HS_RULES).sub, "user-1");
    assertRejects(fine, `${keysText.slice(0, -1)},"keys":[]}`, HS_RULES, "invalid_jwks");
    // What jose makes of the first: the last `sub`, which is how two readers come to disagree.
    const twice = signRaw(`{${claims},"sub":"user-1","sub":"admin"}`);
    const { payload } = await jwtVerify(twice, hsSecret, { ...RULES, algorithms: ["HS256"] });
    assert.equal(payload.sub, "admin");
  });

  test("decodeJwtUnverified throws an Error on garbage", () => {
    const err = thrown(() => decodeJwtUnverified("garbage"), "decodeJwtUnverified(garbage)");
    assert.ok(err instanceof Error);
  });

  test("classifyCredential: jwt and unknown", async () => {
    assert.equal(classifyCredential(await sign()), "jwt");
    assert.equal(classifyCredential(await signHs()), "jwt");
    for (const v of ["", "hello", "Bearer x", "12345"]) assert.equal(classifyCredential(v), "unknown", v);
  });

  test("isWellFormedApiKey refuses what is not an sk- key", async () => {
    for (const v of ["", "sk-", "sk-short", `sk-${"A".repeat(65)}`, `pk-${"A".repeat(65)}`, await sign()]) {
      assert.equal(isWellFormedApiKey(v), false, v);
    }
  });
});

// INTEROP_NO_WORKER=1 runs only the offline checks (no wrangler dev, no build).
const noWorker = process.env.INTEROP_NO_WORKER ? "INTEROP_NO_WORKER is set" : false;

describe("against the Worker (wrangler dev, local KV)", { skip: noWorker }, () => {
  let worker;
  let jwksText;
  let jwks;
  let user;
  let tokens;
  let apiKey;

  before(async () => {
    const port = Number(process.env.INTEROP_PORT || 0) || (await freePortOf([8796, 8793, 8792, 8791, 8790]));
    worker = await startWorker({ port });
    const r = await fetch(`${worker.base}/.well-known/jwks.json`);
    assert.equal(r.status, 200);
    jwksText = await r.text();
    jwks = JSON.parse(jwksText);
    const email = `interop-${randomBytes(6).toString("hex")}@example.com`;
    const password = "correct horse battery";
    const reg = await call(worker.base, "POST", `${API}/register`, { json: { email, password, name: "Interop" } });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    user = reg.body;
    const login = await call(worker.base, "POST", `${API}/login`, { json: { email, password } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    tokens = login.body;
    const created = await call(worker.base, "POST", `${API}/api-keys`, {
      token: tokens.access_token,
      json: { name: "interop", scopes: ["read"] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    apiKey = created.body.key;
  }, { timeout: 360_000 });

  after(async () => {
    await worker?.stop();
  });

  test("the JWKS holds Ed25519 keys with kids, one of which signed the token", () => {
    assert.ok(Array.isArray(jwks.keys) && jwks.keys.length > 0, jwksText);
    for (const k of jwks.keys) {
      assert.equal(k.kty, "OKP");
      assert.equal(k.crv, "Ed25519");
      assert.equal(typeof k.kid, "string");
    }
    const header = decodeProtectedHeader(tokens.access_token);
    assert.equal(header.alg, "EdDSA");
    assert.equal(header.typ, TYP);
    assert.ok(jwks.keys.some((k) => k.kid === header.kid), `kid ${header.kid} not in the JWKS`);
  });

  test("the access token verifies in the package and in jose, with the same sub/sid/exp", async () => {
    const fromFn = verifyJwt(tokens.access_token, jwks, RULES);
    const fromVerifier = new JwtVerifier(jwks, RULES).verify(tokens.access_token);
    const fromText = verifyJwt(tokens.access_token, jwksText, RULES);
    const { payload } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), {
      issuer: ISS,
      audience: AUD,
      typ: TYP,
      algorithms: ["EdDSA"],
    });
    for (const claims of [fromFn, fromVerifier, fromText]) {
      assert.equal(claims.sub, payload.sub);
      assert.equal(claims.sid, payload.sid);
      assert.equal(claims.exp, payload.exp);
      assert.deepEqual(claims, payload);
    }
    assert.equal(payload.sub, user.id, "sub is not the registered user's id");
    assert.equal(typeof payload.sid, "string");
    assert.ok(payload.exp > now(), "exp is not in the future");
    assert.ok(Math.abs(payload.exp - now() - tokens.expires_in) < 60, "exp disagrees with expires_in");
    const me = await call(worker.base, "GET", `${API}/me`, { token: tokens.access_token });
    assert.equal(me.status, 200);
    assert.equal(me.body.id, payload.sub);
  });

  test("both sides refuse the Worker's token for another audience or issuer", async () => {
    assertRejects(tokens.access_token, jwks, { ...RULES, audience: "another-api" }, "wrong_audience");
    assertRejects(tokens.access_token, jwks, { ...RULES, issuer: "https://evil.example" }, "wrong_issuer");
    await assert.rejects(
      jwtVerify(tokens.access_token, createLocalJWKSet(jwks), { issuer: ISS, audience: "another-api" }),
      (e) => e.code === "ERR_JWT_CLAIM_VALIDATION_FAILED",
    );
  });

  test("the Worker's token is refused against a key set without its key", () => {
    assertRejects(tokens.access_token, edJwks, RULES, "unknown_key");
  });

  test("decodeJwtUnverified agrees with jose on the Worker's token", () => {
    const { header, claims } = decodeJwtUnverified(tokens.access_token);
    assert.deepEqual(header, decodeProtectedHeader(tokens.access_token));
    assert.deepEqual(claims, decodeJwt(tokens.access_token));
  });

  test("isWellFormedApiKey accepts a key the API created, and refuses it with one character changed", () => {
    assert.equal(isWellFormedApiKey(apiKey), true, apiKey);
    const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    // One position in the key id, in the secret and in the checksum.
    for (const i of [5, 3 + 16 + 20, apiKey.length - 2]) {
      const c = apiKey[i];
      const other = alphabet[(alphabet.indexOf(c) + 1) % alphabet.length];
      const changed = apiKey.slice(0, i) + other + apiKey.slice(i + 1);
      assert.equal(isWellFormedApiKey(changed), false, `changed at ${i}: ${changed}`);
    }
    assert.equal(isWellFormedApiKey(`${apiKey}x`), false);
    assert.equal(isWellFormedApiKey(apiKey.slice(0, -1)), false);
  });

  test("classifyCredential: api_key, jwt, unknown", () => {
    assert.equal(classifyCredential(apiKey), "api_key");
    assert.equal(classifyCredential(tokens.access_token), "jwt");
    assert.equal(classifyCredential("hello"), "unknown");
  });

  test("the key the package calls well-formed works against the API", async () => {
    const me = await call(worker.base, "GET", `${API}/me`, { token: apiKey });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.auth_scheme, "api_key");
  });
});
