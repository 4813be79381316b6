#!/usr/bin/env bash
# What `wrangler deploy` would ship, checked offline: the bundle builds (`--dry-run`), and the
# deployable configuration carries nothing of this machine (loopback URLs, LOCAL_DEV), which
# lives in .dev.vars for `make dev` and the tests only.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/deploy-dry-run
wrangler deploy --dry-run --outdir "$out" >"$out.log" 2>&1 || { cat "$out.log"; exit 1; }
grep -q "AtomicObject" "$out/shim.js" || { echo "FAIL: the bundle lacks the AtomicObject class"; exit 1; }
if grep -nE '127\.0\.0\.1|localhost|^LOCAL_DEV' wrangler.toml | grep -v '^[0-9]*:#'; then
  echo "FAIL: wrangler.toml would deploy local settings (above); keep them in .dev.vars"
  exit 1
fi
echo "deploy: dry run built $(cat "$out"/*.wasm | wc -c) bytes of wasm; no local settings in wrangler.toml"
