// The main journey: register, log in, and use every protected route with a JWT and with an
// API key, checking which scheme each route accepts.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  ORIGIN,
  base64urlDecode,
  call,
  createKey,
  decodeJwt,
  describeReply,
  expectDetail,
  expectStatus,
  expectTimestamp,
  expectTokenPair,
  expectUnauthorized,
  generatePrivateKey,
  listKeys,
  login,
  newUser,
  register,
  uniqueEmail,
  uniquePassword,
} from "./helpers";

describe("register", () => {
  it("creates a user and answers 201 with the documented shape", async () => {
    const email = uniqueEmail("register");
    const password = uniquePassword();
    const r = await register(email, password, "Ada Lovelace");
    expectStatus(r, 201);
    expect(r.body).toMatchObject({ email, name: "Ada Lovelace" });
    expect(typeof r.body.id).toBe("string");
    expect(r.body.id.length).toBeGreaterThan(0);
    expectTimestamp(r.body.created_at, "created_at");
    // No password, hash or other secret comes back.
    expect(r.text).not.toContain(password);
    expect(Object.keys(r.body)).not.toContain("password");
    expect(Object.keys(r.body)).not.toContain("password_hash");
  });

  it("accepts a missing name and answers name: null", async () => {
    const email = uniqueEmail("noname");
    const r = await register(email, uniquePassword());
    expectStatus(r, 201);
    expect(r.body.email).toBe(email);
    expect(r.body).toHaveProperty("name", null);
  });

  it("answers 409 for an email that is already registered", async () => {
    const email = uniqueEmail("dup");
    expectStatus(await register(email, uniquePassword()), 201);
    expectDetail(await register(email, uniquePassword()), 409);
    expectDetail(await register(email, uniquePassword(), "Someone Else"), 409);
  });

  it("accepts a password of exactly 8 characters and refuses 7", async () => {
    expectStatus(await register(uniqueEmail("pw8"), "abcdefgh"), 201);
    const r = await register(uniqueEmail("pw7"), "abcdefg");
    expect(r.status, describeReply(r)).toBe(422);
  });
});

describe("login", () => {
  it("returns a bearer token pair whose access token is our EdDSA JWT for the user", async () => {
    const email = uniqueEmail("login");
    const password = uniquePassword();
    const reg = await register(email, password, "Grace");
    expectStatus(reg, 201);

    const before = Math.floor(Date.now() / 1000);
    const tokens = await login(email, password);
    const ttl = Number(env.ACCESS_TOKEN_TTL_SECS);
    expect(tokens.expires_in).toBe(ttl);

    const { header, payload } = decodeJwt(tokens.access_token);
    expect(header.alg).toBe("EdDSA");
    expect(header.typ).toBe("at+jwt");
    expect(typeof header.kid).toBe("string");
    expect(payload.sub).toBe(reg.body.id);
    expect(payload.iss).toBe(env.JWT_ISSUER);
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    expect(aud).toContain(env.JWT_AUDIENCE);
    expect(payload.exp - payload.iat).toBe(ttl);
    expect(payload.exp).toBeGreaterThanOrEqual(before + ttl - 5);
    expect(payload.exp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + ttl + 5);
    // Nothing secret rides in the token.
    expect(JSON.stringify(payload)).not.toContain(password);
  });

  it("accepts and ignores the seed clients' ?args=null&kwargs=null", async () => {
    const email = uniqueEmail("login-q");
    const password = uniquePassword();
    expectStatus(await register(email, password), 201);
    expectTokenPair(
      await call("POST", "/login?args=null&kwargs=null", { json: { email, password } }),
    );
  });

  it("accepts application/json with a charset parameter", async () => {
    const email = uniqueEmail("charset");
    const password = uniquePassword();
    expectStatus(await register(email, password), 201);
    expectTokenPair(
      await call("POST", "/login", {
        json: { email, password },
        headers: { "content-type": "application/json; charset=utf-8" },
      }),
    );
  });
});

describe("JWKS", () => {
  for (const url of [`${ORIGIN}/api/v1/auth/.well-known/jwks.json`, `${ORIGIN}/.well-known/jwks.json`]) {
    it(`publishes the Ed25519 signing key at ${new URL(url).pathname}`, async () => {
      const r = await call("GET", url);
      expectStatus(r, 200);
      expect(Array.isArray(r.body.keys)).toBe(true);
      expect(r.body.keys.length).toBeGreaterThan(0);
      for (const key of r.body.keys) {
        expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
        expect(typeof key.x).toBe("string");
        expect(base64urlDecode(key.x).length).toBe(32);
        expect(typeof key.kid).toBe("string");
        // Public keys only.
        expect(key).not.toHaveProperty("d");
      }
    });
  }

  it("verifies a fresh access token with the published key named by its kid", async () => {
    const { tokens } = await newUser();
    const { header, parts } = decodeJwt(tokens.access_token);
    const jwks = await call("GET", `${ORIGIN}/.well-known/jwks.json`);
    expectStatus(jwks, 200);
    const jwk = jwks.body.keys.find((k: { kid: string }) => k.kid === header.kid);
    expect(jwk, `no JWKS key with kid ${header.kid}`).toBeDefined();
    const key = await crypto.subtle.importKey(
      "jwk",
      { kty: "OKP", crv: "Ed25519", x: jwk.x },
      { name: "Ed25519" },
      false,
      ["verify"],
    );
    const signed = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
    const ok = await crypto.subtle.verify("Ed25519", key, base64urlDecode(parts[2]), signed);
    expect(ok, "the access token's signature verifies against the JWKS").toBe(true);
  });
});

describe("protected routes with a JWT", () => {
  it("allows every route and reports auth_scheme jwt", async () => {
    const { user, tokens, email } = await newUser("Jay Doe");
    const token = tokens.access_token;

    const me = await call("GET", "/me", { token });
    expectStatus(me, 200);
    expect(me.body).toMatchObject({
      id: user.id,
      email,
      name: "Jay Doe",
      created_at: user.created_at,
      auth_scheme: "jwt",
    });

    const empty = await listKeys(token);
    expect(empty.body.keys).toEqual([]);

    const created = await createKey(token, { name: "jwt route check" });
    const listed = await listKeys(token);
    expect(listed.body.keys.map((k: { id: string }) => k.id)).toEqual([created.id]);

    const status = await call("GET", "/private-key", { token });
    expectStatus(status, 200);
    expect(status.body).toMatchObject({ has_key: false, created_at: null, updated_at: null });

    const { privatePem } = await generatePrivateKey();
    const put = await call("PUT", "/private-key", { token, json: { private_key: privatePem } });
    expectStatus(put, 200);
    expect(put.body.has_key).toBe(true);

    expectStatus(await call("DELETE", "/private-key", { token }), 204);
    expectStatus(await call("DELETE", `/api-keys/${created.id}`, { token }), 204);
    expectStatus(await call("POST", "/logout", { token }), 204);
  });
});

describe("protected routes with an API key", () => {
  it("allows /me, GET /private-key and /logout, and refuses the rest with 403", async () => {
    const { user, tokens, email } = await newUser("Key Holder");
    const jwt = tokens.access_token;
    const created = await createKey(jwt, { name: "scheme check" });
    const key = created.key;

    // Allowed.
    const me = await call("GET", "/me", { token: key });
    expectStatus(me, 200);
    expect(me.body).toMatchObject({ id: user.id, email, auth_scheme: "api_key" });
    const status = await call("GET", "/private-key", { token: key });
    expectStatus(status, 200);
    expect(status.body.has_key).toBe(false);

    // Refused with 403, and nothing happens.
    expectDetail(await call("GET", "/api-keys", { token: key }), 403);
    expectDetail(await call("POST", "/api-keys", { token: key, json: { name: "minted by a key" } }), 403);
    const afterCreate = await listKeys(jwt);
    expect(afterCreate.body.keys.map((k: { id: string }) => k.id)).toEqual([created.id]);

    expectDetail(await call("DELETE", `/api-keys/${created.id}`, { token: key }), 403);
    expectStatus(await call("GET", "/me", { token: key }), 200); // the key still works

    const { privatePem } = await generatePrivateKey();
    expectDetail(
      await call("PUT", "/private-key", { token: key, json: { private_key: privatePem } }),
      403,
    );
    const stillNone = await call("GET", "/private-key", { token: jwt });
    expect(stillNone.body.has_key, describeReply(stillNone)).toBe(false);

    expectStatus(
      await call("PUT", "/private-key", { token: jwt, json: { private_key: privatePem } }),
      200,
    );
    expectDetail(await call("DELETE", "/private-key", { token: key }), 403);
    const stillThere = await call("GET", "/private-key", { token: key });
    expect(stillThere.body.has_key, describeReply(stillThere)).toBe(true);

    // Logging out with an API key is allowed, and does not end the user's JWT session.
    expectStatus(await call("POST", "/logout", { token: key }), 204);
    expectStatus(await call("GET", "/me", { token: jwt }), 200);
  });
});

describe("missing credentials", () => {
  const routes: [string, string, unknown?][] = [
    ["GET", "/me"],
    ["GET", "/api-keys"],
    ["POST", "/api-keys", { name: "anonymous" }],
    ["DELETE", "/api-keys/0123456789abcdef"],
    ["GET", "/private-key"],
    ["PUT", "/private-key", { private_key: "-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----" }],
    ["DELETE", "/private-key"],
    ["POST", "/logout"],
  ];
  for (const [method, path, json] of routes) {
    it(`${method} ${path} answers 401 with WWW-Authenticate: Bearer`, async () => {
      expectUnauthorized(await call(method, path, { json }));
    });
  }

  it("a non-Bearer scheme is answered like missing credentials", async () => {
    const r = await call("GET", "/me", { headers: { authorization: "Basic dXNlcjpwYXNzd29yZA==" } });
    expectUnauthorized(r);
  });
});
