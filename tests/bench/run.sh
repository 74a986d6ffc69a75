#!/usr/bin/env bash
# One benchmark run of mamori over TLS against an nginx ceiling measured in the same run: thread
# view, thread list, search, post creation and sign-in (keep-alive and a new connection per
# request), search and list p95, reads during a sign-in storm, idle event-stream subscribers, idle
# RSS, the disk's fdatasync rate beside posts/s, and Fossil's forum of the same size (issue 17).
# Writes tests/bench/results/DATE-HOST.md. Not a test: nothing here asserts a time. See
# docs/BENCHMARKS.md.
#
# Usage: tests/bench/run.sh [--dataset large|small|DIR] [--quick] [--only view,list,...] [--keep]
#        (as root, or with sudo for apt-get; the large dataset is generated on first use, ~5 min)
# Everything after the options is passed to tests/bench/bench.py (--help lists them).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=${MAMORI_BENCH_BUILD:-$root/build-bench}
data_root=${MAMORI_BENCH_DATA:-/tmp/mamori-bench-data}

dataset=large
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
	[ "${args[$i]}" = --dataset ] && dataset=${args[$((i + 1))]:-large}
done

# ---- tools ------------------------------------------------------------------------------------
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v fossil >/dev/null || missing+=(fossil)
command -v python3 >/dev/null || missing+=(python3)
command -v cc >/dev/null || missing+=(gcc)
command -v pkg-config >/dev/null || missing+=(pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
	bash deploy/install-deps.sh bench || true
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ---- build: Release (-O2, fortify, PIE), as deployed --------------------------------------------
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target mamori mamori_core >/dev/null

# ---- dataset ----------------------------------------------------------------------------------
if [ ! -d "$dataset" ] && [ ! -f "$data_root/$dataset/bench.json" ]; then
	echo "run.sh: generating the $dataset dataset in $data_root/$dataset (once)" >&2
	python3 tests/bench/dataset.py --size "$dataset" --data "$data_root/$dataset" --build "$build" --force
fi

# ---- limits: 10,000 subscribers need as many descriptors in the server --------------------------
ulimit -n "$(ulimit -Hn)"

exec python3 tests/bench/bench.py --build "$build" --data-root "$data_root" "$@"
