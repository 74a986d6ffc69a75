#!/usr/bin/env bash
# Validates docs/openapi.json (validate.mjs). Installs the validator from package-lock.json
# (npm ci) the first time.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/@seriousme/openapi-schema-validator ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
exec node validate.mjs
