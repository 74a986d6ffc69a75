"""The forum end to end (docs/API.md §5): categories, threads, posts, revisions, Markdown safety, limits,
search (Japanese, width folding, hostile syntax, confidentiality), attachments, notifications,
follows and the event stream, against the real binary over TLS."""
import os
import re
import signal
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import forum_world as fw  # noqa: E402
from mamori import Server, expect, run_tests  # noqa: E402

S = None   # the server
W = {}     # the world: admin, clients, ids


def setup():
    global S
    # evhttp's own body ceiling is max_attachment_bytes + 4 KiB, so keep it above a post's limit
    # moderation allows 10 posts a minute per user: each test signs in its own users
    S = Server(config={"max_attachment_bytes": "100000", "track_capacity": "100", "participants_per_company": "20"})
    S.__enter__()
    a = S.admin()
    g1, g2 = fw.group(a), fw.group(a)
    c1, c2, c3 = fw.company(a, g1), fw.company(a, g1), fw.company(a, g2)
    W.update(admin=a, g1=g1, g2=g2, c1=c1, c2=c2, c3=c3, cat=fw.category(a), cat2=fw.category(a))
    fresh()


def fresh():
    """New users for one test: p1 (company c1, group g1), p2 (c2, g1), p3 (c3, g2), ex (expert)."""
    a = W["admin"]
    W.update(p1=fw.user(S, a, "participant", W["c1"]), p2=fw.user(S, a, "participant", W["c2"]),
             p3=fw.user(S, a, "participant", W["c3"]), ex=fw.user(S, a, "expert"))


def q(s):
    return urllib.parse.quote(s)


def test_categories():
    a, p1 = W["admin"], W["p1"]
    st, body = p1.get("/api/v1/categories")
    expect(st == 200 and any(c["id"] == W["cat"] for c in body["categories"]), body)
    st, body = p1.post("/api/v1/categories", {"slug": "nope", "name": "x"})
    expect(st == 403 and body["error"] == "forbidden", (st, body))
    st, body = a.post("/api/v1/categories", {"slug": "dup-slug", "name": "x"})
    expect(st == 201, body)
    st, body = a.post("/api/v1/categories", {"slug": "dup-slug", "name": "x"})
    expect(st == 409, (st, body))
    st, body = a.post("/api/v1/categories", {"slug": "Bad Slug", "name": "x"})
    expect(st == 422 and body["error"] == "invalid", (st, body))


def test_thread_create_rules():
    a, p1, ex, cat = W["admin"], W["p1"], W["ex"], W["cat"]
    base = {"category_id": cat, "title": "t", "body": "b", "kind": "discussion", "visibility": "community"}
    cases = [
        (p1, {"kind": "announcement"}, 403, "forbidden"),
        (p1, {"visibility": "staff"}, 403, "forbidden"),
        (p1, {"title": "   "}, 422, "invalid"),
        (p1, {"body": ""}, 422, "invalid"),
        (p1, {"body": "\n \t"}, 422, "invalid"),
        (p1, {"body": "x" * 65537}, 413, "too_large"),
        (p1, {"visibility": "secret"}, 422, "invalid"),
        (p1, {"category_id": 999999}, 422, "invalid"),
        (p1, {"company_id": W["c2"], "visibility": "company"}, 422, "invalid"),
        (ex, {"visibility": "company"}, 422, "invalid"),
        (ex, {"visibility": "group"}, 422, "invalid"),
        (a, {"visibility": "company"}, 422, "invalid"),
    ]
    for who, over, want, code in cases:
        st, body = who.post("/api/v1/threads", {**base, **over})
        expect(st == want and body.get("error") == code, f"{over}: {st} {body}")
    st, body = p1.post("/api/v1/threads", {**base, "body": "x" * 65536})
    expect(st == 201, f"exactly 65,536 bytes is allowed: {st}")
    st, body = a.post("/api/v1/threads", {**base, "kind": "announcement"})
    expect(st == 201 and body["kind"] == "announcement", body)
    st, body = a.post("/api/v1/threads", {**base, "visibility": "company", "company_id": W["c2"]})
    expect(st == 201 and body["company_id"] == W["c2"] and body["group_id"] == W["g1"], body)
    st, body = ex.post("/api/v1/threads", {**base, "visibility": "staff"})
    expect(st == 201 and body["visibility"] == "staff", body)
    st, body = p1.post("/api/v1/threads", {**base, "kind": "question", "tags": ["ＶＰＮ", "vpn", "ルーター"]})
    expect(st == 201 and body["status"] == "open", body)
    expect(sorted(body["tags"]) == sorted(["vpn", "ルーター"]), f"tags folded and de-duplicated: {body['tags']}")
    expect(body["company_id"] == W["c1"] and body["group_id"] == W["g1"], "company and group are the author's")
    st, body = p1.post("/api/v1/threads", {**base, "tags": "x"})
    expect(st == 422, body)
    no_kind = {k: v for k, v in base.items() if k != "kind"}
    st, body = ex.post("/api/v1/threads", no_kind)
    expect(st == 201 and body["kind"] == "discussion" and body["status"] is None, f"kind defaults: {st} {body}")
    st, body = ex.post("/api/v1/threads", {**base, "category_id": str(cat)})
    expect(st == 422 and body.get("error") == "invalid", f"category_id must be an integer: {st} {body}")


def test_list_filters_pinned_unread():
    fresh()
    a, p1, p2, cat2 = W["admin"], W["p1"], W["p2"], W["cat2"]
    t1 = fw.thread(p1, cat2, "一つ目", "body", "group")
    t2 = fw.thread(p1, cat2, "二つ目", "body", "group", kind="question")
    t3 = fw.thread(p2, cat2, "三つ目", "body", "community", tags=["backup"])
    st, body = p2.get(f"/api/v1/threads?category_id={cat2}")
    expect(st == 200 and body["total"] == 3 and len(body["threads"]) == 3, body)
    expect([t["id"] for t in body["threads"]] == [t3["id"], t2["id"], t1["id"]], "newest first")
    st, body = a.patch(f"/api/v1/threads/{t1['id']}", {"pinned": True})
    expect(st == 200 and body["pinned"], body)
    st, body = p2.get(f"/api/v1/threads?category_id={cat2}")
    expect(body["threads"][0]["id"] == t1["id"], "pinned first")
    st, body = p2.get(f"/api/v1/threads?category_id={cat2}&kind=question&status=open")
    expect(body["total"] == 1 and body["threads"][0]["id"] == t2["id"], body)
    st, body = p2.get(f"/api/v1/threads?category_id={cat2}&tag=BACKUP")
    expect(body["total"] == 1 and body["threads"][0]["id"] == t3["id"], body)
    st, body = p2.get("/api/v1/threads?kind=nonsense")
    expect(st == 422, body)
    st, body = p2.get(f"/api/v1/threads?category_id={cat2}&per_page=2&page=2")
    expect(st == 200 and body["total"] == 3 and len(body["threads"]) == 1, body)
    # p3 is in another group: sees only the community thread, and the total agrees
    st, body = W["p3"].get(f"/api/v1/threads?category_id={cat2}")
    expect(body["total"] == 1 and [t["id"] for t in body["threads"]] == [t3["id"]], body)
    # unread: p2 has not opened t1; after a reply by p1 there are 2 unread; opening clears it
    p1.post(f"/api/v1/threads/{t1['id']}/posts", {"body": "more"})
    st, body = p2.get(f"/api/v1/threads?category_id={cat2}")
    unread = {t["id"]: t["unread"] for t in body["threads"]}
    expect(unread[t1["id"]] == 2, unread)
    p2.get(f"/api/v1/threads/{t1['id']}")
    st, body = p2.get(f"/api/v1/threads?category_id={cat2}")
    expect({t["id"]: t["unread"] for t in body["threads"]}[t1["id"]] == 0, body)
    st, body = p1.get(f"/api/v1/threads?category_id={cat2}")
    expect({t["id"]: t["unread"] for t in body["threads"]}[t1["id"]] == 0, "own posts are read")


def test_posts_edit_revisions_lock():
    fresh()
    a, p1, p2, p3 = W["admin"], W["p1"], W["p2"], W["p3"]
    t = fw.thread(p1, W["cat"], "編集テスト", "first text", "group")
    st, post = p2.post(f"/api/v1/threads/{t['id']}/posts", {"body": "reply by p2"})
    expect(st == 201 and post["author"]["id"] == p2.uid, post)
    st, body = p3.post(f"/api/v1/threads/{t['id']}/posts", {"body": "p3 is in another group"})
    expect(st == 404, (st, body))
    st, body = p1.patch(f"/api/v1/posts/{post['id']}", {"body": "not mine"})
    expect(st == 403 and body["error"] == "forbidden", body)
    st, body = p3.patch(f"/api/v1/posts/{post['id']}", {"body": "cannot even see it"})
    expect(st == 404, body)
    st, body = p2.patch(f"/api/v1/posts/{post['id']}", {"body": "edited *once*"})
    expect(st == 200 and body["body"] == "edited *once*" and body["edited_at"], body)
    expect("<em>once</em>" in body["html"], body["html"])
    st, body = a.patch(f"/api/v1/posts/{post['id']}", {"body": "edited twice by the secretariat"})
    expect(st == 200, body)
    st, body = p1.get(f"/api/v1/posts/{post['id']}/revisions")
    expect(st == 200 and [r["body"] for r in body["revisions"]] == ["reply by p2", "edited *once*"], body)
    st, body = p3.get(f"/api/v1/posts/{post['id']}/revisions")
    expect(st == 404, body)
    st, body = p2.patch(f"/api/v1/posts/{post['id']}", {"body": ""})
    expect(st == 422, body)
    st, body = a.patch(f"/api/v1/threads/{t['id']}", {"locked": True})
    expect(st == 200 and body["locked"], body)
    st, body = p2.post(f"/api/v1/threads/{t['id']}/posts", {"body": "too late"})
    expect(st == 403 and body["error"] == "locked", body)
    st, body = p2.post(f"/api/v1/threads/{t['id']}/posts", {"body": ""})
    expect(st in (403, 422), body)
    st, body = p2.patch(f"/api/v1/posts/{post['id']}", {"body": "edit in a locked thread"})
    expect(st == 403 and body["error"] == "locked", body)
    st, body = p1.post("/api/v1/threads/999999/posts", {"body": "x"})
    expect(st == 404, body)


def test_post_201_is_the_post_as_read():
    """The 201 of a new post is built from what was written, not read back (post.c): it must be
    exactly what GET /posts/{id} then answers, for every role, field for field."""
    fresh()
    a, p1, p2, ex = W["admin"], W["p1"], W["p2"], W["ex"]
    t = fw.thread(p1, W["cat"], "返信の形", "最初の投稿", "community")
    body = "**資産台帳**の更新：ＵＳＢ　メモリ <b>x</b>\n\n- 項目 1\n- `code`\n\n@nobody さん & <script>"
    for who, role in ((p1, "participant"), (p2, "participant"), (ex, "expert"), (a, "secretariat")):
        st, me = who.get("/api/v1/me")
        expect(st == 200, me)
        me = me["user"]
        st, post = who.post(f"/api/v1/threads/{t['id']}/posts", {"body": body})
        expect(st == 201, (st, post))
        st, read = who.get(f"/api/v1/posts/{post['id']}")
        expect(st == 200 and read == post, (post, read))
        expect(post["author"] == {"id": me["id"], "name": me["name"], "role": role}, (post, me))
        expect(post["body"] == body and post["edited_at"] is None and post["hidden"] is False, post)


def html_tags(html):
    from html.parser import HTMLParser
    found = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))
    P().feed(html)
    return found


def test_markdown_safety():
    fresh()
    p1 = W["p1"]
    hostile = ("<script>alert(1)</script>\n\n[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1))\n\n"
               "<img src=x onerror=alert(1)>\n\n![i](javascript:alert(1))\n\n[c](data:text/html,<script>x</script>)\n\n"
               "<a href=\"javascript:alert(1)\" onclick=\"x()\">z</a> [ok](https://example.jp/?a=1&b=2)")
    t = fw.thread(p1, W["cat"], "markdown", hostile)
    st, body = p1.get(f"/api/v1/threads/{t['id']}")
    html = body["posts"][0]["html"]
    expect(body["posts"][0]["body"] == hostile, "the source is kept as written")
    tags = html_tags(html)
    expect(all(t in ("p", "a", "em", "strong", "code", "pre") for t, _ in tags), f"only safe tags: {tags}")
    for t, attrs in tags:
        for k, v in attrs:
            expect(not k.startswith("on"), f"event handler: {html}")
            expect(k != "href" or re.match(r"^(https?:|mailto:)", v or ""), f"unsafe href: {html}")
    expect('href="https://example.jp/?a=1&amp;b=2"' in html, html)
    st, body = p1.post("/api/v1/markdown/preview", {"body": hostile})
    expect(st == 200 and body["html"] == html, "preview renders exactly as stored")
    st, body = p1.post("/api/v1/markdown/preview", {"body": "x" * 65537})
    expect(st == 413 and body["error"] == "too_large", body)


def test_search():
    fresh()
    p1, p2, p3, ex, a = W["p1"], W["p2"], W["p3"], W["ex"], W["admin"]
    t = fw.thread(p2, W["cat"], "ネットワーク機器の更新", "UTM の導入と脆弱性対策を検討しています。", "community")
    secret = fw.thread(p1, W["cat"], "社外秘 zxqvirus 調査", "弊社の秘密 zxqvirus 感染の詳細 機密対応", "company")
    st, body = p3.get("/api/v1/search?q=" + q("対策"))
    expect(st == 200 and any(r["post_id"] == t["first_post_id"] for r in body["results"]), f"two characters: {body}")
    hit = [r for r in body["results"] if r["post_id"] == t["first_post_id"]][0]
    expect(hit["thread_id"] == t["id"] and hit["title"] == "ネットワーク機器の更新" and "対策" in hit["snippet"], hit)
    st, body = p3.get("/api/v1/search?q=" + q("ＵＴＭ"))
    expect(any(r["post_id"] == t["first_post_id"] for r in body["results"]), f"full-width finds ASCII: {body}")
    st, body = p3.get("/api/v1/search?q=" + q("utm 脆弱性"))
    expect(any(r["post_id"] == t["first_post_id"] for r in body["results"]), body)
    st, body = p3.get("/api/v1/search?q=" + q("機"))
    expect(any(r["post_id"] == t["first_post_id"] for r in body["results"]), f"one character: {body}")
    st, body = p3.get("/api/v1/search?q=" + q("ネットワーク 更新"))
    expect(any(r["post_id"] == t["first_post_id"] for r in body["results"]), f"title words: {body}")
    for hostile in ['"', '""', '"unterminated', "a OR b", "NEAR(a b)", "*", "^utm", "title:utm", "(utm", "utm)",
                    "AND", "-utm", "'; DROP TABLE posts; --", "\\", "%", "_", "NOT utm", "{utm}", "\u3000",
                    "a" * 900, "対 策 の を"]:
        st, body = p3.get("/api/v1/search?q=" + q(hostile))
        expect(st == 200 and isinstance(body.get("results"), list), f"{hostile!r}: {st} {body}")
    st, body = p3.get("/api/v1/search?q=" + q('"UTM"'))
    expect(st == 200 and not body["results"], "quotes are searched for literally")
    # company-private text: found by its company, its assigned expert and the secretariat only
    for who, visible in ((p1, True), (a, True), (p2, False), (p3, False), (ex, False)):
        for term in ("zxqvirus", "社外秘", "秘密", "機密対応", "zxq 感染"):
            st, body = who.get("/api/v1/search?q=" + q(term))
            found = [r for r in body["results"] if r["thread_id"] == secret["id"]]
            expect(st == 200 and bool(found) == visible, f"{term} by {getattr(who, 'handle', 'admin')}: {body}")
            if not visible:
                raw = str(body)
                expect("zxqvirus" not in raw and "社外秘" not in raw and "秘密" not in raw, raw)
                expect(set(body.keys()) == {"results", "page"}, "no count of any kind")
    fw.assign(a, W["c1"], ex.uid)
    st, body = ex.get("/api/v1/search?q=zxqvirus")
    expect(any(r["thread_id"] == secret["id"] for r in body["results"]), "assigned expert finds it")
    fw.unassign(a, W["c1"], ex.uid)
    st, body = ex.get("/api/v1/search?q=zxqvirus")
    expect(not body["results"], "unassigned: gone at once")
    # edits keep the index in step; visibility changes apply at once
    st, post = p2.post(f"/api/v1/threads/{t['id']}/posts", {"body": "旧テキスト qqoldword"})
    p2.patch(f"/api/v1/posts/{post['id']}", {"body": "新テキスト qqnewword"})
    st, body = p3.get("/api/v1/search?q=qqoldword")
    expect(not body["results"], body)
    st, body = p3.get("/api/v1/search?q=qqnewword")
    expect([r["post_id"] for r in body["results"]] == [post["id"]], body)
    st, body = p3.get("/api/v1/search?q=" + q("旧テ"))
    expect(not body["results"], f"short terms follow edits too: {body}")
    a.patch(f"/api/v1/threads/{t['id']}", {"visibility": "company"})
    st, body = p3.get("/api/v1/search?q=qqnewword")
    expect(not body["results"], "visibility change hides it from search at once")
    st, body = p3.get("/api/v1/search?q=" + q("対策"))
    expect(not any(r["thread_id"] == t["id"] for r in body["results"]), body)
    a.patch(f"/api/v1/threads/{t['id']}", {"visibility": "community"})
    # ranking: the title match ranks first
    t_a = fw.thread(p2, W["cat"], "ファイアウォール設定", "本文です", "community")
    fw.thread(p2, W["cat"], "雑談", "ファイアウォールという言葉が本文に一度だけ出てくる長い文章です。" * 3, "community")
    fw.search_indexed(S)  # ranked once indexed; found from the 201 on (above)
    st, body = p3.get("/api/v1/search?q=" + q("ファイアウォール"))
    expect(body["results"] and body["results"][0]["thread_id"] == t_a["id"], body)


def test_hidden_posts_withheld():
    """Moderation hides a post: every forum path withholds its text from all but the secretariat."""
    fresh()
    a, p1, p2 = W["admin"], W["p1"], W["p2"]
    t = fw.thread(p1, W["cat"], "非表示", "first", "group")
    st, post = p2.post(f"/api/v1/threads/{t['id']}/posts", {"body": "qqhiddenword 書き込み"})
    p2.patch(f"/api/v1/posts/{post['id']}", {"body": "qqhiddenword edited"})
    st, body = a.post(f"/api/v1/posts/{post['id']}/hide", {})
    expect(st == 200, (st, body))
    st, body = p1.get(f"/api/v1/threads/{t['id']}")
    shown = [x for x in body["posts"] if x["id"] == post["id"]][0]
    expect(shown["body"] == "" and shown["html"] == "" and shown["hidden"], shown)
    st, body = p1.get(f"/api/v1/posts/{post['id']}")
    expect(st == 200 and body["body"] == "", body)
    st, body = p1.get(f"/api/v1/posts/{post['id']}/revisions")
    expect(st == 200 and all(r["body"] == "" for r in body["revisions"]), body)
    st, body = p1.get("/api/v1/search?q=qqhiddenword")
    expect(st == 200 and not body["results"], body)
    st, body = a.get(f"/api/v1/posts/{post['id']}")
    expect(body["body"] == "qqhiddenword edited", "the secretariat still sees it")
    st, body = p2.patch(f"/api/v1/posts/{post['id']}", {"body": "qqhiddenword again"})
    st, body = p1.get("/api/v1/search?q=qqhiddenword")
    expect(not body["results"], "an edit does not put a hidden post back into search")


def test_attachments():
    fresh()
    p1, p2, p3, a = W["p1"], W["p2"], W["p3"], W["admin"]
    t = fw.thread(p1, W["cat"], "添付", "file", "group")
    data = b"\x00\x01<html><script>alert(1)</script>" + bytes(range(256))
    name = "報告書 \"v1\".html"
    st, body = p2.request("POST", f"/api/v1/threads/{t['id']}/attachments?filename={q(name)}", raw=data,
                          headers={"Content-Type": "text/html"})
    expect(st == 201 and body["size"] == len(data) and body["filename"] == name, (st, body))
    import hashlib
    expect(body["sha256"] == hashlib.sha256(data).hexdigest(), body)
    sha = body["sha256"]
    expect(os.path.isfile(os.path.join(S.data, "files", sha[:2], sha[2:])), "stored by content hash")
    aid = body["id"]
    st, got = p1.get(f"/api/v1/attachments/{aid}")
    h = p1.last_headers
    expect(st == 200 and got == data, st)
    expect(h["content-type"] == "application/octet-stream", h)
    expect(h["content-disposition"].startswith("attachment;") and "filename*=UTF-8''" in h["content-disposition"], h)
    expect(urllib.parse.quote(name, safe="") in h["content-disposition"].replace("%20", "%20"), h)
    expect(h["x-content-type-options"] == "nosniff", h)
    st, body = p3.get(f"/api/v1/attachments/{aid}")
    expect(st == 404, "other group: 404")
    st, body = p3.request("POST", f"/api/v1/threads/{t['id']}/attachments?filename=x.bin", raw=b"x")
    expect(st == 404, body)
    st, body = p2.request("POST", f"/api/v1/threads/{t['id']}/attachments?filename=big.bin", raw=b"x" * 100001)
    expect(st == 413 and body["error"] == "too_large", (st, body))
    st, body = p2.request("POST", f"/api/v1/threads/{t['id']}/attachments", raw=b"x")
    expect(st == 422, body)
    st, body = p2.request("POST", f"/api/v1/threads/{t['id']}/attachments?filename=..", raw=b"x")
    expect(st == 422, body)
    st, body = p2.request("POST", f"/api/v1/threads/{t['id']}/attachments?filename={q('../../etc/passwd')}", raw=b"y")
    expect(st == 201 and body["filename"] == "passwd", body)
    st, body = p1.get(f"/api/v1/threads/{t['id']}/attachments")
    expect(st == 200 and len(body["attachments"]) == 2, body)
    st, body = p1.get("/api/v1/attachments/999999")
    expect(st == 404, body)
    a.patch(f"/api/v1/threads/{t['id']}", {"locked": True})
    st, body = p2.request("POST", f"/api/v1/threads/{t['id']}/attachments?filename=x.bin", raw=b"x")
    expect(st == 403 and body["error"] == "locked", body)


def test_notifications_and_follow():
    fresh()
    a, p1, p2, p3, ex = W["admin"], W["p1"], W["p2"], W["p3"], W["ex"]
    t = fw.thread(p1, W["cat"], "通知テスト", "hello", "group")
    st, post = p2.post(f"/api/v1/threads/{t['id']}/posts", {"body": f"reply, cc @{p3.handle} and @{ex.handle}"})
    st, body = p1.get("/api/v1/notifications")
    mine = [n for n in body["notifications"] if n["thread_id"] == t["id"]]
    expect(st == 200 and len(mine) == 1 and mine[0]["kind"] == "reply" and mine[0]["post_id"] == post["id"], body)
    expect(mine[0]["read_at"] is None and mine[0]["actor"]["id"] == p2.uid and body["unread_count"] >= 1, mine)
    st, body = p3.get("/api/v1/notifications")
    expect(not [n for n in body["notifications"] if n["thread_id"] == t["id"]], "p3 cannot read: not notified")
    st, body = ex.get("/api/v1/notifications")
    expect(not [n for n in body["notifications"] if n["thread_id"] == t["id"]], "unassigned expert: not notified")
    # mention of a reader
    st, post2 = p2.post(f"/api/v1/threads/{t['id']}/posts", {"body": f"@{p1.handle} please look"})
    st, body = p1.get("/api/v1/notifications")
    kinds = [n["kind"] for n in body["notifications"] if n["post_id"] == post2["id"]]
    expect(kinds == ["mention"], f"mention instead of reply, once: {kinds}")
    # follow / unfollow
    st, _ = p3.post(f"/api/v1/threads/{t['id']}/follow")
    expect(st == 404, "cannot follow what one cannot read")
    st, _ = p2.post(f"/api/v1/threads/{t['id']}/follow")
    expect(st == 204, st)
    p1.post(f"/api/v1/threads/{t['id']}/posts", {"body": "answer"})
    st, body = p2.get("/api/v1/notifications")
    expect(any(n["thread_id"] == t["id"] and n["kind"] == "reply" for n in body["notifications"]), body)
    st, _ = p2.delete(f"/api/v1/threads/{t['id']}/follow")
    expect(st == 204)
    before = len(p2.get("/api/v1/notifications")[1]["notifications"])
    p1.post(f"/api/v1/threads/{t['id']}/posts", {"body": "again"})
    expect(len(p2.get("/api/v1/notifications")[1]["notifications"]) == before, "unfollowed: quiet")
    # newest first; mark read
    st, body = p1.get("/api/v1/notifications")
    ids = [n["id"] for n in body["notifications"]]
    expect(ids == sorted(ids, reverse=True), ids)
    st, _ = p1.post("/api/v1/notifications/read", {"ids": ids[:1]})
    expect(st == 204, st)
    st, body = p1.get("/api/v1/notifications")
    expect(body["notifications"][0]["read_at"] is not None and body["notifications"][1]["read_at"] is None, body)
    st, _ = p1.post("/api/v1/notifications/read", {"ids": ["x"]})
    expect(st == 422)
    # a thread that becomes unreadable takes its notifications with it
    a.patch(f"/api/v1/threads/{t['id']}", {"visibility": "company"})
    st, body = p2.get("/api/v1/notifications")
    expect(not [n for n in body["notifications"] if n["thread_id"] == t["id"]], "filtered by the rule on read")
    a.patch(f"/api/v1/threads/{t['id']}", {"visibility": "group"})
    # and the rule is applied when a post is written: a follower who could not read the thread
    # then is not told of that post, even once the thread is readable again
    st, _ = p2.post(f"/api/v1/threads/{t['id']}/follow")
    expect(st == 204, st)
    a.patch(f"/api/v1/threads/{t['id']}", {"visibility": "company"})
    st, hidden = p1.post(f"/api/v1/threads/{t['id']}/posts", {"body": "company only, for now"})
    expect(st == 201, hidden)
    a.patch(f"/api/v1/threads/{t['id']}", {"visibility": "group"})
    st, seen = p1.post(f"/api/v1/threads/{t['id']}/posts", {"body": "group again"})
    st, body = p2.get("/api/v1/notifications")
    told = [n["post_id"] for n in body["notifications"] if n["thread_id"] == t["id"]]
    expect(seen["id"] in told and hidden["id"] not in told, (hidden["id"], seen["id"], told))


def test_event_stream():
    fresh()
    a, p1, p2, p3 = W["admin"], W["p1"], W["p2"], W["p3"]
    r1, r3 = fw.EventReader(S, p1), fw.EventReader(S, p3)
    expect(r1.status == 200 and r3.status == 200, (r1.status, r3.status))
    expect(r1.resp.getheader("Content-Type").startswith("text/event-stream"), r1.resp.getheaders())
    time.sleep(0.3)
    t = fw.thread(p2, W["cat"], "イベント", "group only", "group")
    st, post = p2.post(f"/api/v1/threads/{t['id']}/posts", {"body": f"hi @{p1.handle}"})
    expect(r1.wait_for(lambda e: e[0] == "thread" and e[1]["thread_id"] == t["id"]), r1.lines)
    expect(r1.wait_for(lambda e: e[0] == "post" and e[1] == {"post_id": post["id"], "thread_id": t["id"]}), r1.lines)
    expect(r1.wait_for(lambda e: e[0] == "notification" and e[1]["thread_id"] == t["id"]),
           f"{r1.lines} {p1.get('/api/v1/notifications')}")
    pub = fw.thread(p2, W["cat"], "公開", "community", "community")
    expect(r3.wait_for(lambda e: e[0] == "thread" and e[1]["thread_id"] == pub["id"]), r3.lines)
    expect(not any(e[1].get("thread_id") == t["id"] for e in r3.events), f"other group sees nothing: {r3.events}")
    # visibility changes apply at delivery time
    a.patch(f"/api/v1/threads/{pub['id']}", {"visibility": "company"})
    st, p = p2.post(f"/api/v1/threads/{pub['id']}/posts", {"body": "now private"})
    expect(r1.wait_for(lambda e: e[0] == "thread" and e[1]["thread_id"] == pub["id"]), "p1 sees the thread event")
    time.sleep(0.5)
    expect(not any(e[0] == "post" and e[1]["post_id"] == p["id"] for e in r3.events + r1.events),
           "post in a now-private thread reaches neither other company")
    r1.close()
    r3.close()
    # signing out ends the stream within the re-check interval
    rs = fw.EventReader(S, p2)
    time.sleep(0.2)
    st, _ = p2.delete("/api/v1/session")
    expect(st == 204, st)
    end = time.time() + 12
    while time.time() < end and not rs.closed:
        time.sleep(0.1)
    expect(rs.closed, "stream ends once the session is gone")
    W["p2"] = None


def test_drain_with_open_stream():
    fresh()
    p1 = W["p1"]
    r = fw.EventReader(S, p1)
    expect(r.status == 200)
    time.sleep(0.2)
    t0 = time.time()
    rc = S.stop()
    expect(rc == 0 and time.time() - t0 < 5, f"SIGTERM with an open stream: rc={rc} in {time.time() - t0:.1f}s")
    S.start()


def main():
    setup()
    try:
        run_tests([test_categories, test_thread_create_rules, test_list_filters_pinned_unread,
                   test_posts_edit_revisions_lock, test_markdown_safety, test_search, test_hidden_posts_withheld,
                   test_attachments,
                   test_notifications_and_follow, test_event_stream, test_drain_with_open_stream])
    finally:
        S.__exit__(None, None, None)


if __name__ == "__main__":
    main()
