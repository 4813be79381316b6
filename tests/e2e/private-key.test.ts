// The caller's private key: status, store (PEM or JWK), replace, delete; never echoed back.
import { describe, expect, it } from "vitest";
import {
  call,
  describeReply,
  expectStatus,
  expectTimestamp,
  expectValidation,
  generatePrivateKey,
  newUser,
  sleep,
} from "./helpers";

const NO_KEY = { has_key: false, created_at: null, updated_at: null };

describe("the seed's request", () => {
  it("GET /private-key?args=null&kwargs=null with a Bearer token answers 200 with no key", async () => {
    const { tokens } = await newUser();
    const r = await call("GET", "/private-key?args=null&kwargs=null", {
      token: tokens.access_token,
    });
    expectStatus(r, 200);
    expect(r.body).toMatchObject(NO_KEY);
  });
});

describe("private key lifecycle", () => {
  it("stores a PEM, keeps created_at on replace, and deletes it", async () => {
    const { tokens } = await newUser();
    const token = tokens.access_token;

    const initial = await call("GET", "/private-key", { token });
    expectStatus(initial, 200);
    expect(initial.body).toMatchObject(NO_KEY);

    const first = await generatePrivateKey();
    const put1 = await call("PUT", "/private-key", { token, json: { private_key: first.privatePem } });
    expectStatus(put1, 200);
    expect(put1.body.has_key).toBe(true);
    expectTimestamp(put1.body.created_at, "created_at");
    expectTimestamp(put1.body.updated_at, "updated_at");
    expect(Date.parse(put1.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(put1.body.created_at));
    expect(put1.text).not.toContain(first.pemBody.slice(0, 40));
    expect(put1.text).not.toContain("PRIVATE KEY");

    const status1 = await call("GET", "/private-key", { token });
    expectStatus(status1, 200);
    expect(status1.body).toMatchObject({
      has_key: true,
      created_at: put1.body.created_at,
      updated_at: put1.body.updated_at,
    });
    expect(status1.text).not.toContain("PRIVATE KEY");

    // Timestamps have (at least) one-second resolution: wait so that updated_at must move.
    await sleep(1100);
    const second = await generatePrivateKey();
    const put2 = await call("PUT", "/private-key", { token, json: { private_key: second.privatePem } });
    expectStatus(put2, 200);
    expect(put2.body.has_key).toBe(true);
    expect(put2.body.created_at).toBe(put1.body.created_at);
    expectTimestamp(put2.body.updated_at, "updated_at");
    expect(Date.parse(put2.body.updated_at)).toBeGreaterThan(Date.parse(put1.body.updated_at));
    expect(Date.parse(put2.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(put2.body.created_at));

    const status2 = await call("GET", "/private-key", { token });
    expect(status2.body).toMatchObject({
      has_key: true,
      created_at: put1.body.created_at,
      updated_at: put2.body.updated_at,
    });

    const del = await call("DELETE", "/private-key", { token });
    expectStatus(del, 204);
    const after = await call("GET", "/private-key", { token });
    expectStatus(after, 200);
    expect(after.body).toMatchObject(NO_KEY);
  });

  it("accepts a JWK object and a JWK as a JSON string", async () => {
    const { tokens } = await newUser();
    const token = tokens.access_token;
    const { jwk } = await generatePrivateKey();

    const asObject = await call("PUT", "/private-key", { token, json: { private_key: jwk } });
    expectStatus(asObject, 200);
    expect(asObject.body.has_key).toBe(true);
    expect(asObject.text).not.toContain(jwk.d!);

    const asString = await call("PUT", "/private-key", {
      token,
      json: { private_key: JSON.stringify(jwk) },
    });
    expectStatus(asString, 200);
    expect(asString.body.has_key).toBe(true);
    expect(asString.body.created_at).toBe(asObject.body.created_at);
  });

  it("is private to its owner", async () => {
    const alice = await newUser("Alice");
    const bob = await newUser("Bob");
    const { privatePem } = await generatePrivateKey();
    expectStatus(
      await call("PUT", "/private-key", {
        token: alice.tokens.access_token,
        json: { private_key: privatePem },
      }),
      200,
    );
    const bobs = await call("GET", "/private-key", { token: bob.tokens.access_token });
    expectStatus(bobs, 200);
    expect(bobs.body).toMatchObject(NO_KEY);
    // Bob deleting "his" key does not touch Alice's.
    expectStatus(await call("DELETE", "/private-key", { token: bob.tokens.access_token }), 204);
    const alices = await call("GET", "/private-key", { token: alice.tokens.access_token });
    expect(alices.body.has_key, describeReply(alices)).toBe(true);
  });
});

describe("refusing what is not a private key", () => {
  it("answers 422 at body.private_key and stores nothing", async () => {
    const { tokens } = await newUser();
    const token = tokens.access_token;
    const { publicPem, jwk } = await generatePrivateKey();
    const { d: _d, ...publicJwk } = jwk;
    const cases: [string, unknown][] = [
      ["a public key PEM", publicPem],
      ["a JWK without d", publicJwk],
      ["a plain string", "hello, I am not a key"],
      ["a number", 42],
      ["a list", ["-----BEGIN PRIVATE KEY-----"]],
    ];
    for (const [what, value] of cases) {
      const r = await call("PUT", "/private-key", { token, json: { private_key: value } });
      expect(r.status, `${what}: ${describeReply(r)}`).toBe(422);
      expectValidation(r, [{ loc: ["body", "private_key"] }]);
    }
    const status = await call("GET", "/private-key", { token });
    expect(status.body).toMatchObject(NO_KEY);
  });
});
