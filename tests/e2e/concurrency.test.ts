// Concurrent writers lose nothing: one KV record per key, no read-modify-write lists.
import { describe, expect, it } from "vitest";
import { call, describeReply, expectStatus, listKeys, newUser } from "./helpers";

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
