#!/bin/sh
# Prints the .dev.vars of local development: fresh random secrets, and the settings that only
# make sense on this machine (the loopback issuer, the local OpenID provider). wrangler dev and
# the workerd tests read .dev.vars; `wrangler deploy` never does, so none of this is shipped.
# With an existing file as argument, its values are kept and only missing names are added.
set -eu
existing="${1:-/dev/null}"
[ -f "$existing" ] || existing=/dev/null
rand() { head -c "$1" /dev/urandom | base64 | tr -d '\n'; }
have() { grep -q "^$1=" "$existing"; }
emit() { # emit NAME VALUE: the existing line for NAME, else NAME="VALUE"
  if have "$1"; then grep "^$1=" "$existing" | head -n 1; else printf '%s="%s"\n' "$1" "$2"; fi
}
echo "# Local development only, written by scripts/dev-vars.sh. Never commit this file."
emit JWT_SIGNING_KEY "$(rand 32)"
emit PRIVATE_KEY_ENCRYPTION_KEY "$(rand 32)"
emit API_KEY_PEPPER "$(rand 32)"
# This machine: tokens name 127.0.0.1 (allowed by LOCAL_DEV only), and sign-in goes to the
# local OpenID provider (tests/oidc/provider.mjs), whose client secret is not a real secret.
emit LOCAL_DEV "true"
emit JWT_ISSUER "http://127.0.0.1:8787"
emit OIDC_ISSUER "http://127.0.0.1:9010"
emit OIDC_CLIENT_ID "edge-auth-local"
emit OIDC_REDIRECT_URIS "http://127.0.0.1:8787/"
emit OIDC_CLIENT_SECRET "edge-auth-local-secret"
