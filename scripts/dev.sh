#!/usr/bin/env bash
# `make dev`: the local OpenID provider on 127.0.0.1:9010, then the Worker (API + demo page)
# on 127.0.0.1:${PORT:-8787} with KV kept in .wrangler-state/. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
node tests/oidc/provider.mjs &
provider=$!
trap 'kill "$provider" 2>/dev/null || true' EXIT
wrangler dev --local --ip 127.0.0.1 --port "${PORT:-8787}" --persist-to .wrangler-state \
  --show-interactive-dev-session=false
