// The edge-auth demo: one ES module, no bundler. It imports the web build of the npm package
// (`import ... from "edge-auth"` in an app with a bundler), served from this origin: no inline
// import map, so the page's Content-Security-Policy (www/_headers) allows no inline script.
import init, { AuthClient, decodeJwtUnverified } from "/pkg/edge_auth.js";

const $ = (id) => document.getElementById(id);

const STATUS_TEXT = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
};

let auth;
let busy = 0;

try {
  await init();
  // baseUrl defaults to this page's origin; tokens survive a reload of this tab.
  auth = new AuthClient({ storage: "session" });
} catch (err) {
  $("loading").hidden = true;
  showError(err, "Could not load the WebAssembly client");
  document.body.dataset.state = "failed";
  throw err;
}

wireEvents();
// Back from the identity provider: the fragment holds a one-time code, which only this tab
// (it kept the verifier) can trade for tokens, or the reason the sign-in was refused.
let signInError;
if (location.hash) {
  try {
    await auth.completeProviderSignIn(location.hash);
  } catch (err) {
    signInError = err;
  } finally {
    history.replaceState(null, "", location.pathname + location.search);
  }
}
if (auth.isLoggedIn) {
  showLoggedIn();
  await run(loadAccount);
} else {
  showLoggedOut();
}
// Shown last: loading the account clears the error area.
if (signInError) showError(signInError, "Sign-in with the provider failed");

// ---------------------------------------------------------------------------------------
// Views

function showLoggedOut() {
  clearAccount();
  $("loading").hidden = true;
  $("logged-in-view").hidden = true;
  $("logged-out-view").hidden = false;
  $("logout-button").hidden = true;
  $("session-label").textContent = "Not signed in";
  document.body.dataset.state = "logged-out";
}

function showLoggedIn() {
  $("loading").hidden = true;
  $("logged-out-view").hidden = true;
  $("logged-in-view").hidden = false;
  $("logout-button").hidden = false;
  $("session-label").textContent = "Signed in";
  document.body.dataset.state = "logged-in";
  renderToken();
}

/** Forgets everything shown for the last user, the one-time key included. */
function clearAccount() {
  for (const id of ["me-email", "me-name", "me-id", "me-created", "me-scheme"]) {
    $(id).textContent = "";
  }
  $("token-header").textContent = "";
  $("token-claims").textContent = "";
  $("token-expiry").textContent = "";
  $("identity-rows").replaceChildren();
  $("identity-empty").hidden = true;
  $("apikey-rows").replaceChildren();
  $("apikey-empty").hidden = true;
  hideNewKey();
  $("pk-input").value = "";
  renderPrivateKey({ has_key: false, created_at: null, updated_at: null });
  $("pk-has-key").textContent = "";
}

async function loadAccount() {
  const [me, keys, privateKey] = await Promise.all([
    auth.me(),
    auth.listApiKeys(),
    auth.privateKeyStatus(),
  ]);
  renderMe(me);
  renderKeys(keys);
  renderPrivateKey(privateKey);
}

function renderMe(me) {
  $("me-email").textContent = me.email;
  $("me-name").textContent = me.name ?? "—";
  $("me-id").textContent = me.id;
  $("me-created").replaceChildren(timeElement(me.created_at));
  $("me-scheme").textContent = me.auth_scheme;
  $("session-label").textContent = `Signed in as ${me.email}`;
  renderIdentities(me.identities ?? []);
}

function renderIdentities(identities) {
  const rows = identities.map((identity) => {
    const row = document.createElement("li");
    row.dataset.testid = "identity-row";
    row.dataset.identityId = identity.id;

    const issuer = document.createElement("code");
    issuer.textContent = identity.issuer;
    issuer.dataset.testid = "identity-issuer";
    const email = document.createElement("span");
    email.textContent = identity.email ?? "no email shared";
    email.dataset.testid = "identity-email";
    const label = document.createElement("span");
    label.className = "identity-label";
    label.append(email, issuer);

    const unlink = document.createElement("button");
    unlink.type = "button";
    unlink.className = "danger small";
    unlink.textContent = "Unlink";
    unlink.dataset.testid = "identity-unlink";
    unlink.setAttribute("aria-label", `Unlink ${identity.email ?? identity.issuer}`);
    unlink.addEventListener("click", () => unlinkIdentity(identity, unlink));

    row.append(label, unlink);
    return row;
  });
  $("identity-rows").replaceChildren(...rows);
  $("identity-empty").hidden = identities.length !== 0;
}

function renderToken() {
  const token = auth.accessToken;
  if (!token) {
    $("token-header").textContent = "";
    $("token-claims").textContent = "";
    $("token-expiry").textContent = "No access token.";
    return;
  }
  let decoded;
  try {
    decoded = decodeJwtUnverified(token);
  } catch (err) {
    $("token-header").textContent = "";
    $("token-claims").textContent = "";
    $("token-expiry").textContent = `The access token could not be decoded (${err.message}).`;
    return;
  }
  const { header, claims } = decoded;
  $("token-header").textContent = JSON.stringify(header, null, 2);
  $("token-claims").textContent = JSON.stringify(claims, null, 2);
  if (typeof claims?.exp === "number") {
    const minutes = Math.round((claims.exp * 1000 - Date.now()) / 60000);
    const when = minutes > 0 ? `in ${minutes} min` : "now";
    $("token-expiry").textContent =
      `Expires ${formatTime(new Date(claims.exp * 1000).toISOString())} (${when}); ` +
      "the client refreshes it automatically.";
  } else {
    $("token-expiry").textContent = "";
  }
}

function renderKeys(keys) {
  const rows = keys.map((key) => {
    const row = document.createElement("tr");
    row.dataset.testid = "apikey-row";
    row.dataset.keyId = key.id;

    const name = cell(key.name, "apikey-name");
    const display = document.createElement("code");
    display.textContent = `${key.prefix}…${key.last4}`;
    display.dataset.prefix = key.prefix;
    display.dataset.last4 = key.last4;
    const keyCell = cell(display, "apikey-display");
    keyCell.classList.add("nowrap");

    const scopes = cell(
      key.scopes.length
        ? key.scopes.map((scope) => {
            const chip = document.createElement("span");
            chip.className = "scope";
            chip.textContent = scope;
            return chip;
          })
        : "—",
      "apikey-scopes",
    );

    const revoke = document.createElement("button");
    revoke.type = "button";
    revoke.className = "danger small";
    revoke.textContent = "Revoke";
    revoke.dataset.testid = "apikey-revoke";
    revoke.setAttribute("aria-label", `Revoke ${key.name}`);
    revoke.addEventListener("click", () => revokeKey(key, revoke));

    row.append(
      name,
      keyCell,
      scopes,
      cell(timeElement(key.created_at), "apikey-created", true),
      cell(timeElement(key.last_used_at, "never"), "apikey-last-used", true),
      cell(timeElement(key.expires_at, "never"), "apikey-expires", true),
      cell(revoke),
    );
    return row;
  });
  $("apikey-rows").replaceChildren(...rows);
  $("apikey-table").hidden = keys.length === 0;
  $("apikey-empty").hidden = keys.length !== 0;
}

function renderPrivateKey(status) {
  const hasKey = status.has_key === true;
  $("pk-has-key").textContent = hasKey ? "Yes" : "No";
  $("pk-has-key").dataset.hasKey = String(hasKey);
  $("pk-created").replaceChildren(timeElement(status.created_at));
  $("pk-updated").replaceChildren(timeElement(status.updated_at));
  $("pk-delete").disabled = !hasKey;
  $("pk-save").textContent = hasKey ? "Replace private key" : "Save private key";
}

function showNewKey(created) {
  $("new-key-name").textContent = created.name;
  $("new-key-value").textContent = created.key;
  $("new-key").dataset.keyId = created.id;
  $("new-key-copied").textContent = "";
  $("new-key").hidden = false;
}

function hideNewKey() {
  $("new-key").hidden = true;
  $("new-key-value").textContent = "";
  $("new-key-name").textContent = "";
  $("new-key-copied").textContent = "";
  delete $("new-key").dataset.keyId;
}

// ---------------------------------------------------------------------------------------
// Actions

function wireEvents() {
  $("error-dismiss").addEventListener("click", clearError);

  $("signup-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    run(async () => {
      const email = $("signup-email").value.trim();
      const name = $("signup-name").value.trim();
      const user = await auth.register({
        email,
        password: $("signup-password").value,
        ...(name ? { name } : {}),
      });
      form.reset();
      $("login-email").value = user.email;
      $("login-password").focus();
      showNotice(`Account created for ${user.email}. Log in to continue.`);
    }, form);
  });

  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    run(async () => {
      await auth.login({
        email: $("login-email").value.trim(),
        password: $("login-password").value,
      });
      form.reset();
      showLoggedIn();
      await loadAccount();
    }, form);
  });

  $("provider-sign-in").addEventListener("click", (event) => {
    // The Worker redirects to the provider and back here (one of OIDC_REDIRECT_URIS) with a
    // one-time code; the verifier it needs waits in this tab's sessionStorage.
    run(async () => {
      location.assign(auth.providerSignInUrl(location.origin + "/"));
    }, event.currentTarget);
  });

  $("link-provider").addEventListener("click", (event) => {
    // Back here with a one-time code: completeProviderSignIn at startup finishes the link.
    run(async () => {
      location.assign(await auth.linkProviderUrl(location.origin + "/"));
    }, event.currentTarget);
  });

  $("logout-button").addEventListener("click", (event) => {
    run(async () => {
      try {
        await auth.logout();
      } finally {
        if (!auth.isLoggedIn) {
          showLoggedOut();
          showNotice("Logged out.");
        }
      }
    }, event.currentTarget);
  });

  $("apikey-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    run(async () => {
      const scopes = $("apikey-scopes").value.split(/[\s,]+/).filter(Boolean);
      const days = $("apikey-expires").value.trim();
      const created = await auth.createApiKey({
        name: $("apikey-name").value.trim(),
        ...(scopes.length ? { scopes } : {}),
        ...(days ? { expiresInDays: Number(days) } : {}),
      });
      form.reset();
      showNewKey(created);
      renderKeys(await auth.listApiKeys());
    }, form);
  });

  $("new-key-copy").addEventListener("click", async () => {
    const key = $("new-key-value").textContent;
    try {
      await navigator.clipboard.writeText(key);
      $("new-key-copied").textContent = "Copied to the clipboard.";
    } catch {
      const range = document.createRange();
      range.selectNodeContents($("new-key-value"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      $("new-key-copied").textContent = "Could not copy: the key is selected, press Ctrl+C.";
    }
  });

  $("new-key-dismiss").addEventListener("click", hideNewKey);

  $("pk-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    run(async () => {
      const status = await auth.setPrivateKey($("pk-input").value);
      $("pk-input").value = "";
      renderPrivateKey(status);
      showNotice("Private key stored, encrypted.");
    }, form);
  });

  $("pk-delete").addEventListener("click", (event) => {
    if (!confirm("Delete your stored private key? This cannot be undone.")) return;
    run(async () => {
      await auth.deletePrivateKey();
      renderPrivateKey(await auth.privateKeyStatus());
      showNotice("Private key deleted.");
    }, event.currentTarget);
  });
}

function revokeKey(key, button) {
  const label = `${key.name} (${key.prefix}…${key.last4})`;
  if (!confirm(`Revoke ${label}? Anything using it stops working at once.`)) return;
  run(async () => {
    await auth.revokeApiKey(key.id);
    if ($("new-key").dataset.keyId === key.id) hideNewKey();
    renderKeys(await auth.listApiKeys());
    showNotice(`Revoked ${label}.`);
  }, button);
}

function unlinkIdentity(identity, button) {
  const label = `${identity.email ?? identity.subject} (${identity.issuer})`;
  if (!confirm(`Unlink ${label}? It will no longer sign you in to this account.`)) return;
  run(async () => {
    await auth.unlinkIdentity(identity.id);
    renderMe(await auth.me());
    showNotice(`Unlinked ${label}.`);
  }, button);
}

/**
 * Runs one user action: disables its form or button meanwhile, marks the page busy (the
 * browser test waits on `body:not([data-busy])`), and shows any failure in the error area.
 */
async function run(action, control) {
  clearError();
  clearNotice();
  const controls = controlsOf(control);
  for (const c of controls) c.disabled = true;
  busy += 1;
  document.body.dataset.busy = "true";
  try {
    await action();
  } catch (err) {
    showError(err);
  } finally {
    for (const c of controls) c.disabled = false;
    if (document.body.dataset.state === "logged-in") {
      if (auth.isLoggedIn) {
        renderToken();
        renderPrivateKeyButtons();
      } else {
        // The session ended (logged out elsewhere, or the refresh token was refused).
        showLoggedOut();
      }
    }
    busy -= 1;
    if (busy === 0) delete document.body.dataset.busy;
  }
}

function controlsOf(control) {
  if (!control) return [];
  if (control instanceof HTMLFormElement) return [...control.querySelectorAll("button")];
  return [control];
}

function renderPrivateKeyButtons() {
  // Re-enabling after an action must not enable "Delete" when there is no key.
  $("pk-delete").disabled = $("pk-has-key").dataset.hasKey !== "true";
}

// ---------------------------------------------------------------------------------------
// Messages

/** Shows an AuthApiError (status + detail; each {loc, msg} of a 422) or any other error. */
function showError(err, title) {
  const list = $("error-list");
  list.replaceChildren();
  list.hidden = true;
  let heading = title ?? "Error";
  let message = err?.message ?? String(err);

  if (typeof err?.status === "number") {
    heading =
      err.status === 0
        ? "Network error"
        : `${err.status} ${STATUS_TEXT[err.status] ?? "Error"}`;
    if (err.status === 0) {
      message = "The server could not be reached.";
    } else if (typeof err.detail === "string") {
      message = err.detail;
    } else if (Array.isArray(err.detail)) {
      message = "The server refused the request:";
      list.replaceChildren(
        ...err.detail.map((item) => {
          const li = document.createElement("li");
          const loc = document.createElement("code");
          loc.textContent = Array.isArray(item.loc) ? item.loc.join(".") : String(item.loc);
          li.append(loc, `: ${item.msg}`);
          return li;
        }),
      );
      list.hidden = false;
    }
  }

  $("error-title").textContent = heading;
  $("error-message").textContent = message;
  $("error").dataset.status = String(err?.status ?? "");
  $("error").hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error-title").textContent = "";
  $("error-message").textContent = "";
  $("error-list").replaceChildren();
  delete $("error").dataset.status;
}

function showNotice(text) {
  $("notice").textContent = text;
  $("notice").hidden = false;
}

function clearNotice() {
  $("notice").hidden = true;
  $("notice").textContent = "";
}

// ---------------------------------------------------------------------------------------
// Helpers

function cell(content, testid, nowrap = false) {
  const td = document.createElement("td");
  if (Array.isArray(content)) td.append(...content);
  else td.append(content);
  if (testid) td.dataset.testid = testid;
  if (nowrap) td.classList.add("nowrap");
  return td;
}

/** An RFC 3339 timestamp as `<time>`, shown in UTC; `empty` when it is null. */
function timeElement(value, empty = "—") {
  if (!value) return document.createTextNode(empty);
  const time = document.createElement("time");
  time.dateTime = value;
  time.textContent = formatTime(value);
  time.title = new Date(value).toLocaleString();
  return time;
}

function formatTime(rfc3339) {
  return rfc3339.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC");
}
