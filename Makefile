# The two commands a newcomer needs: `make dev` and `make test`. Both install what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export WRANGLER_SEND_METRICS := false
export WRANGLER_SEND_ERROR_REPORTS := false
export CLOUDFLARE_CF_FETCH_ENABLED := false
export WRANGLER_HIDE_BANNER := true
export CHROMEDRIVER := /usr/bin/chromedriver
# node_modules/.bin first: binaryen's wasm-opt (Debian's breaks wasm-bindgen output), wrangler.
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

PORT ?= 8787
WASM_PACK := wasm-pack --log-level warn

.PHONY: help setup dev build lint test test-native test-wasm test-e2e test-smoke \
	test-browser test-vite test-interop test-oidc test-types test-deploy test-example test-js-worker bench clean

help:
	@echo "make dev    install what is missing, build, serve http://127.0.0.1:$(PORT) (API + demo page, local KV)"
	@echo "make test   install what is missing and run every test suite"
	@echo "make bench  package size and verify speed against jose; login and request time in workerd; auth cost against the JS baseline"

setup:
	@scripts/setup.sh

# Fresh random secrets for local development, generated once and never committed.
.dev.vars: scripts/dev-vars.sh
	@scripts/dev-vars.sh $@ > $@.tmp && mv $@.tmp $@
	@echo "==> wrote .dev.vars (local settings; fresh random keys where there were none)"

# wrangler runs the [build] command (scripts/build.sh: the Worker, the package, the demo site).
dev: setup .dev.vars
	@PORT=$(PORT) scripts/dev.sh

build: setup
	@scripts/build.sh

lint: setup
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --features worker -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --features worker-entry -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --features wasm --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --no-default-features --features verify --all-targets -- -D warnings
	cargo clippy -p edge-auth-example-worker --target wasm32-unknown-unknown -- -D warnings

test-native: setup
	cargo test

# The package's shared cases in Node and in two browser engines, headless: Chromium and Firefox.
test-wasm: setup
	$(WASM_PACK) test --node -- --features wasm --test wasm_node
	$(WASM_PACK) test --headless --chrome -- --features wasm --test wasm_browser
	$(WASM_PACK) test --headless --firefox -- --features wasm --test wasm_browser

# The package's generated TypeScript, used as an app would, under tsc --strict and
# skipLibCheck false: moduleResolution bundler and nodenext, lib ES2022 with and without DOM,
# every entry reached through pkg/package.json's exports (tests/types/run.sh).
test-types: build
	@tests/types/run.sh

test-e2e: build .dev.vars
	vitest run --config vitest.config.mts

test-smoke: build .dev.vars
	@tests/smoke.sh

# The workers-rs Worker in examples/rust-worker, which embeds the component (feature worker),
# in workerd beside the auth Worker, sharing its local KV.
test-example: build .dev.vars
	@tests/example.sh

# The JavaScript Worker in examples/js-worker: edge-auth/verify through the package's
# "workerd" condition, checking the auth Worker's tokens offline against its JWKS.
test-js-worker: build .dev.vars
	@tests/js-worker.sh

test-interop: build .dev.vars
	node --test tests/interop/

test-browser: build .dev.vars
	node --test tests/browser/

# An app built by Vite from pkg/, on its own origin, signing in cross-origin in Chromium.
test-vite: build .dev.vars
	node --test tests/vite/

test-oidc: build .dev.vars
	node --test tests/oidc/

# What `wrangler deploy` would ship, offline: it builds, and carries no local settings.
test-deploy: build
	@tests/deploy.sh

test: lint test-native test-wasm test-types test-e2e test-smoke test-example test-js-worker test-interop test-browser test-vite test-oidc test-deploy

bench: build .dev.vars
	@bench/run.sh

clean:
	rm -rf build pkg/web pkg/node target/wasm32-unknown-unknown
