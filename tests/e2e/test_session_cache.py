"""Sessions are read from a per-worker cache (session.c) valid only until the next commit by any
connection. These tests hold each session on several keep-alive connections (spread over both
workers), make every one of them serve it from the cache, then end the session in each way the
server knows — a sign-out on another connection, a suspension by the secretariat, a password
change from another session — and check that the very next request on
every connection is refused. A cache that answered from an entry older than its own request's
database snapshot fails here (checked against a build without the snapshot read)."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import forum_world as fw  # noqa: E402
from forum_world import PASSWORD  # noqa: E402
from mamori import Server, expect, run_tests  # noqa: E402

S = None
W = {}
CONNECTIONS = 4


def setup():
    global S
    S = Server(workers=2, config={"track_capacity": "100", "participants_per_company": "20"})
    S.__enter__()
    a = S.admin()
    g = fw.group(a)
    W.update(admin=a, cat=fw.category(a), group=g, company=fw.company(a, g))
    W["thread"] = fw.thread(a, W["cat"], "for everyone", "hello")["id"]


def held(c):
    """CONNECTIONS clients on their own connections with c's session, each served it twice (the
    second from the cache of its worker)."""
    out = []
    for _ in range(CONNECTIONS):
        d = S.client()
        d.cookie, d.csrf = c.cookie, c.csrf
        for _ in range(2):
            st, body = d.get(f"/api/v1/threads/{W['thread']}")
            expect(st == 200, f"view: {st} {body}")
        out.append(d)
    return out


def refused_everywhere(clients, what):
    for d in clients:
        st, body = d.get(f"/api/v1/threads/{W['thread']}")
        expect(st == 401, f"after {what}: {st} {body}")
        d.close()


def test_sign_out_ends_cached_session():
    for _ in range(3):
        c = fw.user(S, W["admin"], "participant", W["company"])
        clients = held(c)
        st, _ = c.delete("/api/v1/session")
        expect(st in (200, 204), f"sign out: {st}")
        refused_everywhere(clients, "sign-out")


def test_suspension_ends_cached_session():
    c = fw.user(S, W["admin"], "participant", W["company"])
    clients = held(c)
    st, body = W["admin"].patch(f"/api/v1/users/{c.uid}", {"status": "suspended"})
    expect(st == 200, f"suspend: {st} {body}")
    refused_everywhere(clients, "suspension")


def test_password_change_ends_other_sessions():
    c = fw.user(S, W["admin"], "participant", W["company"])
    clients = held(c)
    other = S.client()
    st, body = other.login(f"{c.handle}@example.jp", PASSWORD)
    expect(st == 200, f"second sign-in: {st} {body}")
    st, body = other.post("/api/v1/me/password", {"current_password": PASSWORD, "new_password": PASSWORD + "-new"})
    expect(st == 200, f"password change: {st} {body}")
    refused_everywhere(clients, "password change")


if __name__ == "__main__":
    setup()
    try:
        run_tests([test_sign_out_ends_cached_session, test_suspension_ends_cached_session,
                   test_password_change_ends_other_sessions])
    finally:
        S.__exit__(None, None, None)
