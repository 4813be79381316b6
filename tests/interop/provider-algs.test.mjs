// An identity provider's tokens in the package: RS256, PS256 and ES256, signed by jose, verified
// through Node's WebCrypto by `verifyJwtAsync` / `JwtVerifier.verifyAsync` in both builds (the
// full package and edge-auth/verify) and by `verifyRequest`, agreeing with jose's `jwtVerify`.
// Then the jose option names (`clockTolerance`, `currentDate`), which must mean what they mean
// in jose, beside the older `leewaySecs` and `now`.
// Run: node --test tests/interop/
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, sign as sign_ } from "node:crypto";
import { pathToFileURL } from "node:url";
import { SignJWT, base64url, createLocalJWKSet, exportJWK, generateKeyPair, importJWK, jwtVerify } from "jose";
import { loadPkg, loadVerify, root } from "./pkg.mjs";

const full = await loadPkg();
const verify = await loadVerify();
const { verifyRequest } = await import(pathToFileURL(`${root}pkg/verify/verify_request.js`).href);

const ISS = "https://idp.example";
const AUD = "edge-auth";
const now = Math.floor(Date.now() / 1000);

const pairs = {
  RS256: await generateKeyPair("RS256", { modulusLength: 2048 }),
  PS256: await generateKeyPair("PS256", { modulusLength: 2048 }),
  ES256: await generateKeyPair("ES256"),
};
const kid = (alg) => `idp-${alg}`;
const jwks = { keys: await Promise.all(Object.entries(pairs).map(async ([alg, pair]) => ({ ...(await exportJWK(pair.publicKey)), kid: kid(alg) }))) };
const ALGS = Object.keys(pairs);
const RULES = { issuer: ISS, audience: AUD, algorithms: ALGS };

async function sign(alg, { claims = {}, exp = now + 600, iat = now, key = pairs[alg].privateKey, header = {} } = {}) {
  return new SignJWT({ sub: "idp-user", email: "ada@example.com", ...claims })
    .setProtectedHeader({ alg, kid: kid(alg), ...header })
    .setIssuer(ISS)
    .setAudience(AUD)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key);
}

/** `{ claims }` or `{ error: name, code }` from a promise of claims. */
async function outcome(promise) {
  try {
    return { claims: await promise };
  } catch (err) {
    return { error: err.name, code: err.code, isTokenError: err instanceof full.TokenError || err instanceof verify.TokenError };
  }
}

function forge(token, claims) {
  const [h, p, s] = token.split(".");
  const payload = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
  return `${h}.${base64url.encode(JSON.stringify({ ...payload, ...claims }))}.${s}`;
}

const entries = { full, verify };

describe("RS256, PS256 and ES256 through WebCrypto", () => {
  for (const alg of ALGS) {
    test(`${alg}: jose's token verifies in both builds, with jose's claims`, async () => {
      const token = await sign(alg);
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: ISS, audience: AUD, algorithms: [alg] });
      for (const [name, pkg] of Object.entries(entries)) {
        assert.deepEqual(await pkg.verifyJwtAsync(token, jwks, RULES), payload, `${name}: verifyJwtAsync`);
        const verifier = new pkg.JwtVerifier(JSON.stringify(jwks), RULES);
        assert.deepEqual(await verifier.verifyAsync(token), payload, `${name}: verifyAsync`);
        assert.deepEqual(await verifier.verifyAsync(token), payload, `${name}: verifyAsync again (key imported once)`);
        verifier.free();
      }
    });

    test(`${alg}: forged, foreign, expired and not allowed tokens are refused with the right code`, async () => {
      const good = await sign(alg);
      const other = alg === "ES256" ? await generateKeyPair("ES256") : await generateKeyPair(alg, { modulusLength: 2048 });
      const cases = [
        ["forged claims", forge(good, { sub: "admin" }), RULES, "bad_signature"],
        ["another key, same kid", await sign(alg, { key: other.privateKey }), RULES, "bad_signature"],
        ["expired", await sign(alg, { exp: now - 3600, iat: now - 7200 }), RULES, "expired"],
        ["expired and forged: the signature first", forge(await sign(alg, { exp: now - 3600, iat: now - 7200 }), { sub: "admin" }), RULES, "bad_signature"],
        ["wrong issuer", forge(good, { iss: "https://evil.example" }), RULES, "bad_signature"],
        ["not on the allow-list", good, { ...RULES, algorithms: ["EdDSA"] }, "unsupported_algorithm"],
        ["unknown kid", await sign(alg, { header: { kid: "nobody" } }), RULES, "unknown_key"],
        ["truncated signature", good.slice(0, -10), RULES, "bad_signature"],
      ];
      for (const [name, token, rules, code] of cases) {
        for (const [entry, pkg] of Object.entries(entries)) {
          const got = await outcome(pkg.verifyJwtAsync(token, jwks, rules));
          assert.deepEqual(got, { error: "TokenError", code, isTokenError: true }, `${alg} ${name} (${entry})`);
        }
      }
    });

    test(`${alg}: the synchronous verifyJwt never accepts it, and says to use verifyAsync`, async () => {
      const token = await sign(alg);
      for (const pkg of Object.values(entries)) {
        assert.throws(() => pkg.verifyJwt(token, jwks, RULES), (err) =>
          err instanceof pkg.TokenError && err.code === "unsupported_algorithm" && /verifyAsync/.test(err.message));
      }
    });
  }

  test("an HS256 token keyed with the provider's RSA public key is refused (key confusion)", async () => {
    const { n } = jwks.keys[0];
    const secret = new TextEncoder().encode(n);
    const confused = { keys: [...jwks.keys, { kty: "oct", k: base64url.encode(secret), kid: "hs" }] };
    const token = await new SignJWT({ sub: "admin" })
      .setProtectedHeader({ alg: "HS256", kid: kid("RS256") })
      .setIssuer(ISS).setAudience(AUD).setExpirationTime("10m")
      .sign(secret);
    const got = await outcome(full.verifyJwtAsync(token, confused, { ...RULES, algorithms: [...ALGS, "HS256"] }));
    assert.equal(got.code, "unknown_key");
  });

  test("an RSA key shorter than 2048 bits is not used", async () => {
    const weak = generateKeyPairSync("rsa", { modulusLength: 1024 });
    // jose refuses to sign with such a key: node:crypto signs (RSASSA-PKCS1-v1_5, SHA-256).
    const part = (value) => base64url.encode(JSON.stringify(value));
    const input = `${part({ alg: "RS256", kid: "weak" })}.${part({ sub: "idp-user", iss: ISS, aud: AUD, exp: now + 600 })}`;
    const token = `${input}.${base64url.encode(sign_("sha256", Buffer.from(input), weak.privateKey))}`;
    const weakJwks = { keys: [{ ...weak.publicKey.export({ format: "jwk" }), kid: "weak" }] };
    assert.equal((await outcome(full.verifyJwtAsync(token, weakJwks, RULES))).code, "unknown_key");
  });

  test("verifyRequest verifies a provider's bearer token (claims) and refuses a forged one (401)", async () => {
    const token = await sign("ES256");
    const request = (credential) => new Request("https://api.example/", { headers: { authorization: `Bearer ${credential}` } });
    const ok = await verifyRequest(request(token), { jwks, ...RULES });
    assert.equal(ok.claims?.sub, "idp-user");
    const refused = await verifyRequest(request(forge(token, { sub: "admin" })), { jwks, ...RULES });
    assert.equal(refused.response?.status, 401);
    assert.match(refused.response.headers.get("www-authenticate"), /error="invalid_token"/);
    assert.equal((await refused.response.json()).detail, "invalid token signature");
  });
});

describe("jose's option names: clockTolerance and currentDate", () => {
  const t = 1_700_000_000;
  const hs = new Uint8Array(32).fill(7);
  const hsJwks = { keys: [{ kty: "oct", k: base64url.encode(hs) }] };

  test("they mean what they mean in jose, at each boundary", async () => {
    const token = await new SignJWT({ sub: "u" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt(t - 600).setNotBefore(t - 300).setExpirationTime(t)
      .sign(hs);
    const key = await importJWK(hsJwks.keys[0], "HS256");
    for (const [at, tolerance] of [[t, 0], [t + 1, 0], [t + 10, 10], [t + 11, 10], [t - 300, 0], [t - 301, 0], [t - 305, 5], [t - 306, 5]]) {
      const options = { algorithms: ["HS256"], currentDate: new Date(at * 1000), clockTolerance: tolerance };
      const jose = await jwtVerify(token, key, options).then(() => "ok", (err) => err.code);
      const ours = await full.verifyJwtAsync(token, hsJwks, options).then(() => "ok", (err) => err.code);
      assert.equal(ours === "ok", jose === "ok", `at ${at - t} s, tolerance ${tolerance}: jose ${jose}, edge-auth ${ours}`);
      // The older names say the same.
      const older = await full.verifyJwtAsync(token, hsJwks, { algorithms: ["HS256"], now: at, leewaySecs: tolerance }).then(() => "ok", (err) => err.code);
      assert.equal(older, ours, `leewaySecs/now disagree at ${at - t} s`);
    }
  });

  test("one setting under both names, or of the wrong type, is a TypeError", () => {
    const token = "a.b.c";
    for (const options of [
      { clockTolerance: 5, leewaySecs: 5 },
      { currentDate: new Date(), now: now },
      { currentDate: now },
      { currentDate: new Date(NaN) },
      { clockTolerance: "30s" },
      { clockTolerance: -1 },
    ]) {
      for (const pkg of Object.values(entries)) {
        assert.throws(() => pkg.verifyJwt(token, hsJwks, options), TypeError, JSON.stringify(options));
      }
    }
  });
});
