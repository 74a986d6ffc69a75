#!/usr/bin/env python3
"""Sign-in storm benchmark (issue 3): does a burst of concurrent sign-ins stall other requests?

Starts a real server (tests/e2e/mamori.py), creates USERS accounts through the API, then
measures the latency of GET /api/v1/health on one TLS keep-alive connection
  - idle: nothing else running;
  - storm: while USERS sign-ins run at once (each on a fresh TLS connection, as browsers do),
    repeated ROUNDS times.
The sign-ins run in a separate process so that the probe's timings are not distorted by the
client's own GIL. Each sign-in comes from its own loopback address (127.0.10.x), as 50 users in
50 offices would: from one address, attempts still being checked count toward the throttle of
API.md §2, so more than 10 at the same instant get 429 with Retry-After: 1 (see --one-address). Each sign-in costs one scrypt (N=2^15, r=8: ~32 MiB, tens of ms) on the
server's helper pool; the event loops only parse, query and reply, so health should barely move.

    python3 tests/bench/signin_storm.py [--users 50] [--rounds 3] [--workers 2] [--helpers N]
    MAMORI_BIN=build/mamori by default (see mamori.py).
"""
import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from mamori import Server  # noqa: E402

PASSWORD = "storm-bench-password-2026"


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * (len(xs) - 1)))))
    return xs[k]


def ms(x):
    return x * 1000.0


class Probe:
    """GET /api/v1/health in a loop on one keep-alive connection; (start, latency) samples."""

    def __init__(self, srv):
        self.conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=srv.ssl_context(), timeout=30)
        self.samples = []
        self.stop = threading.Event()

    def one(self):
        t0 = time.perf_counter()
        self.conn.request("GET", "/api/v1/health")
        r = self.conn.getresponse()
        r.read()
        dt = time.perf_counter() - t0
        if r.status != 200:
            raise RuntimeError(f"health answered {r.status}")
        return t0, dt

    def run(self, pause=0.002):
        while not self.stop.is_set():
            self.samples.append(self.one())
            time.sleep(pause)


def sign_in_storm(port, cafile, emails, one_address, control, out_q):
    """Child process: every e-mail signs in at once (a barrier), each on a new TLS connection."""
    import ssl
    ctx = ssl.create_default_context(cafile=cafile)
    barrier = threading.Barrier(len(emails))
    res = [None] * len(emails)

    def one(i, email):
        src = ("127.0.0.1" if one_address else f"127.0.{10 + i // 250}.{1 + i % 250}", 0)
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=120, source_address=src)
        body = json.dumps({"email": email, "password": PASSWORD})
        barrier.wait()
        t0 = time.perf_counter()
        if control:  # the same connections and handshakes, without the password hashing
            conn.request("GET", "/api/v1/health")
        else:
            conn.request("POST", "/api/v1/session", body=body, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        res[i] = (r.status, time.perf_counter() - t0)
        conn.close()

    threads = [threading.Thread(target=one, args=(i, e)) for i, e in enumerate(emails)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out_q.put(res)


def make_users(srv, n):
    admin = srv.admin()
    tokens = []
    for i in range(n):
        email = f"storm{i}@example.jp"
        st, body = admin.post("/api/v1/users", {"email": email, "name": f"Storm {i}", "role": "expert"})
        if st != 201:
            raise RuntimeError(f"create user: {st} {body}")
        tokens.append((email, body["invite_token"]))
    errors = []

    def accept(tok):
        st, body = srv.client().post(f"/api/v1/invites/{tok}/accept", {"password": PASSWORD})
        if st != 200:
            errors.append((st, body))

    threads = [threading.Thread(target=accept, args=(t,)) for _, t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"accept: {errors[:3]}")
    return [e for e, _ in tokens]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--helpers", type=int, default=0, help="helper threads (0: the server's default)")
    ap.add_argument("--idle", type=int, default=1000, help="idle health requests")
    ap.add_argument("--one-address", action="store_true", help="every sign-in from 127.0.0.1")
    ap.add_argument("--control", action="store_true",
                    help="control run: the storm's clients send GET /api/v1/health instead of signing in")
    args = ap.parse_args()

    config = {}
    if args.helpers:
        config["helpers"] = str(args.helpers)
    with Server(config=config, workers=args.workers) as srv:
        t0 = time.perf_counter()
        emails = make_users(srv, args.users)
        print(f"created and activated {len(emails)} users in {time.perf_counter() - t0:.1f} s")

        probe = Probe(srv)
        for _ in range(50):  # warm-up
            probe.one()
        idle = [probe.one()[1] for _ in range(args.idle)]

        storm_lat, signin, windows = [], [], []
        cafile = os.path.join(srv.data, "tls", "cert.pem")
        for rnd in range(args.rounds):
            probe.samples = []
            probe.stop.clear()
            th = threading.Thread(target=probe.run)
            th.start()
            time.sleep(0.2)
            q = multiprocessing.Queue()
            p = multiprocessing.Process(target=sign_in_storm, args=(srv.port, cafile, emails, args.one_address, args.control, q))
            w0 = time.perf_counter()
            p.start()
            res = q.get(timeout=600)
            w1 = time.perf_counter()
            p.join()
            probe.stop.set()
            th.join()
            bad = [s for s, _ in res if s != 200]
            if bad and not args.one_address:
                raise RuntimeError(f"round {rnd}: sign-ins answered {bad[:5]}")
            if bad:
                print(f"round {rnd + 1}: {len(bad)} of {len(res)} answered {sorted(set(bad))}")
                time.sleep(2)
            signin += [d for _, d in res]
            # the storm window: from the first sign-in sent to the last answered
            first = w1 - max(d for _, d in res)
            inside = [d for t, d in probe.samples if first <= t <= w1]
            storm_lat += inside
            windows.append(w1 - first)
            print(f"round {rnd + 1}: {len(res)} sign-ins in {w1 - first:.2f} s "
                  f"(process start to last reply {w1 - w0:.2f} s), {len(inside)} health probes inside")

        print()
        if args.control:
            print("CONTROL RUN: the storm made fresh TLS connections but did not sign in")
        print(f"server: {args.workers} workers, helpers {'default' if not args.helpers else args.helpers}; "
              f"{os.cpu_count()} CPUs")
        print(f"health idle : n={len(idle):5d}  p50 {ms(pct(idle, 50)):7.2f} ms  p99 {ms(pct(idle, 99)):7.2f} ms  "
              f"max {ms(max(idle)):7.2f} ms")
        print(f"health storm: n={len(storm_lat):5d}  p50 {ms(pct(storm_lat, 50)):7.2f} ms  "
              f"p99 {ms(pct(storm_lat, 99)):7.2f} ms  max {ms(max(storm_lat)):7.2f} ms")
        print(f"ratio storm/idle: p50 x{pct(storm_lat, 50) / pct(idle, 50):.2f}  "
              f"p99 x{pct(storm_lat, 99) / pct(idle, 99):.2f}")
        print(f"sign-in latency under storm ({len(signin)}): p50 {ms(pct(signin, 50)):.0f} ms  "
              f"p99 {ms(pct(signin, 99)):.0f} ms  mean window {statistics.mean(windows):.2f} s "
              f"({args.users / statistics.mean(windows):.0f} sign-ins/s)")


if __name__ == "__main__":
    main()
