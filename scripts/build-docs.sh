#!/bin/sh
# The API reference at /docs/: www/docs/ (copied with the demo site) plus Swagger UI's
# bundle and stylesheet from the npm package swagger-ui-dist, served as static assets.
set -eu
cd "$(dirname "$0")/.."
dist=node_modules/swagger-ui-dist
for file in swagger-ui-bundle.js swagger-ui.css; do
  cp "$dist/$file" build/site/docs/
done
