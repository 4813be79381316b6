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
