#!/usr/bin/env bash
# Times the Worker as `make dev` serves it (wrangler dev, real workerd, local KV): one login
# (argon2id at the configured strength dominates it) and one protected request. Local KV
# reads are sub-millisecond, so the wall time per request approximates its CPU time.
# Also prints the Worker's .wasm size, raw and gzip, and what CONSISTENCY=strict costs against
# edge (bench/consistency.mjs, on a second instance with CONSISTENCY=strict), and the auth
# cost per request of both against the JavaScript baseline (bench/auth-cost.mjs, with
# hono-ref served by bench/baseline.sh on a third instance). And argon2id in wasm against the
# same parameters natively (examples/argon2_native.rs, then bench/argon2.mjs on the edge
# instance), run first so that the native figure has the cores to itself; then the cold start
# of ours against the baseline (bench/cold-start.mjs), before the three instances are started.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "==> argon2id natively at wrangler.toml's parameters (examples/argon2_native.rs)"
native=$(cargo run --quiet --release --example argon2_native)
echo "$native"
native_ms=$(printf '%s\n' "$native" | tail -n 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["argon2_native_ms"])')
. tests/lib/wrangler.sh
. bench/baseline.sh
trap stop_wrangler EXIT # also removes the baseline's copy if the cold start fails
prepare_baseline
echo "==> cold start: ours against the baseline, each started afresh (bench/cold-start.mjs)"
cold="$(mktemp)"
wrangler_states+=("$cold") # removed on exit
node bench/cold-start.mjs . "$baseline_dir" | tee "$cold"
# Ours is served as Cloudflare runs it, without the demo site's assets (bench/script-only.mjs):
# wrangler's asset router in front of it costs about 0.45 ms of CPU per request, the same for
# every case, which only widened the noise around the auth costs (a few per cent of it).
ours="$(mktemp -d)"
wrangler_states+=("$ours") # removed on exit
node bench/script-only.mjs . "$ours"
start_wrangler_in "$ours" "${BENCH_STRICT_PORT:-8797}" --var CONSISTENCY:strict
strict_base=$base strict_pgid=$wrangler_pgid
start_baseline "${BENCH_BASELINE_PORT:-8796}"
baseline_base=$base baseline_pgid=$wrangler_pgid
start_wrangler_in "$ours" "${BENCH_PORT:-8798}" # wrangler.toml's default: edge

email="bench-$RANDOM@example.com"
curl -fsS -o /dev/null -X POST "$base/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"correct horse\"}"
login() {
  curl -fsS -o "$state/login.json" -w '%{time_total}\n' -X POST "$base/api/v1/auth/login" \
    -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"correct horse\"}"
}
median() { sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)] * 1000}'; }

login >/dev/null # warm-up
login_ms=$(for _ in $(seq 1 15); do login; done | median)
token=$(python3 -c "import json; print(json.load(open('$state/login.json'))['access_token'])")
me_ms=$(for _ in $(seq 1 50); do
  curl -fsS -o /dev/null -w '%{time_total}\n' "$base/api/v1/auth/me" -H "Authorization: Bearer $token"
done | median)
wasm=build/index_bg.wasm
raw=$(wc -c <"$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
echo "login (argon2id m=$(sed -n 's/^ARGON2_MEMORY_KIB = "\(.*\)"/\1/p' wrangler.toml) KiB): median ${login_ms} ms"
echo "GET /me with a JWT: median ${me_ms} ms"
echo "worker wasm: ${raw} bytes raw, ${gz} bytes gzip"
echo "==> CONSISTENCY=strict against edge"
node bench/consistency.mjs "$strict_base" "$base" | tee "$state/consistency"
echo "==> argon2id: wasm in workerd against native"
node bench/argon2.mjs "$base" "$wrangler_pgid" "$native_ms" | tee "$state/argon2"
echo "==> auth cost: ours (edge, strict) against the baseline"
node bench/auth-cost.mjs "edge=$base,$wrangler_pgid" "strict=$strict_base,$strict_pgid" \
  "baseline=$baseline_base,$baseline_pgid" | tee "$state/auth-cost"
printf '{"login_ms": %s, "protected_request_ms": %s, "worker_wasm_bytes": %s, "worker_wasm_gzip_bytes": %s}\n' \
  "$login_ms" "$me_ms" "$raw" "$gz" >"$state/worker.json"
node -e '
const fs = require("fs");
const last = (f) => JSON.parse(fs.readFileSync(f, "utf8").trim().split("\n").pop());
console.log(JSON.stringify(Object.assign({}, ...process.argv.slice(1).map(last))));
' "$state/worker.json" "$state/consistency" "$state/argon2" "$cold" "$state/auth-cost"
