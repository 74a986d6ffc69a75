"""One blank rule (docs/DECISIONS.md, "Blank input"): every field that refuses blank input refuses
text made only of white space as Unicode defines it — the full-width space U+3000 a Japanese
keyboard types, U+00A0, U+2000-U+200A, line breaks, tabs — plus the invisible U+200B, U+2060 and
U+FEFF; the answer is 422 `invalid` and nothing is stored. A field with any visible character
is accepted."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import forum_world as fw  # noqa: E402
from mamori import Server, expect, run_tests  # noqa: E402

S = None
W = {}
BLANKS = ["\u3000", " \u3000\t", "\u00a0", "\u2003\u200a", "\u3000\n\u3000", "\ufeff", "\u200b\u3000"]


def setup():
    global S
    S = Server(workers=1)
    S.__enter__()
    a = S.admin()
    W.update(admin=a, cat=fw.category(a), group=fw.group(a))
    W["company"] = fw.company(a, W["group"])


def refused(st, body, what):
    expect(st == 422 and body.get("error") == "invalid", f"{what}: {st} {body}")


def test_thread_title_and_body():
    a = W["admin"]
    st, before = a.get("/api/v1/threads")
    for b in BLANKS:
        st, body = a.post("/api/v1/threads", {"category_id": W["cat"], "title": b, "body": "本文",
                                              "kind": "discussion", "visibility": "community"})
        refused(st, body, f"title {b!r}")
        st, body = a.post("/api/v1/threads", {"category_id": W["cat"], "title": "題名", "body": b,
                                              "kind": "discussion", "visibility": "community"})
        refused(st, body, f"body {b!r}")
    st, after = a.get("/api/v1/threads")
    expect(after["total"] == before["total"], (before["total"], after["total"]))
    # a visible character among the spaces is a title
    t = fw.thread(a, W["cat"], "\u3000題\u3000", "\u3000本文")
    W["thread"] = t


def test_reply_and_edit():
    a = W["admin"]
    tid = W["thread"]["id"]
    for b in BLANKS:
        st, body = a.post(f"/api/v1/threads/{tid}/posts", {"body": b})
        refused(st, body, f"reply {b!r}")
    st, body = a.post(f"/api/v1/threads/{tid}/posts", {"body": "返信"})
    expect(st == 201, (st, body))
    pid = body["id"]
    for b in BLANKS:
        st, res = a.patch(f"/api/v1/posts/{pid}", {"body": b})
        refused(st, res, f"edit {b!r}")
    st, post = a.get(f"/api/v1/posts/{pid}")
    expect(st == 200 and post["body"] == "返信", (st, post))


def test_names():
    a = W["admin"]
    for b in BLANKS:
        st, body = a.post("/api/v1/groups", {"name": b})
        refused(st, body, f"group {b!r}")
        st, body = a.post("/api/v1/companies", {"name": b, "industry": "E", "sme_class": "manufacturing_other",
                                                "capital_yen": 10_000_000, "employees": 20})
        refused(st, body, f"company {b!r}")
        st, body = a.patch(f"/api/v1/companies/{W['company']}", {"name": b})
        refused(st, body, f"company rename {b!r}")
        st, body = a.post("/api/v1/users", {"email": fw.uniq("blank") + "@example.jp", "name": b,
                                            "role": "expert", "specialties": ["network"]})
        refused(st, body, f"user {b!r}")


def test_reasons():
    a = W["admin"]
    pid = W["thread"]["first_post_id"]
    for b in BLANKS:
        st, res = a.post(f"/api/v1/posts/{pid}/flags", {"reason": b})
        refused(st, res, f"flag reason {b!r}")
        st, res = a.post("/api/v1/categories", {"slug": fw.uniq("cat"), "name": b})
        refused(st, res, f"category name {b!r}")


if __name__ == "__main__":
    setup()
    try:
        run_tests([test_thread_title_and_body, test_reply_and_edit, test_names, test_reasons])
    finally:
        S.__exit__(None, None, None)
