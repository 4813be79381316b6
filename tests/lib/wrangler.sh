# Sourced by scripts that need the Worker served as `make dev` serves it: real workerd under
# `wrangler dev`, local KV in a temporary folder, on a loopback port. Stops them all on exit.
# Each call sets: base (the URL), state (a temporary folder removed on exit), wrangler_pgid
# (the process group of that wrangler and its workerd processes).

wrangler_pgids=()
wrangler_states=()

start_wrangler() { # start_wrangler PORT [wrangler dev options, e.g. --var CONSISTENCY:edge]
  start_wrangler_in . "$@"
}

# start_wrangler_in DIR PORT [options]: the same for the Worker whose wrangler.toml is in DIR
# (bench/baseline.sh serves the JavaScript baseline this way, with the same wrangler and workerd).
start_wrangler_in() {
  local dir="$1" port="$2"
  shift 2
  base="http://127.0.0.1:$port"
  state="$(mktemp -d)"
  wrangler_states+=("$state")
  (cd "$dir" && exec setsid wrangler dev --local --ip 127.0.0.1 --port "$port" --persist-to "$state/kv" \
    --show-interactive-dev-session=false "$@" >"$state/wrangler.log" 2>&1) &
  local pgid=$!
  wrangler_pgid=$pgid
  wrangler_pgids+=("$pgid")
  trap stop_wrangler EXIT
  printf '==> waiting for wrangler dev on %s' "$base"
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$base/.well-known/jwks.json" 2>/dev/null; then
      echo
      return 0
    fi
    if ! kill -0 "$pgid" 2>/dev/null; then break; fi
    sleep 1
    printf .
  done
  echo
  cat "$state/wrangler.log"
  return 1
}

stop_wrangler() {
  local pgid dir
  for pgid in "${wrangler_pgids[@]}"; do
    kill -- "-$pgid" 2>/dev/null || true
  done
  sleep 0.5
  for pgid in "${wrangler_pgids[@]}"; do
    kill -9 -- "-$pgid" 2>/dev/null || true
  done
  for dir in "${wrangler_states[@]}"; do
    rm -rf "$dir"
  done
}
