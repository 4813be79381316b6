// The local OpenID provider on its own (no Worker): discovery, JWKS, the automated login to an
// authorization code, the code exchange with PKCE, and what its ID and access tokens contain,
// verified with jose against its JWKS. Run: node --test tests/oidc/
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  OTHER_AUDIENCE,
  REDIRECT_URIS,
  RESOURCE_ES256,
  RESOURCE_OTHER,
  discover,
  getProviderTokens,
  loginAt,
  pkce,
  startProvider,
} from "./provider.mjs";

const TIMEOUT = { timeout: 30_000 };
let op;
let meta;
let jwks;

before(async () => {
  op = await startProvider({ port: 0 });
  meta = await discover(op.issuer);
  jwks = await (await fetch(meta.jwks_uri)).json();
}, TIMEOUT);

after(() => op?.stop());

function authorizationUrl(overrides = {}) {
  const { challenge } = pkce();
  const url = new URL(meta.authorization_endpoint);
  const params = {
    response_type: "code",
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URIS[0],
    scope: "openid email profile",
    state: "state-1",
    nonce: "nonce-1",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...overrides,
  };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.href;
}

describe("the local OpenID provider", () => {
  test("discovery names its endpoints and S256 PKCE", TIMEOUT, () => {
    assert.equal(meta.issuer, op.issuer);
    assert.equal(meta.jwks_uri, `${op.issuer}/jwks`);
    assert.equal(meta.authorization_endpoint, `${op.issuer}/auth`);
    assert.equal(meta.token_endpoint, `${op.issuer}/token`);
    assert.deepEqual(meta.code_challenge_methods_supported, ["S256"]);
    assert.deepEqual(meta.response_types_supported, ["code"]);
    assert.ok(meta.id_token_signing_alg_values_supported.includes("RS256"));
  });

  test("the JWKS holds an RS256, an ES256 and a PS256 public key, each with a kid", TIMEOUT, () => {
    const algs = jwks.keys.map((k) => k.alg).sort();
    assert.deepEqual(algs, ["ES256", "PS256", "RS256"]);
    for (const key of jwks.keys) {
      assert.ok(key.kid);
      assert.equal(key.use, "sig");
      for (const secret of ["d", "p", "q", "dp", "dq", "qi"]) assert.equal(key[secret], undefined);
    }
  });

  test("stats count discovery and JWKS fetches, also at /__stats", TIMEOUT, async () => {
    const before = op.stats();
    await discover(op.issuer);
    await fetch(meta.jwks_uri).then((r) => r.arrayBuffer());
    const after = await (await fetch(`${op.issuer}/__stats`)).json();
    assert.equal(after.discovery, before.discovery + 1);
    assert.equal(after.jwks, before.jwks + 1);
  });

  test("an automated login ends at the client's redirect_uri with code, state and iss", TIMEOUT, async () => {
    const back = new URL(await loginAt(authorizationUrl({ redirect_uri: REDIRECT_URIS[8] }), { email: "a@b.test" }));
    assert.equal(`${back.origin}${back.pathname}`, REDIRECT_URIS[8]);
    assert.ok(back.searchParams.get("code"));
    assert.equal(back.searchParams.get("state"), "state-1");
    assert.equal(back.searchParams.get("iss"), op.issuer);
  });

  test("a user who cancels comes back with error=access_denied", TIMEOUT, async () => {
    const back = new URL(await loginAt(authorizationUrl(), { deny: true }));
    assert.equal(back.searchParams.get("error"), "access_denied");
    assert.equal(back.searchParams.get("state"), "state-1");
    assert.equal(back.searchParams.get("code"), null);
  });

  test("PKCE is required", TIMEOUT, async () => {
    const r = await fetch(authorizationUrl({ code_challenge: undefined, code_challenge_method: undefined }), {
      redirect: "manual",
    });
    const back = new URL(r.headers.get("location"));
    assert.equal(back.searchParams.get("error"), "invalid_request");
    assert.match(back.searchParams.get("error_description"), /PKCE/);
  });

  test("a redirect_uri outside 127.0.0.1:8787..8799 is refused by the provider itself", TIMEOUT, async () => {
    const r = await fetch(authorizationUrl({ redirect_uri: "http://127.0.0.1:8800/api/v1/auth/oauth/callback" }), {
      redirect: "manual",
    });
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error, "invalid_redirect_uri");
  });

  test("the code exchange needs the right code_verifier and client secret", TIMEOUT, async () => {
    const { verifier, challenge } = pkce();
    const back = new URL(await loginAt(authorizationUrl({ code_challenge: challenge })));
    const exchange = (verifierUsed, secret) =>
      fetch(meta.token_endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code: back.searchParams.get("code"),
          redirect_uri: REDIRECT_URIS[0],
          code_verifier: verifierUsed,
          client_id: CLIENT_ID,
          client_secret: secret,
        }),
      });
    assert.equal((await exchange(pkce().verifier, CLIENT_SECRET)).status, 400);
    assert.equal((await exchange(verifier, "wrong")).status, 401);
    const ok = await exchange(verifier, CLIENT_SECRET); // client_secret_post
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).token_type, "Bearer");
  });

  test("ID token: RS256, iss, aud = client id, nonce, email claims", TIMEOUT, async () => {
    const tokens = await getProviderTokens({ issuer: op.issuer, email: "grace@example.test" });
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token, createLocalJWKSet(jwks), {
      issuer: op.issuer,
      audience: CLIENT_ID,
      algorithms: ["RS256"],
    });
    assert.equal(protectedHeader.kid, jwks.keys.find((k) => k.alg === "RS256").kid);
    assert.equal(payload.sub, "grace@example.test");
    assert.equal(payload.email, "grace@example.test");
    assert.equal(payload.email_verified, true);
    assert.equal(payload.name, "grace");
    assert.equal(payload.nonce, tokens.nonce);
    assert.equal(tokens.scope, "openid email profile");
    assert.equal(tokens.expires_in, 3600);
    assert.ok(tokens.refresh_token);
  });

  test("an account id without @ gets an @example.test email", TIMEOUT, async () => {
    const tokens = await getProviderTokens({ issuer: op.issuer, email: "bob" });
    const { payload } = await jwtVerify(tokens.id_token, createLocalJWKSet(jwks));
    assert.equal(payload.sub, "bob");
    assert.equal(payload.email, "bob@example.test");
  });

  test("access token: an RFC 9068 JWT for audience edge-auth-local with the scopes", TIMEOUT, async () => {
    const tokens = await getProviderTokens({ issuer: op.issuer, email: "ada@example.test" });
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), {
      issuer: op.issuer,
      audience: CLIENT_ID,
      typ: "at+jwt",
      algorithms: ["RS256"],
    });
    assert.deepEqual(Object.keys(protectedHeader).sort(), ["alg", "kid", "typ"]);
    assert.deepEqual(Object.keys(payload).sort(), ["aud", "client_id", "exp", "iat", "iss", "jti", "scope", "sub"]);
    assert.equal(payload.sub, "ada@example.test");
    assert.equal(payload.aud, CLIENT_ID); // a string, not an array
    assert.equal(payload.client_id, CLIENT_ID);
    assert.equal(payload.scope, "openid email profile");
    assert.equal(payload.exp - payload.iat, 3600);
  });

  test("access tokens for the ES256 and the other resource server", TIMEOUT, async () => {
    const es = await getProviderTokens({ issuer: op.issuer, resource: RESOURCE_ES256 });
    assert.equal(decodeProtectedHeader(es.access_token).alg, "ES256");
    await jwtVerify(es.access_token, createLocalJWKSet(jwks), { issuer: op.issuer, audience: CLIENT_ID });
    const other = await getProviderTokens({ issuer: op.issuer, resource: RESOURCE_OTHER });
    const { payload } = await jwtVerify(other.access_token, createLocalJWKSet(jwks), { issuer: op.issuer });
    assert.equal(payload.aud, OTHER_AUDIENCE);
  });

  test("a narrower scope request gets a narrower access token", TIMEOUT, async () => {
    const tokens = await getProviderTokens({ issuer: op.issuer, scope: "openid" });
    const { payload } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), { audience: CLIENT_ID });
    assert.equal(payload.scope, "openid");
  });

  test("signToken signs with the provider's real keys (for negative tests)", TIMEOUT, async () => {
    const token = await op.signToken({ exp: 1 });
    await assert.rejects(
      jwtVerify(token, createLocalJWKSet(jwks), { issuer: op.issuer, audience: CLIENT_ID }),
      { code: "ERR_JWT_EXPIRED" },
    );
  });
});
