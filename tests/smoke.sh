#!/usr/bin/env bash
# Smoke test of what `make dev` serves: starts `wrangler dev` (real workerd, local KV in a
# temporary folder) on a loopback port, then drives it with curl as a newcomer would,
# the seed's own curl command included.
set -euo pipefail
cd "$(dirname "$0")/.."

. tests/lib/wrangler.sh
start_wrangler "${SMOKE_PORT:-8799}"
. tests/lib/check.sh

sign_up_and_in "$base" smoke # register 201, login 200 ($state/login.json), /me
check "login token_type" bearer "$(json "['token_type']" <"$state/login.json")"

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

# A body without Content-Length (chunked) over 64 KB: refused while reading, not after.
head -c 200000 /dev/zero | tr '\0' 'x' >"$state/big.txt"
status=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$base/api/v1/auth/login" \
  -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$state/big.txt" || true)
check "chunked body over 64 KB answers 413" 413 "$status"

# Methods as sent: QUERY is not GET.
status=$(curl -sS -o /dev/null -w '%{http_code}' -X QUERY "$base/api/v1/auth/me" -H "Authorization: Bearer $token")
check "QUERY /me answers 405" 405 "$status"

# Under load the Worker keeps answering: 100 simultaneous logins each get 200, or 503 with
# Retry-After in the API's shape (load shed), never a dropped connection.
seq 1 100 | xargs -P 100 -I{} curl -sS -D - -o "$state/load-{}.json" -X POST "$base/api/v1/auth/login" \
  -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"correct horse\"}" \
  >"$state/load-headers.txt" 2>&1 || true
ok=$(grep -c '^HTTP/1.1 200' "$state/load-headers.txt" || true)
shed=$(grep -c '^HTTP/1.1 503' "$state/load-headers.txt" || true)
retry=$(grep -ic '^retry-after: 1' "$state/load-headers.txt" || true)
busy=$(grep -l '"The server is busy; try again shortly"' "$state"/load-*.json | wc -l)
check "100 parallel logins: every one answered" 100 "$((ok + shed))"
check "100 parallel logins: each 503 says retry" "$shed/$shed" "$retry/$busy"
[ "$ok" -ge 8 ] && check "100 parallel logins: at least 8 served" yes yes || check "100 parallel logins: at least 8 served" yes "$ok"

# 20 simultaneous refreshes of one refresh token: one successor (every answer carries the same
# pair, from the session's Durable Object), and it works.
refresh=$(json "['refresh_token']" <"$state/login.json")
seq 1 20 | xargs -P 20 -I{} curl -sS -o "$state/refresh-{}.json" -X POST "$base/api/v1/auth/refresh" \
  -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$refresh\"}"
successors=$(cat "$state"/refresh-*.json | python3 -c "import json,sys,re; print(len({t for t in re.findall(r'\"refresh_token\":\"([^\"]+)\"', sys.stdin.read())}))")
check "20 parallel refreshes: one successor" 1 "$successors"
answered=$(grep -l '"refresh_token"' "$state"/refresh-*.json | wc -l)
check "20 parallel refreshes: each gets the pair" 20 "$answered"
next=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['refresh_token'])" "$state/refresh-1.json")
status=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$base/api/v1/auth/refresh" \
  -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$next\"}")
check "the one successor refreshes" 200 "$status"

check "OpenAPI document" 3.1.0 "$(curl -fsS "$base/api/v1/auth/openapi.json" | json "['openapi']")"
check "docs route points to the reference" "302 /docs/" \
  "$(curl -sS -o /dev/null -w '%{http_code} %header{location}' "$base/api/v1/auth/docs")"
check "API reference page" 200 "$(curl -sS -o /dev/null -w '%{http_code}' "$base/docs/")"
check "API reference viewer (no CDN)" 200 \
  "$(curl -sS -o /dev/null -w '%{http_code}' "$base/docs/swagger-ui-bundle.js")"

echo "smoke: $pass passed, $fail failed"
[ "$fail" = 0 ]
