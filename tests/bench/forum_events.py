#!/usr/bin/env python3
"""Event-stream fan-out: opens N idle subscribers (TLS), reports the server's memory per
subscriber, then publishes posts and reports how long until every subscriber has the event.

    python3 tests/bench/forum_events.py [--n 1000] [--bin build/mamori]"""
import argparse
import os
import selectors
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../e2e"))
import mamori  # noqa: E402
import forum_world as fw  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--bin", default=mamori.BIN)
    args = ap.parse_args()
    mamori.BIN = args.bin
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.n * 2 + 100)), hard))
    srv = mamori.Server(config={"max_connections": str(args.n + 100), "track_capacity": "100"})
    srv.__enter__()
    try:
        a = srv.admin()
        g = fw.group(a)
        co = fw.company(a, g)
        p = fw.user(srv, a, "participant", co)
        cat = fw.category(a)
        t = fw.thread(a, cat, "fan-out", "x", "community")
        time.sleep(0.5)
        base = rss_kib(srv.proc.pid)
        ctx = srv.ssl_context()
        sel = selectors.DefaultSelector()
        socks = []
        t0 = time.time()
        for i in range(args.n):
            s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port)), server_hostname="127.0.0.1")
            s.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nCookie: {p.cookie}\r\n\r\n".encode())
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, bytearray())
            socks.append(s)
        time.sleep(1.0)
        for key, _ in sel.select(timeout=0.5):
            try:
                key.data.extend(key.fileobj.recv(65536))
            except (ssl.SSLWantReadError, BlockingIOError):
                pass
        opened = time.time() - t0
        after = rss_kib(srv.proc.pid)
        print(f"{args.n} idle subscribers opened in {opened:.1f}s; server RSS {base} KiB -> {after} KiB "
              f"({(after - base) / args.n:.1f} KiB per subscriber, TLS connection included)")
        for round_ in range(3):
            for s in socks:
                sel.get_key(s).data.clear()
            t1 = time.time()
            st, post = a.post(f"/api/v1/threads/{t['id']}/posts", {"body": f"round {round_}"})
            needle = f'"post_id":{post["id"]}'.encode()
            waiting = set(socks)
            while waiting and time.time() - t1 < 30:
                for key, _ in sel.select(timeout=0.1):
                    try:
                        key.data.extend(key.fileobj.recv(65536))
                    except (ssl.SSLWantReadError, BlockingIOError):
                        continue
                    if needle in key.data:
                        waiting.discard(key.fileobj)
            print(f"post event reached {args.n - len(waiting)}/{args.n} subscribers in {(time.time() - t1) * 1000:.0f} ms")
        for s in socks:
            s.close()
    finally:
        srv.__exit__(None, None, None)


if __name__ == "__main__":
    main()
