#!/bin/sh
# Builds the npm package (pkg/web for browsers, pkg/node for Node) with wasm-pack, then the
# demo site served by `make dev`: www/ plus the web build under build/site/pkg/.
set -eu
cd "$(dirname "$0")/.."
export PATH="$(pwd)/node_modules/.bin:$PATH" # binaryen's wasm-opt; Debian's breaks the output
for target in web nodejs; do
  out=pkg/$([ "$target" = nodejs ] && echo node || echo web)
  wasm-pack --log-level warn build --release --no-pack --target "$target" --out-dir "$out" -- --features wasm
  rm -f "$out/.gitignore"
done
# The Node build is CommonJS inside a "type": "module" package.
echo '{ "type": "commonjs" }' > pkg/node/package.json
rm -rf build/site
mkdir -p build/site/pkg
cp -R www/. build/site/
cp pkg/web/edge_auth.js pkg/web/edge_auth_bg.wasm build/site/pkg/
