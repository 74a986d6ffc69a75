"""Moderation end to end (docs/API.md §7): the flag queue and its review, hiding and unhiding posts (the
text never reaches anyone but the secretariat: thread view, post, revisions, search,
notifications, the event stream), redaction that keeps the original for the secretariat, the
secretariat's thread settings (a narrowed thread gone at once from another company's reads, lists,
counts, search and event stream), the posting rate limit, the thread.read audit with the readers
view, the moderation actions view, and suspension ending sessions and event streams."""
import json
import os
import sqlite3
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import forum_world as fw  # noqa: E402
from mamori import Server, expect, free_port, run_tests  # noqa: E402

PLACEHOLDER = "このメッセージは事務局により削除されました"
S = None
W = {}


def setup():
    global S
    # smtp_port: a closed port, so queued mail stays pending (the relay is "down")
    S = Server(config={"track_capacity": "100", "post_rate_per_minute": "10", "smtp_port": str(free_port())})
    S.__enter__()
    a = S.admin()
    g = fw.group(a)
    c1, c2 = fw.company(a, g), fw.company(a, g)
    W.update(admin=a, g=g, c1=c1, c2=c2, cat=fw.category(a), cat2=fw.category(a))
    W["pa"] = fw.user(S, a, "participant", c1)   # company 1
    W["pb"] = fw.user(S, a, "participant", c2)   # company 2, same group
    W["ex"] = fw.user(S, a, "expert")            # assigned to company 1
    W["ex2"] = fw.user(S, a, "expert")           # assigned to nobody
    fw.assign(a, c1, W["ex"].uid)


def q(s):
    return urllib.parse.quote(s)


def fresh_participant():
    """A participant of a new company in the group, so one test's posts never count against the
    posting rate limit of another's author."""
    return fw.user(S, W["admin"], "participant", fw.company(W["admin"], W["g"]))


def mark(prefix):
    """A unique Japanese+ASCII marker (lower-case ASCII, so search folding leaves it as is)."""
    return f"{prefix}鷲鶚{os.getpid()}x{fw.uniq('m')}"


def audit_entries(action=None, target=None):
    out, after = [], 0
    while True:
        st, body = W["admin"].get(f"/api/v1/audit?after={after}&limit=1000")
        expect(st == 200, f"audit: {st} {body}")
        if not body["entries"]:
            return out
        for e in body["entries"]:
            if (action is None or e["action"] == action) and (target is None or e["target"] == target):
                out.append(e)
        after = body["entries"][-1]["id"]


def post_in(thread_body, post_id):
    return next(p for p in thread_body["posts"] if p["id"] == post_id)


def search_hits(client, text):
    st, body = client.get(f"/api/v1/search?q={q(text)}")
    expect(st == 200, f"search: {st} {body}")
    return body["results"]


# ---- flags -------------------------------------------------------------------------------------

def test_flags_queue():
    a, pb, ex = W["admin"], W["pb"], W["ex"]
    pa = fresh_participant()
    t = fw.thread(pa, W["cat"], "通報テスト", "通報される投稿")
    pid = t["first_post_id"]
    st, f = pb.post(f"/api/v1/posts/{pid}/flags", {"reason": "機密情報が含まれています"})
    expect(st == 201 and f["state"] == "open" and f["post_id"] == pid and f["thread_id"] == t["id"], (st, f))
    st, again = pb.post(f"/api/v1/posts/{pid}/flags", {"reason": "もう一度"})
    expect(st == 200 and again["id"] == f["id"] and again.get("already_flagged"), (st, again))
    for bad in ({}, {"reason": "  "}, {"reason": 5}, {"reason": "x" * 2001}):
        st, body = pb.post(f"/api/v1/posts/{pid}/flags", bad)
        expect(st == 422 and body["error"] == "invalid", (bad, st, body))
    # a post the reporter cannot read is not there
    ct = fw.thread(pa, W["cat"], "社内スレッド", "社内だけ", visibility="company")
    st, body = pb.post(f"/api/v1/posts/{ct['first_post_id']}/flags", {"reason": "x"})
    expect(st == 404 and body["error"] == "not_found", (st, body))
    st, body = pb.post("/api/v1/posts/99999999/flags", {"reason": "x"})
    expect(st == 404, (st, body))
    # the queue is the secretariat's
    st, body = pb.get("/api/v1/flags?state=open")
    expect(st == 403 and body["error"] == "forbidden", (st, body))
    st, body = a.get("/api/v1/flags?state=open")
    expect(st == 200, (st, body))
    mine = [x for x in body["flags"] if x["id"] == f["id"]]
    expect(len(mine) == 1, body)
    x = mine[0]
    expect(x["post_id"] == pid and x["thread_id"] == t["id"] and x["reason"] == "機密情報が含まれています"
           and x["reporter"]["id"] == pb.uid and x["state"] == "open" and x["thread_title"] == "通報テスト", x)
    st, body = a.get("/api/v1/flags?state=bogus")
    expect(st == 422, (st, body))
    # the secretariat is told, without the reason
    st, n = a.get("/api/v1/notifications")
    flagn = [y for y in n["notifications"] if y["kind"] == "flag" and y["post_id"] == pid]
    expect(flagn and "機密情報" not in json.dumps(flagn, ensure_ascii=False), n)
    # dismiss: reviewed, nothing to do
    st, r = a.post(f"/api/v1/flags/{f['id']}/resolve", {"action": "dismiss"})
    expect(st == 200 and r["state"] == "resolved" and r["resolution"] == "dismissed" and r["resolved_by"] == a_uid(),
           (st, r))
    st, body = a.post(f"/api/v1/flags/{f['id']}/resolve", {})
    expect(st == 409 and body["error"] == "already_resolved", (st, body))
    st, body = a.post(f"/api/v1/flags/{f['id']}/resolve", {"action": "explode"})
    expect(st == 422, (st, body))
    st, body = pb.post(f"/api/v1/flags/{f['id']}/resolve", {})
    expect(st == 403, (st, body))
    st, body = a.get("/api/v1/flags?state=open")
    expect(all(x["id"] != f["id"] for x in body["flags"]), body)
    st, body = a.get("/api/v1/flags?state=resolved")
    expect(any(x["id"] == f["id"] for x in body["flags"]), body)
    # two reporters, resolved by hiding: every open flag of the post is answered
    st, f1 = pb.post(f"/api/v1/posts/{pid}/flags", {"reason": "再通報"})
    st2, f2 = ex.post(f"/api/v1/posts/{pid}/flags", {"reason": "専門家からも"})
    expect(st == 201 and st2 == 201, (st, f1, st2, f2))
    st, r = a.post(f"/api/v1/flags/{f1['id']}/resolve", {"action": "hide"})
    expect(st == 200 and r["resolution"] == "hidden" and r["post"]["hidden"] is True, (st, r))
    st, body = a.get("/api/v1/flags?state=all")
    by_id = {x["id"]: x for x in body["flags"]}
    expect(by_id[f2["id"]]["state"] == "resolved" and by_id[f2["id"]]["resolution"] == "hidden", by_id.get(f2["id"]))
    st, t2 = pb.get(f"/api/v1/threads/{t['id']}")
    expect(post_in(t2, pid)["hidden"] is True and post_in(t2, pid)["body"] == "", t2)
    expect(audit_entries("flag.resolve", f"flag:{f['id']}"), "flag.resolve audited")
    expect(audit_entries("post.hide", f"post:{pid}"), "hiding through a flag is audited as post.hide")


# ---- hide / unhide -----------------------------------------------------------------------------

def test_hide_withholds_text_everywhere():
    a, pb = W["admin"], W["pb"]
    pa = fresh_participant()
    hm, hm2 = mark("隠す"), mark("訂正")
    t = fw.thread(pa, W["cat"], "非表示テスト", "はじめの投稿")
    st, _ = pb.post(f"/api/v1/threads/{t['id']}/follow")
    expect(st == 204, st)
    ev = fw.EventReader(S, pb)
    expect(ev.status == 200, ev.status)
    try:
        st, p = pa.post(f"/api/v1/threads/{t['id']}/posts", {"body": f"漏れた内容 {hm} です"})
        expect(st == 201, (st, p))
        pid = p["id"]
        st, p = pa.patch(f"/api/v1/posts/{pid}", {"body": f"訂正した内容 {hm2} です"})
        expect(st == 200, (st, p))
        expect(search_hits(pb, hm2), "the post is searchable before it is hidden")
        expect(ev.wait_for(lambda e: e[0] == "post" and e[1]["post_id"] == pid), "post event before hiding")
        n0 = len(ev.events)

        st, body = pb.post(f"/api/v1/posts/{pid}/hide")
        expect(st == 403 and body["error"] == "forbidden", (st, body))
        st, h = a.post(f"/api/v1/posts/{pid}/hide")
        expect(st == 200 and h["hidden"] is True and hm2 in h["body"], (st, h))
        st, again = a.post(f"/api/v1/posts/{pid}/hide")
        expect(st == 200 and again["hidden"] is True, (st, again))

        for who in (pb, pa):  # another company's reader, and the author too
            st, tv = who.get(f"/api/v1/threads/{t['id']}")
            expect(st == 200, st)
            hp = post_in(tv, pid)
            expect(hp["hidden"] is True and hp["body"] == "" and hp["html"] == "", hp)
            dump = json.dumps(tv, ensure_ascii=False)
            expect(hm not in dump and hm2 not in dump, "thread view leaks the hidden text")
            st, one = who.get(f"/api/v1/posts/{pid}")
            expect(st == 200 and one["hidden"] is True and one["body"] == "" and one["html"] == "", (st, one))
            st, revs = who.get(f"/api/v1/posts/{pid}/revisions")
            dump = json.dumps(revs, ensure_ascii=False)
            expect(st == 200 and hm not in dump and hm2 not in dump, f"revisions leak: {revs}")
            expect(not search_hits(who, hm2) and not search_hits(who, hm), "search finds a hidden post")
            st, n = who.get("/api/v1/notifications")
            dump = json.dumps(n, ensure_ascii=False)
            expect(st == 200 and hm not in dump and hm2 not in dump, "notifications leak")
        st, tv = a.get(f"/api/v1/threads/{t['id']}")
        sp = post_in(tv, pid)
        expect(sp["hidden"] is True and hm2 in sp["body"] and hm2 in sp["html"], f"the secretariat still sees it: {sp}")
        st, revs = a.get(f"/api/v1/posts/{pid}/revisions")
        expect(any(hm in r["body"] for r in revs["revisions"]), revs)
        # the author may still correct it, but that neither shows it nor indexes it
        hm3 = mark("直し")
        st, body = pa.patch(f"/api/v1/posts/{pid}", {"body": f"見せて {hm3}"})
        expect(st == 200 and body["hidden"] is True and body["body"] == "", (st, body))
        st, tv = pb.get(f"/api/v1/threads/{t['id']}")
        expect(post_in(tv, pid)["body"] == "" and hm3 not in json.dumps(tv, ensure_ascii=False), "edit leaks")
        expect(not search_hits(pb, hm3) and not search_hits(a, hm3), "an edit indexes a hidden post")
        # the stream says a post changed, by ids only
        end = time.time() + 5
        while time.time() < end and not any(e[0] == "post" and e[1]["post_id"] == pid for e in ev.events[n0:]):
            time.sleep(0.05)
        expect(any(e[0] == "post" and e[1]["post_id"] == pid for e in ev.events[n0:]), "post event on hide")
        expect(not any(hm in ln or hm2 in ln for ln in ev.lines), "event stream carries text")
    finally:
        ev.close()

    st, u = a.post(f"/api/v1/posts/{pid}/unhide")
    expect(st == 200 and u["hidden"] is False, (st, u))
    st, tv = pb.get(f"/api/v1/threads/{t['id']}")
    expect(post_in(tv, pid)["hidden"] is False and hm3 in post_in(tv, pid)["body"], tv)
    expect(search_hits(pb, hm3), "searchable again after unhide")
    expect(audit_entries("post.hide", f"post:{pid}") and audit_entries("post.unhide", f"post:{pid}"),
           "hide and unhide audited")
    st, body = a.post("/api/v1/posts/99999999/hide")
    expect(st == 404, (st, body))


def outbox_rows(text):
    c = sqlite3.connect(os.path.join(S.data, "mamori.db"), timeout=10)
    try:
        return c.execute("SELECT state FROM mail_outbox WHERE body LIKE ?", (f"%{text}%",)).fetchall()
    finally:
        c.close()


def test_hide_cancels_queued_mail():
    a, ex = W["admin"], W["ex2"]
    pa = fresh_participant()
    hm = mark("回答")
    t = fw.thread(pa, W["cat"], "メールの質問", "教えてください", kind="question")
    st, esc = a.post(f"/api/v1/threads/{t['id']}/escalations", {"expert_id": ex.uid, "note": "至急"})
    expect(st == 201, (st, esc))
    st, p = ex.post(f"/api/v1/threads/{t['id']}/posts", {"body": f"回答です {hm}"})
    expect(st == 201, (st, p))
    rows = outbox_rows(hm)
    expect(rows, "the answer's mail to a community question's author quotes it")
    pending = sum(1 for (state,) in rows if state == "pending")
    expect(pending, f"queued while the relay is down: {rows}")
    st, h = a.post(f"/api/v1/posts/{p['id']}/hide")
    expect(st == 200, (st, h))
    after = [state for (state,) in outbox_rows(hm)]
    expect(after.count("cancelled") >= pending and "pending" not in after, (rows, after))


def test_redact_keeps_original_for_secretariat():
    a, pb = W["admin"], W["pb"]
    pa = fresh_participant()
    rm = mark("伏せ字")
    t = fw.thread(pa, W["cat"], "削除テスト", "はじめ")
    st, p = pa.post(f"/api/v1/threads/{t['id']}/posts", {"body": f"間違えて書いた {rm}"})
    pid = p["id"]
    st, _ = pa.patch(f"/api/v1/posts/{pid}", {"body": f"直した {rm} まだ残る"})
    expect(st == 200, st)
    for bad in ({}, {"reason": ""}, {"reason": "x", "purge": "yes"}):
        st, body = a.post(f"/api/v1/posts/{pid}/redact", bad)
        expect(st == 422 and body["error"] == "invalid", (bad, st, body))
    st, body = pb.post(f"/api/v1/posts/{pid}/redact", {"reason": "x", "purge": False})
    expect(st == 403, (st, body))
    st, r = a.post(f"/api/v1/posts/{pid}/redact", {"reason": "他社の機密", "purge": False})
    expect(st == 200 and r["redacted"] is True and r["body"] == PLACEHOLDER and r["redaction"]["purge"] is False,
           (st, r))
    for who in (pb, pa, a):
        st, tv = who.get(f"/api/v1/threads/{t['id']}")
        rp = post_in(tv, pid)
        expect(rp["body"] == PLACEHOLDER and PLACEHOLDER in rp["html"] and rp["redacted"] is True, rp)
        st, revs = who.get(f"/api/v1/posts/{pid}/revisions")
        expect(revs["revisions"] and all(x["body"] == PLACEHOLDER for x in revs["revisions"]), revs)
        expect(not search_hits(who, rm), "a redacted text is not found")
        expect(rm not in json.dumps(tv, ensure_ascii=False), "thread view leaks a redacted text")
    st, body = pb.get(f"/api/v1/posts/{pid}/redactions")
    expect(st == 403, (st, body))
    st, body = a.get(f"/api/v1/posts/{pid}/redactions")
    expect(st == 200 and len(body["redactions"]) == 1, (st, body))
    red = body["redactions"][0]
    sources = sorted(o["source"] for o in red["originals"])
    expect(red["reason"] == "他社の機密" and red["purge"] is False and sources == ["post", "revision"]
           and all(rm in o["body"] for o in red["originals"]), red)
    ent = audit_entries("post.redact", f"post:{pid}")
    expect(len(ent) == 1 and ent[0]["detail"]["purge"] is False and rm not in json.dumps(ent, ensure_ascii=False), ent)
    # the author cannot write text back into a redacted post
    st, body = pa.patch(f"/api/v1/posts/{pid}", {"body": "もとに戻す"})
    expect(st == 403, (st, body))


# ---- thread settings ---------------------------------------------------------------------------

def test_visibility_narrowing_applies_at_once():
    a, pa, pb, ex = W["admin"], W["pa"], W["pb"], W["ex"]
    word = mark("狭める")
    t = fw.thread(pa, W["cat"], f"公開から社内へ {word}", f"本文 {word}")
    tid, first = t["id"], t["first_post_id"]
    st, _ = pb.post(f"/api/v1/threads/{tid}/follow")
    st, lst = pb.get(f"/api/v1/threads?category_id={W['cat']}&per_page=100")
    total0 = lst["total"]
    expect(any(x["id"] == tid for x in lst["threads"]), "listed before")
    expect(search_hits(pb, word), "found before")
    evb, eve = fw.EventReader(S, pb), fw.EventReader(S, ex)
    try:
        st, body = pb.patch(f"/api/v1/threads/{tid}", {"visibility": "company"})
        expect(st == 403, (st, body))
        st, th = a.patch(f"/api/v1/threads/{tid}", {"visibility": "company"})
        expect(st == 200 and th["visibility"] == "company", (st, th))
        # at once, for another company's participant
        st, body = pb.get(f"/api/v1/threads/{tid}")
        expect(st == 404 and body["error"] == "not_found", (st, body))
        st, body = pb.get(f"/api/v1/posts/{first}")
        expect(st == 404, (st, body))
        st, body = pb.get(f"/api/v1/posts/{first}/revisions")
        expect(st == 404, (st, body))
        st, body = pb.get(f"/api/v1/threads/{tid}/attachments")
        expect(st == 404, (st, body))
        st, lst = pb.get(f"/api/v1/threads?category_id={W['cat']}&per_page=100")
        expect(all(x["id"] != tid for x in lst["threads"]) and lst["total"] == total0 - 1, (total0, lst["total"]))
        expect(not search_hits(pb, word), "search still finds a narrowed thread")
        st, body = pb.post(f"/api/v1/threads/{tid}/posts", {"body": "まだ書ける?"})
        expect(st == 404, (st, body))
        st, body = pb.post(f"/api/v1/posts/{first}/flags", {"reason": "x"})
        expect(st == 404, (st, body))
        # the company's own side still reads it; a reply reaches the assigned expert's stream only
        st, body = pa.get(f"/api/v1/threads/{tid}")
        expect(st == 200, st)
        st, p = pa.post(f"/api/v1/threads/{tid}/posts", {"body": "社内向けの続き"})
        expect(st == 201, (st, p))
        expect(eve.wait_for(lambda e: e[0] == "post" and e[1]["post_id"] == p["id"]), "the assigned expert is told")
        time.sleep(0.5)
        expect(not any(e[1].get("thread_id") == tid for e in evb.events if e[0] in ("post", "notification")
                       and e[1].get("post_id") == p["id"] or e[0] == "notification" and e[1].get("thread_id") == tid),
               f"leaked to the stream: {evb.events}")
        st, n = pb.get("/api/v1/notifications")
        expect(all(x["thread_id"] != tid for x in n["notifications"]), "notifications of a narrowed thread")
    finally:
        evb.close()
        eve.close()
    ent = audit_entries("thread.update", f"thread:{tid}")
    expect(ent and ent[-1]["detail"].get("visibility") == "company"
           and ent[-1]["detail"].get("previous_visibility") == "community", ent)
    st, th = a.patch(f"/api/v1/threads/{tid}", {"visibility": "community"})
    expect(st == 200, (st, th))
    st, _ = pb.get(f"/api/v1/threads/{tid}")
    expect(st == 200, "widened again")


def test_lock_pin_move():
    a, pb = W["admin"], W["pb"]
    pa = fresh_participant()
    t = fw.thread(pa, W["cat"], "設定テスト", "本文")
    tid = t["id"]
    st, th = a.patch(f"/api/v1/threads/{tid}", {"locked": True})
    expect(st == 200 and th["locked"] is True, (st, th))
    st, body = pb.post(f"/api/v1/threads/{tid}/posts", {"body": "ロック中"})
    expect(st == 403 and body["error"] == "locked", (st, body))
    st, th = a.patch(f"/api/v1/threads/{tid}", {"locked": False, "pinned": True})
    expect(st == 200 and th["locked"] is False and th["pinned"] is True, (st, th))
    fw.thread(pb, W["cat"], "あとから", "新しい")
    st, lst = pb.get(f"/api/v1/threads?category_id={W['cat']}")
    expect(lst["threads"][0]["id"] == tid, "pinned first")
    st, th = a.patch(f"/api/v1/threads/{tid}", {"category_id": W["cat2"]})
    expect(st == 200 and th["category_id"] == W["cat2"], (st, th))
    st, body = a.patch(f"/api/v1/threads/{tid}", {"category_id": 99999999})
    expect(st == 422, (st, body))
    st, body = a.patch(f"/api/v1/threads/{tid}", {"visibility": "everyone"})
    expect(st == 422, (st, body))
    st, body = a.patch("/api/v1/threads/99999999", {"locked": True})
    expect(st == 404, (st, body))
    expect(len(audit_entries("thread.update", f"thread:{tid}")) >= 3, "each update audited")


# ---- rate limit --------------------------------------------------------------------------------

def test_posting_rate_limit():
    a = W["admin"]
    p = fresh_participant()
    t = fw.thread(p, W["cat"], "連投テスト", "1 件目")   # a thread's first post counts
    statuses = []
    for i in range(9):
        st, body = p.post(f"/api/v1/threads/{t['id']}/posts", {"body": f"{i + 2} 件目"})
        statuses.append(st)
    expect(statuses == [201] * 9, statuses)
    st, body = p.post(f"/api/v1/threads/{t['id']}/posts", {"body": "11 件目"})
    expect(st == 429 and body["error"] == "rate_limited", (st, body))
    ra = p.last_headers.get("retry-after")
    expect(ra and ra.isdigit() and 1 <= int(ra) <= 60, f"Retry-After: {ra!r}")
    st, body = p.post("/api/v1/threads", {"category_id": W["cat"], "title": "新規", "body": "x", "kind": "discussion",
                                          "visibility": "community"})
    expect(st == 429 and body["error"] == "rate_limited" and p.last_headers.get("retry-after"), (st, body))
    # nothing was stored by the refused requests
    st, tv = p.get(f"/api/v1/threads/{t['id']}")
    expect(len(tv["posts"]) == 10, len(tv["posts"]))
    # the secretariat is exempt
    for i in range(12):
        st, body = a.post(f"/api/v1/threads/{t['id']}/posts", {"body": f"事務局 {i}"})
        expect(st == 201, (i, st, body))


def test_flag_rate_limit():
    """20 flags a minute per reporter (ratelimit.c); the secretariat is exempt."""
    a = W["admin"]
    t = fw.thread(a, W["cat"], "通報の連投テスト", "0 件目")   # the secretariat posts without a limit
    pids = [t["first_post_id"]]
    for i in range(21):
        st, body = a.post(f"/api/v1/threads/{t['id']}/posts", {"body": f"{i + 1} 件目"})
        expect(st == 201, (i, st, body))
        pids.append(body["id"])
    p = fresh_participant()
    statuses = [p.post(f"/api/v1/posts/{pid}/flags", {"reason": "連投"})[0] for pid in pids[:20]]
    expect(statuses == [201] * 20, statuses)
    st, body = p.post(f"/api/v1/posts/{pids[20]}/flags", {"reason": "21 件目"})
    expect(st == 429 and body["error"] == "rate_limited", (st, body))
    ra = p.last_headers.get("retry-after")
    expect(ra and ra.isdigit() and 1 <= int(ra) <= 60, f"Retry-After: {ra!r}")
    st, body = a.post(f"/api/v1/posts/{pids[21]}/flags", {"reason": "事務局"})
    expect(st == 201, (st, body))


# ---- thread.read audit and the readers view ----------------------------------------------------

def test_thread_read_audit_and_readers():
    a, pa, pb, ex, ex2 = W["admin"], W["pa"], W["pb"], W["ex"], W["ex2"]
    t = fw.thread(pa, W["cat"], "社内の質問", "社外秘の相談", visibility="company", kind="question")
    tid, target = t["id"], f"thread:{t['id']}"
    before = len(audit_entries("thread.read", target))
    st, _ = pa.get(f"/api/v1/threads/{tid}")
    expect(st == 200 and len(audit_entries("thread.read", target)) == before, "an insider's read is not audited")
    st, _ = ex.get(f"/api/v1/threads/{tid}")
    expect(st == 200, st)
    st, _ = a.get(f"/api/v1/threads/{tid}")
    expect(st == 200, st)
    st, _ = ex2.get(f"/api/v1/threads/{tid}")
    expect(st == 404, "an unassigned expert cannot read it")
    st, _ = pb.get(f"/api/v1/threads/{tid}")
    expect(st == 404, st)
    ent = audit_entries("thread.read", target)
    actors = [e["actor_id"] for e in ent[before:]]
    expect(actors == [ex.uid, a_uid()], f"thread.read actors {actors}")
    # every read is an entry, also the post itself and the revisions
    st, _ = ex.get(f"/api/v1/threads/{tid}")
    st, _ = ex.get(f"/api/v1/posts/{t['first_post_id']}")
    expect(st == 200, st)
    ent2 = audit_entries("thread.read", target)
    expect(len(ent2) == len(ent) + 2 and all(e["actor_id"] == ex.uid for e in ent2[len(ent):]), ent2[len(ent):])
    # an escalated expert reads it too, audited
    st, esc = a.post(f"/api/v1/threads/{tid}/escalations", {"expert_id": ex2.uid, "note": "見てください"})
    expect(st == 201, (st, esc))
    st, _ = ex2.get(f"/api/v1/threads/{tid}")
    expect(st == 200, st)
    expect(audit_entries("thread.read", target)[-1]["actor_id"] == ex2.uid, "escalated expert's read audited")

    st, body = pa.get(f"/api/v1/threads/{tid}/readers")
    expect(st == 403, (st, body))
    st, rd = a.get(f"/api/v1/threads/{tid}/readers")
    expect(st == 200, (st, rd))
    now = {u["id"] for u in rd["can_read_now"]}
    expect({pa.uid, ex.uid, ex2.uid, a_uid()} <= now and pb.uid not in now, rd["can_read_now"])
    has = {x["user"]["id"]: x for x in rd["has_read"]}
    expect({pa.uid, ex.uid, ex2.uid, a_uid()} <= set(has) and pb.uid not in has, rd["has_read"])
    expect(has[ex.uid]["audited_reads"] >= 3 and has[ex.uid]["at"], has[ex.uid])
    # after the expert's assignment ends, they can no longer read it, but they did read it
    fw.unassign(a, W["c1"], ex.uid)
    try:
        st, rd = a.get(f"/api/v1/threads/{tid}/readers")
        expect(ex.uid not in {u["id"] for u in rd["can_read_now"]} and ex.uid in {x["user"]["id"] for x in rd["has_read"]},
               rd)
    finally:
        fw.assign(a, W["c1"], ex.uid)
    st, body = a.get("/api/v1/threads/99999999/readers")
    expect(st == 404, (st, body))


def a_uid():
    if "admin_uid" not in W:
        st, me = W["admin"].get("/api/v1/me")
        W["admin_uid"] = me["user"]["id"]
    return W["admin_uid"]


def test_moderation_actions_view():
    a, pa = W["admin"], W["pa"]
    st, body = pa.get("/api/v1/moderation/actions")
    expect(st == 403, (st, body))
    t = fw.thread(a, W["cat"], "操作履歴", "本文")
    pid = t["first_post_id"]
    a.post(f"/api/v1/posts/{pid}/hide")
    a.post(f"/api/v1/posts/{pid}/unhide")
    st, body = a.get("/api/v1/moderation/actions?limit=2")
    expect(st == 200 and [x["action"] for x in body["actions"]] == ["post.unhide", "post.hide"], body)
    expect(body["actions"][0]["target"] == f"post:{pid}" and body["actions"][0]["actor"]["id"] == a_uid(), body)
    st, more = a.get(f"/api/v1/moderation/actions?before={body['next_before']}&limit=500")
    expect(st == 200 and all(x["id"] < body["next_before"] for x in more["actions"]), more)
    acts = {x["action"] for x in more["actions"]}
    expect({"thread.update", "post.redact", "flag.resolve"} <= acts, acts)
    expect("thread.read" not in acts and "session.login" not in acts, acts)


# ---- suspension --------------------------------------------------------------------------------

def test_suspension_ends_sessions_and_streams():
    a = W["admin"]
    p = fresh_participant()
    ev = fw.EventReader(S, p)
    expect(ev.status == 200, ev.status)
    try:
        st, u = a.patch(f"/api/v1/users/{p.uid}", {"status": "suspended"})
        expect(st == 200, (st, u))
        st, body = p.get("/api/v1/me")
        expect(st == 401, f"a suspended user's session must be dead: {st}")
        end = time.time() + 10
        while time.time() < end and not ev.closed:
            time.sleep(0.1)
        expect(ev.closed, "the event stream of a suspended user must end")
    finally:
        ev.close()
    st, body = p.login(f"{p.handle}@example.jp", fw.PASSWORD)
    expect(st == 401, (st, body))
    expect(any(e["target"] == f"user:{p.uid}" for e in audit_entries("user.update")), "suspension audited")
    st, more = a.get("/api/v1/moderation/actions?limit=500")
    expect(any(x["action"] == "user.update" and x["target"] == f"user:{p.uid}" for x in more["actions"]),
           "a suspension is a moderation action")


def test_audit_chain_intact():
    from mamori import run
    res = run(["audit", "verify", "--data", S.data], check=False)
    expect(res.returncode == 0 and res.stdout.startswith("ok "), (res.returncode, res.stdout, res.stderr))


def main():
    setup()
    try:
        run_tests([test_flags_queue, test_hide_withholds_text_everywhere, test_hide_cancels_queued_mail,
                   test_redact_keeps_original_for_secretariat,
                   test_visibility_narrowing_applies_at_once, test_lock_pin_move, test_posting_rate_limit, test_flag_rate_limit,
                   test_thread_read_audit_and_readers, test_moderation_actions_view,
                   test_suspension_ends_sessions_and_streams, test_audit_chain_intact])
    finally:
        S.__exit__(None, None, None)


if __name__ == "__main__":
    main()
