#!/bin/sh
# Everything `wrangler dev` serves: the Worker, the demo site with the web package, the API
# reference.
# Skipped when nothing it is built from has changed since the last build (every test suite
# that starts `wrangler dev` runs this).
set -eu
cd "$(dirname "$0")/.."
stamp=build/.stamp
if [ -f "$stamp" ] && [ -f build/worker/shim.mjs ] && [ -d build/site ] &&
  [ -z "$(find src www pkg/package.json Cargo.toml Cargo.lock scripts -newer "$stamp" -print -quit)" ]; then
  echo "build is up to date"
  exit 0
fi
sh scripts/build-worker.sh
sh scripts/build-pkg.sh
sh scripts/build-docs.sh
touch "$stamp"
