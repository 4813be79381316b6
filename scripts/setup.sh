#!/usr/bin/env bash
# Installs what the build and the tests need, skipping whatever is already at the right version.
# Everything comes from crates.io, npm or Debian: nothing is downloaded from anywhere else.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130 # must equal the wasm-bindgen pin in Cargo.toml
WASM_PACK_VERSION=0.15.1
WORKER_BUILD_VERSION=0.8.7 # same minor as the `worker` crate
GECKODRIVER_VERSION=0.37.1 # Firefox's WebDriver server, for wasm-pack test --firefox

have_version() { # have_version CMD VERSION: CMD --version mentions VERSION
  command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -qF "$2"
}

step() { printf '==> %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

if ! have_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # --locked fails for this version (a locked dependency was yanked from the registry).
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi
if ! have_version wasm-pack "$WASM_PACK_VERSION"; then
  step "cargo install wasm-pack $WASM_PACK_VERSION"
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked --force
fi
if ! have_version worker-build "$WORKER_BUILD_VERSION"; then
  step "cargo install worker-build $WORKER_BUILD_VERSION"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked --force
fi

# The browsers the package is tested in: Chromium (every browser suite) and Firefox (the
# package's cases, `make test-wasm`), with their WebDriver servers.
if [ "${SETUP_BROWSER:-1}" = 1 ]; then
  missing=""
  command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
  command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
  command -v firefox-esr >/dev/null 2>&1 || missing="$missing firefox-esr"
  if [ -n "$missing" ]; then
    step "apt-get install$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086 # one word per package
    apt-get install -y -qq $missing >/dev/null
  fi
  if ! have_version geckodriver "$GECKODRIVER_VERSION"; then
    step "cargo install geckodriver $GECKODRIVER_VERSION"
    cargo install geckodriver --version "$GECKODRIVER_VERSION" --locked --force
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund
fi
