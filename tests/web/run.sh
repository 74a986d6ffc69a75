#!/usr/bin/env bash
# Runs the web front end's tests: static checks, then the browser story against a real server.
#   tests/web/run.sh            (MAMORI_BIN defaults to build/mamori; CHROMIUM to /usr/bin/chromium)
# Installs playwright-core from package-lock.json (npm ci) the first time; uses Debian's chromium,
# never a downloaded browser.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -d node_modules/playwright-core ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error
  else npm install --no-audit --no-fund --loglevel=error; fi
fi
export MAMORI_BIN=${MAMORI_BIN:-$(cd "$here/../.." && pwd)/build/mamori}
mkdir -p screenshots
# Every *.test.mjs here: the static checks, the program story and each feature's story.
exec node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs
