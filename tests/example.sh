#!/usr/bin/env bash
# The workers-rs example (examples/rust-worker) in workerd: the auth Worker and the example
# Worker, each under its own `wrangler dev`, share one local KV namespace (the same id, the
# same --persist-to folder). A user registers, signs in and creates an API key at the auth
# Worker; the example's GET /hello then accepts the JWT and the key, and answers anything
# else with the component's own 401.
set -euo pipefail
cd "$(dirname "$0")/.."

sh examples/rust-worker/build.sh
. tests/lib/wrangler.sh
start_wrangler "${EXAMPLE_AUTH_PORT:-8795}"
auth="$base"
kv="$state/kv"
# The example's secrets are the auth Worker's own (.dev.vars, as `make dev` uses).
WRANGLER_PERSIST_TO="$kv" WRANGLER_READY_PATH=/hello \
  start_wrangler_in examples/rust-worker "${EXAMPLE_PORT:-8796}" --env-file "$PWD/.dev.vars"
example="$base"
. tests/lib/check.sh

# The same Worker in its verify-only setup: public values alone (the auth Worker's JWKS; the
# loopback issuer allowed as in local development), no secret at all.
printf "LOCAL_DEV=true\nJWT_PUBLIC_JWKS='%s'\n" "$(curl -fsS "$auth/.well-known/jwks.json")" >"$state/public.vars"
WRANGLER_PERSIST_TO="$(mktemp -d)" WRANGLER_READY_PATH=/hello-offline \
  start_wrangler_in examples/rust-worker "${EXAMPLE_PUBLIC_PORT:-8794}" --env-file "$state/public.vars"
public="$base"

hello() { # hello NAME [curl options]: GET /hello at the example; sets status, body, challenge
  hello_at "$example/hello" "$@"
}

hello_offline() { # the same for GET /hello-offline at the verify-only instance
  hello_at "$public/hello-offline" "$@"
}

hello_at() { # hello_at URL NAME [curl options]
  local url="$1" name="$2"
  shift 2
  status=$(curl -sS -D "$state/$name.headers" -o "$state/$name.json" -w '%{http_code}' "$@" "$url")
  body="$state/$name.json"
  # The scheme WWW-Authenticate names ("Bearer ..."), or nothing without the header.
  challenge=$(grep -i '^www-authenticate:' "$state/$name.headers" | sed 's/^[^:]*: *//' | cut -d' ' -f1 | tr -d '\r' || true)
}

answer() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d.get('hello'), d.get('scheme'))" <"$body"; }

sign_up_and_in "$auth" example
status=$(curl -sS -o "$state/key.json" -w '%{http_code}' -X POST "$auth/api/v1/auth/api-keys" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"name":"example"}')
check "auth Worker: API key created" 201 "$status"
key=$(json "['key']" <"$state/key.json")

hello jwt -H "Authorization: Bearer $token"
check "example /hello with the JWT answers 200" 200 "$status"
check "example /hello with the JWT: the user" "$user jwt" "$(answer)"

hello key -H "Authorization: Bearer $key"
check "example /hello with the sk- key answers 200" 200 "$status"
check "example /hello with the sk- key: the user" "$user api_key" "$(answer)"

forged=$(forge "$token")
for case in "a forged JWT:$forged" "an unknown sk- key:${key}x" "a garbage token:not-a-token"; do
  name="${case%%:*}"
  hello "$(printf '%s' "$name" | tr -c 'a-zA-Z0-9' -)" -H "Authorization: Bearer ${case#*:}"
  check "example /hello with $name answers 401" 401 "$status"
  check "example /hello with $name: WWW-Authenticate Bearer" Bearer "$challenge"
done

hello none
check "example /hello without a credential answers 401" 401 "$status"
check "example /hello without a credential: WWW-Authenticate Bearer" Bearer "$challenge"

# Verify-only: the JWT checked against the public keys alone.
hello_offline offline-jwt -H "Authorization: Bearer $token"
check "verify-only /hello-offline with the JWT answers 200" 200 "$status"
check "verify-only /hello-offline with the JWT: the user" "$user jwt" "$(answer)"
for case in "a forged JWT:$forged" "the sk- key (needs the store):$key" "nothing:"; do
  name="${case%%:*}"
  credential="${case#*:}"
  hello_offline "offline-$(printf '%s' "$name" | tr -c 'a-zA-Z0-9' -)" ${credential:+-H "Authorization: Bearer $credential"}
  check "verify-only /hello-offline with $name answers 401" 401 "$status"
  check "verify-only /hello-offline with $name: WWW-Authenticate Bearer" Bearer "$challenge"
done
# What offline checking cannot know: a logout. The verify-only instance accepts the token
# until it expires, as documented (the store-backed /hello learns of it through KV).
status=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$auth/api/v1/auth/logout" -H "Authorization: Bearer $token")
check "auth Worker: logout answers 204" 204 "$status"
hello_offline offline-after-logout -H "Authorization: Bearer $token"
check "verify-only /hello-offline after logout still answers 200 (until exp)" 200 "$status"

echo "example: $pass passed, $fail failed"
[ "$fail" = 0 ]
