#!/usr/bin/env bash
# `make bench`: every benchmark, then one JSON line merging their figures (the last line of
# each benchmark is its own JSON object), so the numbers can be tracked over time.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
node bench/pkg.mjs | tee "$out/pkg"
bench/worker.sh | tee "$out/worker"
node -e '
const fs = require("fs");
const last = (f) => JSON.parse(fs.readFileSync(f, "utf8").trim().split("\n").pop());
console.log(JSON.stringify({ ...last(process.argv[1]), ...last(process.argv[2]) }));
' "$out/pkg" "$out/worker"
