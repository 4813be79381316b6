// Sessions: refresh-token rotation, reuse detection revoking the whole family, and logout.
// vitest.config.mts sets REFRESH_REUSE_GRACE_SECS=0, so any reuse of a spent refresh token
// counts as a reuse (the grace window is tested natively in Rust).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  call,
  expectDetail,
  expectStatus,
  expectTokenPair,
  expectUnauthorized,
  login,
  newUser,
  refresh,
} from "./helpers";

describe("refresh", () => {
  it("runs with no grace window in these tests", () => {
    expect(env.REFRESH_REUSE_GRACE_SECS).toBe("0");
  });

  it("rotates: a new pair each time, each new pair works", async () => {
    const { user, tokens } = await newUser();
    const r1 = tokens.refresh_token;

    const second = expectTokenPair(await refresh(r1));
    expect(second.refresh_token).not.toBe(r1);
    expect(second.expires_in).toBe(Number(env.ACCESS_TOKEN_TTL_SECS));
    const me = await call("GET", "/me", { token: second.access_token });
    expectStatus(me, 200);
    expect(me.body.id).toBe(user.id);
    expect(me.body.auth_scheme).toBe("jwt");

    const third = expectTokenPair(await refresh(second.refresh_token));
    expect(third.refresh_token).not.toBe(second.refresh_token);
    expect(third.refresh_token).not.toBe(r1);
    expectStatus(await call("GET", "/me", { token: third.access_token }), 200);
  });

  it("reusing a spent refresh token revokes the whole family, and only that family", async () => {
    const { email, password, tokens: first } = await newUser();
    const other = await login(email, password); // a second, independent session

    const rotated = expectTokenPair(await refresh(first.refresh_token));
    expectStatus(await call("GET", "/me", { token: rotated.access_token }), 200);

    // The spent token comes back: a reuse.
    expectDetail(await refresh(first.refresh_token), 401);

    // The newest refresh token of the family is revoked too...
    expectDetail(await refresh(rotated.refresh_token), 401);
    // ...and so are the family's access tokens, old and new.
    expectUnauthorized(await call("GET", "/me", { token: rotated.access_token }), {
      invalidToken: true,
    });
    expectUnauthorized(await call("GET", "/me", { token: first.access_token }), {
      invalidToken: true,
    });

    // The other session is untouched.
    expectStatus(await call("GET", "/me", { token: other.access_token }), 200);
    const otherNext = expectTokenPair(await refresh(other.refresh_token));
    expectStatus(await call("GET", "/me", { token: otherNext.access_token }), 200);

    // And the user can still log in again.
    const fresh = await login(email, password);
    expectStatus(await call("GET", "/me", { token: fresh.access_token }), 200);
  });

  it("refuses a refresh token that was never issued, and an access token in its place", async () => {
    const { tokens } = await newUser();
    expectDetail(await refresh("not-a-refresh-token"), 401);
    expectDetail(await refresh(tokens.access_token), 401);
    expectDetail(await refresh(`${tokens.refresh_token}x`), 401);
    // None of this touched the real session.
    expectTokenPair(await refresh(tokens.refresh_token));
  });
});

describe("logout", () => {
  it("ends the session: its access and refresh tokens are refused, other sessions live on", async () => {
    const { email, password, tokens: session } = await newUser();
    const other = await login(email, password);

    const out = await call("POST", "/logout", { token: session.access_token });
    expectStatus(out, 204);

    expectUnauthorized(await call("GET", "/me", { token: session.access_token }), {
      invalidToken: true,
    });
    expectDetail(await refresh(session.refresh_token), 401);
    expectUnauthorized(await call("POST", "/logout", { token: session.access_token }), {
      invalidToken: true,
    });

    expectStatus(await call("GET", "/me", { token: other.access_token }), 200);
    expectTokenPair(await refresh(other.refresh_token));
  });

  it("ends a rotated session whichever of its access tokens is used", async () => {
    const { tokens } = await newUser();
    const rotated = expectTokenPair(await refresh(tokens.refresh_token));
    // Log out with the first access token of the family: the rotated pair dies with it.
    expectStatus(await call("POST", "/logout", { token: tokens.access_token }), 204);
    expectUnauthorized(await call("GET", "/me", { token: rotated.access_token }), {
      invalidToken: true,
    });
    expectDetail(await refresh(rotated.refresh_token), 401);
  });
});
