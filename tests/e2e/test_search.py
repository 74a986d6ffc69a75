"""Search ranking end to end (docs/API.md §5, FORUM.md "Search"): with a term of 3+ characters the
newest 200 readable matches are ranked — title matches first, then term frequency, then newest —
and the following readable matches come newest first; every page holds only what the caller
may read, and the window is taken after the visibility rule."""
import os
import sqlite3
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import forum_world as fw  # noqa: E402
from mamori import Server, expect, run_tests  # noqa: E402

S = None   # the server
W = {}     # the world: admin, clients, ids


def setup():
    global S
    S = Server(config={"post_rate_per_minute": "0", "participants_per_company": "20"})
    S.__enter__()
    a = S.admin()
    g1, g2 = fw.group(a), fw.group(a)
    c1, c3 = fw.company(a, g1), fw.company(a, g2)
    W.update(admin=a, cat=fw.category(a),
             p1=fw.user(S, a, "participant", c1), p2=fw.user(S, a, "participant", c1),
             p3=fw.user(S, a, "participant", c3))


def search(who, query, page=1):
    st, body = who.get(f"/api/v1/search?q={urllib.parse.quote(query)}&page={page}")
    expect(st == 200 and set(body.keys()) == {"results", "page"} and body["page"] == page, (st, body))
    for r in body["results"]:
        expect(set(r.keys()) == {"thread_id", "post_id", "title", "snippet"}, r)
    return body["results"]


def ids(results):
    return [r["post_id"] for r in results]


def indexed():
    fw.search_indexed(S)


def test_rank_order():
    """Created oldest first in the opposite of the expected order, so newest-first would fail."""
    a, p1, p3, cat = W["admin"], W["p1"], W["p3"], W["cat"]
    term = fw.uniq("qqrank")
    in_title = fw.thread(p3, cat, f"{term} の設定手順", "本文には出てこない話です。", "community")
    strong = fw.thread(p3, cat, "雑談その一", f"{term} を入れた。{term} を試した。{term} {term} {term}", "community")
    weak = fw.thread(p3, cat, "雑談その二", f"{term} が一度だけ出てくる長い文章です。" + "関係のない話が続きます。" * 40,
                     "community")
    # same text twice: equal scores, so the newer first
    st, older = a.post(f"/api/v1/threads/{weak['id']}/posts", {"body": f"返信 {term} と {term}"})
    expect(st == 201, older)
    st, newer = a.post(f"/api/v1/threads/{weak['id']}/posts", {"body": f"返信 {term} と {term}"})
    expect(st == 201, newer)
    # company-private (c1), newest and most relevant of all: only c1 and the secretariat find it
    secret = fw.thread(p1, cat, f"{term} 社外秘 qqleak", f"{term} qqleak " * 8, "company")

    indexed()
    got = ids(search(p3, term))
    want = [in_title["first_post_id"], strong["first_post_id"], newer["id"], older["id"], weak["first_post_id"]]
    expect(got == want, f"title match, then frequency, then newest: {got} != {want}")
    raw = str(search(p3, term))
    expect("qqleak" not in raw and "社外秘" not in raw, raw)
    for who in (p1, W["p2"], a):
        got = ids(search(who, term))
        expect(secret["first_post_id"] in got[:2] and [x for x in got if x != secret["first_post_id"]] == want,
               f"the company's own post ranks with the title matches for it: {got}")
    # full-width folds to the same query and order
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in term)
    expect(ids(search(p3, wide)) == want, "full-width query")
    # two terms: both in the title outranks one in the title; rows lacking a term never match
    t2 = fw.uniq("qqsecond")
    both = fw.thread(p3, cat, f"{term} {t2}", "本文", "community")
    one = fw.thread(p3, cat, f"{term} だけ", f"{t2} " * 6, "community")
    indexed()
    got = ids(search(p3, f"{term} {t2}"))
    expect(got == [both["first_post_id"], one["first_post_id"]], f"two terms: {got}")
    got = ids(search(p3, f"{t2} {term}"))
    expect(got == [both["first_post_id"], one["first_post_id"]], f"term order does not matter: {got}")


def test_window_and_pages():
    """230 readable matches with 15 company-private ones among the newest: the window of 200 is
    taken after the visibility rule, pages 11-12 continue newest first, nothing repeats."""
    a, p1, p3, cat = W["admin"], W["p1"], W["p3"], W["cat"]
    term = fw.uniq("qqwin")
    t = fw.thread(a, cat, "窓の試験", f"{term} 0", "community")
    readable = [t["first_post_id"]]
    secret_thread = fw.thread(p1, cat, "社外秘の窓", f"{term} qqleak 社外秘", "company")
    secret = [secret_thread["first_post_id"]]
    old_strong = None
    strong = None
    for i in range(1, 230):
        body = f"{term} {i}"
        if i == 1:
            body = f"{term} " * 8  # the most relevant text, but too old for the window
        if i == 200:
            body = f"{term} " * 6  # inside the window: ranks first
        st, post = a.post(f"/api/v1/threads/{t['id']}/posts", {"body": body})
        expect(st == 201, post)
        readable.append(post["id"])
        if i == 1:
            old_strong = post["id"]
        if i == 200:
            strong = post["id"]
        if i >= 200 and i % 2 == 0:
            st, post = p1.post(f"/api/v1/threads/{secret_thread['id']}/posts", {"body": f"{term} qqleak {i}"})
            expect(st == 201, post)
            secret.append(post["id"])
    newest = sorted(readable, reverse=True)
    indexed()
    pages = [search(p3, term, page) for page in range(1, 14)]
    for n, page in enumerate(pages, 1):
        expect(len(page) == (20 if n <= 11 else 10 if n == 12 else 0), f"page {n}: {len(page)} results")
        raw = str(page)
        expect("qqleak" not in raw and "社外秘" not in raw, f"page {n} leaks: {raw}")
    got = [x for page in pages for x in ids(page)]
    expect(len(got) == len(set(got)) == 230 and set(got) == set(readable), "every readable match once")
    expect(not set(got) & set(secret), "no company-private post")
    expect(got[0] == strong, f"the most relevant in the window ranks first: {got[:3]}")
    expect(set(got[:200]) == set(newest[:200]), "the window is the newest 200 the caller may read")
    expect(got[200:] == newest[200:] and old_strong in got[200:], "past the window: newest first")
    # the company sees its own posts in the window, and its pages never repeat either
    got1 = [x for page in range(1, 14) for x in ids(search(p1, term, page))]
    expect(len(got1) == len(set(got1)) == 230 + len(secret) and set(secret) <= set(got1), len(got1))
    expect(set(got1[:200]) == set(sorted(readable + secret, reverse=True)[:200]), "c1's window")
    # page 51 (results 1,001+) is empty; a page past the end is not an error
    expect(search(p3, term, 51) == [], "pages past 1,000 results")


def test_queue_is_searched():
    """A post whose text waits in the index's queue (search_index.c: under a burst of writes the
    writer indexes later) is found all the same — by the readers of its thread only, and not once
    it is hidden. The queued text is put there directly: nothing else makes the server queue it
    deterministically. The indexer thread may move it into search.db at any moment (after any
    write, a session's included): found either way, so where two posts match, their order (queue
    newest first, or ranked once indexed) is not what is checked here."""
    a, p1, p2, p3, cat = W["admin"], W["p1"], W["p2"], W["p3"], W["cat"]
    word, secret = fw.uniq("qqqueue"), fw.uniq("qqsecret")
    pub = fw.thread(p1, cat, "公開スレッド", "索引に入った本文", "community")
    priv = fw.thread(p1, cat, "社内スレッド", "社内の本文", "company")
    db = sqlite3.connect(os.path.join(S.data, "mamori.db"), timeout=10)
    with db:
        db.execute("INSERT OR REPLACE INTO search_pending (post_id, title, body) VALUES (?, '', ?)",
                   (pub["first_post_id"], f"待ち行列の {word} です"))
        db.execute("INSERT OR REPLACE INTO search_pending (post_id, title, body) VALUES (?, '', ?)",
                   (priv["first_post_id"], f"社外秘 {secret} {word}"))
    db.close()
    expect(ids(search(p3, word)) == [pub["first_post_id"]], "another company finds the community post only")
    expect(search(p3, secret) == [], "nor the private one by its own word")
    both = sorted([priv["first_post_id"], pub["first_post_id"]])
    expect(sorted(ids(search(p2, word))) == both, "the company finds both")
    expect(ids(search(p2, f"{word} {secret}")) == [priv["first_post_id"]], "every term must match")
    expect(sorted(ids(search(a, word.upper()))) == both, "folded on both sides")
    st, _ = a.post(f"/api/v1/posts/{pub['first_post_id']}/hide")
    expect(st == 200, st)
    expect(ids(search(p2, word)) == [priv["first_post_id"]], "a hidden post is not found from the queue")


def main():
    setup()
    try:
        run_tests([test_rank_order, test_window_and_pages, test_queue_is_searched])
    finally:
        S.__exit__(None, None, None)


if __name__ == "__main__":
    main()
