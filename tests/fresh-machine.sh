#!/usr/bin/env bash
# The README's first command on a machine that has only the run set of packages
# (deploy/install-deps.sh run): runs deploy/run-demo.sh itself, into a temporary build and data
# directory on a free port, with cmocka hidden from pkg-config (PKG_CONFIG_LIBDIR points at
# copies of every installed .pc file except cmocka's), then checks that the release build has
# no tests in it, that the server answers /api/v1/health and /api/v1/openapi.json over TLS with
# its own certificate, and that the printed demo account signs in. Exit 0 or a message and 1.
# Used by tests/run-all.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/mamori-fresh.XXXXXX)
demo=
cleanup() {
	if [ -n "$demo" ] && kill -0 "$demo" 2>/dev/null; then
		kill -TERM -- "-$demo" 2>/dev/null || true
		wait "$demo" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "fresh-machine: $*" >&2
	[ -f "$work/demo.log" ] && tail -n 40 "$work/demo.log" >&2
	exit 1
}

# pkg-config without cmocka.
pc="$work/pkgconfig"
mkdir -p "$pc"
IFS=: read -r -a dirs <<<"$(pkg-config --variable pc_path pkg-config)"
for d in "${dirs[@]}"; do
	[ -d "$d" ] || continue
	find "$d" -maxdepth 1 -name '*.pc' ! -name 'cmocka.pc' -exec cp -n {} "$pc/" \;
done
export PKG_CONFIG_LIBDIR="$pc" PKG_CONFIG_PATH=
if pkg-config --exists cmocka; then fail "cmocka is still visible to pkg-config"; fi
pkg-config --exists libevent_core libevent_openssl openssl sqlite3 jansson md4c libcurl ||
	fail "the run packages' pkg-config files are missing (deploy/install-deps.sh run)"

# A plain configure, as in the README's "building by hand", finds no cmocka and leaves tests out.
cmake -S . -B "$work/plain" -DCMAKE_BUILD_TYPE=Release >"$work/plain.log" 2>&1 ||
	fail "cmake without cmocka failed: $(tail -n 5 "$work/plain.log")"
grep -q '^MAMORI_TESTS:BOOL=OFF$' "$work/plain/CMakeCache.txt" || fail "tests default to on without cmocka"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="https://127.0.0.1:$port"
MAMORI_DATA="$work/data" MAMORI_LISTEN="127.0.0.1:$port" MAMORI_BUILD="$work/build" \
	setsid bash deploy/run-demo.sh >"$work/demo.log" 2>&1 </dev/null &
demo=$!

# Wait until it serves (or gives up): the build comes first, so no fixed time limit here;
# run-demo.sh ending is the failure signal.
until curl -fs --cacert "$work/data/tls/cert.pem" "$base/api/v1/health" >"$work/health.json" 2>/dev/null; do
	kill -0 "$demo" 2>/dev/null || fail "deploy/run-demo.sh stopped before the server answered"
	sleep 0.5
done
grep -q '"status": *"ok"' "$work/health.json" || fail "health answered $(cat "$work/health.json")"
grep -q '^MAMORI_TESTS:BOOL=OFF$' "$work/build/CMakeCache.txt" || fail "the release build has tests enabled"
[ ! -e "$work/build/tests" ] || fail "the release build configured the tests directory"

# The API description is built in and needs no session.
curl -fs --cacert "$work/data/tls/cert.pem" -o "$work/openapi.json" "$base/api/v1/openapi.json" ||
	fail "GET /api/v1/openapi.json failed"
cmp -s "$work/openapi.json" docs/openapi.json || fail "GET /api/v1/openapi.json is not docs/openapi.json"

# The demo account from the banner signs in.
# shellcheck disable=SC1091
. "$work/data/demo-admin.txt"
code=$(curl -s -o "$work/login.json" -w '%{http_code}' --cacert "$work/data/tls/cert.pem" \
	-H 'Content-Type: application/json' \
	--data "{\"email\":\"$email\",\"password\":\"$password\"}" "$base/api/v1/session")
[ "$code" = 200 ] || fail "sign-in with the demo account answered $code: $(cat "$work/login.json")"
grep -q csrf_token "$work/login.json" || fail "sign-in answered no csrf_token"
echo "fresh-machine: release build without cmocka, init, serve, health, openapi.json and sign-in: ok"
