#!/bin/sh
# Thread view (20 posts) and thread list over TLS keep-alive with wrk, on a generated dataset.
#   tests/bench/forum_dataset.py --data /tmp/ds --posts 100000 > /tmp/ds.json
#   tests/bench/forum_http.sh /tmp/ds /tmp/ds.json [build/mamori] [seconds] [connections]
# The lead's harness runs the nginx ceiling beside it (same wrk options).
set -eu
DATA=$1
INFO=$2
BIN=${3:-$(dirname "$0")/../../build/mamori}
SECS=${4:-10}
CONNS=${5:-32}
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 2; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
COOKIE=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["cookies"]["participant"])' "$INFO")
TID=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["thread_id"])' "$INFO")
"$BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null' EXIT INT TERM
for i in $(seq 100); do
	curl -ksf "https://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1 && break
	sleep 0.05
done
# a community thread the participant can read (the first one may be another company's)
TID=$(curl -ks -H "Cookie: $COOKIE" "https://127.0.0.1:$PORT/api/v1/threads?per_page=1" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["threads"][0]["id"])')
curl -ks -H "Cookie: $COOKIE" "https://127.0.0.1:$PORT/api/v1/threads/$TID" >/dev/null # marks it read once
echo "== thread view (20 posts): GET /api/v1/threads/$TID, $CONNS connections, ${SECS}s"
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "Cookie: $COOKIE" "https://127.0.0.1:$PORT/api/v1/threads/$TID"
echo "== thread list: GET /api/v1/threads (20 a page, total counted under the rule)"
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "Cookie: $COOKIE" "https://127.0.0.1:$PORT/api/v1/threads"
