#!/usr/bin/env bash
# `make dev`: the local OpenID provider on 127.0.0.1:9010, then the Worker (API + demo page)
# on 127.0.0.1:${PORT:-8787} with KV kept in .wrangler-state/. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
node tests/oidc/provider.mjs &
provider=$!
trap 'kill "$provider" 2>/dev/null || true' EXIT
port="${PORT:-8787}"
# Tokens name the origin they are served from, and provider sign-in returns to it: on another
# port both follow (the local provider accepts callbacks on 127.0.0.1:8787..8799).
wrangler dev --local --ip 127.0.0.1 --port "$port" --persist-to .wrangler-state \
  --show-interactive-dev-session=false \
  --var "JWT_ISSUER:http://127.0.0.1:$port" --var "OIDC_REDIRECT_URIS:http://127.0.0.1:$port/"
