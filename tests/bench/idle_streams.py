#!/usr/bin/env python3
"""Idle event-stream subscribers: opens N subscribers of GET /api/v1/events (TLS, signed-in
participants of a tests/bench/dataset.py dataset), reports the server's memory per subscriber
and its CPU use while they idle, then publishes one post and reports how long until every
subscriber has the event.

    python3 tests/bench/idle_streams.py --port PORT --data DIR [--n 10000] [--procs 4]

The subscribers are held by PROCS child processes, each from its own loopback source address
(127.0.20.k), so neither one process's file limit nor one address's ephemeral ports limit N.
The server must allow that many connections (max_connections is per worker; SO_REUSEPORT
spreads connections unevenly, so give each worker room for all of them) and have a file limit
above N. The memory figure is (VmRSS after - VmRSS before) / N, so it includes the TLS connection,
libevent's buffers and evhttp's request as well as the subscriber record."""
import argparse
import http.client
import json
import multiprocessing
import os
import resource
import selectors
import socket
import ssl
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """utime + stime of every thread of pid, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def holder(k, n, port, cafile, sessions, conn):
    """Child: opens n subscribers from 127.0.20.(k+1); reports 'ready'; on 'wait NEEDLE' reports
    how many got NEEDLE and when the last did; on 'close' closes them all."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    sel = selectors.DefaultSelector()
    socks, failed = [], 0
    for i in range(n):
        try:
            raw = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(f"127.0.20.{k + 1}", 0))
            s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
            sess = sessions[(k * n + i) % len(sessions)]
            s.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nCookie: {sess}\r\n\r\n".encode())
            head = s.recv(4096)
            if not head.startswith(b"HTTP/1.1 200"):
                failed += 1
                s.close()
                continue
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, bytearray())
            socks.append(s)
        except OSError:
            failed += 1
    conn.send(("ready", len(socks), failed))
    while True:
        cmd = conn.recv()
        if cmd[0] == "wait":
            needle, deadline = cmd[1].encode(), time.time() + cmd[2]
            for s in socks:
                sel.get_key(s).data.clear()
            waiting, last = set(socks), None
            while waiting and time.time() < deadline:
                for key, _ in sel.select(timeout=0.1):
                    try:
                        while True:
                            chunk = key.fileobj.recv(65536)
                            if not chunk:
                                break
                            key.data.extend(chunk)
                    except (ssl.SSLWantReadError, BlockingIOError):
                        pass
                    except OSError:
                        waiting.discard(key.fileobj)
                        continue
                    if key.fileobj in waiting and needle in key.data:
                        waiting.discard(key.fileobj)
                        last = time.time()
            conn.send(("got", len(socks) - len(waiting), last))
        elif cmd[0] == "drain":  # read whatever arrived (heartbeats), so nothing backs up
            for key, _ in sel.select(timeout=0):
                try:
                    key.fileobj.recv(65536)
                except (ssl.SSLWantReadError, BlockingIOError, OSError):
                    pass
            conn.send(("drained",))
        else:
            for s in socks:
                s.close()
            conn.send(("closed",))
            return


def measure(port, data, pid, n=10000, procs=4, idle_seconds=10, log=print):
    """Opens n subscribers against the server `pid` listening on port; returns a dict."""
    info = json.load(open(os.path.join(data, "bench.json")))
    cafile = os.path.join(data, "tls", "cert.pem")
    sessions = [p["cookie"] for p in info["participants"]]
    time.sleep(1.0)
    before = rss_kib(pid)
    t0 = time.time()
    pipes, children = [], []
    per = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
    for k in range(procs):
        a, b = multiprocessing.Pipe()
        p = multiprocessing.Process(target=holder, args=(k, per[k], port, cafile, sessions, b), daemon=True)
        p.start()
        pipes.append(a)
        children.append(p)
    opened = failed = 0
    for a in pipes:
        _, ok, bad = a.recv()
        opened += ok
        failed += bad
    open_s = time.time() - t0
    time.sleep(2.0)
    after = rss_kib(pid)
    c0, w0 = cpu_seconds(pid), time.time()
    time.sleep(idle_seconds)
    idle_cpu = (cpu_seconds(pid) - c0) / (time.time() - w0)
    after2 = rss_kib(pid)
    log(f"  {opened} subscribers open ({failed} failed) in {open_s:.1f} s; RSS {before} -> {after} KiB "
        f"({(after - before) / max(1, opened):.1f} KiB each); idle CPU {idle_cpu * 100:.0f}% of a core; "
        f"RSS after {idle_seconds} s idle {after2} KiB")
    for a in pipes:
        a.send(("drain",))
        a.recv()
    # fan-out: one post by the secretariat in a community thread every participant reads
    ctx = ssl.create_default_context(cafile=cafile)
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
    sec = info["secretariat"]
    c.request("POST", f"/api/v1/threads/{info['view_threads'][1]}/posts",
              body=json.dumps({"body": "fan-out probe: 全員に届くか確認します"}),
              headers={"Cookie": sec["cookie"], "X-CSRF-Token": sec["csrf"], "Content-Type": "application/json"})
    t1 = time.time()
    r = c.getresponse()
    post = json.loads(r.read())
    if r.status != 201:
        raise RuntimeError(f"fan-out post: {r.status} {post}")
    needle = f'"post_id":{post["id"]}'
    for a in pipes:
        a.send(("wait", needle, 60))
    got, last = 0, t1
    for a in pipes:
        _, g, tl = a.recv()
        got += g
        last = max(last, tl or t1)
    fanout_ms = (last - t1) * 1000
    log(f"  post event reached {got}/{opened} subscribers in {fanout_ms:.0f} ms")
    for a in pipes:
        a.send(("close",))
        a.recv()
    for p in children:
        p.join(timeout=30)
    time.sleep(2.0)
    closed = rss_kib(pid)
    return {"n": n, "opened": opened, "failed": failed, "open_s": open_s, "rss_before_kib": before,
            "rss_after_kib": after, "rss_idle_kib": after2, "rss_closed_kib": closed,
            "kib_per_subscriber": (after - before) / max(1, opened), "idle_cpu": idle_cpu, "fanout_ms": fanout_ms,
            "fanout_got": got}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--data", required=True, help="the running server's data directory")
    ap.add_argument("--pid", type=int, help="the server's pid (default: the one listening on --port)")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--procs", type=int, default=4)
    args = ap.parse_args()
    pid = args.pid
    if not pid:
        out = os.popen(f"ss -ltnpH 'sport = :{args.port}'").read()
        pid = int(out.split("pid=")[1].split(",")[0])
    m = measure(args.port, args.data, pid, args.n, args.procs)
    print(json.dumps(m, indent=1))


if __name__ == "__main__":
    sys.exit(main())
