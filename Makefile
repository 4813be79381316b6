# The two commands a newcomer needs: `make dev` and `make test`. Both install what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export WRANGLER_SEND_METRICS := false
export WRANGLER_SEND_ERROR_REPORTS := false
export CLOUDFLARE_CF_FETCH_ENABLED := false
export WRANGLER_HIDE_BANNER := true
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

PORT ?= 8787
WRANGLER_DEV := wrangler dev --local --ip 127.0.0.1 --show-interactive-dev-session=false

.PHONY: help setup dev test test-native lint build test-e2e test-smoke bench clean

help:
	@echo "make dev    install what is missing, build, serve on http://127.0.0.1:$(PORT) with local KV"
	@echo "make test   install what is missing and run every test suite"
	@echo "make bench  time a login and a protected request in workerd; print the wasm size"

setup:
	@scripts/setup.sh

# Fresh random secrets for local development, generated once and never committed.
.dev.vars:
	@scripts/dev-vars.sh > $@.tmp && mv $@.tmp $@
	@echo "==> wrote .dev.vars with fresh random keys"

dev: setup .dev.vars
	$(WRANGLER_DEV) --port $(PORT) --persist-to .wrangler-state

build: setup
	@scripts/build-worker.sh

lint: setup
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --features worker -- -D warnings

test-native: setup
	cargo test

test-e2e: build
	vitest run --config vitest.config.mts

test-smoke: setup .dev.vars
	@tests/smoke.sh

test: lint test-native test-e2e test-smoke

bench: build
	@bench/worker.sh

clean:
	rm -rf build target/wasm32-unknown-unknown
