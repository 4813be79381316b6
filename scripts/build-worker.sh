#!/bin/sh
# Builds the Worker (build/worker/) with worker-build, using only tools installed by
# scripts/setup.sh: worker-build would otherwise try to download them from GitHub.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$root/node_modules/.bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$root/node_modules/.bin/esbuild}"
exec worker-build --release --features worker-entry
