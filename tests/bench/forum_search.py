#!/usr/bin/env python3
"""Search latency (p50/p95) on a generated dataset (tests/bench/forum_dataset.py), per query
shape, as a participant (the visibility rule filters) and as the secretariat, over one TLS
keep-alive connection.

    python3 tests/bench/forum_dataset.py --data /tmp/ds --posts 1000000 > /tmp/ds.json
    python3 tests/bench/forum_search.py --data /tmp/ds --info /tmp/ds.json [--n 200]"""
import argparse  # noqa: I001
import http.client
import json
import os
import ssl
import statistics
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../e2e"))
from mamori import free_port  # noqa: E402

QUERIES = {
    "ja long (脆弱性)": "脆弱性",
    "ja 2 chars (対策)": "対策",
    "ja 1 char (策)": "策",
    "en long (firewall)": "firewall",
    "width-folded (ＵＴＭ)": "ＵＴＭ",
    "two long terms": "ランサムウェア バックアップ",
    "long + short": "ネットワーク 監視",
    "rare, no hit": "zzqqxx",
    "hostile syntax": '"a" OR NEAR(b*',
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--info", required=True)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "../../build/mamori"))
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    info = json.loads(open(args.info).read().strip().splitlines()[-1])
    port = free_port()
    proc = subprocess.Popen([args.bin, "serve", "--data", args.data, "--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ctx = ssl.create_default_context(cafile=os.path.join(args.data, "tls", "cert.pem"))
        for _ in range(200):
            try:
                c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
                c.request("GET", "/api/v1/health")
                c.getresponse().read()
                break
            except OSError:
                time.sleep(0.05)
        for who in ("participant", "secretariat"):
            print(f"\n{who}: {args.n} queries each, ms")
            print(f"{'query':28} {'p50':>8} {'p95':>8} {'max':>8} {'results':>8}")
            for name, q in QUERIES.items():
                lat, nres = [], 0
                for i in range(args.n):
                    t = time.perf_counter()
                    c.request("GET", "/api/v1/search?q=" + urllib.parse.quote(q) + ("&page=2" if i % 10 == 9 else ""),
                              headers={"Cookie": info["cookies"][who]})
                    r = c.getresponse()
                    body = r.read()
                    lat.append((time.perf_counter() - t) * 1000)
                    if r.status != 200:
                        raise SystemExit(f"{q}: {r.status} {body[:200]}")
                    nres = max(nres, len(json.loads(body)["results"]))
                lat.sort()
                print(f"{name:28} {statistics.median(lat):8.2f} {lat[int(len(lat) * 0.95) - 1]:8.2f} "
                      f"{lat[-1]:8.2f} {nres:8d}")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
