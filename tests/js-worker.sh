#!/usr/bin/env bash
# The JavaScript Worker example (examples/js-worker) in workerd, under `wrangler dev`: its
# bundler resolves `edge-auth/verify` through pkg/package.json's "workerd" condition (the
# entry that instantiates the wasm at load), as an app's would. A user registers and signs in
# at the auth Worker; the example's GET /hello, given that Worker's JWKS, issuer and audience
# as vars, answers the token's user, and a forged token or none with the API's 401.
set -euo pipefail
cd "$(dirname "$0")/.."

# What `npm install` makes of the example's "file:../../pkg" dependency: a link to pkg/.
mkdir -p examples/js-worker/node_modules
ln -sfn ../../../pkg examples/js-worker/node_modules/edge-auth

. tests/lib/wrangler.sh
start_wrangler "${JS_WORKER_AUTH_PORT:-8811}"
auth="$base"
. tests/lib/check.sh

sign_up_and_in "$auth" js-worker
jwks=$(curl -fsS "$auth/.well-known/jwks.json" | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin), separators=(',', ':')))")
# The issuer and audience the auth Worker puts in its tokens.
claims=$(python3 -c "import base64,json,sys; p=sys.argv[1].split('.')[1]; print(json.dumps(json.loads(base64.urlsafe_b64decode(p + '=' * (-len(p) % 4)))))" "$token")
issuer=$(json "['iss']" <<<"$claims")
audience=$(python3 -c "import json,sys; a=json.loads(sys.argv[1])['aud']; print(a if isinstance(a, str) else a[0])" "$claims")

WRANGLER_READY_PATH=/hello start_wrangler_in examples/js-worker "${JS_WORKER_PORT:-8812}" \
  --var "JWKS:$jwks" --var "ISSUER:$issuer" --var "AUDIENCE:$audience"
example="$base"

hello() { # hello NAME [curl options]: GET /hello at the example; sets status, body, challenge
  local name="$1"
  shift
  status=$(curl -sS -D "$state/$name.headers" -o "$state/$name.json" -w '%{http_code}' "$@" "$example/hello")
  body="$state/$name.json"
  challenge=$(grep -i '^www-authenticate:' "$state/$name.headers" | sed 's/^[^:]*: *//' | tr -d '\r' || true)
}

hello jwt -H "Authorization: Bearer $token"
check "example /hello with the JWT answers 200" 200 "$status"
check "example /hello with the JWT: the user" "$user" "$(json "['hello']" <"$body")"

forged=$(forge "$token")
hello forged -H "Authorization: Bearer $forged"
check "example /hello with a forged JWT answers 401" 401 "$status"
detail=$(json "['detail']" <"$body")
check "example /hello with a forged JWT: WWW-Authenticate invalid_token with the detail" \
  "Bearer error=\"invalid_token\", error_description=\"$detail\"" "$challenge"
check "example /hello with a forged JWT: a detail" yes "$([ -n "$detail" ] && echo yes || echo no)"

hello garbage -H "Authorization: Bearer not-a-token"
check "example /hello with a garbage token answers 401" 401 "$status"
check "example /hello with a garbage token: WWW-Authenticate invalid_token" yes \
  "$(case "$challenge" in 'Bearer error="invalid_token"'*) echo yes ;; *) echo "no ($challenge)" ;; esac)"

hello none
check "example /hello without a credential answers 401" 401 "$status"
check "example /hello without a credential: WWW-Authenticate Bearer" Bearer "$challenge"
check "example /hello without a credential: the API's detail" "Not authenticated" "$(json "['detail']" <"$body")"

# The same Worker given the JWKS URL instead: verifyRequest fetches the key set from the auth
# Worker (jwksUrl, createRemoteJwks) and caches it.
WRANGLER_READY_PATH=/hello start_wrangler_in examples/js-worker "${JS_WORKER_URL_PORT:-8814}" \
  --var "JWKS_URL:$auth/.well-known/jwks.json" --var "ISSUER:$issuer" --var "AUDIENCE:$audience"
example="$base"
for round in first again; do
  hello "url-jwt-$round" -H "Authorization: Bearer $token"
  check "example with jwksUrl: /hello with the JWT answers 200 ($round)" 200 "$status"
  check "example with jwksUrl: /hello with the JWT: the user ($round)" "$user" "$(json "['hello']" <"$body")"
done
hello url-forged -H "Authorization: Bearer $forged"
check "example with jwksUrl: /hello with a forged JWT answers 401" 401 "$status"
check "example with jwksUrl: /hello with a forged JWT: WWW-Authenticate invalid_token" \
  "Bearer error=\"invalid_token\", error_description=\"$(json "['detail']" <"$body")\"" "$challenge"
hello url-none
check "example with jwksUrl: /hello without a credential answers 401" 401 "$status"

# An identity provider's tokens: the same Worker given an ES256 key set and ALGORITHMS verifies
# them with workerd's WebCrypto. The provider is played by node:crypto (a P-256 key pair).
node --input-type=module - "$state" <<'EOF'
import { generateKeyPairSync, sign } from "node:crypto";
import { writeFileSync } from "node:fs";
const dir = process.argv[2];
const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = Math.floor(Date.now() / 1000);
const input = `${part({ alg: "ES256", kid: "idp-1" })}.${part({ iss: "https://idp.example", aud: "my-app", sub: "idp-user-7", exp: now + 600 })}`;
const signature = sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" });
writeFileSync(`${dir}/idp.jwks`, JSON.stringify({ keys: [{ ...publicKey.export({ format: "jwk" }), kid: "idp-1" }] }));
writeFileSync(`${dir}/idp.token`, `${input}.${signature.toString("base64url")}`);
EOF
idp_token=$(cat "$state/idp.token")
WRANGLER_READY_PATH=/hello start_wrangler_in examples/js-worker "${JS_WORKER_IDP_PORT:-8815}" \
  --var "JWKS:$(cat "$state/idp.jwks")" --var "ISSUER:https://idp.example" --var "AUDIENCE:my-app" \
  --var "ALGORITHMS:ES256"
example="$base"
hello idp -H "Authorization: Bearer $idp_token"
check "example with a provider's ES256 key set: /hello with its token answers 200" 200 "$status"
check "example with a provider's ES256 key set: the token's subject" idp-user-7 "$(json "['hello']" <"$body")"
idp_forged=$(forge "$idp_token")
hello idp-forged -H "Authorization: Bearer $idp_forged"
check "example with a provider's ES256 key set: a forged token answers 401" 401 "$status"
check "example with a provider's ES256 key set: the detail" "invalid token signature" "$(json "['detail']" <"$body")"
hello idp-ours -H "Authorization: Bearer $token"
check "example with a provider's ES256 key set: the auth Worker's EdDSA token answers 401" 401 "$status"

echo "js-worker: $pass passed, $fail failed"
[ "$fail" = 0 ]
