#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a bounded time over its committed
# corpus (copied to a scratch directory so CI never writes into the tree). FUZZ_SECONDS sets the
# time per target (default 30).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-30}
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DMAMORI_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target $(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')
scratch=$(mktemp -d)
trap 'rm -rf "$scratch" /tmp/mamori-fuzz-*' EXIT
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	corpus=tests/fuzz/corpus/${name#fuzz_}
	mkdir -p "$scratch/$name"
	[ -d "$corpus" ] && cp -r "$corpus/." "$scratch/$name/"
	echo "fuzz: $name for ${secs}s"
	rc=0
	ASAN_OPTIONS=detect_leaks=0 ./build-fuzz/tests/"$name" -max_total_time="$secs" -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$scratch/" "$scratch/$name" >"$scratch/$name.log" 2>&1 || rc=$?
	grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "$scratch/$name.log" || true
	if [ "$rc" -ne 0 ]; then
		tail -n 60 "$scratch/$name.log"
		echo "fuzz: $name found a failure (exit $rc)"
		exit 1
	fi
done
echo "fuzz: all targets ran without a finding"
