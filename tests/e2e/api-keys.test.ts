// API keys: creation in the documented format, listing without secrets, use, revocation and
// ownership.
import { describe, expect, it } from "vitest";
import {
  API_KEY_FORMAT,
  call,
  changeCharAt,
  createKey,
  describeReply,
  expectDetail,
  expectStatus,
  expectTimestamp,
  expectTimestampOrNull,
  expectUnauthorized,
  keyChecksum,
  listKeys,
  newUser,
  randomBase62,
  splitKey,
} from "./helpers";

const LIST_FIELDS = [
  "created_at",
  "expires_at",
  "id",
  "last4",
  "last_used_at",
  "name",
  "prefix",
  "scopes",
];

describe("creating API keys", () => {
  it("answers 201 with the full key in the documented format, shown once", async () => {
    const { tokens } = await newUser();
    const r = await call("POST", "/api-keys", {
      token: tokens.access_token,
      json: { name: "ci deploy" },
    });
    expectStatus(r, 201);
    const k = r.body;
    expect(k.name).toBe("ci deploy");
    expect(typeof k.key).toBe("string");
    expect(k.key).toHaveLength(68);
    expect(k.key).toMatch(API_KEY_FORMAT);
    const parts = splitKey(k.key);
    expect(k.id).toBe(parts.id);
    expect(k.prefix).toBe(`sk-${k.id}`);
    expect(k.key.startsWith(k.prefix)).toBe(true);
    expect(k.last4).toBe(k.key.slice(-4));
    expect(Array.isArray(k.scopes)).toBe(true);
    for (const s of k.scopes) expect(typeof s).toBe("string");
    expectTimestamp(k.created_at, "created_at");
    expect(k.expires_at).toBeNull();
  });

  it("ends the key with the documented checksum (first 32 bits of SHA-256, base62)", async () => {
    const { tokens } = await newUser();
    const { key } = await createKey(tokens.access_token);
    expect(await keyChecksum(key.slice(0, 62))).toBe(key.slice(62));
  });

  it("sets expires_at expires_in_days after created_at", async () => {
    const { tokens } = await newUser();
    const k = await createKey(tokens.access_token, { name: "month", expires_in_days: 30 });
    expectTimestamp(k.expires_at, "expires_at");
    const days = (Date.parse(k.expires_at!) - Date.parse(k.created_at)) / 86_400_000;
    expect(days).toBeGreaterThan(30 - 1 / 1440);
    expect(days).toBeLessThan(30 + 1 / 1440);
  });

  it("stores and echoes scopes", async () => {
    const { tokens } = await newUser();
    const scopes = ["keys:read", "profile"];
    const k = await createKey(tokens.access_token, { name: "scoped", scopes });
    expect(k.scopes).toEqual(scopes);
    const list = await listKeys(tokens.access_token);
    expect(list.body.keys[0].scopes).toEqual(scopes);
  });

  it("gives every key a different id and secret", async () => {
    const { tokens } = await newUser();
    const a = await createKey(tokens.access_token, { name: "a" });
    const b = await createKey(tokens.access_token, { name: "b" });
    expect(a.id).not.toBe(b.id);
    expect(splitKey(a.key).secret).not.toBe(splitKey(b.key).secret);
  });
});

describe("listing API keys", () => {
  it("lists the caller's keys with their metadata and never a secret", async () => {
    const { tokens } = await newUser();
    const token = tokens.access_token;
    const a = await createKey(token, { name: "first" });
    const b = await createKey(token, { name: "second", expires_in_days: 7 });

    const r = await listKeys(token);
    expect(r.body.keys).toHaveLength(2);
    for (const created of [a, b]) {
      const entry = r.body.keys.find((k: { id: string }) => k.id === created.id);
      expect(entry, `key ${created.id} is listed`).toBeDefined();
      expect(Object.keys(entry).sort()).toEqual(LIST_FIELDS);
      expect(entry).toMatchObject({
        id: created.id,
        name: created.name,
        prefix: created.prefix,
        last4: created.last4,
        scopes: created.scopes,
        created_at: created.created_at,
        expires_at: created.expires_at,
      });
      expectTimestampOrNull(entry.last_used_at, "last_used_at");

      // The secret appears nowhere in the answer, in any form we handed out.
      const { secret, checksum } = splitKey(created.key);
      expect(r.text).not.toContain(created.key);
      expect(r.text).not.toContain(secret);
      expect(r.text).not.toContain(secret + checksum);
      expect(r.text).not.toContain(secret.slice(0, 16));
    }
    expect(JSON.stringify(r.body)).not.toMatch(/"key"\s*:/);
  });
});

describe("using and revoking API keys", () => {
  it("authenticates /me until revoked, then answers 401", async () => {
    const { tokens, user } = await newUser();
    const jwt = tokens.access_token;
    const k = await createKey(jwt, { name: "short-lived" });

    const me = await call("GET", "/me", { token: k.key });
    expectStatus(me, 200);
    expect(me.body.id).toBe(user.id);
    expect(me.body.auth_scheme).toBe("api_key");

    expectStatus(await call("DELETE", `/api-keys/${k.id}`, { token: jwt }), 204);

    expectUnauthorized(await call("GET", "/me", { token: k.key }), { invalidToken: true });
    expectUnauthorized(await call("GET", "/private-key", { token: k.key }), { invalidToken: true });
    const list = await listKeys(jwt);
    expect(list.body.keys.map((x: { id: string }) => x.id)).not.toContain(k.id);

    // Revoking it again: it is gone.
    expectDetail(await call("DELETE", `/api-keys/${k.id}`, { token: jwt }), 404);
  });

  it("revoking one key leaves the user's other keys working", async () => {
    const { tokens } = await newUser();
    const jwt = tokens.access_token;
    const keep = await createKey(jwt, { name: "keep" });
    const drop = await createKey(jwt, { name: "drop" });
    expectStatus(await call("DELETE", `/api-keys/${drop.id}`, { token: jwt }), 204);
    expectStatus(await call("GET", "/me", { token: keep.key }), 200);
    expectUnauthorized(await call("GET", "/me", { token: drop.key }), { invalidToken: true });
  });

  it("answers 404 for an unknown key id and for another user's key, which keeps working", async () => {
    const alice = await newUser("Alice");
    const bob = await newUser("Bob");
    const aliceKey = await createKey(alice.tokens.access_token, { name: "alice's" });

    expectDetail(
      await call("DELETE", `/api-keys/${randomBase62(16)}`, { token: alice.tokens.access_token }),
      404,
    );
    expectDetail(
      await call("DELETE", `/api-keys/${aliceKey.id}`, { token: bob.tokens.access_token }),
      404,
    );

    const me = await call("GET", "/me", { token: aliceKey.key });
    expectStatus(me, 200);
    expect(me.body.id).toBe(alice.user.id);
    const bobs = await listKeys(bob.tokens.access_token);
    expect(bobs.body.keys).toEqual([]);
    const alices = await listKeys(alice.tokens.access_token);
    expect(alices.body.keys.map((x: { id: string }) => x.id)).toEqual([aliceKey.id]);
  });

  it("refuses a well-formed key with a valid checksum but the wrong secret", async () => {
    const { tokens } = await newUser();
    const real = await createKey(tokens.access_token);
    const body = `sk-${real.id}${randomBase62(43)}`;
    const forged = body + (await keyChecksum(body));
    expect(forged).toMatch(API_KEY_FORMAT);
    const r = await call("GET", "/me", { token: forged });
    expectUnauthorized(r, { invalidToken: true });
    // And the real one is unaffected.
    expectStatus(await call("GET", "/me", { token: real.key }), 200);
  });

  it("refuses a well-formed key with a valid checksum and an unknown id", async () => {
    const body = `sk-${randomBase62(16)}${randomBase62(43)}`;
    const forged = body + (await keyChecksum(body));
    expectUnauthorized(await call("GET", "/me", { token: forged }), { invalidToken: true });
  });

  it("refuses a real key with one character of its secret changed", async () => {
    const { tokens } = await newUser();
    const real = await createKey(tokens.access_token);
    const typo = changeCharAt(real.key, 30);
    expect(typo).not.toBe(real.key);
    const r = await call("GET", "/me", { token: typo });
    expectUnauthorized(r, { invalidToken: true });
    expect(r.status, describeReply(r)).toBe(401);
  });
});
