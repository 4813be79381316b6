// Concurrent writers lose nothing: one KV record per key, no read-modify-write lists.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, describeReply, expectStatus, listKeys, newUser, uniqueEmail, uniquePassword } from "./helpers";

const N = 50;

describe("concurrency", () => {
  it(`${N} parallel POST /api-keys for one user all succeed and are all listed`, async () => {
    const { tokens } = await newUser();
    const token = tokens.access_token;
    const replies = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        call("POST", "/api-keys", { token, json: { name: `parallel-${i}` } }),
      ),
    );
    for (const r of replies) expectStatus(r, 201);
    const ids = replies.map((r) => r.body.id as string);
    const keys = replies.map((r) => r.body.key as string);
    expect(new Set(ids).size, "distinct ids").toBe(N);
    expect(new Set(keys).size, "distinct keys").toBe(N);

    const list = await listKeys(token);
    const listed = list.body.keys.map((k: { id: string }) => k.id).sort();
    expect(listed, describeReply(list)).toEqual([...ids].sort());
    const names = list.body.keys.map((k: { name: string }) => k.name).sort();
    expect(names).toEqual(Array.from({ length: N }, (_, i) => `parallel-${i}`).sort());

    // Every one of them works.
    const mes = await Promise.all(keys.map((key) => call("GET", "/me", { token: key })));
    for (const me of mes) expectStatus(me, 200);
  });
});

describe("one account per email (Durable Object claim)", () => {
  it("40 simultaneous registrations of one email: one 201, the rest 409", async () => {
    const email = uniqueEmail("race");
    const password = uniquePassword();
    // A 503 (busy hashing, Retry-After) is not an answer about the email: ask again.
    const register = async () => {
      for (;;) {
        const r = await call("POST", "/register", { json: { email, password } });
        if (r.status !== 503) return r;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const replies = await Promise.all(Array.from({ length: 40 }, register));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length, JSON.stringify(statuses)).toBe(1);
    expect(statuses.filter((s) => s === 409).length, JSON.stringify(statuses)).toBe(39);
    // The winner's password logs in.
    const login = await call("POST", "/login", { json: { email, password } });
    expectStatus(login, 200);
    const me = await call("GET", "/me", { token: login.body.access_token });
    expect(me.body.id).toBe(replies.find((r) => r.status === 201)?.body.id);
  });
});

describe("failed logins counted exactly (Durable Object counter)", () => {
  it("40 simultaneous wrong passwords: at most 10 are checked (401), the rest 429", async () => {
    const { email } = await newUser();
    const headers = { "cf-connecting-ip": `198.51.100.${Math.floor(Math.random() * 250) + 1}` };
    const guess = async () => {
      for (;;) {
        const r = await call("POST", "/login", { json: { email, password: "not the password" }, headers });
        if (r.status !== 503) return r;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const statuses = (await Promise.all(Array.from({ length: 40 }, guess))).map((r) => r.status);
    const checked = statuses.filter((s) => s === 401).length;
    expect(checked, JSON.stringify(statuses)).toBeLessThanOrEqual(10);
    expect(checked + statuses.filter((s) => s === 429).length, JSON.stringify(statuses)).toBe(40);
  });
});

// Ten clients keep using one credential while it is revoked: every request that starts after
// the revocation's 204 is refused. (Requests already in flight may still finish with 200.)
async function revokeWhileInUse(credential: string, revoke: () => Promise<{ status: number }>) {
  const CLIENTS = 10;
  const seen: { startedAt: number; status: number }[] = [];
  let revokedAt = Infinity;
  const afterEach = () => seen.filter((r) => r.startedAt > revokedAt).length;
  const client = async () => {
    // Until every client has made at least two requests after the 204.
    while (afterEach() < 2 * CLIENTS) {
      const startedAt = performance.now();
      const r = await call("GET", "/me", { token: credential });
      seen.push({ startedAt, status: r.status });
    }
  };
  const revoker = async () => {
    while (seen.filter((r) => r.status === 200).length < 2 * CLIENTS) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const r = await revoke();
    expect(r.status).toBe(204);
    revokedAt = performance.now();
  };
  await Promise.all([revoker(), ...Array.from({ length: CLIENTS }, client)]);
  const after = seen.filter((r) => r.startedAt > revokedAt).map((r) => r.status);
  expect(after.length).toBeGreaterThanOrEqual(2 * CLIENTS);
  expect(after.filter((s) => s !== 401), JSON.stringify(after)).toEqual([]);
  expect(seen.filter((r) => r.startedAt < revokedAt && r.status === 200).length).toBeGreaterThanOrEqual(2 * CLIENTS);
}

describe("revocation holds at once (Durable Object, CONSISTENCY=strict)", () => {
  it("an API key revoked while 10 clients use it is refused by every request after the 204", async () => {
    const { tokens } = await newUser();
    const created = await call("POST", "/api-keys", { token: tokens.access_token, json: { name: "busy" } });
    expectStatus(created, 201);
    await revokeWhileInUse(created.body.key, () =>
      call("DELETE", `/api-keys/${created.body.id}`, { token: tokens.access_token }),
    );
  });

  it("a session logged out while 10 clients use its access token is refused after the 204", async () => {
    const { tokens } = await newUser();
    await revokeWhileInUse(tokens.access_token, () =>
      call("POST", "/logout", { token: tokens.access_token }),
    );
  });

  // KV at another location may serve the old record for up to a minute; here the old value is
  // written back, and the object still refuses the credential.
  it("a logged-out session stays refused where KV still shows it live", async () => {
    const { tokens } = await newUser();
    const payload = JSON.parse(Buffer.from(tokens.access_token.split(".")[1], "base64url").toString());
    const key = `v1:session:${payload.sid}`;
    const live = await env.AUTH_KV.get(key);
    expect(live).toContain('"revoked":false');
    expectStatus(await call("POST", "/logout", { token: tokens.access_token }), 204);
    await env.AUTH_KV.put(key, live as string);
    expect((await call("GET", "/me", { token: tokens.access_token })).status).toBe(401);
    expect((await call("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } })).status).toBe(401);
  });

  it("a revoked API key stays refused where KV still has it", async () => {
    const { tokens } = await newUser();
    const created = await call("POST", "/api-keys", { token: tokens.access_token, json: { name: "stale" } });
    expectStatus(created, 201);
    const key = `v1:apikey:${created.body.id}`;
    const live = await env.AUTH_KV.get(key);
    expect(live).not.toBeNull();
    expectStatus(await call("DELETE", `/api-keys/${created.body.id}`, { token: tokens.access_token }), 204);
    await env.AUTH_KV.put(key, live as string);
    expect((await call("GET", "/me", { token: created.body.key })).status).toBe(401);
  });
});
