"""Retried writes (issue 13, finding 9): an Idempotency-Key on a creating POST makes a retry
return the first answer (same status, body, id) without creating again, for 24 hours; the same
key with a different request is 422 idempotency_key_reused; while the first request is still
being answered the same key is 409 idempotency_key_in_use; bad keys are 400.

The writer's test hook MAMORI_TEST_SETTLE_DELAY_MS (db.c; never set in production) holds each
write batch after its COMMIT, so a request can be cut off, or overtaken, while its write is
being made durable."""
import http.client
import json
import os
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from forum_world import category, company, group, thread, user  # noqa: E402
from mamori import Server, expect, run_tests  # noqa: E402

DELAY_MS = 1200


def post(client, path, body, key):
    return client.post(path, body, headers={"Idempotency-Key": key})


def count_posts(srv, tid):
    con = sqlite3.connect(os.path.join(srv.data, "mamori.db"), timeout=10)
    try:
        return con.execute("SELECT count(*) FROM posts WHERE thread_id = ?", (tid,)).fetchone()[0]
    finally:
        con.close()


def test_retry_returns_the_first_answer():
    with Server(workers=2) as srv:
        admin = srv.admin()
        cat = category(admin)
        req = {"category_id": cat, "title": "一度だけ", "body": "本文", "kind": "discussion", "visibility": "community"}
        st, t1 = post(admin, "/api/v1/threads", req, "thread-1")
        expect(st == 201, f"first: {st} {t1}")
        st, t2 = post(admin, "/api/v1/threads", req, "thread-1")
        expect(st == 201 and t2 == t1, f"retry: {st} {t2} (first {t1})")
        expect(admin.last_headers.get("idempotent-replayed") == "true", "the retry says it is a replay")
        st, lst = admin.get(f"/api/v1/threads?category_id={cat}")
        expect(st == 200, f"list: {st}")
        n = lst.get("total", len(lst.get("threads", [])))
        expect(n == 1, f"one thread, not {n}: {lst}")
        # The same key with another body, or on another route, is refused and creates nothing.
        st, body = post(admin, "/api/v1/threads", dict(req, title="別の"), "thread-1")
        expect(st == 422 and body["error"] == "idempotency_key_reused", f"reused: {st} {body}")
        st, body = post(admin, f"/api/v1/threads/{t1['id']}/posts", {"body": "本文"}, "thread-1")
        expect(st == 422 and body["error"] == "idempotency_key_reused", f"reused on a post: {st} {body}")
        expect(count_posts(srv, t1["id"]) == 1, "nothing created by refused keys")
        # Keys are per user: another user's same key is theirs.
        other = user(srv, admin, "participant", company(admin, group(admin)))
        st, p1 = post(other, f"/api/v1/threads/{t1['id']}/posts", {"body": "私の"}, "thread-1")
        expect(st == 201, f"another user's key: {st} {p1}")
        # Without a key, posts are created every time (unchanged behaviour).
        st, a = admin.post(f"/api/v1/threads/{t1['id']}/posts", {"body": "x"})
        st2, b = admin.post(f"/api/v1/threads/{t1['id']}/posts", {"body": "x"})
        expect(st == st2 == 201 and a["id"] != b["id"], "no key, two posts")
        # Bad keys.
        for bad in ["", "x" * 256, "tab\there", "ключ"]:
            st, body = raw_post(srv, admin, f"/api/v1/threads/{t1['id']}/posts", {"body": "y"}, bad)
            expect(st == 400, f"bad key {bad[:10]!r}: {st} {body}")
        st, ok = post(admin, f"/api/v1/threads/{t1['id']}/posts", {"body": "y"}, "k" * 255)
        expect(st == 201, f"255 characters: {st} {ok}")
        # Raw bodies too (an attachment, answered after its helper-thread work).
        up = f"/api/v1/threads/{t1['id']}/attachments?filename=a.bin"
        h = {"Idempotency-Key": "file-1", "Content-Type": "application/octet-stream"}
        st, f1 = admin.request("POST", up, raw=b"\x00bytes", headers=h)
        st2, f2 = admin.request("POST", up, raw=b"\x00bytes", headers=h)
        expect(st == st2 == 201 and f1 == f2, f"attachment retry: {st} {f1} / {st2} {f2}")
        st, f3 = admin.request("POST", up, raw=b"\x00other", headers=h)
        expect(st == 422 and f3["error"] == "idempotency_key_reused", f"other bytes: {st} {f3}")
        st, lst = admin.get(f"/api/v1/threads/{t1['id']}/attachments")
        expect(st == 200 and len(lst["attachments"]) == 1, f"one attachment: {lst}")


def raw_post(srv, client, path, body, key):
    data = json.dumps(body).encode()
    conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=srv.ssl_context(), timeout=30)
    conn.putrequest("POST", path)
    conn.putheader("Cookie", client.cookie)
    conn.putheader("X-CSRF-Token", client.csrf)
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(len(data)))
    conn.putheader("Idempotency-Key", key.encode("utf-8"))
    conn.endheaders()
    conn.send(data)
    resp = conn.getresponse()
    payload = resp.read()
    conn.close()
    return resp.status, json.loads(payload) if payload else None


def test_lost_answer_then_retry_and_concurrent_use():
    with Server(workers=2, env={"MAMORI_TEST_SETTLE_DELAY_MS": str(DELAY_MS)}) as srv:
        admin = srv.admin()
        t = thread(admin, category(admin), "再送", "start")
        path = f"/api/v1/threads/{t['id']}/posts"
        before = count_posts(srv, t["id"])
        # The client sends a post and loses the connection before the answer (its write is
        # being made durable meanwhile).
        conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=srv.ssl_context(), timeout=30)
        # (escaped, unlike the retries: the same JSON is the same request)
        data = json.dumps({"body": "届いたかな"}).encode()
        conn.request("POST", path, body=data, headers={"Cookie": admin.cookie, "X-CSRF-Token": admin.csrf,
                                                       "Content-Type": "application/json",
                                                       "Idempotency-Key": "lost-1"})
        # Its batch has committed and is held by the settle delay:
        end = time.time() + 30
        while time.time() < end and count_posts(srv, t["id"]) == before:
            time.sleep(0.01)
        expect(count_posts(srv, t["id"]) == before + 1, "the first request's post was not stored")
        # while it is being answered, the same key is in use.
        st, body = post(admin, path, {"body": "届いたかな"}, "lost-1")
        expect(st == 409 and body["error"] == "idempotency_key_in_use", f"concurrent: {st} {body}")
        conn.sock.shutdown(2)
        conn.close()
        # The retry (once the first is durable) gets the same post, created once.
        deadline = time.time() + DELAY_MS / 1000 * 5
        while True:
            st, p = post(admin, path, {"body": "届いたかな"}, "lost-1")
            if st != 409 or time.time() > deadline:
                break
            time.sleep(0.2)
        expect(st == 201, f"retry: {st} {p}")
        st, again = post(admin, path, {"body": "届いたかな"}, "lost-1")
        expect(st == 201 and again == p, f"second retry: {st} {again} vs {p}")
        expect(count_posts(srv, t["id"]) == before + 1, f"created once: {count_posts(srv, t['id']) - before}")


def test_keys_expire_after_a_day():
    with Server(workers=1) as srv:
        admin = srv.admin()
        t = thread(admin, category(admin), "期限", "start")
        path = f"/api/v1/threads/{t['id']}/posts"
        st, p1 = post(admin, path, {"body": "一"}, "day-1")
        expect(st == 201, f"first: {st}")
        con = sqlite3.connect(os.path.join(srv.data, "mamori.db"), timeout=10)
        n = con.execute("SELECT count(*) FROM idempotency_keys").fetchone()[0]
        expect(n == 1, f"the key is stored: {n}")
        con.execute("UPDATE idempotency_keys SET created_at = created_at - 86401")
        con.commit()
        st, p2 = post(admin, path, {"body": "一"}, "day-1")
        expect(st == 201 and p2["id"] != p1["id"], f"an expired key creates anew: {st} {p2} {p1}")
        con.execute("UPDATE idempotency_keys SET created_at = created_at - 86401")
        con.commit()
        deadline = time.time() + 30
        while time.time() < deadline and con.execute("SELECT count(*) FROM idempotency_keys").fetchone()[0]:
            time.sleep(0.5)
        left = con.execute("SELECT count(*) FROM idempotency_keys").fetchone()[0]
        con.close()
        expect(left == 0, f"expired keys are cleaned up: {left} left")


def data_files_with(srv, needle):
    """The files under the data directory whose bytes contain needle (WAL and shm included)."""
    found = []
    for root, _, names in os.walk(srv.data):
        for name in names:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as f:
                    if needle in f.read():
                        found.append(path)
            except OSError:
                pass
    return found


def test_stored_answers_keep_no_secret():
    """An answer can carry a secret (an invitation token): the replay gives it back to the
    client that holds the key, but neither the key nor the answer is readable from the
    database files."""
    with Server(workers=1) as srv:
        admin = srv.admin()
        cid = company(admin, group(admin))
        key = f"invite-{os.getpid()}-c4f1b2"
        req = {"email": "secret-holder@example.jp", "name": "秘密 保持", "role": "participant", "company_id": cid}
        st, first = post(admin, "/api/v1/users", req, key)
        expect(st == 201 and first.get("invite_token"), f"first: {st} {first}")
        st, again = post(admin, "/api/v1/users", req, key)
        expect(st == 201 and again == first, f"the replay is the first answer: {st} {again}")
        token = first["invite_token"].encode()
        expect(not data_files_with(srv, token), f"the invitation token is stored in the clear: {data_files_with(srv, token)}")
        expect(not data_files_with(srv, key.encode()), f"the key is stored in the clear: {data_files_with(srv, key.encode())}")
        # A changed stored answer is not replayed (sealed, authenticated).
        con = sqlite3.connect(os.path.join(srv.data, "mamori.db"), timeout=10)
        con.execute("UPDATE idempotency_keys SET response = zeroblob(length(response))")
        con.commit()
        con.close()
        st, body = post(admin, "/api/v1/users", req, key)
        expect(st >= 500 and not body.get("invite_token"), f"a changed answer is not replayed: {st} {body}")


if __name__ == "__main__":
    run_tests([test_retry_returns_the_first_answer, test_lost_answer_then_retry_and_concurrent_use,
               test_keys_expire_after_a_day, test_stored_answers_keep_no_secret])
