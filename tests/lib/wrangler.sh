# Sourced by scripts that need the Worker served as `make dev` serves it: real workerd under
# `wrangler dev`, local KV in a temporary folder, on a loopback port. Stops them all on exit.
# Each call sets: base (the URL), state (a temporary folder removed on exit), wrangler_pgid
# (the process group of that wrangler and its workerd processes).
# Two settings, read by each call when set (e.g. `WRANGLER_PERSIST_TO=... start_wrangler_in ...`):
#   WRANGLER_PERSIST_TO  an absolute local state folder (--persist-to) instead of "$state/kv": two
#                        Workers given the same one share their local KV namespaces by id.
#   WRANGLER_READY_PATH  the path polled until the Worker answers, with any status, instead
#                        of /.well-known/jwks.json answering 2xx (for Workers that serve none).

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
  local persist="${WRANGLER_PERSIST_TO:-$state/kv}" ready_path="${WRANGLER_READY_PATH:-}"
  (cd "$dir" && exec setsid wrangler dev --local --ip 127.0.0.1 --port "$port" --persist-to "$persist" \
    --show-interactive-dev-session=false "$@" >"$state/wrangler.log" 2>&1) &
  local pgid=$!
  wrangler_pgid=$pgid
  wrangler_pgids+=("$pgid")
  trap stop_wrangler EXIT
  printf '==> waiting for wrangler dev on %s' "$base"
  for _ in $(seq 1 300); do
    if wrangler_ready "$ready_path"; then
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

wrangler_ready() { # wrangler_ready [PATH]: $base answers PATH at all, or its JWKS with 2xx
  if [ -n "$1" ]; then
    [ "$(curl -sS -o /dev/null -w '%{http_code}' "$base$1" 2>/dev/null)" != 000 ]
  else
    curl -fsS -o /dev/null "$base/.well-known/jwks.json" 2>/dev/null
  fi
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
