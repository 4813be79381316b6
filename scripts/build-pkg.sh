#!/bin/sh
# Builds the npm package (pkg/web for browsers, pkg/node for Node) with wasm-pack, its
# verify-only entry `edge-auth/verify` (pkg/verify: feature `verify`, the offline token
# utilities without the client; ES module), then the demo site served by `make dev`: www/ plus
# the web build under build/site/pkg/.
set -eu
cd "$(dirname "$0")/.."
export PATH="$(pwd)/node_modules/.bin:$PATH" # binaryen's wasm-opt; Debian's breaks the output
for target in web nodejs; do
  out=pkg/$([ "$target" = nodejs ] && echo node || echo web)
  wasm-pack --log-level warn build --release --no-pack --target "$target" --out-dir "$out" -- --features wasm
  rm -f "$out/.gitignore"
done
# Its own wasm: a build with feature `wasm` would link the client whether or not it is called.
# Without the default feature `fast`: verifying computes the basepoint's few multiples per call
# instead of shipping its 8 KB table (measured: -7 KB gzip, about -6% EdDSA verifications/s).
wasm-pack --log-level warn build --release --no-pack --target web --out-dir pkg/verify -- \
  --no-default-features --features verify
rm -f pkg/verify/.gitignore
# The Node build is CommonJS inside a "type": "module" package.
echo '{ "type": "commonjs" }' > pkg/node/package.json
# wasm-bindgen declares `[Symbol.dispose](): void` in every class, which compiles only where the
# app's `lib` has esnext.disposable (TS2550 under lib ES2022 with skipLibCheck false). Its JS
# defines that method only where the runtime has Symbol.dispose; the declarations now say the
# same: each class extends the global `Disposable`, which is the lib's (with the method, so
# `using` works) when the app's lib declares it, and an empty interface otherwise.
node - pkg/web/edge_auth.d.ts pkg/node/edge_auth.d.ts pkg/verify/edge_auth.d.ts <<'EOF'
const fs = require("node:fs");
const method = /^(export class (\w+) \{\n    free\(\): void;\n)    \[Symbol\.dispose\]\(\): void;\n/gm;
for (const file of process.argv.slice(2)) {
  const classes = [];
  const text = fs.readFileSync(file, "utf8").replace(method, (_, head, name) => (classes.push(name), head));
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
# Assembled aside and swapped in, so a running `wrangler dev` never serves a half-built site.
mkdir -p build
next=$(mktemp -d build/site.next.XXXXXX)
chmod 755 "$next"
mkdir -p "$next/pkg"
cp -R www/. "$next/"
cp pkg/web/edge_auth.js pkg/web/edge_auth_bg.wasm "$next/pkg/"
rm -rf build/site.old
[ -d build/site ] && mv build/site build/site.old
mv "$next" build/site
rm -rf build/site.old
