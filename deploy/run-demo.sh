#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: installs what is missing, builds a release
# binary, initialises ./var with a demo secretariat account (credentials printed below) and
# serves https://127.0.0.1:8443 in the foreground (Ctrl-C stops it).
# Needs only the run set of packages (no test tools): the release build has no tests.
# Environment: MAMORI_DATA (default ./var), MAMORI_LISTEN (default 127.0.0.1:8443),
# MAMORI_BUILD (default build-release); tests/run-all.sh runs it so with cmocka hidden.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh run
build=${MAMORI_BUILD:-build-release}
listen=${MAMORI_LISTEN:-127.0.0.1:8443}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DMAMORI_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)"
data=${MAMORI_DATA:-./var}
"$build/mamori" init --data "$data"
email=admin@example.jp
if [ ! -f "$data/demo-admin.txt" ]; then
	password=$(openssl rand -base64 18 | tr -d '/+=' | cut -c1-20)
	printf '%s\n' "$password" | "$build/mamori" user add --data "$data" --role secretariat \
		--email "$email" --name "事務局（デモ）"
	umask 077
	printf 'email=%s\npassword=%s\n' "$email" "$password" >"$data/demo-admin.txt"
fi
. "$data/demo-admin.txt"
cat <<MSG

  mamori demo: https://$listen  (self-signed certificate for development)
  secretariat sign-in:  $email  /  $password
  (saved in $data/demo-admin.txt)

MSG
"$build/mamori" serve --data "$data" --listen "$listen" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' INT TERM
for _ in $(seq 100); do
	curl -fsk "https://$listen/api/v1/health" >/dev/null 2>&1 && break
	sleep 0.1
done
python3 deploy/demo-seed.py "https://$listen" "$email" "$password" "$data/tls/cert.pem" || true
wait $server
