#!/bin/sh
# Builds this Worker (build/) with worker-build, using only the tools the repository's
# scripts/setup.sh installed: worker-build would otherwise download them from GitHub.
# Skipped when nothing it is built from has changed since the last build (`wrangler dev`
# runs this as its [build] command).
set -eu
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
stamp=build/.stamp
if [ -f "$stamp" ] && [ -f build/worker/shim.mjs ] &&
  [ -z "$(find src Cargo.toml build.sh "$root/src" "$root/Cargo.toml" "$root/Cargo.lock" -newer "$stamp" -print -quit)" ]; then
  echo "example build is up to date"
  exit 0
fi
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$root/node_modules/.bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$root/node_modules/.bin/esbuild}"
worker-build --release
touch "$stamp"
