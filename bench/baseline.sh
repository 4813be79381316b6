# Sourced by bench/worker.sh after tests/lib/wrangler.sh: `start_baseline PORT` serves the
# JavaScript baseline (hono + jose + KV, ../shared/reference/hono-ref, or $HONO_REF) with
# `wrangler dev --local` on 127.0.0.1:PORT in its own process group, stopped on exit like ours.
#
# The reference folder may be read-only, so each run copies it (`cp -r`) to a temporary folder.
# Its npm dependencies (hono, jose) are installed once with `npm ci --omit=dev` into
# build/bench/hono-ref-deps/<sha256 of its package-lock.json>/ (git-ignored, kept across runs,
# reinstalled only when the lock file changes) and linked into the copy. Its devDependencies
# (wrangler, autocannon) are left out on purpose: the baseline is served by our wrangler, so
# both Workers run on the very same workerd binary.

start_baseline() { # start_baseline PORT
  prepare_baseline
  start_wrangler_in "$baseline_dir" "$1"
}

# prepare_baseline: sets baseline_dir to a fresh copy of the baseline, ready for `wrangler dev`
# (bench/cold-start.mjs starts its own instances there).
prepare_baseline() {
  local src="${HONO_REF:-../shared/reference/hono-ref}"
  [ -f "$src/wrangler.toml" ] || { echo "baseline not found: $src (set HONO_REF)" >&2; return 1; }
  local lock_sha deps copy
  lock_sha=$(sha256sum "$src/package-lock.json" | cut -c1-16)
  deps="$PWD/build/bench/hono-ref-deps/$lock_sha"
  if [ ! -f "$deps/.installed" ]; then
    echo "==> npm ci for the baseline into $deps (once per package-lock.json)"
    rm -rf "$deps"
    mkdir -p "$deps"
    cp "$src/package.json" "$src/package-lock.json" "$deps/"
    chmod u+w "$deps"/package*.json
    (cd "$deps" && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
    touch "$deps/.installed"
  fi
  copy="$(mktemp -d)"
  wrangler_states+=("$copy") # removed on exit with the wrangler states
  cp -r "$src" "$copy/hono-ref"
  chmod -R u+w "$copy/hono-ref"
  rm -rf "$copy/hono-ref/node_modules" "$copy/hono-ref/.wrangler" "$copy/hono-ref/.kvdata"
  ln -s "$deps/node_modules" "$copy/hono-ref/node_modules"
  baseline_dir="$copy/hono-ref"
}
