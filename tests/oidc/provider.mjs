// A local OpenID Connect provider for the "sign in with provider" tests: the certified
// `oidc-provider` package (not a hand-written fake), configured for one confidential client,
// the Worker ("edge-auth-local"), with PKCE (S256) required, RS256 ID tokens and JWT access
// tokens (RFC 9068, `typ: at+jwt`) for the Worker's audience. Signing keys (RS256, ES256, PS256)
// are generated at every start. Logins are automated: any login with any password signs in,
// and the first-party client gets its grant without a consent screen.
//
//   node tests/oidc/provider.mjs [--port 9010]     # serves http://127.0.0.1:9010 until Ctrl-C
//
// Importable: startProvider({ port }) -> { issuer, stop(), stats(), signToken() }; loginAt(),
// getProviderTokens() and getProviderAccessToken() drive the provider over HTTP as a test (no
// browser) would.
// GET {issuer}/__stats -> {"jwks": n, "discovery": n, ...}: how often the JWKS and discovery
// documents were fetched, so tests can assert that the Worker caches them.
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from "jose";

export const DEFAULT_PORT = 9010;
export const CLIENT_ID = "edge-auth-local";
export const CLIENT_SECRET = "edge-auth-local-secret";
/** The Worker's callback on every port the tests run Workers on (8787..8799). */
export const CALLBACK_PATH = "/api/v1/auth/oauth/callback";
export const REDIRECT_URIS = Array.from(
  { length: 8799 - 8787 + 1 },
  (_, i) => `http://127.0.0.1:${8787 + i}${CALLBACK_PATH}`,
);
/** The Worker's API as a resource server: access tokens for it are RS256 JWTs, aud = client id. */
export const RESOURCE = "urn:edge-auth:api";
/** The same API, but its access tokens are signed with the provider's ES256 key. */
export const RESOURCE_ES256 = "urn:edge-auth:api:es256";
/** And with its PS256 key (RSA-PSS). */
export const RESOURCE_PS256 = "urn:edge-auth:api:ps256";
/** Another API: its access tokens are genuine but carry someone else's audience. */
export const RESOURCE_OTHER = "urn:edge-auth:other";
export const OTHER_AUDIENCE = "some-other-api";
export const SCOPE = "openid email profile";
export const ACCESS_TOKEN_TTL_SECS = 3600;

// oidc-provider warns on stderr that Node 20 is not its supported runtime (it wants 22 LTS;
// everything used here works on 20), that its in-memory adapter and devInteractions are for
// development only: which is exactly what they are used for here. Keep test output readable.
const EXPECTED_WARNINGS = ["Unsupported runtime", "in-memory adapter", "devInteractions"];
async function withQuietWarnings(quiet, f) {
  if (!quiet) return f();
  const { warn } = console;
  console.warn = (...args) => {
    if (!EXPECTED_WARNINGS.some((w) => String(args[0]).includes(w))) warn(...args);
  };
  try {
    return await f();
  } finally {
    console.warn = warn;
  }
}

const { default: Provider, errors } = await withQuietWarnings(true, () => import("oidc-provider"));

function resourceServer(indicator) {
  const common = {
    scope: SCOPE,
    audience: CLIENT_ID,
    accessTokenTTL: ACCESS_TOKEN_TTL_SECS,
    accessTokenFormat: "jwt",
  };
  switch (indicator) {
    case RESOURCE:
      return { ...common, jwt: { sign: { alg: "RS256" } } };
    case RESOURCE_ES256:
      return { ...common, jwt: { sign: { alg: "ES256" } } };
    case RESOURCE_PS256:
      return { ...common, jwt: { sign: { alg: "PS256" } } };
    case RESOURCE_OTHER:
      return { ...common, audience: OTHER_AUDIENCE, jwt: { sign: { alg: "RS256" } } };
    default:
      return undefined;
  }
}

/**
 * Any account id exists; its email is the id itself when it looks like one. The provider has
 * verified every email except those starting with "unverified" (as a provider that lets users
 * type any address would).
 */
function account(accountId) {
  const email = accountId.includes("@") ? accountId : `${accountId}@example.test`;
  const name = email.split("@")[0];
  return {
    accountId,
    async claims() {
      return { sub: accountId, email, email_verified: !email.startsWith("unverified"), name };
    },
  };
}

async function signingKey(alg) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const thumbprint = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid: `${alg.toLowerCase()}-${thumbprint.slice(0, 16)}`, alg, use: "sig" };
}

/** The provider's configuration (exported for reading; startProvider builds its own). */
export async function configuration() {
  const keys = [await signingKey("RS256"), await signingKey("ES256"), await signingKey("PS256")];
  return {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        // client_secret_post is accepted as well: oidc-provider takes either secret method.
        token_endpoint_auth_method: "client_secret_basic",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        redirect_uris: REDIRECT_URIS,
        id_token_signed_response_alg: "RS256",
        scope: `${SCOPE} offline_access`,
      },
    ],
    responseTypes: ["code"],
    jwks: { keys },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    scopes: ["openid", "email", "profile", "offline_access"],
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name"],
    },
    // The scope's claims go into the ID token too (not only to userinfo), so the Worker can
    // read email/email_verified/name from the ID token alone.
    conformIdTokenClaims: false,
    findAccount: (_ctx, id) => account(id),
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          const info = resourceServer(indicator);
          if (!info) throw new errors.InvalidTarget();
          return info;
        },
      },
    },
    // The Worker is a first-party client: grant what it asks for without a consent screen.
    async loadExistingGrant(ctx) {
      const { client, session, result, provider: op } = ctx.oidc;
      const grantId = result?.consent?.grantId || session.grantIdFor(client.clientId);
      let grant = grantId ? await op.Grant.find(grantId) : undefined;
      if (client.clientId !== CLIENT_ID || !session.accountId) return grant;
      grant ??= new op.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope(SCOPE);
      for (const indicator of Object.keys(ctx.oidc.resourceServers)) {
        grant.addResourceScope(indicator, SCOPE);
      }
      await grant.save();
      return grant;
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ACCESS_TOKEN_TTL_SECS,
      AuthorizationCode: 60,
      ClientCredentials: 600,
      Grant: 3600,
      IdToken: 3600,
      Interaction: 600,
      RefreshToken: 24 * 3600,
      Session: 3600,
    },
    clientBasedCORS: () => false,
    // Errors that cannot go back to the client (bad redirect_uri, unknown client) as JSON.
    renderError: async (ctx, out) => {
      ctx.type = "json";
      ctx.body = out;
    },
  };
}

/**
 * Starts the provider on 127.0.0.1:`port` (0: a free port). Resolves to
 * { issuer, port, stop(), stats(), signToken(), provider }.
 */
export async function startProvider({ port = DEFAULT_PORT, quiet = true } = {}) {
  const counts = { jwks: 0, discovery: 0, token: 0, authorization: 0 };
  const paths = {
    "/jwks": "jwks",
    "/.well-known/openid-configuration": "discovery",
    "/token": "token",
    "/auth": "authorization",
  };
  const stats = () => ({ ...counts });
  let handle;
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://127.0.0.1").pathname;
    if (path === "/__stats") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(stats()));
      return;
    }
    if (paths[path]) counts[paths[path]] += 1;
    handle(req, res);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const config = await configuration();
  const provider = await withQuietWarnings(quiet, () => new Provider(issuer, config));
  handle = provider.callback();

  let stopped;
  const stop = () => {
    stopped ??= new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return stopped;
  };

  /**
   * For negative tests only: a JWT that oidc-provider did NOT issue, signed with one of its
   * real keys (so only the claims or header can make it invalid). Defaults are those of a
   * genuine access token for the Worker; `claims` and `header` override them.
   */
  const signToken = async (claims = {}, { alg = "RS256", header = {} } = {}) => {
    const jwk = config.jwks.keys.find((k) => k.alg === alg);
    if (!jwk) throw new Error(`the provider has no ${alg} key`);
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      jti: b64url(randomBytes(16)),
      sub: "ada@example.test",
      iat: now,
      exp: now + 600,
      scope: SCOPE,
      client_id: CLIENT_ID,
      iss: issuer,
      aud: CLIENT_ID,
      ...claims,
    };
    return new SignJWT(payload)
      .setProtectedHeader({ alg, typ: "at+jwt", kid: jwk.kid, ...header })
      .sign(await importJWK(jwk, alg));
  };

  return { issuer, port: server.address().port, stop, stats, signToken, provider };
}

// ---------------------------------------------------------------------------------------
// Driving the provider over HTTP as a user agent (no browser): cookies by hand.

/** A minimal cookie jar for one origin: name -> value, expired cookies dropped. */
export class CookieJar {
  #cookies = new Map();

  store(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => {
        const [k, v = ""] = a.trim().split("=");
        if (k.toLowerCase() === "max-age") return Number(v) <= 0;
        if (k.toLowerCase() === "expires") return Date.parse(v) <= Date.now();
        return false;
      });
      if (expired || value === "") this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header() {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

const TIMEOUT_MS = 10_000;

/**
 * Signs `email` in at the provider, starting from an authorization URL (e.g. the Location the
 * Worker's /oauth/authorize answered), and resolves to the URL the provider finally redirects
 * to outside itself: the client's redirect_uri with ?code&state&iss (or ?error&state&iss).
 * Nothing is requested from that URL. `deny: true` cancels at the login page instead, as a
 * user would: the provider then answers error=access_denied.
 */
export async function loginAt(
  authorizationUrl,
  { email = "ada@example.test", password = "any", deny = false } = {},
) {
  const origin = new URL(authorizationUrl).origin;
  const jar = new CookieJar();
  let url = authorizationUrl;
  for (let step = 0; step < 10; step += 1) {
    if (new URL(url).origin !== origin) return url;
    const response = await fetch(url, {
      redirect: "manual",
      headers: { cookie: jar.header() },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    jar.store(response);
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url).href;
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) {
      throw new Error(`provider answered ${response.status} at ${url}: ${html.slice(0, 500)}`);
    }
    const action = html.match(/<form[^>]*action="([^"]+)"[^>]*method="post"/i)?.[1];
    const prompt = html.match(/name="prompt" value="(\w+)"/)?.[1];
    if (!action || !prompt) throw new Error(`no login or consent form at ${url}`);
    if (deny) {
      const abort = html.match(/href="([^"]*\/abort)"/)?.[1];
      if (!abort) throw new Error(`no cancel link at ${url}`);
      url = new URL(abort.replaceAll("&amp;", "&"), url).href;
      continue;
    }
    const form = new URLSearchParams({ prompt });
    if (prompt === "login") {
      form.set("login", email);
      form.set("password", password);
    }
    const submitted = await fetch(new URL(action.replaceAll("&amp;", "&"), url), {
      method: "POST",
      redirect: "manual",
      headers: { cookie: jar.header(), "content-type": "application/x-www-form-urlencoded" },
      body: form,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    jar.store(submitted);
    const next = submitted.headers.get("location");
    if (!next) {
      throw new Error(`provider answered ${submitted.status} to the ${prompt} form: ${(await submitted.text()).slice(0, 500)}`);
    }
    url = new URL(next, url).href;
  }
  throw new Error("too many redirects at the provider");
}

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

/** A fresh PKCE pair (S256). */
export function pkce() {
  const verifier = b64url(randomBytes(32));
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  return { verifier, challenge };
}

/** The provider's discovery document. */
export async function discover(issuer = `http://127.0.0.1:${DEFAULT_PORT}`) {
  const r = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!r.ok) throw new Error(`discovery: ${r.status}`);
  return r.json();
}

/**
 * Plays the client itself: authorization code + PKCE for `email`, code exchanged with
 * client_secret_basic. Resolves to the provider's token response
 * ({access_token, id_token, refresh_token, token_type, expires_in, scope}).
 * `resource` picks the resource server (RESOURCE by default); the redirect URI is the
 * Worker's callback on 8787, which is never requested.
 */
export async function getProviderTokens({
  email = "ada@example.test",
  issuer = `http://127.0.0.1:${DEFAULT_PORT}`,
  scope = SCOPE,
  resource,
  redirectUri = REDIRECT_URIS[0],
} = {}) {
  const meta = await discover(issuer);
  const { verifier, challenge } = pkce();
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const auth = new URL(meta.authorization_endpoint);
  const params = {
    response_type: "code",
    client_id: CLIENT_ID,
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
  };
  if (resource) params.resource = resource;
  for (const [k, v] of Object.entries(params)) auth.searchParams.set(k, v);
  const back = new URL(await loginAt(auth.href, { email }));
  if (back.searchParams.get("error")) {
    throw new Error(`authorization failed: ${back.searchParams.get("error")}: ${back.searchParams.get("error_description")}`);
  }
  if (back.searchParams.get("state") !== state) throw new Error("state mismatch");
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code: back.searchParams.get("code"),
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
  const r = await fetch(meta.token_endpoint, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const tokens = await r.json();
  if (!r.ok) throw new Error(`token endpoint: ${r.status} ${tokens.error}: ${tokens.error_description}`);
  return { ...tokens, nonce };
}

/** A provider-issued JWT access token for `email` (aud "edge-auth-local", RS256 unless `resource` says otherwise). */
export async function getProviderAccessToken({ email, issuer, scope, resource } = {}) {
  return (await getProviderTokens({ email, issuer, scope, resource })).access_token;
}

// ---------------------------------------------------------------------------------------

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf("--port");
  const port = Number(i > 0 ? process.argv[i + 1] : process.env.OIDC_PROVIDER_PORT || DEFAULT_PORT);
  const { issuer, stop } = await startProvider({ port });
  console.log(`OpenID provider at ${issuer} (client ${CLIENT_ID}; stats at ${issuer}/__stats)`);
  const shutdown = async () => {
    await stop();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}
