// Shared helpers for the end-to-end tests: calling the Worker, asserting the documented
// response shapes, making users, and taking JWTs and API keys apart.
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { checkContract } from "./contract";

export const ORIGIN = "http://127.0.0.1:8787";
export const BASE = `${ORIGIN}/api/v1/auth`;

// The Worker under test (build/worker/shim.mjs), reached through the pool's loopback binding.
const worker = (exports as unknown as { default: Fetcher }).default;

/** The Worker's own OpenAPI document, which every reply is checked against. */
async function openApiDocument() {
  const res = await worker.fetch(`${BASE}/openapi.json`);
  return res.json();
}

/** A response, read once. `body` is the parsed JSON, or undefined when the body is not JSON. */
export interface Reply {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface CallOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as a JSON body with `Content-Type: application/json` (unless `headers` sets one). */
  json?: unknown;
  /** A raw body (instead of `json`). */
  body?: string | Uint8Array;
  headers?: Record<string, string>;
}

/**
 * Calls the Worker. `path` is relative to /api/v1/auth unless it is a full URL. Every answer
 * is checked for the one thing that must never happen: a 5xx for something a client sent.
 */
export async function call(method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
  const url = /^https?:/.test(path) ? path : `${BASE}${path}`;
  const headers = new Headers(opts.headers);
  if (opts.token !== undefined) headers.set("authorization", `Bearer ${opts.token}`);
  let body = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const res = await worker.fetch(url, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  if (text !== "") {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  const reply: Reply = { method, url, status: res.status, headers: res.headers, text, body: parsed };
  // 503 "busy, retry" (load shedding, with Retry-After) is the one 5xx a client may meet.
  const shed = reply.status === 503 && reply.headers.get("retry-after") !== null;
  expect(reply.status < 500 || shed, describeReply(reply)).toBe(true);
  await checkContract(openApiDocument, reply);
  return reply;
}

export function describeReply(r: Reply): string {
  const snippet = r.text.length > 500 ? `${r.text.slice(0, 500)}...` : r.text;
  return `${r.method} ${r.url} -> ${r.status} ${snippet}`;
}

/** Asserts the status, and for a body-carrying status that the body is JSON. */
export function expectStatus(r: Reply, status: number): void {
  expect(r.status, describeReply(r)).toBe(status);
  if (status === 204) {
    expect(r.text, `${describeReply(r)}: a 204 has no body`).toBe("");
  } else {
    expect(r.headers.get("content-type") ?? "", describeReply(r)).toMatch(/^application\/json/);
    expect(r.body, `${describeReply(r)}: body is not JSON`).toBeDefined();
  }
}

/** `{"detail": "<string>"}` with the given status (401/403/404/405/409/413/415). */
export function expectDetail(r: Reply, status: number): void {
  expectStatus(r, status);
  expect(Object.keys(r.body), describeReply(r)).toEqual(["detail"]);
  expect(typeof r.body.detail, describeReply(r)).toBe("string");
  expect(r.body.detail.length, describeReply(r)).toBeGreaterThan(0);
}

/**
 * A 401 with `WWW-Authenticate: Bearer...`; with `invalidToken`, the header also carries
 * RFC 6750's `error="invalid_token"` (a credential was sent and refused).
 */
export function expectUnauthorized(r: Reply, opts: { invalidToken?: boolean } = {}): void {
  expectDetail(r, 401);
  const challenge = r.headers.get("www-authenticate") ?? "";
  expect(challenge, `${describeReply(r)}: WWW-Authenticate`).toMatch(/^Bearer\b/);
  if (opts.invalidToken) {
    expect(challenge, `${describeReply(r)}: WWW-Authenticate`).toContain('error="invalid_token"');
  }
}

export interface FieldErrorExpectation {
  loc: (string | number)[];
  type?: string;
}

/**
 * FastAPI's 422: `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`, with an entry for
 * each expected `loc` (and `type`, when given).
 */
export function expectValidation(r: Reply, expected: FieldErrorExpectation[] = []): void {
  expectStatus(r, 422);
  expect(Object.keys(r.body), describeReply(r)).toEqual(["detail"]);
  const detail = r.body.detail;
  expect(Array.isArray(detail), `${describeReply(r)}: detail must be a list`).toBe(true);
  expect(detail.length, describeReply(r)).toBeGreaterThan(0);
  for (const entry of detail) {
    expect(Array.isArray(entry.loc), describeReply(r)).toBe(true);
    expect(entry.loc.length, describeReply(r)).toBeGreaterThan(0);
    expect(entry.loc[0], `${describeReply(r)}: loc starts with "body"`).toBe("body");
    expect(typeof entry.msg, describeReply(r)).toBe("string");
    expect(typeof entry.type, describeReply(r)).toBe("string");
    expect(entry.type.length, describeReply(r)).toBeGreaterThan(0);
  }
  for (const want of expected) {
    const found = detail.some(
      (entry: { loc: unknown[]; type: string }) =>
        JSON.stringify(entry.loc) === JSON.stringify(want.loc) &&
        (want.type === undefined || entry.type === want.type),
    );
    expect(found, `${describeReply(r)}: expected an error at ${JSON.stringify(want)}`).toBe(true);
  }
}

/** RFC 3339 in UTC, like 2019-08-24T14:15:22Z (fractional seconds tolerated). */
export const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export function expectTimestamp(value: unknown, what: string): void {
  expect(typeof value, `${what} should be an RFC 3339 string, got ${JSON.stringify(value)}`).toBe(
    "string",
  );
  expect(value as string, what).toMatch(RFC3339_UTC);
  expect(Number.isNaN(Date.parse(value as string)), what).toBe(false);
}

export function expectTimestampOrNull(value: unknown, what: string): void {
  if (value !== null) expectTimestamp(value, what);
}

// ---------------------------------------------------------------------------------------------
// Users and tokens

export function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A fresh address per call: KV keeps data between the tests of a run. */
export function uniqueEmail(tag = "user"): string {
  return `e2e-${tag}-${crypto.randomUUID()}@example.com`;
}

/** A password no other test uses, easy to search for in a storage dump. */
export function uniquePassword(): string {
  return `pw-${randomHex(12)}-Zq9!`;
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

export interface User {
  id: string;
  email: string;
  name: string | null;
  created_at: string;
}

export interface TestUser {
  email: string;
  password: string;
  user: User;
  tokens: Tokens;
}

export async function register(email: string, password: string, name?: string): Promise<Reply> {
  const json: Record<string, string> = { email, password };
  if (name !== undefined) json.name = name;
  return call("POST", "/register", { json });
}

export function expectTokenPair(r: Reply): Tokens {
  expectStatus(r, 200);
  expect(r.body.token_type, describeReply(r)).toBe("bearer");
  expect(typeof r.body.access_token, describeReply(r)).toBe("string");
  expect(typeof r.body.refresh_token, describeReply(r)).toBe("string");
  expect(r.body.access_token.length).toBeGreaterThan(0);
  expect(r.body.refresh_token.length).toBeGreaterThan(0);
  expect(r.body.refresh_token).not.toBe(r.body.access_token);
  expect(Number.isInteger(r.body.expires_in), describeReply(r)).toBe(true);
  expect(r.body.expires_in).toBeGreaterThan(0);
  return r.body as Tokens;
}

export async function login(email: string, password: string): Promise<Tokens> {
  return expectTokenPair(await call("POST", "/login", { json: { email, password } }));
}

export async function refresh(refreshToken: string): Promise<Reply> {
  return call("POST", "/refresh", { json: { refresh_token: refreshToken } });
}

/** Registers a new user and logs in. */
export async function newUser(name: string | undefined = "E2E Tester"): Promise<TestUser> {
  const email = uniqueEmail();
  const password = uniquePassword();
  const r = await register(email, password, name);
  expectStatus(r, 201);
  const tokens = await login(email, password);
  return { email, password, user: r.body as User, tokens };
}

export interface CreatedKey {
  id: string;
  name: string;
  key: string;
  prefix: string;
  last4: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
}

export async function createKey(
  token: string,
  json: Record<string, unknown> = { name: "e2e key" },
): Promise<CreatedKey> {
  const r = await call("POST", "/api-keys", { token, json });
  expectStatus(r, 201);
  return r.body as CreatedKey;
}

export async function listKeys(token: string): Promise<Reply> {
  const r = await call("GET", "/api-keys", { token });
  expectStatus(r, 200);
  expect(Array.isArray(r.body.keys), describeReply(r)).toBe(true);
  return r;
}

// ---------------------------------------------------------------------------------------------
// JWTs

export function base64urlEncode(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function base64urlDecode(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export interface DecodedJwt {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  header: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  payload: any;
  parts: [string, string, string];
}

export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split(".");
  expect(parts.length, `a JWT has three parts: ${token}`).toBe(3);
  const text = (s: string) => new TextDecoder().decode(base64urlDecode(s));
  return {
    header: JSON.parse(text(parts[0])),
    payload: JSON.parse(text(parts[1])),
    parts: parts as [string, string, string],
  };
}

/** A JWT made of the given header and payload and a raw signature part. */
export function assembleJwt(header: unknown, payload: unknown, signature: string): string {
  return `${base64urlEncode(JSON.stringify(header))}.${base64urlEncode(JSON.stringify(payload))}.${signature}`;
}

// ---------------------------------------------------------------------------------------------
// API keys: "sk-" + 16-char id + 43-char secret + 6-char checksum, all base62.

export const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const API_KEY_FORMAT = /^sk-[0-9A-Za-z]{65}$/;

export function splitKey(key: string): { id: string; secret: string; checksum: string } {
  return { id: key.slice(3, 19), secret: key.slice(19, 62), checksum: key.slice(62) };
}

export function randomBase62(len: number): string {
  let out = "";
  while (out.length < len) {
    for (const b of crypto.getRandomValues(new Uint8Array(len))) {
      if (b < 248 && out.length < len) out += BASE62[b % 62];
    }
  }
  return out;
}

/**
 * The checksum of a key body ("sk-" + id + secret): the first 32 bits of its SHA-256,
 * big-endian, in base62 left-padded with "0" to 6 characters.
 */
export async function keyChecksum(body: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)),
  );
  let value = ((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0;
  let out = "";
  while (value > 0) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out.padStart(6, "0");
}

/** Replaces the character at `index` with a different base62 character. */
export function changeCharAt(text: string, index: number): string {
  const old = text[index];
  const replacement = old === "A" ? "B" : "A";
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

// ---------------------------------------------------------------------------------------------
// Private keys

function pem(label: string, der: ArrayBuffer): string {
  const b64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

export interface GeneratedKey {
  /** PKCS#8 PEM of the private key. */
  privatePem: string;
  /** The base64 body of the PEM, without armor or line breaks. */
  pemBody: string;
  /** SPKI PEM of the public key. */
  publicPem: string;
  /** The private key as a JWK (kty, crv, x, d). */
  jwk: JsonWebKey;
}

/** A fresh P-256 key pair, so no two tests ever send the same private key. */
export async function generatePrivateKey(): Promise<GeneratedKey> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const pkcs8 = (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer;
  const spki = (await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer;
  const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  const privatePem = pem("PRIVATE KEY", pkcs8);
  return {
    privatePem,
    pemBody: privatePem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""),
    publicPem: pem("PUBLIC KEY", spki),
    jwk,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
