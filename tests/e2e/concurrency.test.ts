// Concurrent writers lose nothing: one KV record per key, no read-modify-write lists.
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
