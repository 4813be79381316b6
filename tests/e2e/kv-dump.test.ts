// Secrets at rest: dump every key, value and metadata of the KV namespace and check that no
// password, API key, refresh token, private key or deployment secret is stored in clear.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createKey, expectStatus, generatePrivateKey, newUser, randomHex, splitKey } from "./helpers";

interface Entry {
  name: string;
  text: string;
}

async function dumpKv(): Promise<Entry[]> {
  const entries: Entry[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page: KVNamespaceListResult<unknown, string> = await env.AUTH_KV.list({ cursor });
    for (const key of page.keys) {
      const { value, metadata } = await env.AUTH_KV.getWithMetadata(key.name, "arrayBuffer");
      const body = value === null ? "" : new TextDecoder().decode(value);
      entries.push({
        name: key.name,
        text: `${body}\n${JSON.stringify(metadata ?? null)}\n${JSON.stringify(key.metadata ?? null)}`,
      });
    }
    if (page.list_complete) break;
    cursor = page.cursor;
  }
  return entries;
}

function expectAbsent(entries: Entry[], needles: Record<string, string>): void {
  for (const [what, needle] of Object.entries(needles)) {
    expect(needle.length, `${what} is long enough to search for`).toBeGreaterThanOrEqual(8);
    for (const entry of entries) {
      expect(entry.name.includes(needle), `${what} appears in the KV key name ${entry.name}`).toBe(
        false,
      );
      expect(entry.text.includes(needle), `${what} appears in the value of KV key ${entry.name}`).toBe(
        false,
      );
    }
  }
}

describe("KV holds no secret in clear", () => {
  it("after register, login, refresh, an API key and a private key", async () => {
    const { user, password, tokens } = await newUser("Dump Subject");

    // A refresh, so that both a spent and a live refresh token exist.
    const refreshed = await call("POST", "/refresh", { json: { refresh_token: tokens.refresh_token } });
    expectStatus(refreshed, 200);
    const jwt = refreshed.body.access_token as string;

    const apiKey = await createKey(jwt, { name: "dump check" });
    const { secret, checksum } = splitKey(apiKey.key);

    // First a JWK carrying a unique marker, then a PEM (which replaces it): neither may be
    // stored in clear, nor left behind in clear once replaced.
    const marker = `MARKER-${randomHex(16)}`;
    const generated = await generatePrivateKey();
    const markedJwk = { ...generated.jwk, kid: marker };
    expectStatus(
      await call("PUT", "/private-key", { token: jwt, json: { private_key: markedJwk } }),
      200,
    );
    const pemKey = await generatePrivateKey();
    expectStatus(
      await call("PUT", "/private-key", { token: jwt, json: { private_key: pemKey.privatePem } }),
      200,
    );

    const entries = await dumpKv();
    // Sanity: this is the store the Worker wrote to, with this user's records in it.
    expect(entries.length).toBeGreaterThan(0);
    const mentionsUser = entries.some((e) => e.name.includes(user.id) || e.text.includes(user.id));
    expect(mentionsUser, `no KV record names user ${user.id}`).toBe(true);
    const mentionsKey = entries.some((e) => e.name.includes(apiKey.id) || e.text.includes(apiKey.id));
    expect(mentionsKey, `no KV record names API key ${apiKey.id}`).toBe(true);

    expectAbsent(entries, {
      "the password": password,
      "the full API key": apiKey.key,
      "the API key's secret": secret,
      "the API key's secret and checksum": secret + checksum,
      "the first half of the API key's secret": secret.slice(0, 21),
      "the second half of the API key's secret": secret.slice(21),
      "the first refresh token": tokens.refresh_token,
      "the rotated refresh token": refreshed.body.refresh_token,
      "the private-key marker": marker,
      "the JWK's private part d": generated.jwk.d!,
      "the PEM armor": "PRIVATE KEY",
      "the PEM body": pemKey.pemBody,
      "the PEM body's first line": pemKey.pemBody.slice(0, 64),
      "the PEM body's last 40 characters": pemKey.pemBody.slice(-40),
      "the JWT signing secret": env.JWT_SIGNING_KEY,
      "the private-key encryption key": env.PRIVATE_KEY_ENCRYPTION_KEY,
      "the API key pepper": env.API_KEY_PEPPER,
    });
  });
});
