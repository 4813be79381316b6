# Sourced by the shell suites: counted checks, a JSON field reader, and what the suites that
# serve a Worker beside the auth Worker share: a signed-in user, a forged token.
pass=0
fail=0

check() { # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then
    pass=$((pass + 1)); echo "ok   $1"
  else
    fail=$((fail + 1)); echo "FAIL $1: expected $2, got $3"
  fi
}

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

sign_up_and_in() { # sign_up_and_in AUTH_BASE PREFIX: a fresh user at the auth Worker, checked; sets email, token, user
  email="$2-$RANDOM$RANDOM@example.com"
  status=$(curl -sS -o "$state/register.json" -w '%{http_code}' -X POST "$1/api/v1/auth/register" \
    -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"correct horse\"}")
  check "auth Worker: register answers 201" 201 "$status"
  status=$(curl -sS -o "$state/login.json" -w '%{http_code}' -X POST "$1/api/v1/auth/login" \
    -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"correct horse\"}")
  check "auth Worker: login answers 200" 200 "$status"
  token=$(json "['access_token']" <"$state/login.json")
  user=$(curl -fsS "$1/api/v1/auth/me" -H "Authorization: Bearer $token" | json "['id']")
}

forge() { # forge JWT: the same token with its signature's first character changed (right shape, wrong signature)
  python3 -c "import sys; h, s = sys.argv[1].rsplit('.', 1); print(h + '.' + ('B' if s[0] == 'A' else 'A') + s[1:])" "$1"
}
