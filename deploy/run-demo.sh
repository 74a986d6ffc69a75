#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: installs what is missing, builds a release
# binary, initialises ./var with a demo secretariat account, serves https://127.0.0.1:8443 in
# the foreground (Ctrl-C stops it) and seeds it through the API with a program in the middle of
# its year (deploy/demo-seed.py, python3 standard library only; a second run adds nothing). The
# sign-ins of every role are printed at the end and kept in ./var/demo-credentials.txt.
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
# The server's log goes to a file, so that the sign-ins below stay readable.
"$build/mamori" serve --data "$data" --listen "$listen" >>"$data/serve.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' INT TERM
healthy=
for _ in $(seq 100); do
	if curl -fsk "https://$listen/api/v1/health" >/dev/null 2>&1; then
		healthy=1
		break
	fi
	sleep 0.1
done
if [ -z "$healthy" ]; then
	echo "run-demo: the server did not answer on https://$listen; see $data/serve.log" >&2
fi
if python3 deploy/demo-seed.py "https://$listen" "$email" "$password" "$data/tls/cert.pem" \
	--credentials "$data/demo-credentials.txt"; then
	cat <<MSG

  mamori demo: https://$listen  (self-signed certificate for development)
  sign-ins above, also in $data/demo-credentials.txt; server log: $data/serve.log
  Ctrl-C stops the server.

MSG
else
	cat >&2 <<MSG

  WARNING: the demo data could not be seeded (see the message above). The server is running
  and the secretariat can sign in ($email / $password, saved in $data/demo-admin.txt),
  but the forum may be empty or incomplete. Run ./deploy/run-demo.sh again once it is fixed.

MSG
fi
wait $server
