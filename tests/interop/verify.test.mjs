// The verify-only entry, `edge-auth/verify` (pkg/verify: the offline token utilities in a wasm
// of their own, without the client), loaded in Node as its README says. It must verify what
// jose signs, refuse forgeries, and agree with the full package on every case below: the two
// are builds of one Rust verifier, and this checks that nothing was lost between them.
// Run: node --test tests/interop/
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { SignJWT, base64url, exportJWK, generateKeyPair } from "jose";
import { API, loadPkg, loadVerify } from "./pkg.mjs";

const verify = await loadVerify();
const full = await loadPkg();

const ISS = "https://auth.example";
const AUD = "edge-auth";
const TYP = "at+jwt";
const now = Math.floor(Date.now() / 1000);

const ed = await generateKeyPair("EdDSA", { crv: "Ed25519" });
const edJwks = { keys: [{ ...(await exportJWK(ed.publicKey)), kid: "ed" }] };
const stranger = await generateKeyPair("EdDSA", { crv: "Ed25519" });
const hsSecret = new Uint8Array(randomBytes(32));
const hsJwks = { keys: [{ kty: "oct", k: base64url.encode(hsSecret), kid: "hs" }] };
const RULES = { issuer: ISS, audience: AUD, typ: TYP, algorithms: ["EdDSA", "HS256"] };

async function sign({ alg = "EdDSA", key = ed.privateKey, kid = "ed", claims = {}, exp = now + 600, iss = ISS } = {}) {
  return new SignJWT({ sub: "user-1", sid: "session-1", ...claims })
    .setProtectedHeader({ alg, kid, typ: TYP })
    .setIssuer(iss)
    .setAudience(AUD)
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .sign(key);
}

/** The claims, or the thrown error's name and code. */
function outcome(fn) {
  try {
    return { claims: fn() };
  } catch (err) {
    return { error: err.name, code: err.code };
  }
}

function forge(token, claims) {
  const [h, p, s] = token.split(".");
  const payload = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
  return `${h}.${base64url.encode(JSON.stringify({ ...payload, ...claims }))}.${s}`;
}

test("edge-auth/verify exports the offline utilities and not the client", () => {
  for (const name of API) assert.equal(typeof verify[name], "function", name);
  assert.equal(verify.AuthClient, undefined);
});

test("edge-auth/verify verifies jose's EdDSA and HS256 tokens and refuses forged ones", async () => {
  const edToken = await sign({ claims: { extra: [1, "two", { three: 3.5 }] } });
  const hsToken = await sign({ alg: "HS256", key: hsSecret, kid: "hs" });
  const claims = verify.verifyJwt(edToken, edJwks, RULES);
  assert.equal(claims.sub, "user-1");
  assert.deepEqual(claims.extra, [1, "two", { three: 3.5 }]);
  assert.equal(new verify.JwtVerifier(JSON.stringify(hsJwks), RULES).verify(hsToken).sid, "session-1");
  for (const [token, jwks] of [[edToken, edJwks], [hsToken, hsJwks]]) {
    const forged = forge(token, { sub: "admin" });
    assert.throws(() => verify.verifyJwt(forged, jwks, RULES), (err) => err instanceof verify.TokenError && err.name === "TokenError" && err.code === "bad_signature");
  }
});

test("edge-auth/verify agrees with the full package, case by case", async () => {
  const good = await sign();
  const cases = [
    ["good", good, edJwks, RULES],
    ["good, keys as text", good, JSON.stringify(edJwks), RULES],
    ["forged", forge(good, { sub: "admin" }), edJwks, RULES],
    ["stranger's key", await sign({ key: stranger.privateKey }), edJwks, RULES],
    ["expired", await sign({ exp: now - 3600 }), edJwks, RULES],
    ["wrong issuer", await sign({ iss: "https://evil.example" }), edJwks, RULES],
    ["HS256 not allowed", await sign({ alg: "HS256", key: hsSecret, kid: "hs" }), hsJwks, { ...RULES, algorithms: ["EdDSA"] }],
    ["unknown kid", await sign({ kid: "other" }), edJwks, RULES],
    ["malformed", "a.b.c", edJwks, RULES],
    ["no key set", good, { nokeys: [] }, RULES],
    ["absurd leeway", good, edJwks, { ...RULES, leewaySecs: -1 }],
    ["unsupported algorithm option", good, edJwks, { ...RULES, algorithms: ["RS512"] }],
    ["options of the wrong type", good, edJwks, { ...RULES, issuer: 7 }],
    ["future now", good, edJwks, { ...RULES, now: now + 7200 }],
  ];
  for (const [name, token, jwks, options] of cases) {
    const a = outcome(() => verify.verifyJwt(token, jwks, options));
    const b = outcome(() => full.verifyJwt(token, jwks, options));
    assert.deepEqual(a, b, name);
  }
  assert.deepEqual(outcome(() => verify.decodeJwtUnverified(good)), outcome(() => full.decodeJwtUnverified(good)));
  for (const value of [good, "hello", "a.b.c", "sk-123"]) {
    assert.equal(verify.classifyCredential(value), full.classifyCredential(value), value);
    assert.equal(verify.isWellFormedApiKey(value), full.isWellFormedApiKey(value), value);
  }
});
