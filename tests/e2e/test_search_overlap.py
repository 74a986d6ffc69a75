#!/usr/bin/env python3
"""Search from several clients at once (issue 13, finding 1): the query's terms were split with
strtok, whose position is shared by every thread, so two workers tokenizing at the same moment
could take each other's terms (a snippet cut around the other query's words) or write past a
freed string. Four clients on their own connections (so, with two workers, usually two threads)
search in overlapping loops with many-term queries; every answer must be exactly the posts of
its own query, each snippet cut around its own terms. The source check (tests/unit/test_source.c)
is the deterministic half; this is the end-to-end half."""
import os
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import forum_world as fw  # noqa: E402
from mamori import Server, expect, run_tests  # noqa: E402

ROUNDS = 200
TERMS = 40
CLIENTS = 4


def test_overlapping_searches_keep_their_own_terms():
    with Server(config={"post_rate_per_minute": "0", "participants_per_company": "8"}) as srv:
        a = srv.admin()
        cat = fw.category(a)
        cid = fw.company(a)
        users = [fw.user(srv, a, "participant", cid) for _ in range(CLIENTS)]
        queries, posts = [], []
        for n, who in enumerate(users):
            terms = [f"q{'abcd'[n]}{i}" for i in range(TERMS)]
            # The terms sit deep in a long body: a snippet cut around them cannot begin at the
            # start, so a snippet made with the other query's terms shows.
            body = "前置きの文章です。" * 60 + " ".join(terms) + " 後書き。"
            t = fw.thread(who, cat, f"並行検索 {n}", body, "community")
            queries.append(" ".join(terms))
            posts.append(t["first_post_id"])
        errors = []

        def loop(n):
            c = users[n]
            try:
                q = urllib.parse.quote(queries[n])
                first = queries[n].split()[0]
                for _ in range(ROUNDS):
                    st, body = c.get(f"/api/v1/search?q={q}")
                    if st != 200:
                        errors.append((n, st, body))
                        return
                    got = [r["post_id"] for r in body["results"]]
                    if got != [posts[n]] or first not in body["results"][0]["snippet"]:
                        errors.append((n, got, body["results"][0]["snippet"] if got else None))
                        return
            except Exception as e:  # noqa: BLE001 — a dead server shows here
                errors.append((n, repr(e)))

        threads = [threading.Thread(target=loop, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        expect(not errors, f"each search answers its own query: {errors[:3]}")
        st, _ = a.get("/api/v1/health")
        expect(st == 200 and srv.proc.poll() is None, "the server is still up")


if __name__ == "__main__":
    run_tests([test_overlapping_searches_keep_their_own_terms])
