"""The thread view (GET /api/v1/threads/{id}, docs/API.md §5) is served from a per-worker cache of its
reply, keyed by thread, page and reader class (the secretariat sees hidden text, others do not),
valid until the next commit, and past it while the thread view's epoch (schema/022) has not moved:
a commit of something else (a sign-in, a read mark, a follow) leaves the cached reply in use, so
every change to what the reply shows must move that epoch. These tests run one worker and one
keep-alive connection per user, so every view after the first meets the cache, and check what a
cache must never do: answer a reader the access rule refuses (another company's or group's thread, a thread whose visibility
just changed), show one reader's own members (`unread`, `following`) to another, show hidden
text to a participant, or serve a page or a thread's state that is out of date."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import forum_world as fw  # noqa: E402
from mamori import Server, expect, run_tests  # noqa: E402

S = None
W = {}


def setup():
    global S
    S = Server(workers=1, config={"track_capacity": "100", "participants_per_company": "20"})
    S.__enter__()
    a = S.admin()
    g1, g2 = fw.group(a), fw.group(a)
    c1, c2, c3 = fw.company(a, g1), fw.company(a, g1), fw.company(a, g2)
    W.update(admin=a, cat=fw.category(a), c1=c1, c2=c2, c3=c3)
    W["p1"] = fw.user(S, a, "participant", c1)
    W["p1b"] = fw.user(S, a, "participant", c1)
    W["p2"] = fw.user(S, a, "participant", c2)
    W["p3"] = fw.user(S, a, "participant", c3)


def view(name, tid, page=None):
    path = f"/api/v1/threads/{tid}" + (f"?page={page}" if page else "")
    return W[name].get(path)


def test_company_thread_not_served_to_other_companies():
    t = fw.thread(W["p1"], W["cat"], "company only", "secret of company 1", visibility="company")
    for _ in range(2):  # the second view of each reader meets the cache
        st, body = view("p1b", t["id"])
        expect(st == 200 and body["posts"][0]["body"] == "secret of company 1", f"p1b: {st} {body}")
        for other in ("p2", "p3"):
            st, body = view(other, t["id"])
            expect(st == 404, f"{other} read company 1's thread: {st} {body}")


def test_group_thread_not_served_to_other_groups():
    t = fw.thread(W["p1"], W["cat"], "group only", "for group 1", visibility="group")
    for _ in range(2):
        st, body = view("p2", t["id"])
        expect(st == 200 and body["thread"]["id"] == t["id"], f"p2 (same group): {st} {body}")
        st, body = view("p3", t["id"])
        expect(st == 404, f"p3 (other group) read group 1's thread: {st} {body}")


def test_visibility_change_applies_at_once():
    t = fw.thread(W["p1"], W["cat"], "open at first", "hello all")
    for name in ("p3", "p3"):
        st, _ = view(name, t["id"])
        expect(st == 200, f"{name} before the change: {st}")
    st, body = W["admin"].patch(f"/api/v1/threads/{t['id']}", {"visibility": "company"})
    expect(st == 200, f"patch: {st} {body}")
    st, body = view("p3", t["id"])
    expect(st == 404, f"p3 still reads a thread now restricted to company 1: {st} {body}")
    st, body = view("p1b", t["id"])
    expect(st == 200 and body["thread"]["visibility"] == "company", f"p1b: {st} {body}")


def test_own_members_per_reader():
    t = fw.thread(W["p1"], W["cat"], "who follows", "first")
    st, body = view("p2", t["id"])  # stores the cached reply
    expect(st == 200 and body["thread"]["following"] is False, f"p2 follows? {body['thread']}")
    st, body = view("p1", t["id"])  # the author follows
    expect(st == 200 and body["thread"]["following"] is True, f"p1 does not follow? {body['thread']}")
    st, body = view("p2", t["id"])
    expect(body["thread"]["following"] is False, f"p2 got p1's following: {body['thread']}")
    st, _ = W["p2"].post(f"/api/v1/threads/{t['id']}/follow")
    expect(st == 204, f"follow: {st}")
    st, body = view("p2", t["id"])
    expect(body["thread"]["following"] is True, f"p2's follow not shown: {body['thread']}")
    # unread: a reply makes the thread unread for p2 in the list; the view marks it read.
    st, _ = W["p1"].post(f"/api/v1/threads/{t['id']}/posts", {"body": "second"})
    expect(st == 201, f"reply: {st}")
    st, body = W["p2"].get(f"/api/v1/threads?category_id={W['cat']}&per_page=100")
    mine = [x for x in body["threads"] if x["id"] == t["id"]]
    expect(mine and mine[0]["unread"] == 1, f"list unread before the view: {mine}")
    st, body = view("p2", t["id"])
    expect(st == 200 and body["thread"]["unread"] == 0 and len(body["posts"]) == 2, f"view: {body['thread']}")
    expect(body["thread"]["post_count"] == 2, f"stale post_count: {body['thread']}")
    st, body = W["p2"].get(f"/api/v1/threads?category_id={W['cat']}&per_page=100")
    mine = [x for x in body["threads"] if x["id"] == t["id"]]
    expect(mine and mine[0]["unread"] == 0, f"list unread after the view: {mine}")


def test_hidden_text_by_class():
    t = fw.thread(W["p1"], W["cat"], "to hide", "visible first")
    st, body = W["p1"].post(f"/api/v1/threads/{t['id']}/posts", {"body": "rude words"})
    expect(st == 201, f"reply: {st} {body}")
    pid = body["id"]
    st, _ = W["admin"].post(f"/api/v1/posts/{pid}/hide")
    expect(st == 200, f"hide: {st}")
    for _ in range(2):
        for name, text in (("admin", "rude words"), ("p2", ""), ("admin", "rude words"), ("p3", "")):
            st, body = view(name, t["id"])
            post = [p for p in body["posts"] if p["id"] == pid][0]
            expect(st == 200 and post["hidden"] is True and post["body"] == text,
                   f"{name} sees {post['body']!r}, not {text!r}")


def test_pages_and_head():
    t = fw.thread(W["p1"], W["cat"], "paged", "post 1")
    st, body = view("p2", t["id"], page=2)
    expect(st == 200 and body["page"] == 2 and body["posts"] == [], f"page 2: {body}")
    st, body = view("p2", t["id"])
    expect(st == 200 and body["page"] == 1 and len(body["posts"]) == 1, f"page 1: {body}")
    st, body = view("p2", t["id"], page=2)
    expect(st == 200 and body["page"] == 2 and body["posts"] == [], f"page 2 again: {body}")
    st, body = W["p2"].request("HEAD", f"/api/v1/threads/{t['id']}")
    expect(st == 200 and body == b"", f"HEAD: {st} {body!r}")
    st, body = view("p2", t["id"])
    keys = list(body["thread"].keys())
    expect(keys[-2:] == ["unread", "following"] and list(body.keys()) == ["thread", "posts", "page"],
           f"member order: {keys} {list(body.keys())}")
    st, _ = W["p2"].get("/api/v1/threads/99999999")
    expect(st == 404, f"missing thread: {st}")
    # A page whose offset would overflow is refused, not computed (UBSan would stop the server).
    for path in (f"/api/v1/threads/{t['id']}?page=999999999999999999", "/api/v1/threads?page=92233720368547758",
                 "/api/v1/search?q=abc&page=999999999999999999"):
        st, body = W["p2"].get(path)
        expect(st == 400 and body["error"] == "bad_request", f"{path}: {st} {body}")
    st, body = view("p2", t["id"], page=1000000)
    expect(st == 200 and body["posts"] == [], f"the largest page: {st}")


def test_every_change_shows_past_commits_of_others():
    """Each change to what the cached part of the reply shows (a post's text, its author's name,
    hidden and redacted, a question's state, a thread's flags, a new reply; tags have no API to
    change them, unit/test_cache covers their triggers), made after the reader's view was cached
    and after unrelated commits kept it in use, is in the reader's next view."""
    t = fw.thread(W["p1"], W["cat"], "changes", "first text", kind="question", tags=["before"])
    tid = t["id"]

    def seen(name="p2"):
        for _ in range(2):  # the second meets the cache
            st, body = view(name, tid)
            expect(st == 200, f"{name} view: {st} {body}")
        return body

    def unrelated():
        # commits that do not touch the reply: a sign-in, a follow, another reader's read mark
        c = S.client()
        st, _ = c.login(f"{W['p3'].handle}@example.jp", fw.PASSWORD)
        expect(st == 200, f"sign-in: {st}")
        W["p3"].post(f"/api/v1/threads/{tid}/follow")
        view("p1b", tid)

    first = seen()["posts"][0]
    unrelated()
    expect(seen()["posts"][0]["body"] == "first text", "a commit of something else changed the reply")
    steps = [
        ("edit", lambda: W["p1"].patch(f"/api/v1/posts/{first['id']}", {"body": "second text"}),
         lambda b: b["posts"][0]["body"] == "second text" and b["posts"][0]["edited_at"] is not None),
        ("rename", lambda: W["admin"].patch(f"/api/v1/users/{W['p1'].uid}", {"name": "renamed author"}),
         lambda b: b["posts"][0]["author"]["name"] == "renamed author"
         and b["thread"]["author"]["name"] == "renamed author"),
        ("hide", lambda: W["admin"].post(f"/api/v1/posts/{first['id']}/hide"),
         lambda b: b["posts"][0]["hidden"] is True and b["posts"][0]["body"] == ""),
        ("unhide", lambda: W["admin"].post(f"/api/v1/posts/{first['id']}/unhide"),
         lambda b: b["posts"][0]["hidden"] is False and b["posts"][0]["body"] == "second text"),
        ("reply", lambda: W["p2"].post(f"/api/v1/threads/{tid}/posts", {"body": "an answer"}),
         lambda b: len(b["posts"]) == 2 and b["thread"]["post_count"] == 2),
        ("accept", lambda: W["p1"].post(f"/api/v1/threads/{tid}/accept", {"post_id": seen("p1")["posts"][1]["id"]}),
         lambda b: b["thread"]["status"] == "resolved" and b["thread"]["accepted_post_id"] == b["posts"][1]["id"]),
        ("pin", lambda: W["admin"].patch(f"/api/v1/threads/{tid}", {"pinned": True, "locked": True}),
         lambda b: b["thread"]["pinned"] is True and b["thread"]["locked"] is True),
        ("redact", lambda: W["admin"].post(f"/api/v1/posts/{first['id']}/redact", {"reason": "test", "purge": False}),
         lambda b: b["posts"][0]["redacted"] is True and "second text" not in b["posts"][0]["body"]),
    ]
    for name, change, shows in steps:
        seen()
        unrelated()
        seen()
        st, body = change()
        expect(st in (200, 201, 204), f"{name}: {st} {body}")
        unrelated()
        body = seen()
        expect(shows(body), f"{name} is not in the cached view: {body}")


if __name__ == "__main__":
    setup()
    try:
        run_tests([test_company_thread_not_served_to_other_companies, test_group_thread_not_served_to_other_groups,
                   test_visibility_change_applies_at_once, test_own_members_per_reader, test_hidden_text_by_class,
                   test_pages_and_head, test_every_change_shows_past_commits_of_others])
    finally:
        S.__exit__(None, None, None)
