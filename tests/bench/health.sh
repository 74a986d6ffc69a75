#!/usr/bin/env bash
# Benchmark: GET /api/v1/health on mamori over TLS, beside nginx serving a static file with the
# same body over TLS on the same machine in the same run (the ceiling). Prints requests/s, p50 and
# p99 latency and the ratio mamori/nginx, for keep-alive connections and for a new connection
# (full TLS handshake) per request. Not a test: nothing here asserts a time. See README.md.
#
# Usage: tests/bench/health.sh            (as root, or with sudo for apt-get)
# Knobs (environment): DURATION=10s THREADS=2 CONNECTIONS=50 ROUNDS=3
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-50}
ROUNDS=${ROUNDS:-3}

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo

# ---- tools ------------------------------------------------------------------------------------
bash deploy/install-deps.sh bench
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian's nginx package starts a system nginx on port 80; this script does not use it.

# ---- build ------------------------------------------------------------------------------------
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j"$(nproc)" >/dev/null
bin=$root/build-release/mamori

# ---- set-up -----------------------------------------------------------------------------------
tmp=$(mktemp -d /tmp/mamori-bench-XXXXXX)
chmod 755 "$tmp" # nginx workers run as nobody and read the static file below
mamori_pid=""
nginx_pid=""
cleanup() {
	[ -n "$mamori_pid" ] && kill -TERM "$mamori_pid" 2>/dev/null && wait "$mamori_pid" 2>/dev/null || true
	[ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
	for _ in $(seq 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "bench: nothing listening on port $1" >&2
	return 1
}

"$bin" init --data "$tmp/data" >/dev/null
mport=$(free_port)
# Default workers (the number of cores), as deployed. Its request log goes to a file, as
# nginx's access log does below: both servers write one line per request.
"$bin" serve --data "$tmp/data" --listen "127.0.0.1:$mport" 2>"$tmp/mamori.log" &
mamori_pid=$!
wait_port "$mport"

nport=$(free_port)
mkdir -p "$tmp/www/api/v1" "$tmp/nginx/logs"
printf '{"status":"ok"}' >"$tmp/www/api/v1/health"
chmod -R a+rX "$tmp/www"
# The same certificate and key, the same protocols and ciphers (server/tls.c), the same
# response headers; as many workers as mamori has threads.
workers=$(nproc)
cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
worker_processes $workers;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
	access_log $tmp/nginx/logs/access.log;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	keepalive_requests 1000000;
	keepalive_timeout 30s;
	server {
		listen 127.0.0.1:$nport ssl;
		ssl_certificate $tmp/data/tls/cert.pem;
		ssl_certificate_key $tmp/data/tls/key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
		ssl_prefer_server_ciphers on;
		ssl_session_cache shared:bench:10m;
		ssl_session_tickets on;
		root $tmp/www;
		default_type "application/json; charset=utf-8";
		location / {
			add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;
			add_header Content-Security-Policy "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'" always;
			add_header X-Content-Type-Options nosniff always;
			add_header Referrer-Policy no-referrer always;
			add_header X-Frame-Options DENY always;
			add_header Cross-Origin-Opener-Policy same-origin always;
			add_header Cross-Origin-Resource-Policy same-origin always;
			add_header Permissions-Policy "camera=(), microphone=(), geolocation=()" always;
			add_header Cache-Control no-store always;
		}
	}
}
EOF
/usr/sbin/nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
nginx_pid=$!
wait_port "$nport"

murl="https://127.0.0.1:$mport/api/v1/health"
nurl="https://127.0.0.1:$nport/api/v1/health"
for u in "$murl" "$nurl"; do
	body=$(python3 - "$u" <<'EOF'
import ssl, sys, urllib.request
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
print(urllib.request.urlopen(sys.argv[1], context=ctx).read().decode())
EOF
)
	[ "$body" = '{"status":"ok"}' ] || { echo "bench: $u answered $body" >&2; exit 1; }
done

cat >"$tmp/close.lua" <<'EOF'
-- A new connection (and TLS handshake) per request: the server closes after each reply.
wrk.headers["Connection"] = "close"
EOF

# ---- runs -------------------------------------------------------------------------------------
# run_wrk URL [extra wrk args] → prints "req_per_s p50_ms p99_ms errors"
run_wrk() {
	local url=$1
	shift
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" >"$tmp/wrk.out" 2>&1 || true
	python3 - "$tmp/wrk.out" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    n = float(m.group(1))
    return n / 1000 if m.group(2) == "us" else n * 1000 if m.group(2) == "s" else n
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
err = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if not (rps and p50 and p99):
    sys.stderr.write(text)
    sys.exit(1)
errors = (sum(int(x) for x in err.groups()) if err else 0) + (int(non2xx.group(1)) if non2xx else 0)
print(f"{float(rps.group(1)):.0f} {ms(p50.group(1)):.3f} {ms(p99.group(1)):.3f} {errors}")
EOF
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

bench() { # bench LABEL [wrk args]
	local label=$1
	shift
	local m_rps=() m_p50=() m_p99=() n_rps=() n_p50=() n_p99=() m_err=0 n_err=0
	# warm-up, not counted
	DURATION=2s run_wrk "$murl" "$@" >/dev/null
	DURATION=2s run_wrk "$nurl" "$@" >/dev/null
	for i in $(seq "$ROUNDS"); do
		read -r a b c e < <(run_wrk "$murl" "$@")
		m_rps+=("$a"); m_p50+=("$b"); m_p99+=("$c"); m_err=$((m_err + e))
		printf '  round %d  mamori %8s req/s  p50 %7s ms  p99 %7s ms\n' "$i" "$a" "$b" "$c" >&2
		read -r a b c e < <(run_wrk "$nurl" "$@")
		n_rps+=("$a"); n_p50+=("$b"); n_p99+=("$c"); n_err=$((n_err + e))
		printf '  round %d  nginx  %8s req/s  p50 %7s ms  p99 %7s ms\n' "$i" "$a" "$b" "$c" >&2
	done
	local mr np mp50 mp99 nr np50 np99
	mr=$(median "${m_rps[@]}"); mp50=$(median "${m_p50[@]}"); mp99=$(median "${m_p99[@]}")
	nr=$(median "${n_rps[@]}"); np50=$(median "${n_p50[@]}"); np99=$(median "${n_p99[@]}")
	printf '%-26s %-7s %10s %10s %10s %7s\n' "$label" mamori "$mr" "$mp50" "$mp99" "$m_err"
	printf '%-26s %-7s %10s %10s %10s %7s\n' "" nginx "$nr" "$np50" "$np99" "$n_err"
	printf '%-26s %-7s %10s\n' "" ratio "$(awk -v a="$mr" -v b="$nr" 'BEGIN {printf "%.2f", a / b}')"
}

echo "mamori $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?') vs $(/usr/sbin/nginx -v 2>&1 | sed 's/.*: //')," \
	"$(nproc) cores, $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), -t$THREADS -c$CONNECTIONS -d$DURATION," \
	"median of $ROUNDS alternating rounds" >&2
results=$(
	printf '%-26s %-7s %10s %10s %10s %7s\n' "GET /api/v1/health (TLS)" server "req/s" "p50 ms" "p99 ms" errors
	bench "keep-alive"
	bench "new connection per req" -s "$tmp/close.lua"
)
echo
echo "$results"
