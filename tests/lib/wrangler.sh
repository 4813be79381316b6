# Sourced by scripts that need the Worker served as `make dev` serves it: real workerd under
# `wrangler dev`, local KV in a temporary folder, on a loopback port. Stops it on exit.
# Sets: base (the URL), state (a temporary folder removed on exit).

start_wrangler() { # start_wrangler PORT
  local port="$1"
  base="http://127.0.0.1:$port"
  state="$(mktemp -d)"
  setsid wrangler dev --local --ip 127.0.0.1 --port "$port" --persist-to "$state/kv" \
    --show-interactive-dev-session=false >"$state/wrangler.log" 2>&1 &
  wrangler_pgid=$!
  trap stop_wrangler EXIT
  printf '==> waiting for wrangler dev on %s' "$base"
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$base/.well-known/jwks.json" 2>/dev/null; then
      echo
      return 0
    fi
    if ! kill -0 "$wrangler_pgid" 2>/dev/null; then break; fi
    sleep 1
    printf .
  done
  echo
  cat "$state/wrangler.log"
  return 1
}

stop_wrangler() {
  if [ -n "${wrangler_pgid:-}" ]; then
    kill -- "-$wrangler_pgid" 2>/dev/null || true
    sleep 0.5
    kill -9 -- "-$wrangler_pgid" 2>/dev/null || true
  fi
  [ -n "${state:-}" ] && rm -rf "$state"
}
