"""The thread list's `total` (docs/API.md §5) stays exact while it is cached. Each worker caches totals
against the list epoch (schema/010_list_epoch.sql), which moves only when something the count
reads changes; this test changes each such thing through the API — a thread created, moved to
another category, its visibility changed, a question escalated and declined, an expert assigned
and unassigned, a company moved to another group — and after every change asks every user for
every list they had already asked for (so a stale cached total would answer), comparing the
total and the listed ids with what an independent model of the visibility rule allows. One
worker, and one keep-alive connection per user, so every request meets the cache. It also
checks that a post leaves the epoch alone (else posts would empty the cache, the slowness this
epoch removes)."""
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(__file__))
import forum_world as fw  # noqa: E402
from mamori import Server, expect, run_tests  # noqa: E402

S = None
W = {}
# The model: thread id -> dict(cat, vis, company, group, kind, status); company id -> group;
# (expert uid, company id) assignments; (expert uid, thread id) standing escalations.
M = {"threads": {}, "companies": {}, "assign": set(), "esc": set()}


def setup():
    global S
    S = Server(workers=1, config={"track_capacity": "100", "participants_per_company": "20"})
    S.__enter__()
    a = S.admin()
    g1, g2, g3 = fw.group(a), fw.group(a), fw.group(a)
    c1, c2, c3 = fw.company(a, g1), fw.company(a, g1), fw.company(a, g2)
    M["companies"].update({c1: g1, c2: g1, c3: g2})
    W.update(admin=a, g1=g1, g2=g2, g3=g3, c1=c1, c2=c2, c3=c3, catA=fw.category(a), catB=fw.category(a))
    W["p1"] = fw.user(S, a, "participant", c1)
    W["p2"] = fw.user(S, a, "participant", c2)
    W["p3"] = fw.user(S, a, "participant", c3)
    W["ex1"] = fw.user(S, a, "expert")
    W["ex2"] = fw.user(S, a, "expert")
    fw.assign(a, c1, W["ex1"].uid)
    M["assign"].add((W["ex1"].uid, c1))
    W["people"] = {"admin": ("secretariat", None), "p1": ("participant", c1), "p2": ("participant", c2),
                   "p3": ("participant", c3), "ex1": ("expert", None), "ex2": ("expert", None)}


def may_read(name, t):
    """docs/API.md §5, written independently of server/authz.h."""
    role, company = W["people"][name]
    if role == "secretariat":
        return True
    if role == "participant":
        group = M["companies"][company]
        return (t["vis"] == "community" or (t["vis"] == "group" and t["group"] is not None and t["group"] == group)
                or (t["vis"] == "company" and t["company"] == company))
    uid = W[name].uid if name != "admin" else None
    mine = {c for (e, c) in M["assign"] if e == uid}
    return (t["vis"] in ("community", "staff")
            or (t["vis"] == "group" and any(M["companies"][c] == t["group"] for c in mine))
            or (t["vis"] == "company" and t["company"] in mine)
            or (uid, t["id"]) in M["esc"])


def lists():
    return [("catA", f"?category_id={W['catA']}", lambda t: t["cat"] == W["catA"]),
            ("catB", f"?category_id={W['catB']}", lambda t: t["cat"] == W["catB"]),
            ("all", "", lambda t: True),
            ("catA open questions", f"?category_id={W['catA']}&kind=question&status=open",
             lambda t: t["cat"] == W["catA"] and t["kind"] == "question" and t["status"] == "open")]


def check(step):
    """Every user, every list: the total and the ids are what the model allows."""
    for name in W["people"]:
        for label, query, match in lists():
            st, body = W[name].get(f"/api/v1/threads{query}{'&' if query else '?'}per_page=100")
            expect(st == 200, f"{step}: {name} {label}: {st} {body}")
            want = sorted(t["id"] for t in M["threads"].values() if match(t) and may_read(name, t))
            got = sorted(t["id"] for t in body["threads"])
            expect(got == want, f"{step}: {name} lists {label} as {got}, should see {want}")
            expect(body["total"] == len(want), f"{step}: {name}'s total for {label} is {body['total']}, "
                                                f"should be {len(want)} ({want})")


def new_thread(who, cat, vis, kind="discussion", **extra):
    t = fw.thread(W[who], cat, f"{vis} thread by {who}", "本文", vis, kind=kind, **extra)
    M["threads"][t["id"]] = {"id": t["id"], "cat": cat, "vis": vis, "company": t["company_id"],
                             "group": t["group_id"], "kind": kind, "status": t["status"]}
    return t["id"]


def epoch():
    db = sqlite3.connect(f"file:{S.data}/mamori.db?mode=ro", uri=True, timeout=30)
    try:
        return db.execute("SELECT value FROM epochs WHERE name = 'thread_count'").fetchone()[0]
    finally:
        db.close()


def test_totals_follow_every_change():
    a = W["admin"]
    # Threads exist before the first lists, so the cache holds non-zero totals from the start.
    new_thread("p1", W["catA"], "community")
    t_company = new_thread("p1", W["catA"], "company")
    t_group = new_thread("p1", W["catA"], "group")
    check("start")  # fills every user's cache

    t_new = new_thread("p2", W["catA"], "company")
    check("company thread created by p2")
    new_thread("p3", W["catA"], "group")
    new_thread("ex1", W["catB"], "staff")
    check("group and staff threads created")

    st, body = a.patch(f"/api/v1/threads/{t_company}", {"category_id": W["catB"]})
    expect(st == 200, body)
    M["threads"][t_company]["cat"] = W["catB"]
    check("company thread moved to catB")

    st, body = a.patch(f"/api/v1/threads/{t_group}", {"visibility": "community"})
    expect(st == 200, body)
    M["threads"][t_group]["vis"] = "community"
    check("group thread made community")
    st, body = a.patch(f"/api/v1/threads/{t_group}", {"visibility": "company"})
    expect(st == 200, body)
    M["threads"][t_group]["vis"] = "company"
    check("community thread made company")
    st, body = a.patch(f"/api/v1/threads/{t_new}", {"visibility": "group"})
    expect(st == 200, body)
    M["threads"][t_new]["vis"] = "group"
    check("p2's company thread made group")

    # Experts: assignments and a company's group decide what they read.
    fw.assign(a, W["c3"], W["ex2"].uid)
    M["assign"].add((W["ex2"].uid, W["c3"]))
    check("ex2 assigned to c3")
    st, body = a.patch(f"/api/v1/companies/{W['c2']}", {"group_id": W["g2"]})
    expect(st == 200, body)
    M["companies"][W["c2"]] = W["g2"]
    check("c2 moved to g2 (its participant's group, and ex2's reach)")
    st, body = a.patch(f"/api/v1/companies/{W['c1']}", {"group_id": W["g3"]})
    expect(st == 200, body)
    M["companies"][W["c1"]] = W["g3"]
    check("c1 moved to g3 (ex1 no longer reads g1's group threads)")
    st, body = a.patch(f"/api/v1/companies/{W['c1']}", {"group_id": W["g2"]})
    expect(st == 200, body)
    M["companies"][W["c1"]] = W["g2"]
    check("c1 moved to g2 (ex1 now reads g2's group threads)")
    fw.unassign(a, W["c1"], W["ex1"].uid)
    M["assign"].discard((W["ex1"].uid, W["c1"]))
    check("ex1 unassigned from c1")

    # Escalation: an expert reads the question while it stands; its status leaves `open`. The
    # first decline changes no thread row (another expert's escalation still stands, so the
    # question stays `escalated`): only the escalation itself can tell the cache.
    q = new_thread("p3", W["catA"], "company", kind="question")
    check("question created")
    escs = {}
    for ex in ("ex1", "ex2"):
        st, escs[ex] = a.post(f"/api/v1/threads/{q}/escalations", {"expert_id": W[ex].uid, "note": "見てください"})
        expect(st == 201, escs[ex])
        M["esc"].add((W[ex].uid, q))
        M["threads"][q]["status"] = "escalated"
        check(f"question escalated to {ex}")
    for ex in ("ex1", "ex2"):
        st, body = W[ex].post(f"/api/v1/escalations/{escs[ex]['id']}/decline", {"reason": "担当外"})
        expect(st == 200, body)
        M["esc"].discard((W[ex].uid, q))
        M["threads"][q]["status"] = "open" if ex == "ex2" else "escalated"
        check(f"escalation declined by {ex}")


def test_posts_leave_the_epoch_alone():
    """Posts, read marks and sign-ins do not move the list epoch; thread creation does."""
    tid = next(iter(M["threads"]))
    before = epoch()
    for i in range(3):
        st, body = W["p1"].post(f"/api/v1/threads/{tid}/posts", {"body": f"返信 {i}"})
        expect(st == 201, body)
    st, _ = W["p2"].get(f"/api/v1/threads/{tid}")
    expect(st == 200, st)
    fw.user(S, W["admin"], "participant", W["c1"])  # invite, accept, sign in
    expect(epoch() == before, "a post, a read mark or a sign-in moved the list epoch")
    new_thread("p1", W["catA"], "community")
    expect(epoch() != before, "a new thread did not move the list epoch")
    check("after posts")


def main():
    setup()
    try:
        run_tests([test_totals_follow_every_change, test_posts_leave_the_epoch_alone])
    finally:
        S.__exit__(None, None, None)


if __name__ == "__main__":
    main()
