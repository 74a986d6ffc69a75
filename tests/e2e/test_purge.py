"""Leak containment end to end (docs/API.md §7, issue 7): a post's text redacted with purge:true must be
gone from every file under the data directory — the database, its WAL, everything — while the
server still runs and after a clean stop; from both search indexes' shadow tables in search.db (not only
unfindable: the segments no longer hold its terms); and from every table that held a copy (post,
revisions, the kept original of an earlier redaction, mail outbox, notifications, flag reasons).
Every check first shows that the text WAS there, so none of them can pass vacuously."""
import os
import time
import sqlite3
import sys
import unicodedata
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import forum_world as fw  # noqa: E402
from mamori import Server, expect, run, run_tests  # noqa: E402

PLACEHOLDER = "このメッセージは事務局により削除されました"
S = None
W = {}


def setup():
    global S
    S = Server(config={"track_capacity": "100"})
    S.__enter__()
    a = S.admin()
    g = fw.group(a)
    c1 = fw.company(a, g)
    W.update(admin=a, cat=fw.category(a))
    W["pa"] = fw.user(S, a, "participant", c1)
    W["ex"] = fw.user(S, a, "expert")
    st, me = a.get("/api/v1/me")
    W["admin_uid"] = me["user"]["id"]


def marker(tag):
    # Rare kanji + lower-case ASCII: search folding leaves it unchanged, and no other text here has it.
    return f"鷲鶚鸛{tag}{os.getpid()}qz"


def forms(m):
    """The byte strings that must not survive: the text, its folded form, and its trigrams made
    of the rare kanji (what a trigram index stores)."""
    out = {m.encode(), unicodedata.normalize("NFKC", m).lower().encode()}
    out |= {m[i:i + 3].encode() for i in range(len(m) - 2) if any(ord(c) > 0x3000 for c in m[i:i + 3])}
    return out


def files_with(needles):
    """{path: [needles found]} over every file under the data directory, raw bytes."""
    found = {}
    for root, _dirs, names in os.walk(S.data):
        for n in names:
            path = os.path.join(root, n)
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            hits = [x for x in needles if x in data]
            if hits:
                found[os.path.relpath(path, S.data)] = hits
    return found


def db():
    return sqlite3.connect(os.path.join(S.data, "mamori.db"), timeout=10)


def shadow_hits(m):
    """What the two search indexes' shadow tables still hold of m: trigram tails in search_fts's
    segments, hex tails of the pair tokens in search_short's (see search.c), m in search_fts's
    content table."""
    tri_tails = [m[i:i + 3][1:].encode() for i in range(len(m) - 2)
                 if all(ord(c) > 0x3000 for c in m[i:i + 3][1:])]
    pair_tails = [m[i:i + 2].encode().hex()[-8:].encode() for i in range(len(m) - 1)
                  if any(ord(c) > 0x3000 for c in m[i:i + 2])]
    c = sqlite3.connect(os.path.join(S.data, "search.db"), timeout=10)  # the indexes' own file
    try:
        fts = b"".join(r[0] or b"" for r in c.execute("SELECT block FROM search_fts_data"))
        short = b"".join(r[0] or b"" for r in c.execute("SELECT block FROM search_short_data"))
        content = c.execute("SELECT count(*) FROM search_fts_content WHERE c1 LIKE ?", (f"%{m}%",)).fetchone()[0]
    finally:
        c.close()
    return {"fts_segments": sum(t in fts for t in tri_tails), "short_segments": sum(t in short for t in pair_tails),
            "fts_content": content}


def table_hits(m):
    """Rows of each table that hold m (the SQL view of the same question)."""
    checks = {
        "posts": "SELECT count(*) FROM posts WHERE body LIKE :m OR html LIKE :m",
        "post_revisions": "SELECT count(*) FROM post_revisions WHERE body LIKE :m OR html LIKE :m",
        "redacted_texts": "SELECT count(*) FROM redacted_texts WHERE body LIKE :m",
        "mail_outbox": "SELECT count(*) FROM mail_outbox WHERE body LIKE :m OR subject LIKE :m OR params LIKE :m",
        "notifications": "SELECT count(*) FROM notifications WHERE text LIKE :m OR params LIKE :m",
        "flags": "SELECT count(*) FROM flags WHERE reason LIKE :m",
        "audit_log": "SELECT count(*) FROM audit_log WHERE detail LIKE :m OR target LIKE :m",
    }
    c = db()
    try:
        return {k: c.execute(q, {"m": f"%{m}%"}).fetchone()[0] for k, q in checks.items()}
    finally:
        c.close()


def search(client, text):
    st, body = client.get(f"/api/v1/search?q={urllib.parse.quote(text)}")
    expect(st == 200, (st, body))
    return body["results"]


def test_purge_destroys_every_copy():
    a, pa, ex = W["admin"], W["pa"], W["ex"]
    m = marker("漏")
    # A community question; the expert's answer carries the leak, so the author's mail (community:
    # full text) quotes it; the answer is edited (a revision keeps the first text); a reader's
    # flag quotes it; a first redaction keeps the original for the secretariat.
    t = fw.thread(pa, W["cat"], "ルーターの設定について", "設定を教えてください", kind="question")
    st, esc = a.post(f"/api/v1/threads/{t['id']}/escalations", {"expert_id": ex.uid, "note": "お願いします"})
    expect(st == 201, (st, esc))
    st, p = ex.post(f"/api/v1/threads/{t['id']}/posts", {"body": f"顧客 A 社の VPN 鍵は {m} です。"})
    expect(st == 201, (st, p))
    pid = p["id"]
    st, _ = ex.patch(f"/api/v1/posts/{pid}", {"body": f"（訂正）鍵 {m} は失効済み"})
    expect(st == 200, st)
    st, f = pa.post(f"/api/v1/posts/{pid}/flags", {"reason": f"{m} が書かれています"})
    expect(st == 201, (st, f))
    expect(search(pa, m), "searchable before")
    tables = table_hits(m)
    expect(tables["posts"] and tables["post_revisions"] and tables["mail_outbox"] and tables["flags"], tables)
    # The indexer thread moves the search queue into search.db beside the writes (search_file.c):
    # wait for it, so the purge below has index segments to destroy.
    deadline = time.monotonic() + 10
    while True:
        sh = shadow_hits(m)
        if (sh["fts_segments"] and sh["short_segments"] and sh["fts_content"]) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    expect(sh["fts_segments"] and sh["short_segments"] and sh["fts_content"], f"index holds it before: {sh}")
    expect(files_with(forms(m)), "the marker is in the data directory before the purge")

    st, r = a.post(f"/api/v1/posts/{pid}/redact", {"reason": "他社の機密（第一段階）", "purge": False})
    expect(st == 200 and r["body"] == PLACEHOLDER, (st, r))
    st, red = a.get(f"/api/v1/posts/{pid}/redactions")
    expect(sum(m in o["body"] for x in red["redactions"] for o in x["originals"]) == 2, red)
    expect(table_hits(m)["mail_outbox"] == 0, "a redaction replaces the outbox copy too")

    st, r = a.post(f"/api/v1/posts/{pid}/redact", {"reason": "他社の機密（完全削除）", "purge": True})
    expect(st == 200 and r["body"] == PLACEHOLDER and r["redaction"]["purge"] is True, (st, r))
    expect(r.get("wal_checkpointed") is True, r)
    W.setdefault("purged", []).append(m)

    # the server still runs: nothing in any file, nothing in any table or index segment
    found = files_with(forms(m))
    expect(not found, f"purged text still on disk: {found}")
    sh = shadow_hits(m)
    expect(sh == {"fts_segments": 0, "short_segments": 0, "fts_content": 0}, f"index still holds it: {sh}")
    tables = table_hits(m)
    expect(not any(tables.values()), tables)
    # and nothing through the API
    expect(not search(pa, m) and not search(a, m), "search still finds it")
    st, red = a.get(f"/api/v1/posts/{pid}/redactions")
    expect(st == 200 and [x["purge"] for x in red["redactions"]] == [False, True]
           and all(not x["originals"] for x in red["redactions"]), red)
    st, revs = a.get(f"/api/v1/posts/{pid}/revisions")
    expect(st == 200 and revs["revisions"] == [], revs)
    st, tv = pa.get(f"/api/v1/threads/{t['id']}")
    post = next(x for x in tv["posts"] if x["id"] == pid)
    expect(post["body"] == PLACEHOLDER and post["redacted"] is True, post)
    st, fl = a.get("/api/v1/flags?state=all")
    mine = next(x for x in fl["flags"] if x["id"] == f["id"])
    # resolved by the first redaction; the purge still destroyed the reason that quoted the text
    expect(mine["state"] == "resolved" and mine["resolution"] == "redacted" and m not in mine["reason"], mine)
    ent = [e for e in audit(a) if e["action"] == "post.redact" and e["target"] == f"post:{pid}"]
    expect([e["detail"]["purge"] for e in ent] == [False, True], ent)


def test_purge_first_post_keeps_title_searchable():
    a, pa = W["admin"], W["pa"]
    m = marker("題")
    word = f"見出し{os.getpid()}確認"
    t = fw.thread(pa, W["cat"], word, f"最初の投稿に {m} を書いてしまった")
    pid = t["first_post_id"]
    expect(files_with(forms(m)), "there before")
    expect(any(x["thread_id"] == t["id"] for x in search(pa, word)), "title found before")
    st, r = a.post(f"/api/v1/posts/{pid}/redact", {"reason": "誤投稿", "purge": True})
    expect(st == 200 and r["wal_checkpointed"] is True, (st, r))
    W.setdefault("purged", []).append(m)
    found = files_with(forms(m))
    expect(not found, f"on disk: {found}")
    expect(shadow_hits(m) == {"fts_segments": 0, "short_segments": 0, "fts_content": 0}, shadow_hits(m))
    expect(any(x["thread_id"] == t["id"] for x in search(pa, word)), "the title stays searchable")
    expect(not search(pa, m), "the text is not")


def test_purge_of_hidden_post():
    a, pa = W["admin"], W["pa"]
    m = marker("隠")
    t = fw.thread(pa, W["cat"], "非表示のあと完全削除", "はじめ")
    st, p = pa.post(f"/api/v1/threads/{t['id']}/posts", {"body": f"うっかり {m}"})
    pid = p["id"]
    st, _ = a.post(f"/api/v1/posts/{pid}/hide")
    expect(st == 200, st)
    expect(files_with(forms(m)), "there before")
    st, r = a.post(f"/api/v1/posts/{pid}/redact", {"reason": "完全削除", "purge": True})
    W.setdefault("purged", []).append(m)
    expect(st == 200 and r["hidden"] is True and r["body"] == PLACEHOLDER, (st, r))
    expect(not files_with(forms(m)), files_with(forms(m)))


def test_purge_attachment():
    a, pa = W["admin"], W["pa"]
    m = marker("添")
    data = f"社外秘の設計書 {m}\n".encode() * 50
    t = fw.thread(pa, W["cat"], "添付の誤投稿", "ファイルを付けます")
    ids = []
    for name in (f"設計書{os.getpid()}.txt", "copy.txt"):   # the same bytes twice: one file on disk
        st, att = pa.request("POST", f"/api/v1/threads/{t['id']}/attachments?filename={urllib.parse.quote(name)}",
                             raw=data, headers={"Content-Type": "application/octet-stream"})
        expect(st == 201, (st, att))
        ids.append(att["id"])
    expect(files_with(forms(m)), "the file is there before")
    st, body = pa.post(f"/api/v1/attachments/{ids[0]}/purge")
    expect(st == 403, (st, body))
    st, r = a.post(f"/api/v1/attachments/{ids[0]}/purge")
    expect(st == 200 and r["file_removed"] is False and r["wal_checkpointed"] is True, (st, r))
    st, got = pa.get(f"/api/v1/attachments/{ids[1]}")
    expect(st == 200 and got == data, "the other attachment with the same bytes still downloads")
    st, r = a.post(f"/api/v1/attachments/{ids[1]}/purge")
    expect(st == 200 and r["file_removed"] is True, (st, r))
    W.setdefault("purged", []).append(m)
    found = files_with(forms(m) | {f"設計書{os.getpid()}".encode()})
    expect(not found, f"on disk: {found}")
    for i in ids:
        st, _ = pa.get(f"/api/v1/attachments/{i}")
        expect(st == 404, st)
        st, _ = a.post(f"/api/v1/attachments/{i}/purge")
        expect(st == 404, st)
    st, lst = pa.get(f"/api/v1/threads/{t['id']}/attachments")
    expect(st == 200 and lst["attachments"] == [], lst)
    ent = [e for e in audit(a) if e["action"] == "attachment.purge"]
    expect(len(ent) == 2 and "設計書" not in str(ent), ent)


def test_nothing_after_clean_stop():
    rc = S.stop()
    expect(rc == 0, f"clean stop exit {rc}")
    marks = W.get("purged", [])
    expect(len(marks) == 4, marks)
    needles = set()
    for m in marks:
        needles |= forms(m)
    found = files_with(needles)
    expect(not found, f"after the stop: {found}")
    res = run(["audit", "verify", "--data", S.data], check=False)
    expect(res.returncode == 0 and res.stdout.startswith("ok "), (res.returncode, res.stdout))
    S.start()


def audit(a):
    out, after = [], 0
    while True:
        st, body = a.get(f"/api/v1/audit?after={after}&limit=1000")
        if not body["entries"]:
            return out
        out += body["entries"]
        after = body["entries"][-1]["id"]


def main():
    setup()
    try:
        run_tests([test_purge_destroys_every_copy, test_purge_first_post_keeps_title_searchable,
                   test_purge_of_hidden_post, test_purge_attachment, test_nothing_after_clean_stop])
    finally:
        S.__exit__(None, None, None)


if __name__ == "__main__":
    main()
