#!/usr/bin/env python3
"""Concurrency stress test (issue 13): a server with 4 workers under concurrent searches, posts,
edits, moderation (hide, unhide, redact), event-stream subscribers and sign-ins from several
client threads at once, with a SIGHUP (certificate and ticket-key reload) every two seconds,
for a bounded time and a bounded number of operations, on loopback.

It checks correctness, never speed:
- no 5xx answer except the documented 503 (`storage_unavailable`, `unavailable`);
- every acknowledged post (201) is readable afterwards by its author and the secretariat, with
  the last acknowledged text unless the secretariat hid or redacted it;
- every search result is a post the searching user may read whose text (some version the test
  wrote) holds every searched word: no result of another query, no leak;
- every event a subscriber received is about a thread that subscriber may read.
Its main use is under ThreadSanitizer (tests/run-all.sh), where any data race the load provokes
in the server fails the test through the harness's check of the server's output.

MAMORI_STRESS_SECONDS (default 20) and MAMORI_STRESS_OPS (per client thread, default 3000) bound
the run."""
import os
import random
import signal
import sys
import threading
import time
import traceback
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import forum_world as fw  # noqa: E402
from mamori import Server, expect, run_tests, scaled  # noqa: E402

SECONDS = float(os.environ.get("MAMORI_STRESS_SECONDS", "20"))
OPS = int(os.environ.get("MAMORI_STRESS_OPS", "3000"))
# Words the posts are made of; titles and first posts use none of them. Japanese words of three
# characters or more go through the trigram index, short ones through the short-term path.
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "脆弱性", "暗号化", "監査ログ", "工場", "鍵"]
OK_503 = {"storage_unavailable", "unavailable"}


class Stress:
    def __init__(self, srv):
        self.srv = srv
        self.lock = threading.Lock()
        self.errors = []
        self.statuses = {}
        self.posts = {}         # post id -> {"thread", "author", "texts": set, "last": str}
        self.attempted = {}     # marker -> every text sent for it (acknowledged or not)
        self.moderated = set()  # post ids the secretariat hid, unhid or redacted (or tried to)
        self.searches = []      # (uid, [words], [(thread_id, post_id)])
        self.readers = []       # (uid, EventReader)
        self.ops = 0

    def fail(self, what):
        with self.lock:
            self.errors.append(what)

    def status(self, what, st, body):
        """Tallies an answer; a 5xx other than the documented 503 is an error."""
        with self.lock:
            self.statuses[st] = self.statuses.get(st, 0) + 1
            self.ops += 1
        if st >= 500 and not (st == 503 and isinstance(body, dict) and body.get("error") in OK_503):
            self.fail(f"{what}: {st} {body}")
        return st


def build_world(srv):
    """Two groups, four companies (one without a group), two participants each, two experts
    with one assignment each, and threads of every visibility."""
    a = srv.admin()
    a.uid = a.get("/api/v1/me")[1]["user"]["id"]
    g1, g2 = fw.group(a), fw.group(a)
    companies = {fw.company(a, g1): g1, fw.company(a, g1): g1, fw.company(a, g2): g2, fw.company(a, None): None}
    users = {a.uid: {"role": "secretariat", "company": None, "client": a}}
    for co in companies:
        for _ in range(2):
            c = fw.user(srv, a, "participant", co)
            users[c.uid] = {"role": "participant", "company": co, "client": c}
    cos = list(companies)
    assigned = {}
    for co in (cos[0], cos[2]):
        e = fw.user(srv, a, "expert")
        users[e.uid] = {"role": "expert", "company": None, "client": e}
        fw.assign(a, co, e.uid)
        assigned[e.uid] = co
    cat = fw.category(a)
    threads = {}
    for uid, u in users.items():
        if u["role"] != "participant":
            continue
        for vis in ("company", "group", "community"):
            if vis == "group" and companies[u["company"]] is None:
                continue
            t = fw.thread(u["client"], cat, f"stress thread {fw.uniq('t')}", "seed body", visibility=vis)
            threads[t["id"]] = {"visibility": vis, "company": u["company"], "group": companies[u["company"]]}
    for vis in ("staff", "community"):
        t = fw.thread(a, cat, f"stress thread {fw.uniq('t')}", "seed body", visibility=vis)
        threads[t["id"]] = {"visibility": vis, "company": None, "group": None}

    def can_read(uid, tid):
        u, t = users[uid], threads[tid]
        vis = t["visibility"]
        if u["role"] == "secretariat":
            return True
        if u["role"] == "participant":
            return (vis == "community" or (vis == "group" and t["group"] == companies[u["company"]])
                    or (vis == "company" and t["company"] == u["company"]))
        co = assigned[uid]
        return (vis in ("community", "staff") or (vis == "group" and t["group"] is not None
                                                   and t["group"] == companies[co])
                or (vis == "company" and t["company"] == co))
    return a, users, threads, can_read


def test_concurrent_load_keeps_every_answer_right():
    with Server(workers=4, config={"post_rate_per_minute": "100000", "participants_per_company": "4"}) as srv:
        a, users, threads, can_read = build_world(srv)
        s = Stress(srv)
        # Every user keeps an event stream open (a second connection per user).
        for uid, u in users.items():
            s.readers.append((uid, fw.EventReader(srv, u["client"])))
            expect(s.readers[-1][1].status == 200, "event stream opened")
        deadline = time.time() + SECONDS
        writers = [uid for uid, u in users.items() if u["role"] != "secretariat"]

        def writer(uid, seed):
            """Posts, edits its own posts and searches, as one user on its own connection."""
            rnd = random.Random(seed)
            c = users[uid]["client"]
            readable = [t for t in threads if can_read(uid, t)]
            mine = []
            for n in range(OPS):
                if time.time() > deadline:
                    return
                op = rnd.random()
                if op < 0.35 or not mine:
                    tid = rnd.choice(readable)
                    marker = f"m{uid}x{n}"
                    text = f"{rnd.choice(WORDS)} {rnd.choice(WORDS)} {marker}"
                    with s.lock:
                        s.attempted[marker] = {text}
                    st, body = c.post(f"/api/v1/threads/{tid}/posts", {"body": text})
                    if s.status("post", st, body) == 201:
                        with s.lock:
                            s.posts[body["id"]] = {"thread": tid, "author": uid, "texts": {text}, "last": text,
                                                   "marker": marker}
                        mine.append(body["id"])
                    elif st != 503:
                        s.fail(f"post by {uid} to {tid}: {st} {body}")
                elif op < 0.55:
                    pid = rnd.choice(mine)
                    with s.lock:
                        marker = s.posts[pid]["marker"]
                    text = f"{rnd.choice(WORDS)} edited {marker}"
                    with s.lock:
                        s.attempted[marker].add(text)
                    st, body = c.patch(f"/api/v1/posts/{pid}", {"body": text})
                    if s.status("edit", st, body) == 200:
                        with s.lock:
                            s.posts[pid]["texts"].add(text)
                            s.posts[pid]["last"] = text
                    elif st != 503 and not (st == 403 and pid in s.moderated):  # 403: redacted
                        s.fail(f"edit {pid}: {st} {body}")
                else:
                    word = rnd.choice(WORDS)
                    st, body = c.get("/api/v1/search?q=" + urllib.parse.quote(word))
                    if s.status("search", st, body) == 200:
                        with s.lock:
                            s.searches.append((uid, [word], [(r["thread_id"], r["post_id"]) for r in body["results"]]))
                    elif st != 503:
                        s.fail(f"search {word}: {st} {body}")

        def moderator(seed):
            """The secretariat hides, unhides and redacts random acknowledged posts."""
            rnd = random.Random(seed)
            for n in range(OPS):
                if time.time() > deadline:
                    return
                with s.lock:
                    ids = list(s.posts)
                if not ids:
                    time.sleep(0.05)
                    continue
                pid = rnd.choice(ids)
                with s.lock:
                    s.moderated.add(pid)
                action = rnd.choice(["hide", "unhide", "hide", "unhide", "redact"])
                req = {"reason": "stress", "purge": False} if action == "redact" else {}
                st, body = a.post(f"/api/v1/posts/{pid}/{action}", req)
                if s.status(action, st, body) not in (200, 503):
                    s.fail(f"{action} {pid}: {st} {body}")

        def signer(seed):
            """Signs in, reads /me and signs out again, over and over, as the participants."""
            rnd = random.Random(seed)
            parts = [u for u in users.values() if u["role"] == "participant"]
            for n in range(OPS):
                if time.time() > deadline:
                    return
                u = rnd.choice(parts)
                c = srv.client()
                st, body = c.login(f"{u['client'].handle}@example.jp", fw.PASSWORD)
                if s.status("sign-in", st, body) != 200:
                    s.fail(f"sign-in: {st} {body}")
                    c.close()
                    continue
                st, body = c.get("/api/v1/me")
                if s.status("me", st, body) != 200:
                    s.fail(f"me: {st} {body}")
                s.status("sign-out", *c.delete("/api/v1/session"))
                c.close()

        def searcher(uid, seed):
            """Searches only, with several words (every word is one term to split and fold), so
            that searches overlap on every worker."""
            rnd = random.Random(seed)
            c = srv.client()
            c.login(f"{users[uid]['client'].handle}@example.jp", fw.PASSWORD)
            for n in range(OPS):
                if time.time() > deadline:
                    break
                words = rnd.sample(WORDS, rnd.randint(1, 3))
                st, body = c.get("/api/v1/search?q=" + urllib.parse.quote(" ".join(words)))
                if s.status("search", st, body) == 200:
                    with s.lock:
                        s.searches.append((uid, words, [(r["thread_id"], r["post_id"]) for r in body["results"]]))
                elif st != 503:
                    s.fail(f"search {words}: {st} {body}")
            c.close()

        reloads = []

        def reloader():
            """SIGHUP every two seconds: the certificate and ticket keys reload under load."""
            while time.time() < deadline - 2:
                time.sleep(2)
                srv.proc.send_signal(signal.SIGHUP)
                reloads.append(time.time())

        def guarded(fn):
            """An exception in a client thread (a failed check of the harness) fails the test."""
            def run(*args):
                try:
                    fn(*args)
                except Exception:
                    s.fail(f"{fn.__name__}: {traceback.format_exc()}")
            return run

        # Each writer thread is one user (an http.client connection is not thread-safe).
        threads_ = [threading.Thread(target=guarded(writer), args=(uid, i)) for i, uid in enumerate(writers[:8])]
        threads_ += [threading.Thread(target=guarded(moderator), args=(100,)),
                     threading.Thread(target=guarded(signer), args=(200,)),
                     threading.Thread(target=guarded(reloader))]
        threads_ += [threading.Thread(target=guarded(searcher), args=(uid, 300 + i))
                     for i, uid in enumerate(writers[:3])]
        t0 = time.time()
        for t in threads_:
            t.start()
        for t in threads_:
            t.join(timeout=scaled(SECONDS + 600))
            expect(not t.is_alive(), "a client thread did not finish")
        elapsed = time.time() - t0
        expect(not s.errors, "errors under load:\n" + "\n".join(s.errors[:20]))

        # Every acknowledged post is there, for its author and the secretariat, with its text.
        for pid, p in s.posts.items():
            c = users[p["author"]]["client"]
            st, body = c.get(f"/api/v1/posts/{pid}")
            expect(st == 200, f"acknowledged post {pid} readable by its author: {st} {body}")
            st2, body2 = a.get(f"/api/v1/posts/{pid}")
            expect(st2 == 200, f"acknowledged post {pid} readable by the secretariat: {st2}")
            if pid not in s.moderated:
                expect(body["body"] == p["last"], f"post {pid} has its last text: {body['body']!r} != {p['last']!r}")
        # Every search result matched its own query and was readable by the searcher.
        by_post = {pid: s.attempted[p["marker"]] for pid, p in s.posts.items()}
        nresults = 0
        for uid, words, results in s.searches:
            for tid, pid in results:
                nresults += 1
                expect(tid in threads and can_read(uid, tid),
                       f"search {words!r} by {users[uid]['role']} {uid} returned unreadable thread {tid}")
                texts = by_post.get(pid)
                if texts is None:  # not acknowledged (yet) when the run ended: find it by its id
                    st, body = a.get(f"/api/v1/posts/{pid}/revisions")
                    expect(st == 200, f"revisions of {pid}: {st}")
                    texts = {r["body"] for r in body["revisions"]}
                    st, body = a.get(f"/api/v1/posts/{pid}")
                    texts.add(body.get("body", ""))
                # Terms are ANDed: one text the test wrote holds every word.
                expect(any(all(w.lower() in t.lower() for w in words) for t in texts),
                       f"search {words!r} returned post {pid} whose texts are {texts}")
        # Every event a subscriber received was about a thread they may read.
        nevents = 0
        for uid, r in s.readers:
            for kind, data in list(r.events):
                nevents += 1
                tid = data.get("thread_id")
                if tid is not None and tid in threads:
                    expect(can_read(uid, tid),
                           f"{users[uid]['role']} {uid} got a {kind} event about unreadable thread {tid}")
            r.close()
        expect(s.ops > 0 and s.posts and s.searches, "the load ran")
        print(f"stress: {len(threads_)} client threads, 4 server workers, {len(s.readers)} event streams, "
              f"{s.ops} requests in {elapsed:.1f}s; {len(s.posts)} acknowledged posts, {len(s.searches)} searches "
              f"({nresults} results), {nevents} events, {len(reloads)} SIGHUP reloads, statuses {dict(sorted(s.statuses.items()))}", flush=True)


if __name__ == "__main__":
    run_tests([test_concurrent_load_keeps_every_answer_right])
