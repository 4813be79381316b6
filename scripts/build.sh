#!/bin/sh
# Everything `wrangler dev` serves: the Worker and the demo site with the web package.
set -eu
cd "$(dirname "$0")/.."
sh scripts/build-worker.sh
sh scripts/build-pkg.sh
