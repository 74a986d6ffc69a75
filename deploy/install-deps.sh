#!/usr/bin/env bash
# Installs the Debian 12 packages mamori needs to build, run and test.
# Usage: deploy/install-deps.sh [run|test|bench]   (default: test)
# Idempotent: packages already present are not fetched again.
set -euo pipefail
what=${1:-test}
pkgs=(build-essential cmake pkg-config openssl sqlite3 curl python3
      libevent-dev libssl-dev libsqlite3-dev libjansson-dev
      libmd4c-dev libmd4c-html0-dev libcurl4-openssl-dev)
case "$what" in
  run) ;;
  test) pkgs+=(libcmocka-dev python3 python3-aiosmtpd python3-jsonschema python3-icalendar clang libclang-rt-dev testssl.sh sqlmap fonts-noto-cjk
               chromium)
        command -v npm >/dev/null || pkgs+=(nodejs npm) ;;
  bench) pkgs+=(libcmocka-dev python3 python3-aiosmtpd python3-jsonschema nginx-light wrk fossil) ;;
  *) echo "install-deps: unknown set '$what' (run, test, bench)" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
