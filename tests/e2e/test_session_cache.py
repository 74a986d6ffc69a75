"""Sessions are read from a per-worker cache (session.c) stamped with the session epoch
(schema/023), which moves with every write to what a session resolves to: its row, its user's,
its company's. These tests hold each session on several keep-alive connections (spread over both
workers), make every one of them serve it from the cache, keep it in use past commits of other
things (a post, another user's sign-in and read mark), then end or change it in each way the
server knows — a sign-out on another connection, a suspension by the secretariat, a password
change from another session, the company withdrawn, the company moved to another group — and
check that the very next request on every connection sees it. A cache that answered from an
entry older than what its request reads fails here (checked against builds without the
sessions delete trigger: sign-out; and without the companies update trigger: withdrawal and
group move)."""
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
    W["other"] = fw.user(S, a, "participant", W["company"])


def unrelated():
    """Commits of things a session does not read: another user's post (with its read mark and
    follow), sign-in (a new session) and view."""
    o = W["other"]
    st, body = o.post(f"/api/v1/threads/{W['thread']}/posts", {"body": "something else"})
    expect(st == 201, f"unrelated post: {st} {body}")
    c = S.client()
    st, _ = c.login(f"{o.handle}@example.jp", PASSWORD)
    expect(st == 200, f"unrelated sign-in: {st}")
    c.close()
    st, _ = o.get(f"/api/v1/threads/{W['thread']}")
    expect(st == 200, f"unrelated view: {st}")


def held(c, path=None):
    """CONNECTIONS clients on their own connections with c's session, each served it twice (the
    second from the cache of its worker), then once more after unrelated commits (from the cache
    still: they do not move the session epoch)."""
    path = path or f"/api/v1/threads/{W['thread']}"
    out = []
    for _ in range(CONNECTIONS):
        d = S.client()
        d.cookie, d.csrf = c.cookie, c.csrf
        for _ in range(2):
            st, body = d.get(path)
            expect(st == 200, f"view: {st} {body}")
        out.append(d)
    unrelated()
    for d in out:
        st, body = d.get(path)
        expect(st == 200, f"view after unrelated commits: {st} {body}")
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


def test_company_withdrawn_seen_at_once():
    company = fw.company(W["admin"], W["group"])
    c = fw.user(S, W["admin"], "participant", company)
    clients = held(c)
    st, body = W["admin"].patch(f"/api/v1/companies/{company}", {"status": "withdrawn"})
    expect(st == 200, f"withdraw: {st} {body}")
    for d in clients:
        st, body = d.get(f"/api/v1/threads/{W['thread']}")
        expect(st == 403 and body.get("error") == "company_inactive", f"after withdrawal: {st} {body}")
        d.close()


def test_group_move_seen_at_once():
    """The principal carries its company's group, which the visibility rule reads: a company
    moved out of a group stops reading the group's threads on the very next request."""
    g1, g2 = fw.group(W["admin"]), fw.group(W["admin"])
    company = fw.company(W["admin"], g1)
    c = fw.user(S, W["admin"], "participant", company)
    t = fw.thread(W["admin"], W["cat"], "for one group", "hello group", visibility="group", group_id=g1)["id"]
    clients = held(c, f"/api/v1/threads/{t}")
    st, body = W["admin"].patch(f"/api/v1/companies/{company}", {"group_id": g2})
    expect(st == 200, f"move: {st} {body}")
    for d in clients:
        st, body = d.get(f"/api/v1/threads/{t}")
        expect(st == 404, f"after the move: {st} {body}")
        d.close()


if __name__ == "__main__":
    setup()
    try:
        run_tests([test_sign_out_ends_cached_session, test_suspension_ends_cached_session,
                   test_password_change_ends_other_sessions, test_company_withdrawn_seen_at_once,
                   test_group_move_seen_at_once])
    finally:
        S.__exit__(None, None, None)
