// Signs up, logs in, makes and lists an API key, and verifies the access token offline, against
// the auth API named by `?api=` (another origin). What happened goes into the page.
import init, { AuthClient, verifyJwt } from "edge-auth";

const api = new URL(location.href).searchParams.get("api");
const show = (id, text) => (document.querySelector(`[data-testid="${id}"]`).textContent = text);

async function run() {
  show("origin", location.origin);
  show("api", api);
  await init();
  const auth = new AuthClient({ baseUrl: api });

  const email = `vite-${crypto.randomUUID()}@example.com`;
  const password = crypto.randomUUID();
  show("email", email);
  await auth.register({ email, password, name: "Vite" });
  await auth.login({ email, password });
  show("logged-in", String(auth.isLoggedIn));

  const created = await auth.createApiKey({ name: "vite app", scopes: ["read"] });
  show("created-key", created.prefix);
  for (const key of await auth.listApiKeys()) {
    const li = document.createElement("li");
    li.dataset.keyId = key.id;
    li.textContent = `${key.name}: ${key.prefix}…${key.last4}`;
    document.querySelector('[data-testid="keys"]').append(li);
  }

  const jwks = await (await fetch(`${api}/.well-known/jwks.json`)).json();
  const claims = verifyJwt(await auth.getAccessToken(), jwks, { issuer: api, audience: "edge-auth", typ: "at+jwt" });
  show("sub", claims.sub);
  show("iss", claims.iss);
  show("aud", String(claims.aud));
}

run().then(
  () => (document.body.dataset.state = "done"),
  (err) => {
    const error = document.querySelector('[data-testid="error"]');
    error.hidden = false;
    error.dataset.name = err.name;
    error.dataset.status = err.status ?? "";
    error.textContent = `${err.name} (${err.status ?? err.code}): ${err.message}`;
    document.body.dataset.state = "failed";
  },
);
