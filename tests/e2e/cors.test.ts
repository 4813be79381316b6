// Cross-origin calls from a browser app on another origin (CORS_ALLOWED_ORIGINS, set for this
// suite in vitest.config.mts): preflights answered, replies readable, other origins refused.
import { describe, expect, it } from "vitest";
import { ORIGIN, call, expectStatus, newUser } from "./helpers";

const APP = "http://127.0.0.1:5173";

describe("CORS", () => {
  it("answers an allowed origin's preflight and lets it read the reply and its auth headers", async () => {
    const pre = await call("OPTIONS", "/me", {
      headers: {
        origin: APP,
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe(APP);
    expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    expect(pre.headers.get("access-control-allow-credentials")).toBeNull();

    const { tokens } = await newUser();
    const me = await call("GET", "/me", { token: tokens.access_token, headers: { origin: APP } });
    expectStatus(me, 200);
    expect(me.headers.get("access-control-allow-origin")).toBe(APP);
    expect(me.headers.get("vary")).toContain("Origin");
    const refused = await call("GET", "/me", { token: "nope", headers: { origin: APP } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-expose-headers")).toContain("WWW-Authenticate");
  });

  it("gives another origin nothing, and the public keys to everyone", async () => {
    const pre = await call("OPTIONS", "/login", {
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    const jwks = await call("GET", `${ORIGIN}/.well-known/jwks.json`, {
      headers: { origin: "https://evil.example" },
    });
    expectStatus(jwks, 200);
    expect(jwks.headers.get("access-control-allow-origin")).toBe("*");
  });
});
