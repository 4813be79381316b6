#!/bin/sh
# Type-checks the consumer files under each tsconfig here (make test-types), against the built
# package (scripts/build-pkg.sh). The package is reached by its name, as an app reaches it:
# node_modules/edge-auth here is a link to pkg/, so pkg/package.json's `exports` resolves every
# entry. tsconfig.json checks usage.ts and verify.ts against the build folders directly, with
# ESNext.Disposable in `lib`; the others use `lib` ES2022 (+ DOM), without it. Then
# node-entries.mjs checks at run time what the Node build's declarations add (init, initSync),
# and packed.mjs that `npm pack` ships every file the entries reach.
set -eu
cd "$(dirname "$0")"
mkdir -p node_modules
ln -sfn ../../../pkg node_modules/edge-auth
status=0
for config in tsconfig.json tsconfig.bundler.json tsconfig.nodenext.json tsconfig.nodenext-nodom.json; do
  if tsc -p "$config"; then
    echo "ok   $config"
  else
    echo "FAIL $config"
    status=1
  fi
done
node node-entries.mjs || status=1
node packed.mjs || status=1
exit $status
