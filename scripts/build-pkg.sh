#!/bin/sh
# Builds the npm package (pkg/web for browsers, pkg/node for Node) with wasm-pack, its
# verify-only entry `edge-auth/verify` (pkg/verify: feature `verify`, the offline token
# utilities without the client; ES module), then the demo site served by `make dev`: www/ plus
# the web build under build/site/pkg/.
set -eu
cd "$(dirname "$0")/.."
export PATH="$(pwd)/node_modules/.bin:$PATH" # binaryen's wasm-opt; Debian's breaks the output
rm -rf pkg/web/snippets pkg/node/snippets pkg/verify/snippets # named by a hash that changes
# Browsers download the package, servers do not: the web build leaves out the default feature
# `fast` (as pkg/verify does, below), the Node build keeps it.
wasm-pack --log-level warn build --release --no-pack --target web --out-dir pkg/web -- \
  --no-default-features --features wasm
wasm-pack --log-level warn build --release --no-pack --target nodejs --out-dir pkg/node -- \
  --features wasm,fast
rm -f pkg/web/.gitignore pkg/node/.gitignore
# Its own wasm: a build with feature `wasm` would link the client whether or not it is called.
# Built for size where it costs little speed (measured with bench/pkg.mjs): without the default
# feature `fast`, verifying computes the basepoint's few multiples per call instead of shipping
# its 8 KB table (-7 KB gzip, about -6% EdDSA verifications/s).
# SHA-2 keeps Cargo.toml's opt-level 3 here too: "z" would save 1.6 KB gzip and make an HS256
# verification about 20% slower. The crate's own code (with the serde_json it instantiates) is
# built at opt-level 2 here, not "z": measured, 55.0 KB gzip of wasm against 55.4 (LTO and
# wasm-opt find more to drop after inlining), and HS256 verifications 200k/s against 160k.
# Not for the full package, whose client grows with inlining (132.5 KB against 124.8 at "z").
wasm-pack --log-level warn build --release --no-pack --target web --out-dir pkg/verify -- \
  --no-default-features --features verify --config 'profile.release.package.edge-auth.opt-level=2'
rm -f pkg/verify/.gitignore
# The Node build is CommonJS inside a "type": "module" package.
echo '{ "type": "commonjs" }' > pkg/node/package.json
# wasm-bindgen declares `[Symbol.dispose](): void` in every class, which compiles only where the
# app's `lib` has esnext.disposable (TS2550 under lib ES2022 with skipLibCheck false). Its JS
# defines that method only where the runtime has Symbol.dispose; the declarations now say the
# same: each class extends the global `Disposable`, which is the lib's (with the method, so
# `using` works) when the app's lib declares it, and an empty interface otherwise.
# Also: the error classes (src/adapters/wasm/errors.js) are re-exported, which wasm-bindgen
# declares as `export let TokenError: unknown;`; the crate declares them as classes, which
# stay, and that line goes.
node - pkg/web/edge_auth.d.ts pkg/node/edge_auth.d.ts pkg/verify/edge_auth.d.ts <<'EOF'
const fs = require("node:fs");
const method = /^(export class (\w+) \{\n    free\(\): void;\n)    \[Symbol\.dispose\]\(\): void;\n/gm;
const reexport = /^export let (\w+): unknown;\n/gm;
for (const file of process.argv.slice(2)) {
  const classes = [];
  const original = fs.readFileSync(file, "utf8");
  const text = original
    .replace(method, (_, head, name) => (classes.push(name), head))
    .replace(reexport, (_, name) => {
      if (!original.includes(`\nexport class ${name} extends Error {`)) {
        throw new Error(`${file}: ${name} is re-exported but not declared as a class`);
      }
      return "";
    });
  fs.writeFileSync(file, text);
  if (text.includes("Symbol.dispose")) throw new Error(`${file}: a Symbol.dispose this script does not know`);
  if (!classes.length) continue;
  fs.writeFileSync(file, `${text}
// Added by scripts/build-pkg.sh: the classes are Disposable where the app's lib says Symbol.dispose exists.
declare global {
  /** esnext.disposable's \`[Symbol.dispose](): void\` when the app's \`lib\` has it; empty otherwise. */
  interface Disposable {}
}
${classes.map((name) => `export interface ${name} extends Disposable {}\n`).join("")}`);
}
EOF
# The web builds' default export, init(), fetches and instantiates the wasm; the Node build has
# instantiated it already when loaded. It gets a no-op init() and initSync() too, so code shared
# with browsers can `await init()`. Node's `import` of a CommonJS file gives module.exports as
# the default, not exports.default: ES modules get the Node build through edge_auth.mjs, whose
# default export is init() (pkg/package.json: the "node" condition's "import").
cat >> pkg/node/edge_auth.js <<'EOF'

// Added by scripts/build-pkg.sh: the wasm is ready once this file has run.
Object.defineProperty(exports, '__esModule', { value: true });
exports.default = function init() { return Promise.resolve(); };
exports.initSync = function initSync() {};
EOF
cat >> pkg/node/edge_auth.d.ts <<'EOF'

/**
 * Nothing to do in Node: the wasm is instantiated when the package is loaded. Declared so that
 * code shared with the web build can `await init()`; resolves at once, and ignores its argument.
 */
export default function init(module_or_path?: unknown): Promise<void>;
/** Nothing to do in Node (see `init`): declared for code shared with the web build. */
export function initSync(module?: unknown): void;
EOF
# wasm-bindgen's Node output require()s the crate's JS (errors.js, webcrypto.js: ES modules) as
# it is: each becomes CommonJS here (its classes and functions exported by name; they have no
# imports), for every Node version the package supports.
for snippet in $(find pkg/node/snippets -name '*.js'); do
  node - "$snippet" <<'EOF'
const fs = require("node:fs");
const file = process.argv[2];
const names = [];
const text = fs.readFileSync(file, "utf8")
  .replace(/^export ((?:async )?function|class) (\w+)/gm, (_, kind, name) => (names.push(name), `${kind} ${name}`));
if (/^\s*(import|export)\b/m.test(text) || !names.length) throw new Error(`${file}: not a module of exported classes and functions`);
fs.writeFileSync(file, `${text}\nmodule.exports = { ${names.join(", ")} };\n`);
EOF
done
# Its names are listed, not `export *`, which would export `__esModule` too.
names=$(sed -n 's/^exports\.\([A-Za-z_][A-Za-z0-9_]*\) = .*/\1/p' pkg/node/edge_auth.js | grep -vx default | paste -sd, - | sed 's/,/, /g')
cat > pkg/node/edge_auth.mjs <<EOF
// The Node build for \`import\` (added by scripts/build-pkg.sh): edge_auth.js's exports, with its
// no-op init() as the default export, as the web build's init() is.
import cjs from "./edge_auth.js";
export const { $names } = cjs;
export default cjs.default;
EOF
cat > pkg/node/edge_auth.d.mts <<'EOF'
export * from "./edge_auth.js";
/**
 * Nothing to do in Node: the wasm is instantiated when the package is loaded. Declared so that
 * code shared with the web build can `await init()`; resolves at once, and ignores its argument.
 */
export default function init(module_or_path?: unknown): Promise<void>;
EOF
# What browsers download, the web and verify builds' generated JS (the glue and the crate's
# snippets), ships without comments and indentation: esbuild, no renaming (-1.1 KB gzip for the
# verify entry). The .d.ts files keep the documentation; the Node build stays as generated.
for file in pkg/web/edge_auth.js pkg/verify/edge_auth.js $(find pkg/web/snippets pkg/verify/snippets -name '*.js'); do
  esbuild "$file" --format=esm --minify-whitespace --legal-comments=none --log-level=warning \
    --allow-overwrite --outfile="$file"
done
# Assembled aside and swapped in, so a running `wrangler dev` never serves a half-built site.
mkdir -p build
next=$(mktemp -d build/site.next.XXXXXX)
chmod 755 "$next"
mkdir -p "$next/pkg"
cp -R www/. "$next/"
cp -R pkg/web/edge_auth.js pkg/web/edge_auth_bg.wasm pkg/web/snippets "$next/pkg/"
rm -rf build/site.old
[ -d build/site ] && mv build/site build/site.old
mv "$next" build/site
rm -rf build/site.old
# Workers (workerd): their bundlers (wrangler's esbuild) resolve the "workerd" and "worker"
# conditions, and load a `.wasm` import as a compiled WebAssembly.Module. There the web
# builds' init() fails (no fetch of a file next to the module: `Invalid URL string`), and a
# call before it fails on `__wbindgen_malloc`. workerd.js imports the wasm as a module and
# initializes it synchronously when loaded, so `import { verifyJwt } from "edge-auth/verify"`
# is ready to call; it adds verifyRequest (verify_request.js, the same in both builds).
for out in pkg/verify pkg/web; do
  cat > "$out/workerd.js" <<'EOF'
// The entry for the "workerd" and "worker" conditions (added by scripts/build-pkg.sh): the
// wasm, imported as a module by the Worker's bundler, instantiated synchronously at load.
import wasm from "./edge_auth_bg.wasm";
import { initSync } from "./edge_auth.js";
initSync({ module: wasm });
export * from "./edge_auth.js";
export { createRemoteJwks, verifyRequest } from "./verify_request.js";
EOF
  cat > "$out/workerd.d.ts" <<'EOF'
// The "workerd" / "worker" entry: the wasm is instantiated when the module is loaded; the
// build's exports (initSync is then a no-op) plus verifyRequest.
export * from "./edge_auth.js";
export {
  createRemoteJwks,
  verifyRequest,
  type RemoteJwks,
  type VerifyRequestOptions,
  type VerifyRequestResult,
} from "./verify_request.js";
EOF
  cat > "$out/verify_request.js" <<'EOF'
// verifyRequest (added by scripts/build-pkg.sh): a request's `Authorization: Bearer` JWT,
// verified by JwtVerifier, to its claims or to the auth API's own 401: `{"detail": "..."}`
// with RFC 6750's WWW-Authenticate (`error="invalid_token"` only when a credential was sent).
import { JwtVerifier, TokenError } from "./edge_auth.js";

// Verifiers by key set and options: a Worker passes the same JWKS text on every request,
// so its keys are parsed once per isolate, not per request. Small, oldest dropped first.
const verifiers = new Map();
const MAX_VERIFIERS = 16;

function verifierFor(jwks, options) {
  const key = JSON.stringify([typeof jwks === "string" ? jwks : JSON.stringify(jwks), options]);
  let verifier = verifiers.get(key);
  if (!verifier) {
    verifier = new JwtVerifier(jwks, options); // throws a TokenError (invalid_jwks): a setup error
    verifiers.set(key, verifier);
    if (verifiers.size > MAX_VERIFIERS) {
      const [oldest, dropped] = verifiers.entries().next().value;
      verifiers.delete(oldest);
      dropped.free();
    }
  }
  return verifier;
}

function unauthorized(detail, challenge) {
  return new Response(JSON.stringify({ detail }), {
    status: 401,
    headers: { "content-type": "application/json", "www-authenticate": challenge },
  });
}

function quoted(text) {
  return String(text).replace(/[\\"]/g, "\\$&").replace(/[\r\n]/g, " ");
}

// A JWKS fetched from its URL: kept for cacheMaxAge ms (then refetched; a failed refetch keeps
// the old set), refetched at once for a token signed by a key it lacks (its issuer rotated
// keys), at most once per cooldown ms.
export function createRemoteJwks(url, { cacheMaxAge = 600_000, cooldown = 30_000 } = {}) {
  url = String(url);
  let text;
  let fetchedAt = -Infinity;
  let pending;
  const load = () =>
    (pending ??= (async () => {
      try {
        const res = await fetch(url, { headers: { accept: "application/json" } });
        if (!res.ok) throw new Error(`JWKS ${url}: HTTP ${res.status}`);
        const body = await res.text();
        new JwtVerifier(body).free(); // a TokenError (invalid_jwks) for anything but a key set
        text = body;
      } finally {
        fetchedAt = Date.now();
        pending = undefined;
      }
    })());
  return {
    [REMOTE]: true,
    url,
    /** The key set's JSON text, fetched if it is missing or older than cacheMaxAge. */
    async current() {
      if (text === undefined || Date.now() - fetchedAt >= cacheMaxAge) {
        try {
          await load();
        } catch (err) {
          if (text === undefined) throw err;
        }
      }
      return text;
    },
    /** Refetches unless the last fetch was less than cooldown ms ago; true if it did. */
    async reload() {
      if (Date.now() - fetchedAt < cooldown) return false;
      await load();
      return true;
    },
  };
}
const REMOTE = Symbol("edge-auth.remoteJwks");
// jwksUrl's: one per URL, with the default cache times.
const remotes = new Map();

function refused(err) {
  return {
    response: unauthorized(err.message, `Bearer error="invalid_token", error_description="${quoted(err.message)}"`),
  };
}

// verifyAsync: every algorithm, an identity provider's RS256, PS256 and ES256 included.
async function verifyWith(jwks, options, token) {
  // A fixed instant is usually a test's, one per call: such a verifier is not kept.
  const keep = options.now === undefined && options.currentDate === undefined;
  const verifier = keep ? verifierFor(jwks, options) : new JwtVerifier(jwks, options);
  try {
    return { claims: await verifier.verifyAsync(token) };
  } catch (err) {
    if (!(err instanceof TokenError)) throw err;
    return { error: err };
  } finally {
    if (!keep) verifier.free();
  }
}

export async function verifyRequest(request, { jwks, jwksUrl, ...options } = {}) {
  if (jwksUrl !== undefined && jwks === undefined) {
    jwksUrl = String(jwksUrl);
    if (!remotes.has(jwksUrl)) remotes.set(jwksUrl, createRemoteJwks(jwksUrl));
    jwks = remotes.get(jwksUrl);
  }
  if (jwks === undefined) throw new TypeError("verifyRequest: options.jwks or options.jwksUrl is required");
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.get("authorization") ?? "");
  if (!match) return { response: unauthorized("Not authenticated", "Bearer") };
  const remote = jwks[REMOTE] ? jwks : undefined;
  let result = await verifyWith(remote ? await remote.current() : jwks, options, match[1]);
  if (result.error?.code === "unknown_key" && remote && (await remote.reload())) {
    result = await verifyWith(await remote.current(), options, match[1]);
  }
  return result.error ? refused(result.error) : result;
}
EOF
  cat > "$out/verify_request.d.ts" <<'EOF'
import type { Jwks, JwtClaims, VerifyOptions } from "./edge_auth.js";

/** A JWKS fetched from its URL and cached: `createRemoteJwks`'s result, for `verifyRequest`'s `jwks`. */
export interface RemoteJwks {
  readonly url: string;
  /** The key set's JSON text, fetched if missing or older than `cacheMaxAge`. */
  current(): Promise<string>;
  /** Refetches unless the last fetch was less than `cooldown` ms ago; resolves true if it did. */
  reload(): Promise<boolean>;
}

/**
 * A JWKS fetched with `fetch` from `url` and kept for `cacheMaxAge` ms (default 600000; a
 * failed refetch keeps the old set). A token whose key it lacks makes `verifyRequest` refetch
 * at once (key rotation), at most once per `cooldown` ms (default 30000).
 */
export function createRemoteJwks(url: string | URL, options?: { cacheMaxAge?: number; cooldown?: number }): RemoteJwks;

/** `verifyRequest`'s options: the key set, and `JwtVerifier`'s options (issuer, audience, ...). */
export type VerifyRequestOptions = VerifyOptions &
  (
    | {
        /** The issuer's JWK Set: an object or its JSON text (e.g. a Worker var), or a RemoteJwks. */
        jwks: Jwks | string | RemoteJwks;
        jwksUrl?: undefined;
      }
    | {
        jwks?: undefined;
        /** The issuer's JWKS URL: fetched and cached (createRemoteJwks' defaults), one per URL. */
        jwksUrl: string | URL;
      }
  );

/** The verified claims, or a ready 401 Response in the auth API's shape to return as is. */
export type VerifyRequestResult =
  | { claims: JwtClaims; response?: undefined }
  | { claims?: undefined; response: Response };

/**
 * Verifies the request's `Authorization: Bearer` JWT. Resolves to `{ claims }`, or to
 * `{ response }`: 401 with `{"detail": "..."}` and `WWW-Authenticate: Bearer` (no credential)
 * or `Bearer error="invalid_token", error_description="..."` (a refused token). An invalid
 * key set, or a JWKS that cannot be fetched the first time, is a setup error: it rejects.
 */
export function verifyRequest(request: Request, options: VerifyRequestOptions): Promise<VerifyRequestResult>;
EOF
done
