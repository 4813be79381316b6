// `verifyRequest` with a remote key set (`createRemoteJwks`), against a JWKS served on
// 127.0.0.1 whose keys rotate: a token signed by a key the cached set lacks makes it refetch
// at once (an issuer rotated its keys), at most once per cooldown, and a request without a
// credential never fetches. The module is the package's own (pkg/verify/verify_request.js),
// loaded after the verify entry is initialized, as its workerd entry does.
// Run: node --test tests/interop/
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { loadVerify, root } from "./pkg.mjs";

await loadVerify(); // initializes the wasm that verify_request.js imports
const { createRemoteJwks, verifyRequest } = await import(
  pathToFileURL(`${root}pkg/verify/verify_request.js`).href
);

const ISS = "https://issuer.example";
const AUD = "edge-auth";
const RULES = { issuer: ISS, audience: AUD, typ: "at+jwt", algorithms: ["EdDSA"] };

const first = await generateKeyPair("EdDSA", { crv: "Ed25519" });
const second = await generateKeyPair("EdDSA", { crv: "Ed25519" });
const jwk = async (pair, kid) => ({ ...(await exportJWK(pair.publicKey)), kid });

// The issuer's key set, as served now, and how many times it was fetched.
let served = { keys: [await jwk(first, "k1")] };
let fetches = 0;
const server = createServer((req, res) => {
  fetches += 1;
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(served));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}/jwks.json`;
after(() => server.close());

async function token(pair, kid) {
  return new SignJWT({ sub: "user-1" })
    .setProtectedHeader({ alg: "EdDSA", kid, typ: "at+jwt" })
    .setIssuer(ISS)
    .setAudience(AUD)
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(pair.privateKey);
}

const request = (credential) =>
  new Request("https://api.example/hello", credential ? { headers: { authorization: `Bearer ${credential}` } } : {});

test("a remote key set is fetched once, then refetched at once when the issuer rotates keys", async () => {
  const jwks = createRemoteJwks(url, { cacheMaxAge: 600_000, cooldown: 0 });
  const before = fetches;
  const none = await verifyRequest(request(), { jwks, ...RULES });
  assert.equal(none.response?.status, 401);
  assert.equal(fetches, before, "no credential, no fetch");

  const ok = await verifyRequest(request(await token(first, "k1")), { jwks, ...RULES });
  assert.equal(ok.claims?.sub, "user-1");
  await verifyRequest(request(await token(first, "k1")), { jwks, ...RULES });
  assert.equal(fetches, before + 1, "the set is cached");

  served = { keys: [await jwk(first, "k1"), await jwk(second, "k2")] };
  const rotated = await verifyRequest(request(await token(second, "k2")), { jwks, ...RULES });
  assert.equal(rotated.claims?.sub, "user-1", "the new key is fetched and used");
  assert.equal(fetches, before + 2);
});

test("within the cooldown an unknown key is refused without another fetch", async () => {
  served = { keys: [await jwk(first, "k1")] };
  const jwks = createRemoteJwks(url, { cacheMaxAge: 600_000, cooldown: 60_000 });
  assert.ok((await verifyRequest(request(await token(first, "k1")), { jwks, ...RULES })).claims);
  const before = fetches;
  const stranger = await verifyRequest(request(await token(second, "k9")), { jwks, ...RULES });
  assert.equal(stranger.response?.status, 401);
  assert.match(stranger.response.headers.get("www-authenticate"), /error="invalid_token"/);
  assert.deepEqual(await stranger.response.json(), { detail: "token signed by an unknown key" });
  assert.equal(fetches, before, "a flood of unknown kids costs the issuer nothing");
});
