#!/usr/bin/env python3
"""The benchmark run behind tests/bench/run.sh (see docs/BENCHMARKS.md). One run:

  1. copies a dataset of tests/bench/dataset.py to a scratch directory (post creation writes
     to it) and makes its sessions fresh;
  2. starts `mamori serve` on it (Release build, one worker per core, its request log to a
     file, post_rate_per_minute = 0 so one user may post as fast as the load generator) and
     nginx beside it as the ceiling: same certificate, key, protocols and ciphers, same security
     headers, an access log, one worker per core, serving for every benchmarked request a static
     file holding the very body mamori answered it with (POSTs too, through error_page);
  3. for each case (thread view, thread list, search, post creation, sign-in), with keep-alive
     and with a new connection per request: wrk --latency over TLS, alternating mamori and nginx,
     a warm-up each, then ROUNDS rounds of DURATION; medians of req/s, p50, p99 and the server's
     CPU time per request;
  4. dedicated latency measurements (one client, one keep-alive connection, sequential): search
     per query and thread list, idle and while posts are written (so the list's cached total
     is recomputed), with p50/p95/p99;
  5. the read p99 (thread view) idle and during a sign-in storm (signin_storm.py);
  6. N idle event-stream subscribers: server memory per subscriber (idle_streams.py);
  7. issue 17's ceilings: the idle RSS of `mamori serve` (a fresh data directory and the
     dataset) beside nginx's; the disk's own fdatasync rate beside posts/s; Fossil's forum
     (fossil_forum.py, as many threads and posts as the dataset) serving the same 20-post
     thread, new connection each, against mamori's thread view;
  8. writes a results file (Markdown) with the machine, the command, every figure with its
     ceiling and ratio, and issues 9's and 17's targets reached or not; stops everything it started.

    python3 tests/bench/bench.py --dataset large [--quick] [--out FILE] [--only view,list,...]
"""
import argparse
import datetime
import http.client
import json
import multiprocessing
import os
import platform
import re
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "../.."))
sys.path.insert(0, HERE)
import dataset as ds  # noqa: E402
import fossil_forum  # noqa: E402
import idle_streams  # noqa: E402
import signin_storm  # noqa: E402

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
           "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")
# Search queries: Japanese and English, 1, 2 and 3+ characters, full-width, two terms, a rare
# long-tail word and a miss.
SEARCHES = ["脆弱性", "バックアップ", "対策", "策", "ＵＴＭ", "firewall", "Windows Update", "ランサムウェア 社員教育",
            "監視 ログ", "委託", "ンサ", "zzqqxx"]
ALL_PARTS = ["idle", "view", "fossil", "list", "search", "latency", "storm", "signin", "post", "streams"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:
        return ""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_seconds(pids):
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


def rss_kib(pids):
    """VmRSS and Pss (smaps_rollup) summed over pids, KiB."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                rss += next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
            with open(f"/proc/{pid}/smaps_rollup") as f:
                pss += next(int(l.split()[1]) for l in f if l.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
    return rss, pss


def fsync_rate(directory, seconds=3.0):
    """The disk's own rate of durable appends: 4 KiB written and fdatasync'd, as a WAL commit does."""
    path = os.path.join(directory, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    block, n = b"\0" * 4096, 0
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            os.write(fd, block)
            os.fdatasync(fd)
            n += 1
        return n / (time.monotonic() - t0)
    finally:
        os.close(fd)
        os.unlink(path)


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * (len(xs) - 1)))))
    return xs[k]


def machine():
    meminfo = sh("grep MemTotal /proc/meminfo").split()
    return {
        "host": socket.gethostname().split(".")[0],
        "nproc": os.cpu_count(),
        "cpu": sh("lscpu | sed -n 's/^Model name:[[:space:]]*//p'") or platform.processor(),
        "memory": f"{int(meminfo[1]) / 1024 / 1024:.1f} GiB" if len(meminfo) > 1 else "?",
        "kernel": platform.release(),
        "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
        "openssl": sh("openssl version"),
        "libevent": sh("pkg-config --modversion libevent"),
        "sqlite": sh("pkg-config --modversion sqlite3"),
        "jansson": sh("pkg-config --modversion jansson"),
        "md4c": sh("pkg-config --modversion md4c"),
        "nginx": sh("/usr/sbin/nginx -v 2>&1 | sed 's/.*: //'"),
        "wrk": sh("wrk -v 2>&1 | head -1 | cut -d' ' -f1-2"),
        "fossil": sh("fossil version | cut -d' ' -f5-6"),
        "cc": sh("cc --version | head -1"),
        "python": platform.python_version(),
        "commit": sh(f"git -C {ROOT} rev-parse --short HEAD"),
        "dirty": sh(f"git -C {ROOT} status --porcelain -- server schema CMakeLists.txt | wc -l"),
        "loadavg_start": open("/proc/loadavg").read().split()[:3],
    }


class Servers:
    """mamori and nginx on the scratch copy; stopped by stop() (also on errors and signals)."""

    def __init__(self, args, tmp, data):
        self.args, self.tmp, self.data = args, tmp, data
        self.mamori = self.nginx = self.fossil = None
        self.nginx_idle_rss = (0, 0)
        self.mport, self.nport = free_port(), free_port()
        self.www = os.path.join(tmp, "www")
        os.makedirs(os.path.join(self.www, "search"))
        os.chmod(tmp, 0o755)

    def start_mamori(self):
        conf = os.path.join(self.tmp, "mamori.conf")
        with open(conf, "w") as f:
            # workers: the default (one per core), as deployed. max_connections is per worker;
            # SO_REUSEPORT spreads connections unevenly, so each worker gets room for all.
            f.write(f"post_rate_per_minute = 0\nmax_connections = {max(20000, self.args.subscribers + 1000)}\n")
        self.mlog = open(os.path.join(self.tmp, "mamori.log"), "ab")
        self.mamori = subprocess.Popen([self.args.bin, "serve", "--data", self.data, "--listen",
                                        f"127.0.0.1:{self.mport}", "--config", conf],
                                       stdout=self.mlog, stderr=self.mlog)
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.data, "tls", "cert.pem"))
        self.ctx.check_hostname = False
        for _ in range(400):
            if self.mamori.poll() is not None:
                raise SystemExit(f"bench: mamori exited {self.mamori.returncode}; see {self.tmp}/mamori.log")
            try:
                st, _, _ = self.request("GET", "/api/v1/health")
                if st == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("bench: mamori did not become healthy")

    def request(self, method, path, who=None, body=None, port=None):
        c = http.client.HTTPSConnection("127.0.0.1", port or self.mport, context=self.ctx, timeout=60)
        h = {}
        if who:
            h["Cookie"] = who["cookie"]
            if method != "GET":
                h["X-CSRF-Token"] = who["csrf"]
        if body is not None:
            body = json.dumps(body, ensure_ascii=False).encode()
            h["Content-Type"] = "application/json"
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data, r

    def start_nginx(self):
        n = os.path.join(self.tmp, "nginx")
        os.makedirs(os.path.join(n, "logs"))
        headers = "\n".join(f"\t\tadd_header {k} {v} always;" for k, v in [
            ("Strict-Transport-Security", '"max-age=63072000; includeSubDomains"'),
            ("Content-Security-Policy", f'"{CSP}"'), ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY"),
            ("Cross-Origin-Opener-Policy", "same-origin"), ("Cross-Origin-Resource-Policy", "same-origin"),
            ("Permissions-Policy", '"camera=(), microphone=(), geolocation=()"'), ("Cache-Control", "no-store")])
        with open(os.path.join(n, "nginx.conf"), "w") as f:
            f.write(f"""daemon off;
worker_processes {os.cpu_count()};
pid {n}/nginx.pid;
error_log {n}/logs/error.log warn;
worker_rlimit_nofile 20000;
events {{ worker_connections 16384; }}
http {{
	access_log {n}/logs/access.log;
	client_body_temp_path {n}/body;
	proxy_temp_path {n}/proxy;
	fastcgi_temp_path {n}/fastcgi;
	uwsgi_temp_path {n}/uwsgi;
	scgi_temp_path {n}/scgi;
	keepalive_requests 1000000;
	keepalive_timeout 30s;
	server {{
		listen 127.0.0.1:{self.nport} ssl;
		ssl_certificate {self.data}/tls/cert.pem;
		ssl_certificate_key {self.data}/tls/key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_ciphers {CIPHERS};
		ssl_prefer_server_ciphers on;
		ssl_session_cache shared:bench:10m;
		ssl_session_tickets on;
		root {self.www};
		default_type "application/json; charset=utf-8";
{headers}
		location = /api/v1/threads {{ try_files /list.json =404; }}
		location ~ ^/api/v1/threads/[0-9]+$ {{ try_files /view.json =404; }}
		location = /api/v1/search {{ try_files /search/$arg_b.json =404; }}
		# POSTs: nginx's static handler refuses them (405); error_page turns that into the file.
		location ~ ^/api/v1/threads/[0-9]+/posts$ {{ error_page 405 =201 /created.json; return 405; }}
		location = /api/v1/session {{ error_page 405 =200 /signin.json; return 405; }}
		location / {{ }}
	}}
}}
""")
        self.nginx = subprocess.Popen(["/usr/sbin/nginx", "-p", n, "-c", os.path.join(n, "nginx.conf")],
                                      stdout=subprocess.DEVNULL, stderr=open(os.path.join(n, "logs", "stderr"), "w"))
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.nport), timeout=1).close()
                time.sleep(1)
                self.nginx_idle_rss = rss_kib(self.nginx_pids())  # before any load
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"bench: nginx did not start; see {n}/logs")

    def nginx_pids(self):
        kids = sh(f"pgrep -P {self.nginx.pid}").split()
        return [self.nginx.pid] + [int(k) for k in kids]

    def stop_mamori(self):
        if self.mamori and self.mamori.poll() is None:
            self.mamori.send_signal(signal.SIGTERM)
            try:
                self.mamori.wait(30)
            except subprocess.TimeoutExpired:
                self.mamori.kill()
                self.mamori.wait()

    def stop(self):
        if self.fossil and self.fossil.poll() is None:
            self.fossil.terminate()
            try:
                self.fossil.wait(30)
            except subprocess.TimeoutExpired:
                self.fossil.kill()
                self.fossil.wait()
        if self.mamori and self.mamori.poll() is None:
            self.mamori.send_signal(signal.SIGTERM)
            try:
                self.mamori.wait(30)
            except subprocess.TimeoutExpired:
                self.mamori.kill()
                self.mamori.wait()
        if self.nginx and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(30)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()


def parse_wrk(text):
    def ms(v):
        m = re.match(r"([\d.]+)(us|ms|s)$", v)
        n = float(m.group(1))
        return n / 1000 if m.group(2) == "us" else n * 1000 if m.group(2) == "s" else n
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    lat = {p: ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M)}
    reqs = re.search(r"(\d+) requests in", text)
    err = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if not rps or "50" not in lat or "99" not in lat:
        raise RuntimeError("wrk output not understood:\n" + text)
    return {"rps": float(rps.group(1)), "p50": lat["50"], "p90": lat.get("90"), "p99": lat["99"],
            "requests": int(reqs.group(1)) if reqs else 0,
            "errors": (sum(int(x) for x in err.groups()) if err else 0) + (int(non2xx.group(1)) if non2xx else 0),
            "raw": text}


class Runner:
    def __init__(self, args, srv, info):
        self.args, self.srv, self.info = args, srv, info
        self.results = {}  # case -> mode -> {"mamori": [rounds], "nginx": [rounds]}
        self.extra = {}

    # ---- wrk cases --------------------------------------------------------------------------
    def wrk(self, port, tsv, close, conns, duration, pids, cpu_of=cpu_seconds):
        cmd = ["wrk", f"-t{self.args.threads}", f"-c{conns}", f"-d{duration}", "--timeout", "10s", "--latency",
               "-s", os.path.join(HERE, "requests.lua"), f"https://127.0.0.1:{port}", "--", tsv]
        if close:
            cmd.append("close")
        c0 = cpu_of(pids())
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        cpu = cpu_of(pids()) - c0
        r = parse_wrk(out.stdout + out.stderr)
        r["cpu_us"] = cpu / max(1, r["requests"]) * 1e6
        return r

    def case(self, name, tsv, conns, settle=None):
        """Alternating wrk rounds of one case; settle() runs before each mamori run."""
        a = self.args
        for mode, close in (("keep-alive", False), ("new connection", True)):
            log(f"== {name}, {mode}: -t{a.threads} -c{conns}, warm-up {a.warmup}, {a.rounds} x {a.duration}")
            runs = {"mamori": [], "nginx": []}
            targets = {"mamori": (self.srv.mport, lambda: [self.srv.mamori.pid]),
                       "nginx": (self.srv.nport, self.srv.nginx_pids)}
            for who in ("mamori", "nginx"):
                if settle and who == "mamori":
                    settle()
                self.wrk(targets[who][0], tsv, close, conns, a.warmup, targets[who][1])
            for i in range(a.rounds):
                for who in ("mamori", "nginx"):
                    if settle and who == "mamori":
                        settle()
                    r = self.wrk(targets[who][0], tsv, close, conns, a.duration, targets[who][1])
                    runs[who].append(r)
                    log(f"  round {i + 1} {who:6} {r['rps']:9.0f} req/s  p50 {r['p50']:7.2f} ms  "
                        f"p99 {r['p99']:7.2f} ms  cpu {r['cpu_us']:6.0f} us/req  errors {r['errors']}")
            self.results.setdefault(name, {})[mode] = {"conns": conns, **runs}

    def write_tsv(self, name, lines):
        path = os.path.join(self.srv.tmp, f"{name}.tsv")
        with open(path, "w") as f:
            for method, p, who, body in lines:
                f.write("\t".join([method, p, who["cookie"] if who else "", who["csrf"] if who and method != "GET" else "",
                                   json.dumps(body, ensure_ascii=False) if body is not None else ""]) + "\n")
        return path

    def static(self, rel, data):
        with open(os.path.join(self.srv.www, rel), "wb") as f:
            f.write(data)

    def run_idle(self):
        """Idle RSS of `mamori serve`, started, asked for its health once, then left alone 2 s: on a
        fresh `mamori init` directory (the bare server) and on the dataset (the server this run
        started; its one request so far was the health check), beside nginx's (all processes)."""
        log("== idle RSS")
        fresh = os.path.join(self.srv.tmp, "fresh")
        subprocess.run([self.args.bin, "init", "--data", fresh], check=True, capture_output=True)
        port = free_port()
        p = subprocess.Popen([self.args.bin, "serve", "--data", fresh, "--listen", f"127.0.0.1:{port}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        try:
            for _ in range(200):
                try:
                    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
                    c.request("GET", "/api/v1/health")
                    c.getresponse().read()
                    c.close()
                    break
                except OSError:
                    time.sleep(0.05)
            time.sleep(2)
            fresh_rss = rss_kib([p.pid])
        finally:
            p.terminate()
            p.wait(30)
        time.sleep(1)
        data_rss = rss_kib([self.srv.mamori.pid])
        self.extra["idle"] = {"fresh": fresh_rss, "dataset": data_rss, "nginx": self.srv.nginx_idle_rss}
        log(f"  RSS/PSS KiB: fresh {fresh_rss}, dataset {data_rss}, nginx {self.srv.nginx_idle_rss}")

    def run_fossil(self):
        """Fossil's forum of the same size serving the same 20-post thread (its /forumpost page:
        every post rendered from Markdown), over the same TLS certificate. Fossil forks a process
        per connection and closes every connection after one reply, so its keep-alive line is new
        connections too; mamori's figures are its thread view's of this run."""
        a, info = self.args, self.info
        c = info["counts"]
        fdir = a.dataset_dir.rstrip("/") + "-fossil"
        log(f"== Fossil forum ({c['threads']:,} threads, {c['posts']:,} posts in {fdir}; made once)")
        m = fossil_forum.build(fdir, c["threads"], c["posts"], log=log)
        port = free_port()
        tls = os.path.join(self.srv.data, "tls")
        flog = open(os.path.join(self.srv.tmp, "fossil.log"), "ab")
        self.srv.fossil = subprocess.Popen(["fossil", "server", os.path.join(fdir, "forum.fossil"), "--port", str(port),
                                            "--localhost", "--cert", os.path.join(tls, "cert.pem"),
                                            "--pkey", os.path.join(tls, "key.pem")],
                                           cwd=self.srv.tmp, stdout=flog, stderr=flog)
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        path = f"/forumpost/{m['thread']}"
        body = b""
        for _ in range(200):
            try:
                h = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
                h.request("GET", path)
                r = h.getresponse()
                body = r.read()
                h.close()
                if r.status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        assert body.count(b'<div class="markdown"') == 20, body[:300]
        tsv = self.write_tsv("fossil", [("GET", path, None, None)])
        pid = self.srv.fossil.pid
        res = {"bytes": len(body), "conns": a.fossil_connections, "threads": c["threads"], "posts": m["posts"]}
        for mode, close in (("keep-alive", False), ("new connection", True)):
            log(f"== Fossil thread view, {mode}: -c{a.fossil_connections}, warm-up {a.warmup}, {a.rounds} x {a.duration}")
            # Fossil's work happens in children that exit unreaped by a waiting parent, so its CPU
            # time is not counted here.
            self.wrk(port, tsv, close, a.fossil_connections, a.warmup, lambda: [pid])
            runs = []
            for i in range(a.rounds):
                r = self.wrk(port, tsv, close, a.fossil_connections, a.duration, lambda: [pid])
                r["cpu_us"] = None
                runs.append(r)
                log(f"  round {i + 1} fossil {r['rps']:9.0f} req/s  p50 {r['p50']:7.2f} ms  p99 {r['p99']:7.2f} ms  "
                    f"errors {r['errors']}")
            res[mode] = runs
        self.extra["fossil"] = res
        self.srv.fossil.terminate()
        self.srv.fossil.wait(30)

    def run_view(self):
        info, p = self.info, self.info["participant"]
        path = f"/api/v1/threads/{info['view_threads'][0]}"
        st, body, _ = self.srv.request("GET", path, p)  # marks it read: no write afterwards
        st, body, _ = self.srv.request("GET", path, p)
        assert st == 200 and len(json.loads(body)["posts"]) == 20, (st, body[:200])
        self.static("view.json", body)
        self.extra["view_bytes"] = len(body)
        self.case("thread view (20 posts)", self.write_tsv("view", [("GET", path, p, None)]), self.args.connections)

    def run_list(self):
        info, p = self.info, self.info["participant"]
        path = f"/api/v1/threads?category_id={info['list_category']}"
        st, body, _ = self.srv.request("GET", path, p)
        assert st == 200, (st, body[:200])
        self.static("list.json", body)
        self.extra["list_bytes"] = len(body)
        self.extra["list_total"] = json.loads(body)["total"]
        self.case("thread list (category, page 1)", self.write_tsv("list", [("GET", path, p, None)]),
                  self.args.connections)

    def search_paths(self):
        return [f"/api/v1/search?q={urllib.parse.quote(q)}&b={i}" for i, q in enumerate(SEARCHES)]

    def run_search(self):
        p = self.info["participant"]
        sizes = []
        for i, path in enumerate(self.search_paths()):
            st, body, _ = self.srv.request("GET", path, p)
            assert st == 200, (st, body[:200])
            self.static(f"search/{i}.json", body)
            sizes.append(len(body))
        self.extra["search_bytes"] = sizes
        self.case("search (12 queries in turn)", self.write_tsv("search", [("GET", x, p, None) for x in self.search_paths()]),
                  self.args.connections)

    def post_lines(self):
        text = ds.Text(__import__("random").Random(99))
        parts, threads = self.info["participants"], self.info["post_threads"]
        return [("POST", f"/api/v1/threads/{threads[i % len(threads)]}/posts", parts[i % len(parts)], {"body": text.body()})
                for i in range(400)]

    def run_post(self):
        lines = self.post_lines()
        st, body, _ = self.srv.request(*lines[0][:2], lines[0][2], lines[0][3])
        assert st == 201, (st, body[:200])
        self.static("created.json", body)
        self.extra["post_bytes"] = len(body)
        before = self.count_posts()
        # The ceiling of durable writes: the disk's own rate of 4 KiB appends with fdatasync (each
        # group commit costs one), measured on the data directory's file system.
        self.extra["fsync_per_s"] = fsync_rate(self.srv.data)
        log(f"  disk: {self.extra['fsync_per_s']:,.0f} fdatasync/s")
        # Search indexing is queued with each post and done by the indexer thread beside the writes
        # (search_file.c): the largest backlog seen (sampled twice a second) during the case, and
        # how long the indexer took to catch up after it.
        peak, done = [0], threading.Event()

        def sample():
            while not done.wait(0.5):
                try:
                    peak[0] = max(peak[0], self.queued_posts())
                except Exception:
                    pass
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        self.case("post creation (201, durable)", self.write_tsv("post", lines), self.args.post_connections)
        done.set()
        sampler.join()
        self.extra["posts_created"] = self.count_posts() - before
        t0 = time.monotonic()
        while self.queued_posts() > 0 and time.monotonic() - t0 < 120:
            time.sleep(0.1)
        self.extra["index_queue"] = (peak[0], time.monotonic() - t0, self.queued_posts())

    def queued_posts(self):
        """Posts queued for search and not yet in search.db (the indexer thread's backlog)."""
        import sqlite3
        db = sqlite3.connect(f"file:{self.srv.data}/mamori.db?mode=ro", uri=True, timeout=30)
        db.execute(f"ATTACH DATABASE 'file:{self.srv.data}/search.db?mode=ro' AS search")
        n = db.execute("SELECT count(*) FROM search_pending WHERE seq >"
                       " coalesce((SELECT v FROM search.search_state WHERE k = 'indexed'), 0)").fetchone()[0]
        db.close()
        return n

    def count_posts(self):
        """The highest post id, read from the database file (WAL readers do not block writers)."""
        import sqlite3
        db = sqlite3.connect(f"file:{self.srv.data}/mamori.db?mode=ro", uri=True, timeout=30)
        n = db.execute("SELECT max(id) FROM posts").fetchone()[0]
        db.close()
        return n

    def run_signin(self):
        info = self.info
        emails = info["signin_emails"]
        lines = [("POST", "/api/v1/session", None, {"email": e, "password": info["password"]}) for e in emails]
        st, body, r = self.srv.request("POST", "/api/v1/session", None, lines[-1][3])
        assert st == 200, (st, body[:200])
        self.static("signin.json", body)
        self.extra["signin_bytes"] = len(body)
        # At most 10 attempts in flight per address (docs/API.md §2): wrk's connections all come from
        # 127.0.0.1, so 8 of them; two helper threads hash, so 8 keep them busy. wrk abandons the
        # requests in flight when a run ends and the server still hashes them: the next run
        # waits until they are done, or they would count against its 10.
        self.case("sign-in (scrypt)", self.write_tsv("signin", lines), self.args.signin_connections,
                  settle=self.signins_settled)

    def signins_settled(self):
        import sqlite3
        db = sqlite3.connect(f"file:{self.srv.data}/mamori.db?mode=ro", uri=True, timeout=30)
        for _ in range(150):
            if db.execute("SELECT count(*) FROM login_failures WHERE pending = 1").fetchone()[0] == 0:
                break
            time.sleep(0.1)
        db.close()

    # ---- dedicated latency ---------------------------------------------------------------------
    def sequential(self, paths, n, who, writer=None):
        """Each path n times, interleaved, on one keep-alive connection; latencies in ms."""
        c = http.client.HTTPSConnection("127.0.0.1", self.srv.mport, context=self.srv.ctx, timeout=60)
        h = {"Cookie": who["cookie"]}
        lat = {p: [] for p in paths}
        for p in paths:  # warm
            c.request("GET", p, headers=h)
            c.getresponse().read()
        for _ in range(n):
            for p in paths:
                t = time.perf_counter()
                c.request("GET", p, headers=h)
                r = c.getresponse()
                r.read()
                lat[p].append((time.perf_counter() - t) * 1000)
                if r.status != 200:
                    raise RuntimeError(f"{p}: {r.status}")
        c.close()
        return lat

    def background_writer(self, lines, stop, rate, count):
        """Posts lines at `rate` a second until stop is set; runs in a process of its own (see
        run_latency), so count is shared memory."""
        c = http.client.HTTPSConnection("127.0.0.1", self.srv.mport, context=self.srv.ctx, timeout=60)
        i = 0
        while not stop.is_set():
            m, p, who, body = lines[i % len(lines)]
            c.request(m, p, body=body,
                      headers={"Cookie": who["cookie"], "X-CSRF-Token": who["csrf"], "Content-Type": "application/json"})
            c.getresponse().read()
            i += 1
            with count.get_lock():
                count.value = i
            stop.wait(1.0 / rate)

    def run_latency(self):
        a, info, p = self.args, self.info, self.info["participant"]
        log(f"== latency: one client, sequential requests on one keep-alive connection, {a.latency_n} each")
        lat = self.sequential(self.search_paths(), a.latency_n, p)
        rows = []
        for q, path in zip(SEARCHES, self.search_paths()):
            xs = lat[path]
            rows.append((q, pct(xs, 50), pct(xs, 95), pct(xs, 99), max(xs)))
            log(f"  search {q!r:28} p50 {rows[-1][1]:7.2f}  p95 {rows[-1][2]:7.2f}  p99 {rows[-1][3]:7.2f} ms")
        allx = [x for xs in lat.values() for x in xs]
        self.extra["search_latency"] = rows
        self.extra["search_all"] = (pct(allx, 50), pct(allx, 95), pct(allx, 99), max(allx))
        log(f"  search all queries: p50 {pct(allx, 50):.2f}  p95 {pct(allx, 95):.2f}  p99 {pct(allx, 99):.2f} ms")
        st, body, _ = self.srv.request("GET", "/api/v1/categories", p)
        cats = [c["id"] for c in json.loads(body)["categories"]]
        lists = {"category qa, page 1": [f"/api/v1/threads?category_id={info['list_category']}"],
                 "every category, page 1": [f"/api/v1/threads?category_id={c}" for c in cats],
                 "all threads, page 1": ["/api/v1/threads"]}
        rows = []
        for label, paths in lists.items():
            lt = self.sequential(paths, max(1, a.latency_n * 2 // len(paths)), p)
            xs = [x for v in lt.values() for x in v]
            rows.append((label, "idle", pct(xs, 50), pct(xs, 95), pct(xs, 99), max(xs)))
            log(f"  list {label:24} idle   p50 {rows[-1][2]:7.2f}  p95 {rows[-1][3]:7.2f}  p99 {rows[-1][4]:7.2f} ms")
        # The same while another client posts 20 times a second (as on a busy forum): every commit
        # changes SQLite's data version, so each reader's page cache starts empty again.
        # The writer is a process of its own with its bodies made beforehand: as a thread of this
        # one it held the GIL while it made them and while it encoded each post, and the measured
        # lists waited for it (p95 10.8 ms at 20 posts/s where the server's own log showed no list
        # over 2.6 ms).
        mp = multiprocessing.get_context("fork")
        lines = [(m, p, who, json.dumps(body, ensure_ascii=False).encode()) for m, p, who, body in self.post_lines()]
        stop, count = mp.Event(), mp.Value("i", 0)
        wt = mp.Process(target=self.background_writer, args=(lines, stop, 20, count), daemon=True)
        wt.start()
        try:
            for label, paths in lists.items():
                lt = self.sequential(paths, max(1, a.latency_n * 2 // len(paths)), p)
                xs = [x for v in lt.values() for x in v]
                rows.append((label, "writes", pct(xs, 50), pct(xs, 95), pct(xs, 99), max(xs)))
                log(f"  list {label:24} writes p50 {rows[-1][2]:7.2f}  p95 {rows[-1][3]:7.2f}  p99 {rows[-1][4]:7.2f} ms")
        finally:
            stop.set()
            wt.join()
        self.extra["writer_posts"] = count.value
        self.extra["list_latency"] = rows

    def run_storm(self):
        a, info = self.args, self.info
        log(f"== read p99 during a sign-in storm: {a.storm_users} sign-ins at once x {a.storm_rounds}")
        m = signin_storm.measure(self.srv.mport, os.path.join(self.srv.data, "tls", "cert.pem"),
                                 info["signin_emails"][-a.storm_users:], info["password"],
                                 f"/api/v1/threads/{info['view_threads'][0]}", {"Cookie": info["participant"]["cookie"]},
                                 a.storm_rounds, a.storm_idle, log=log)
        for k in ("idle", "storm", "signin"):
            m[k + "_n"] = len(m.pop(k))
        self.extra["storm"] = m
        log(f"  thread view idle p50 {m['idle_p50'] * 1000:.2f} p99 {m['idle_p99'] * 1000:.2f} ms; storm p50 "
            f"{m['storm_p50'] * 1000:.2f} p99 {m['storm_p99'] * 1000:.2f} ms: x{m['storm_p99'] / m['idle_p99']:.2f}")

    def run_streams(self):
        """On a freshly started server: memory the earlier parts allocated and freed would
        otherwise be reused by the subscribers and hide their cost."""
        a = self.args
        log(f"== {a.subscribers} idle event-stream subscribers (on a restarted server)")
        self.srv.stop_mamori()
        self.srv.start_mamori()
        info = self.info
        for path in ("/api/v1/health", f"/api/v1/threads/{info['view_threads'][0]}"):
            self.srv.request("GET", path, info["participant"])
        self.extra["streams"] = idle_streams.measure(self.srv.mport, self.srv.data, self.srv.mamori.pid,
                                                     a.subscribers, 4, a.streams_idle, log=log)


def med(runs, key):
    return statistics.median(r[key] for r in runs)


def fmt(x, nd=2):
    return "–" if x is None else f"{x:,.{nd}f}"


def issue17(w, args, R, E, ratio):
    """Issue 17's figures, each as a ratio to its ceiling measured in this run."""
    w("## Issue 17 figures, each against its ceiling in this run")
    w("")
    w("| figure | issue 17 (before) | goal | mamori | ceiling (this run) | ratio | |")
    w("|---|---:|---:|---:|---:|---:|---|")

    def row(label, before, goal, value, ceiling, r, ok):
        w(f"| {label} | {before} | {goal} | {value} | {ceiling} | **{r}** | {'reached' if ok else 'not reached'} |")

    view = R.get("thread view (20 posts)", {})
    for mode, before, goal in (("keep-alive", "0.81", 1.0), ("new connection", "0.76", 0.9)):
        d = view.get(mode)
        if d:
            v = ratio("thread view (20 posts)", mode)
            row(f"thread view, {mode}, vs nginx (same bytes)", before, f"≥ {goal}", f"{med(d['mamori'], 'rps'):,.0f} req/s",
                f"nginx {med(d['nginx'], 'rps'):,.0f} req/s", f"{v:.2f}", v >= goal)
    f = E.get("fossil")
    if f:
        for mode, fmode, before, goal in (("new connection", "new connection", "7.9×", 10),
                                          ("keep-alive", "keep-alive", "84×", 100)):
            d = view.get(mode)
            if d and f.get(fmode):
                m, fr = med(d["mamori"], "rps"), med(f[fmode], "rps")
                row(f"thread view vs Fossil's forum, {mode} (Fossil: new connection each)", before, f"≥ {goal}×",
                    f"{m:,.0f} req/s", f"Fossil {fr:,.0f} req/s", f"{m / fr:.1f}×", m / fr >= goal)
    d = R.get("post creation (201, durable)", {}).get("keep-alive")
    if d and "fsync_per_s" in E:
        v, fs = med(d["mamori"], "rps"), E["fsync_per_s"]
        row("durable posts/s (fsync'd before the 201)", "1,481", "≥ 5,000", f"{v:,.0f} posts/s",
            f"disk {fs:,.0f} fdatasync/s", f"{v / fs:.2f} posts per fdatasync", v >= 5000)
    if "storm" in E:
        s = E["storm"]
        v = s["storm_p99"] / s["idle_p99"]
        row("read p99 during a sign-in storm", "2.25×", "≤ 1.5×", f"{s['storm_p99'] * 1000:.2f} ms",
            f"idle {s['idle_p99'] * 1000:.2f} ms", f"{v:.2f}×", v <= 1.5)
    if "idle" in E:
        i = E["idle"]
        fresh, data, ng = i["fresh"][0], i["dataset"][0], i["nginx"][0]
        row("idle RSS of `mamori serve`, fresh data directory", "14.6 MB", "≤ 10 MB",
            f"{fresh * 1024 / 1e6:.1f} MB", f"nginx {ng * 1024 / 1e6:.1f} MB (all processes)",
            f"{fresh / ng:.2f}" if ng else "–", fresh * 1024 <= 10e6)
        row("idle RSS of `mamori serve`, this dataset", "–", "–", f"{data * 1024 / 1e6:.1f} MB",
            f"nginx {ng * 1024 / 1e6:.1f} MB", f"{data / ng:.2f}" if ng else "–", data * 1024 <= 10e6)
    w("")
    notes = []
    if "idle" in E:
        i = E["idle"]
        notes.append(f"RSS counts shared library pages; PSS (shared pages divided among the processes mapping them): "
                     f"mamori {i['fresh'][1] * 1024 / 1e6:.1f} MB fresh, {i['dataset'][1] * 1024 / 1e6:.1f} MB on the dataset, "
                     f"nginx {i['nginx'][1] * 1024 / 1e6:.1f} MB. MB = 1,000,000 bytes.")
    if f:
        notes.append(f"Fossil {f['threads']:,} threads, {f['posts']:,} posts (tests/bench/fossil_forum.py), its /forumpost "
                     f"page of the 20-post thread ({f['bytes']:,} B of HTML, each post rendered from Markdown) against "
                     f"mamori's thread view ({E.get('view_bytes', 0):,} B of JSON); wrk -c{f['conns']} for Fossil (its "
                     f"listen backlog is 10), as anonymous reader. Errors (wrk, Fossil): "
                     f"{sum(r['errors'] for m in ('keep-alive', 'new connection') for r in f[m])}.")
    if "fsync_per_s" in E:
        notes.append("The disk's rate: 4 KiB appended and fdatasync'd in a loop for 3 s on the data directory's file "
                     "system, just before post creation; a group commit costs one fdatasync however many posts it holds.")
    for n in notes:
        w(n)
        w("")


def report(args, mach, info, runner, started, elapsed):
    R, E = runner.results, runner.extra
    lines = []
    w = lines.append
    w(f"# Benchmark {started:%Y-%m-%d} on {mach['host']} — dataset `{info['size']}`"
      + (" (quick run: short durations, not a result)" if args.quick else ""))
    w("")
    w(f"mamori {mach['commit']}" + (f" with uncommitted changes in {mach['dirty']} server/schema files" if mach['dirty'] not in ("", "0") else "")
      + f", Release build; {started:%Y-%m-%d %H:%M} UTC, {elapsed / 60:.1f} minutes.")
    w("")
    w("Reproduce (as root; the dataset is made once and reused):")
    w("")
    w("```")
    w(f"python3 tests/bench/dataset.py --size {info['size']} --data {args.dataset_dir} --seed {info['seed']}")
    w(f"tests/bench/run.sh --dataset {args.dataset}" + (" --quick" if args.quick else ""))
    w("```")
    w("")
    w("## Machine")
    w("")
    w("| | |\n|---|---|")
    for k in ("nproc", "cpu", "memory", "kernel", "os", "openssl", "libevent", "sqlite", "jansson", "md4c", "nginx", "wrk",
              "fossil", "cc", "python"):
        w(f"| {k} | {mach[k]} |")
    w(f"| load average (1, 5, 15 min) | start {' '.join(mach['loadavg_start'])}, end {' '.join(mach['loadavg_end'])} |")
    w("")
    c = info["counts"]
    w(f"Dataset: {c['companies']:,} companies, {c['groups']:,} groups, {c['users']:,} users, {c['threads']:,} threads, "
      f"{c['posts']:,} posts (Japanese, English and mixed Markdown), {c['escalations']:,} escalations, "
      f"{c['read_states']:,} read states, {c['notifications']:,} notifications; seed {info['seed']}. The run works on a "
      f"copy (post creation adds to it).")
    w("")
    w(f"Method: wrk {args.threads} threads over TLS, {args.rounds} alternating rounds of {args.duration} per server "
      f"after a {args.warmup} warm-up each; figures are medians of the rounds. The ceiling is nginx on the same machine "
      f"with the same certificate, protocols, ciphers and security headers, serving as a static file the exact body "
      f"mamori answered (same size). Ratios: mamori ÷ nginx (req/s: higher is better; latency: lower is better). "
      f"`cpu µs/req` is the server's own CPU time (all threads or workers) divided by the requests served. "
      f"Client and servers share the {mach['nproc']} cores.")
    w("")
    w("## Throughput and latency against the ceiling")
    w("")
    w("| case | connection | conns | mamori req/s | nginx req/s | ratio | mamori p50 ms | nginx p50 ms | ratio "
      "| mamori p99 ms | nginx p99 ms | ratio | cpu µs/req mamori / nginx | errors |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for case, modes in R.items():
        for mode, d in modes.items():
            m, n = d["mamori"], d["nginx"]
            mr, nr = med(m, "rps"), med(n, "rps")
            w(f"| {case} | {mode} | {d['conns']} | {mr:,.0f} | {nr:,.0f} | **{mr / nr:.2f}** | {med(m, 'p50'):.2f} | "
              f"{med(n, 'p50'):.2f} | {med(m, 'p50') / med(n, 'p50'):.1f} | {med(m, 'p99'):.2f} | {med(n, 'p99'):.2f} | "
              f"{med(m, 'p99') / med(n, 'p99'):.1f} | {med(m, 'cpu_us'):.0f} / {med(n, 'cpu_us'):.0f} | "
              f"{sum(r['errors'] for r in m)} / {sum(r['errors'] for r in n)} |")
    w("")
    sizes = [f"{label} {E[key]:,} B" for label, key in (("thread view", "view_bytes"), ("list", "list_bytes"),
                                                         ("post 201", "post_bytes"), ("sign-in", "signin_bytes"))
             if key in E]
    if "search_bytes" in E:
        sizes.insert(2, f"search {min(E['search_bytes']):,}–{max(E['search_bytes']):,} B")
    text = "Response bodies: " + ", ".join(sizes) + "."
    if "list_total" in E:
        text += f" The list's category holds {E['list_total']:,} threads the participant may read."
    if "posts_created" in E:
        text += (f" Post creation: {E['posts_created']:,} posts stored during the run, each answered 201 only after "
                 f"its batch's COMMIT and the WAL's fdatasync (group commit).")
    if "index_queue" in E:
        q, secs, left = E["index_queue"]
        text += (f" Search indexing: at most {q:,} posts waited in the search queue during the case (sampled every "
                 f"0.5 s; search finds them through the queue meanwhile), and it was empty {secs:.1f} s after the "
                 f"case ended" + (f" ({left:,} still queued after 120 s)" if left else "") + ".")
    w(text)
    w("")
    if "search_latency" in E:
        w("## Search latency (one client, sequential, keep-alive)")
        w("")
        w(f"{args.latency_n} requests per query, interleaved, as the participant (the visibility rule applies):")
        w("")
        w("| query | p50 ms | p95 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|")
        for q, a50, a95, a99, mx in E["search_latency"]:
            w(f"| `{q}` | {a50:.2f} | {a95:.2f} | {a99:.2f} | {mx:.2f} |")
        a50, a95, a99, mx = E["search_all"]
        w(f"| **all** | {a50:.2f} | **{a95:.2f}** | {a99:.2f} | {mx:.2f} |")
        w("")
        w("## Thread list latency (one client, sequential, keep-alive)")
        w("")
        w("`idle`: nothing else runs, so the per-worker cache of the list's total answers. `writes`: another client, "
          f"a process of its own, posts 20 times a second meanwhile ({E.get('writer_posts', 0):,} posts): every commit "
          "empties the readers' page caches, while the list's total stays cached (a reply does not move the list "
          "epoch).")
        w("")
        w("| list | while | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---:|---:|---:|---:|")
        for label, mode, a50, a95, a99, mx in E["list_latency"]:
            w(f"| {label} | {mode} | {a50:.2f} | {a95:.2f} | {a99:.2f} | {mx:.2f} |")
        w("")
    if "storm" in E:
        s = E["storm"]
        w("## Reads during a sign-in storm")
        w("")
        w(f"The participant's thread view on one keep-alive connection, 2 ms apart: {s['idle_n']} requests idle, then "
          f"{args.storm_rounds} storm(s) of {s['users']} sign-ins at once, each on a new TLS connection from its own "
          f"address (127.0.10.x); {s['storm_n']} reads fell inside the storm windows.")
        w("")
        w("| | p50 ms | p99 ms |\n|---|---:|---:|")
        w(f"| thread view, idle | {s['idle_p50'] * 1000:.2f} | {s['idle_p99'] * 1000:.2f} |")
        w(f"| thread view, during the storm | {s['storm_p50'] * 1000:.2f} | {s['storm_p99'] * 1000:.2f} |")
        w(f"| ratio | {s['storm_p50'] / s['idle_p50']:.2f} | **{s['storm_p99'] / s['idle_p99']:.2f}** |")
        w(f"| sign-ins themselves | {s['signin_p50'] * 1000:.0f} | {s['signin_p99'] * 1000:.0f} |")
        w("")
        w(f"Sign-ins completed at {s['signins_per_s']:.0f}/s during the storm.")
        w("")
    if "streams" in E:
        s = E["streams"]
        w("## Idle event-stream subscribers")
        w("")
        w(f"{s['opened']:,} subscribers of `GET /api/v1/events` ({s['failed']} failed) opened in {s['open_s']:.0f} s from "
          f"4 client processes; server RSS {s['rss_before_kib']:,} KiB before, {s['rss_after_kib']:,} KiB with them "
          f"open: **{s['kib_per_subscriber']:.1f} KiB ({s['kib_per_subscriber'] * 1.024:.1f} KB) per subscriber**, "
          f"TLS connection included. Idle, they cost {s['idle_cpu'] * 100:.0f}% of a core (heartbeats and the 5-second "
          f"access re-checks); one post reached {s['fanout_got']:,} of them in {s['fanout_ms']:.0f} ms. RSS after they "
          f"closed: {s['rss_closed_kib']:,} KiB.")
        w("")
    w("## Issue 9 targets")
    w("")
    w("| target | measured | |\n|---|---|---|")

    def target(label, value, ok, unit=""):
        w(f"| {label} | {value}{unit} | {'reached' if ok else '**not reached**'} |")

    def ratio(case, mode):
        d = R.get(case, {}).get(mode)
        return med(d["mamori"], "rps") / med(d["nginx"], "rps") if d else None

    v = ratio("thread view (20 posts)", "keep-alive")
    if v is not None:
        target("thread view, keep-alive ≥ 0.6 × nginx", f"{v:.2f}", v >= 0.6)
    v = ratio("thread view (20 posts)", "new connection")
    if v is not None:
        others = ", ".join(f"{c.split(' (')[0]} {ratio(c, 'new connection'):.2f}" for c in R if c != "thread view (20 posts)"
                           and "new connection" in R[c])
        target("new connection per request ≥ 0.9 × nginx", f"thread view {v:.2f} (" + others + ")", v >= 0.9)
    if "search_all" in E:
        worst = max(E["search_latency"], key=lambda r: r[2])
        target(f"search p95 ≤ 20 ms ({info['counts']['posts']:,} posts)",
               f"{E['search_all'][1]:.1f} ms over all queries; worst `{worst[0]}` {worst[2]:.1f} ms", E["search_all"][1] <= 20)
        idle = [r for r in E["list_latency"] if r[1] == "idle"][0]
        busy = [r for r in E["list_latency"] if r[1] == "writes"][0]
        target(f"thread list p95 ≤ 10 ms ({info['counts']['posts']:,} posts)",
               f"{idle[3]:.1f} ms idle; {busy[3]:.1f} ms under writes", busy[3] <= 10 and idle[3] <= 10)
    d = R.get("post creation (201, durable)", {}).get("keep-alive")
    if d:
        v = med(d["mamori"], "rps")
        target("≥ 5,000 durable post creations/s", f"{v:,.0f} posts/s", v >= 5000)
    if "streams" in E:
        v = E["streams"]["kib_per_subscriber"] * 1.024
        target(f"{args.subscribers:,} idle subscribers ≤ 25 KB each", f"{v:.1f} KB", v <= 25)
    if "storm" in E:
        v = E["storm"]["storm_p99"] / E["storm"]["idle_p99"]
        target("read p99 during a sign-in storm ≤ 1.5 × idle", f"× {v:.2f}", v <= 1.5)
    w("")
    issue17(w, args, R, E, ratio)
    w("## Rounds")
    w("")
    w("| case | connection | server | round | req/s | p50 ms | p90 ms | p99 ms | cpu µs/req | errors |")
    w("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for case, modes in R.items():
        for mode, d in modes.items():
            for who in ("mamori", "nginx"):
                for i, r in enumerate(d[who], 1):
                    w(f"| {case} | {mode} | {who} | {i} | {r['rps']:,.0f} | {r['p50']:.2f} | {fmt(r['p90'])} | "
                      f"{r['p99']:.2f} | {r['cpu_us']:.0f} | {r['errors']} |")
    for mode in ("keep-alive", "new connection"):
        for i, r in enumerate(E.get("fossil", {}).get(mode, []), 1):
            w(f"| Fossil forum thread | {mode} | fossil | {i} | {r['rps']:,.0f} | {r['p50']:.2f} | {fmt(r['p90'])} | "
              f"{r['p99']:.2f} | – | {r['errors']} |")
    w("")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="large", help="small, large, or a data directory made by dataset.py")
    ap.add_argument("--data-root", default=os.environ.get("MAMORI_BENCH_DATA", "/tmp/mamori-bench-data"))
    ap.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    ap.add_argument("--quick", action="store_true", help="short durations: a smoke run of every part")
    ap.add_argument("--only", default=",".join(ALL_PARTS), help="parts to run: " + ",".join(ALL_PARTS))
    ap.add_argument("--out", help="results file (default tests/bench/results/DATE-HOST[-DATASET][-quick].md)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--duration")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--post-connections", type=int, default=64)
    ap.add_argument("--signin-connections", type=int, default=8)
    ap.add_argument("--fossil-connections", type=int, default=8,
                    help="Fossil's listen backlog is 10: more connections than that lose SYNs and wait 1 s")
    ap.add_argument("--subscribers", type=int)
    args = ap.parse_args()
    q = args.quick
    args.rounds = args.rounds or (1 if q else 3)
    args.duration = args.duration or ("3s" if q else "10s")
    args.warmup = "1s" if q else "3s"
    args.subscribers = args.subscribers or (1000 if q else 10000)
    args.latency_n = 10 if q else 100
    args.storm_users, args.storm_rounds, args.storm_idle = (30, 1, 200) if q else (100, 3, 1000)
    args.streams_idle = 3 if q else 10
    args.bin = os.path.join(args.build, "mamori")
    parts = [p for p in args.only.split(",") if p]
    for p in parts:
        if p not in ALL_PARTS:
            raise SystemExit(f"bench: unknown part {p}")
    src = args.dataset if os.path.isdir(args.dataset) else os.path.join(args.data_root, args.dataset)
    args.dataset_dir = src
    if not os.path.exists(os.path.join(src, "bench.json")):
        raise SystemExit(f"bench: no dataset in {src}: python3 tests/bench/dataset.py --size {args.dataset} --data {src}")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.subscribers + 2000:
        raise SystemExit(f"bench: the file limit ({hard}) is too low for {args.subscribers} subscribers")

    started = datetime.datetime.now(datetime.timezone.utc)
    t_start = time.time()
    mach = machine()
    tmp = tempfile.mkdtemp(prefix="mamori-run-", dir="/tmp")
    data = os.path.join(tmp, "data")
    log(f"bench: copying {src} to {data}")
    shutil.copytree(src, data)
    ds.refresh_sessions(data)
    info = json.load(open(os.path.join(data, "bench.json")))
    srv = Servers(args, tmp, data)

    def on_signal(sig, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        srv.start_mamori()
        srv.start_nginx()
        runner = Runner(args, srv, info)
        for p in parts:
            getattr(runner, f"run_{p}")()
        mach["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
        text = report(args, mach, info, runner, started, time.time() - t_start)
    finally:
        srv.stop()
        if args.keep:
            log(f"bench: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    out = args.out
    if not out:
        suffix = ("" if info["size"] == "large" else "-" + info["size"]) + ("-quick" if q else "")
        out = os.path.join(HERE, "results", f"{started:%Y-%m-%d}-{mach['host']}{suffix}.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    print(text)
    log(f"bench: results in {out} ({(time.time() - t_start) / 60:.1f} minutes)")


if __name__ == "__main__":
    main()
