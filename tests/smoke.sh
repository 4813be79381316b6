#!/usr/bin/env bash
# Smoke test of what `make dev` serves: starts `wrangler dev` (real workerd, local KV in a
# temporary folder) on a loopback port, then drives it with curl as a newcomer would,
# the seed's own curl command included.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${SMOKE_PORT:-8799}"
base="http://127.0.0.1:$port"
state="$(mktemp -d)"
log="$state/wrangler.log"
pass=0
fail=0

cleanup() {
  [ -n "${pgid:-}" ] && kill -- "-$pgid" 2>/dev/null || true
  sleep 0.5
  [ -n "${pgid:-}" ] && kill -9 -- "-$pgid" 2>/dev/null || true
  rm -rf "$state"
}
trap cleanup EXIT

setsid wrangler dev --local --ip 127.0.0.1 --port "$port" --persist-to "$state/kv" \
  --show-interactive-dev-session=false >"$log" 2>&1 &
pgid=$!

printf '==> waiting for wrangler dev on %s' "$base"
for _ in $(seq 1 300); do
  if curl -fsS -o /dev/null "$base/.well-known/jwks.json" 2>/dev/null; then break; fi
  if ! kill -0 "$pgid" 2>/dev/null; then echo; cat "$log"; exit 1; fi
  sleep 1
  printf .
done
echo
curl -fsS -o /dev/null "$base/.well-known/jwks.json" || { cat "$log"; exit 1; }

check() { # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then
    pass=$((pass + 1)); echo "ok   $1"
  else
    fail=$((fail + 1)); echo "FAIL $1: expected $2, got $3"
  fi
}

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

email="smoke-$RANDOM$RANDOM@example.com"
status=$(curl -sS -o "$state/register.json" -w '%{http_code}' -X POST "$base/api/v1/auth/register" \
  -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"correct horse\"}")
check "register answers 201" 201 "$status"

status=$(curl -sS -o "$state/login.json" -w '%{http_code}' -X POST "$base/api/v1/auth/login" \
  -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"correct horse\"}")
check "login answers 200" 200 "$status"
check "login token_type" bearer "$(json "['token_type']" <"$state/login.json")"
token=$(json "['access_token']" <"$state/login.json")

# The seed's command as written, with a real token and this host.
curl -X GET "$base/api/v1/auth/private-key?args=null&kwargs=null" \
-H "Authorization: Bearer $token" >"$state/seed.json" 2>/dev/null
check "seed curl: private-key status" '{"has_key":false,"created_at":null,"updated_at":null}' "$(cat "$state/seed.json")"

status=$(curl -sS -o "$state/wrong.json" -w '%{http_code}' -X POST "$base/api/v1/auth/login" \
  -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"wrong horse\"}")
check "wrong password answers 401" 401 "$status"

status=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$base/api/v1/auth/login" \
  -H 'Content-Type: application/json' -d '{"email": ')
check "malformed JSON answers 422" 422 "$status"

echo "smoke: $pass passed, $fail failed"
[ "$fail" = 0 ]
