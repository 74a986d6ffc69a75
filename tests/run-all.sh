#!/usr/bin/env bash
# Installs what is missing, checks that the README's first command works without the test
# packages (tests/fresh-machine.sh), builds, and runs every test: unit and end-to-end tests on a debug
# build with -Werror, the same again under AddressSanitizer + UBSan, bounded fuzzing, and the
# browser story. Exit status is non-zero if anything fails. Used as-is by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc)

bash deploy/install-deps.sh test

step() { printf '\n=== %s ===\n' "$*"; }

step "fresh machine: deploy/run-demo.sh with only the run packages (cmocka hidden)"
bash tests/fresh-machine.sh

step "debug build (-Werror)"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DMAMORI_WERROR=ON >/dev/null
cmake --build build-test -j"$jobs"

step "unit and end-to-end tests"
(cd build-test && ctest --output-on-failure -j"$jobs" -L 'unit|e2e')

step "asan+ubsan build and tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMAMORI_WERROR=ON -DMAMORI_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --output-on-failure -j"$jobs" -L 'unit|e2e')

if [ -x tests/fuzz/run.sh ]; then
	step "fuzzing (bounded)"
	tests/fuzz/run.sh
fi

step "security scans (testssl.sh, sqlmap)"
MAMORI_BIN="$root/build-test/mamori" /usr/bin/python3 tests/scan/run_scans.py

if [ -x tests/web/run.sh ]; then
	step "browser story"
	MAMORI_BIN="$root/build-test/mamori" tests/web/run.sh
fi

step "all tests passed"
