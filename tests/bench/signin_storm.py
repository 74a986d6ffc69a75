#!/usr/bin/env python3
"""Sign-in storm: does a burst of concurrent sign-ins stall other requests?

Measures the latency of a read on one TLS keep-alive connection
  - idle: nothing else running;
  - storm: while USERS sign-ins run at once (each on a fresh TLS connection, as browsers do),
    repeated ROUNDS times.
The sign-ins run in a separate process so that the probe's timings are not distorted by the
client's own GIL. Each sign-in comes from its own loopback address (127.0.10.x), as users in many
offices would: from one address, attempts still being checked count toward the throttle of
docs/API.md §2, so more than 10 at the same instant get 429 with Retry-After: 1 (see --one-address).
Each sign-in costs one scrypt (N=2^15, r=8: ~32 MiB, tens of ms) on the server's helper pool; the
event loops only parse, query and reply.

Two ways to run it:
  - standalone (starts a fresh server with tests/e2e/mamori.py, creates USERS accounts through the
    API, probes GET /api/v1/health):
        python3 tests/bench/signin_storm.py [--users 50] [--rounds 3] [--workers 2] [--helpers N]
  - against a running server on a dataset of tests/bench/dataset.py (run.sh does this; the probe
    is the participant's thread view):
        python3 tests/bench/signin_storm.py --port PORT --data DIR [--users 200]
"""
import argparse
import http.client
import json
import multiprocessing
import os
import ssl
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

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
    """GET path in a loop on one keep-alive connection; (start, latency) samples."""

    def __init__(self, port, ctx, path="/api/v1/health", headers=None):
        self.conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
        self.path, self.headers = path, headers or {}
        self.samples = []
        self.stop = threading.Event()

    def one(self):
        t0 = time.perf_counter()
        self.conn.request("GET", self.path, headers=self.headers)
        r = self.conn.getresponse()
        r.read()
        dt = time.perf_counter() - t0
        if r.status != 200:
            raise RuntimeError(f"{self.path} answered {r.status}")
        return t0, dt

    def run(self, pause=0.002):
        while not self.stop.is_set():
            self.samples.append(self.one())
            time.sleep(pause)


def sign_in_storm(port, cafile, emails, password, one_address, control, out_q):
    """Child process: every e-mail signs in at once (a barrier), each on a new TLS connection."""
    ctx = ssl.create_default_context(cafile=cafile)
    barrier = threading.Barrier(len(emails))
    res = [None] * len(emails)

    def one(i, email):
        src = ("127.0.0.1" if one_address else f"127.0.{10 + i // 250}.{1 + i % 250}", 0)
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=120, source_address=src)
        body = json.dumps({"email": email, "password": password})
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


def measure(port, cafile, emails, password, probe_path="/api/v1/health", probe_headers=None, rounds=3,
            idle_n=1000, one_address=False, control=False, log=print):
    """Idle probes, then `rounds` storms of len(emails) concurrent sign-ins with probes running.
    Returns a dict of latencies in seconds (idle, storm, signin lists) and summary numbers."""
    ctx = ssl.create_default_context(cafile=cafile)
    probe = Probe(port, ctx, probe_path, probe_headers)
    for _ in range(50):  # warm-up
        probe.one()
    idle = []
    for _ in range(idle_n):
        idle.append(probe.one()[1])
        time.sleep(0.002)  # the same pacing as during the storm
    storm_lat, signin, windows, bad_total = [], [], [], 0
    for rnd in range(rounds):
        probe.samples = []
        probe.stop.clear()
        th = threading.Thread(target=probe.run)
        th.start()
        time.sleep(0.2)
        q = multiprocessing.Queue()
        p = multiprocessing.Process(target=sign_in_storm,
                                    args=(port, cafile, emails, password, one_address, control, q))
        w0 = time.perf_counter()
        p.start()
        res = q.get(timeout=600)
        w1 = time.perf_counter()
        p.join()
        probe.stop.set()
        th.join()
        bad = [s for s, _ in res if s != 200]
        bad_total += len(bad)
        if bad and not one_address:
            raise RuntimeError(f"round {rnd}: sign-ins answered {sorted(set(bad))[:5]}")
        if bad:
            log(f"round {rnd + 1}: {len(bad)} of {len(res)} answered {sorted(set(bad))}")
            time.sleep(2)
        signin += [d for _, d in res]
        # the storm window: from the first sign-in sent to the last answered
        first = w1 - max(d for _, d in res)
        inside = [d for t, d in probe.samples if first <= t <= w1]
        storm_lat += inside
        windows.append(w1 - first)
        log(f"  storm round {rnd + 1}: {len(res)} sign-ins in {w1 - first:.2f} s "
            f"(process start to last reply {w1 - w0:.2f} s), {len(inside)} probes inside")
        time.sleep(0.5)
    return {
        "idle": idle, "storm": storm_lat, "signin": signin, "bad": bad_total,
        "idle_p50": pct(idle, 50), "idle_p99": pct(idle, 99), "storm_p50": pct(storm_lat, 50),
        "storm_p99": pct(storm_lat, 99), "signin_p50": pct(signin, 50), "signin_p99": pct(signin, 99),
        "window": statistics.mean(windows), "users": len(emails),
        "signins_per_s": len(emails) / statistics.mean(windows),
    }


def report(m, label="probe"):
    print(f"{label} idle : n={len(m['idle']):5d}  p50 {ms(m['idle_p50']):7.2f} ms  p99 {ms(m['idle_p99']):7.2f} ms  "
          f"max {ms(max(m['idle'])):7.2f} ms")
    print(f"{label} storm: n={len(m['storm']):5d}  p50 {ms(m['storm_p50']):7.2f} ms  p99 {ms(m['storm_p99']):7.2f} ms  "
          f"max {ms(max(m['storm'])):7.2f} ms")
    print(f"ratio storm/idle: p50 x{m['storm_p50'] / m['idle_p50']:.2f}  p99 x{m['storm_p99'] / m['idle_p99']:.2f}")
    print(f"sign-in latency under storm ({len(m['signin'])}): p50 {ms(m['signin_p50']):.0f} ms  "
          f"p99 {ms(m['signin_p99']):.0f} ms  mean window {m['window']:.2f} s ({m['signins_per_s']:.0f} sign-ins/s)")


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
    ap.add_argument("--idle", type=int, default=1000, help="idle probe requests")
    ap.add_argument("--one-address", action="store_true", help="every sign-in from 127.0.0.1")
    ap.add_argument("--control", action="store_true",
                    help="control run: the storm's clients send GET /api/v1/health instead of signing in")
    ap.add_argument("--port", type=int, help="a running server on a dataset (with --data)")
    ap.add_argument("--data", help="the running server's data directory (bench.json, tls/cert.pem)")
    args = ap.parse_args()

    if args.port:
        info = json.load(open(os.path.join(args.data, "bench.json")))
        m = measure(args.port, os.path.join(args.data, "tls", "cert.pem"), info["signin_emails"][:args.users],
                    info["password"], f"/api/v1/threads/{info['view_threads'][0]}",
                    {"Cookie": info["participant"]["cookie"]}, args.rounds, args.idle, args.one_address, args.control)
        report(m, "thread view")
        return
    from mamori import Server
    config = {}
    if args.helpers:
        config["helpers"] = str(args.helpers)
    with Server(config=config, workers=args.workers) as srv:
        t0 = time.perf_counter()
        emails = make_users(srv, args.users)
        print(f"created and activated {len(emails)} users in {time.perf_counter() - t0:.1f} s")
        m = measure(srv.port, os.path.join(srv.data, "tls", "cert.pem"), emails, PASSWORD, rounds=args.rounds,
                    idle_n=args.idle, one_address=args.one_address, control=args.control)
        print()
        if args.control:
            print("CONTROL RUN: the storm made fresh TLS connections but did not sign in")
        print(f"server: {args.workers} workers, helpers {'default' if not args.helpers else args.helpers}; "
              f"{os.cpu_count()} CPUs")
        report(m, "health")


if __name__ == "__main__":
    main()
