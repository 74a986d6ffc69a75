"""The generated access matrix (docs/API.md §5): every role × every visibility × every path that
carries content, each cell asserting allowed (the content is there) or denied (404, or simply
absent — never a hint, never a count).

Roles: participant of the thread's company, of another company in the same group, of another
group; expert assigned to the thread's company, assigned to another company of the group,
unassigned, escalated to the thread; secretariat. Visibilities: community, group, company, staff,
and a company thread not escalated (so the escalated expert has a negative case). Paths: thread
GET, list membership, list total, post GET, revisions GET, search (long and short terms),
attachment GET, notifications (everyone is @mentioned; only readers are told) and event-stream
delivery.

Then the case collection (docs/API.md §11): every role (the secretariat, the case's company's
representative and its other participant, a participant of another company of the group and of
another group, the assigned expert, an unassigned one, anonymous) × every case state (draft,
awaiting_approval, approved, published) × every path (case GET, list membership, list by status,
findings, approve refused without a change, public GET, public list, notifications).

Then the visit matrix (docs/API.md §10, docs/DISPATCH.md): the same roles × a done visit and a
cancelled one of the thread's company × every visit path (company list, visit GET, PATCH,
notification, the dispatch company list), plus the status rows: a suspended participant, a participant of a withdrawn
company, and everyone held at the consent gate by a new NDA."""
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import forum_world as fw  # noqa: E402
from mamori import Server, expect  # noqa: E402

COLUMNS = ["community", "group", "company", "staff", "company_noesc"]
PAIRS = {"community": "鰯鰹", "group": "鯖鯵", "company": "鱈鰈", "staff": "鮪鮫", "company_noesc": "鰻鱒"}


def reference(role, who, t):
    """The rule of docs/API.md §5, written independently of the server."""
    if role == "secretariat":
        return True
    vis = t["visibility"]
    if role == "participant":
        return (vis == "community" or (vis == "group" and t["group"] is not None and t["group"] == who["group"])
                or (vis == "company" and t["company"] == who["company"]))
    if vis in ("community", "staff") or who["uid"] in t["escalated"]:
        return True
    if vis == "group":
        return any(who_group == t["group"] for who_group in who["assigned_groups"])
    if vis == "company":
        return t["company"] in who["assigned"]
    return False


def main():
    srv = Server(config={"participants_per_company": "3", "track_capacity": "100"})
    srv.__enter__()
    try:
        run(srv)
    finally:
        srv.__exit__(None, None, None)


def run(srv):
    a = srv.admin()
    a.uid = a.get("/api/v1/me")[1]["user"]["id"]
    g1, g2 = fw.group(a), fw.group(a)
    cA, cB, cC = fw.company(a, g1), fw.company(a, g1), fw.company(a, g2)
    groups = {cA: g1, cB: g1, cC: g2}
    author = fw.user(srv, a, "participant", cA)
    users = {
        "participant_same_company": ("participant", fw.user(srv, a, "participant", cA), cA),
        "participant_same_group": ("participant", fw.user(srv, a, "participant", cB), cB),
        "participant_other_group": ("participant", fw.user(srv, a, "participant", cC), cC),
        "expert_assigned": ("expert", fw.user(srv, a, "expert"), None),
        "expert_assigned_same_group": ("expert", fw.user(srv, a, "expert"), None),
        "expert_unassigned": ("expert", fw.user(srv, a, "expert"), None),
        "expert_escalated": ("expert", fw.user(srv, a, "expert"), None),
        "secretariat": ("secretariat", a, None),
    }
    fw.assign(a, cA, users["expert_assigned"][1].uid)
    fw.assign(a, cB, users["expert_assigned_same_group"][1].uid)
    assigned = {"expert_assigned": [cA], "expert_assigned_same_group": [cB]}
    info = {}
    for name, (role, c, co) in users.items():
        info[name] = {"uid": c.uid, "company": co, "group": groups.get(co), "assigned": assigned.get(name, []),
                      "assigned_groups": [groups[x] for x in assigned.get(name, [])]}

    # every reader keeps an event stream open from the start
    readers = {name: fw.EventReader(srv, c) for name, (_, c, _) in users.items()}
    for name, rd in readers.items():
        expect(rd.status == 200, f"{name}: events {rd.status}")

    threads = {}
    esc_uid = users["expert_escalated"][1].uid
    for col in COLUMNS:
        vis = "company" if col == "company_noesc" else col
        cat = fw.category(a)
        token = fw.uniq("mxtok")
        creator = a if vis == "staff" else author
        t = fw.thread(creator, cat, f"{col} thread {token}", f"本文 {token} {PAIRS[col]} です", vis, kind="question")
        if col != "company_noesc":
            st, body = a.post(f"/api/v1/threads/{t['id']}/escalations", {"expert_id": esc_uid, "note": "matrix"})
            expect(st == 201, f"escalation: {st} {body}")
        mentions = " ".join(f"@{c.handle}" for _, (_, c, _) in users.items() if hasattr(c, "handle"))
        st, reply = creator.post(f"/api/v1/threads/{t['id']}/posts", {"body": f"reply {mentions}"})
        expect(st == 201, reply)
        st, _ = creator.patch(f"/api/v1/posts/{reply['id']}", {"body": f"edited reply {mentions}"})
        expect(st == 200)
        st, att = creator.request("POST", f"/api/v1/threads/{t['id']}/attachments?filename={col}.txt",
                                  raw=f"secret {col}".encode())
        expect(st == 201, att)
        threads[col] = {"id": t["id"], "cat": cat, "token": token, "reply": reply["id"], "att": att["id"],
                        "visibility": vis, "company": cA if vis != "staff" else None,
                        "group": g1 if vis != "staff" else None,
                        "escalated": [esc_uid] if col != "company_noesc" else []}
    # one live post per thread after all streams are attached
    live = {}
    for col, t in threads.items():
        st, p = a.post(f"/api/v1/threads/{t['id']}/posts", {"body": "live post"})
        expect(st == 201)
        live[col] = p["id"]

    cells = failures = 0
    problems = []

    def cell(name, col, path, allowed, ok):
        nonlocal cells, failures
        cells += 1
        if not ok:
            failures += 1
            problems.append(f"{name} × {col} × {path}: expected {'allowed' if allowed else 'denied'}")

    deadline = time.time() + 5
    for name, (role, c, _) in users.items():
        st, notes = c.get("/api/v1/notifications")
        note_threads = {n["thread_id"] for n in notes["notifications"]}
        for col, t in threads.items():
            allowed = reference(role, info[name], t)
            tid = t["id"]
            st, _ = c.get(f"/api/v1/threads/{tid}")
            cell(name, col, "thread GET", allowed, st == (200 if allowed else 404))
            st, body = c.get(f"/api/v1/threads?category_id={t['cat']}&per_page=100")
            cell(name, col, "list membership", allowed, st == 200 and (tid in [x["id"] for x in body["threads"]]) == allowed)
            cell(name, col, "list total", allowed, st == 200 and body["total"] == (1 if allowed else 0))
            st, _ = c.get(f"/api/v1/posts/{t['reply']}")
            cell(name, col, "post GET", allowed, st == (200 if allowed else 404))
            st, body = c.get(f"/api/v1/posts/{t['reply']}/revisions")
            cell(name, col, "revisions GET", allowed, st == (200 if allowed else 404) and
                 (not allowed or len(body["revisions"]) == 1))
            for term, label in ((t["token"], "search long"), (PAIRS[col], "search short")):
                st, body = c.get("/api/v1/search?q=" + urllib.parse.quote(term))
                hit = st == 200 and any(r["thread_id"] == tid for r in body["results"])
                leak = t["token"] in str(body) and not allowed
                cell(name, col, label, allowed, st == 200 and hit == allowed and not leak)
            st, data = c.get(f"/api/v1/attachments/{t['att']}")
            cell(name, col, "attachment GET", allowed, st == (200 if allowed else 404) and
                 (not allowed or data == f"secret {col}".encode()))
            if name != "secretariat":  # the secretariat wrote the live posts and staff threads
                cell(name, col, "notification", allowed, (tid in note_threads) == allowed)
            rd = readers[name]
            if allowed:
                got = rd.wait_for(lambda e: e[0] == "post" and e[1]["post_id"] == live[col],
                                  timeout=max(0.1, deadline - time.time()))
                cell(name, col, "event stream", allowed, got is not None)
    time.sleep(0.5)  # anything that was going to leak has arrived by now
    for name, (role, c, _) in users.items():
        for col, t in threads.items():
            if not reference(role, info[name], t):
                leaked = [e for e in readers[name].events if e[1].get("thread_id") == t["id"]]
                cell(name, col, "event stream", False, not leaked)
    for rd in readers.values():
        rd.close()
    print(f"access matrix: {len(users)} roles × {len(COLUMNS)} visibilities, {cells} cells checked, "
          f"{failures} wrong")
    for p in problems:
        print("  " + p)
    expect(failures == 0, f"{failures} cells wrong")
    expect(cells == len(users) * len(COLUMNS) * 10 - len(COLUMNS), f"every path was checked ({cells})")
    visit_matrix(srv, a, users, info, cA)
    case_matrix(srv, a, users, cA, cB, cC)
    print("1 passed, 0 failed")


def visit_reference(role, who, company):
    """docs/API.md §10: a visit is content of `company` visibility, written independently."""
    if role == "secretariat":
        return True
    if role == "participant":
        return who["company"] == company
    return company in who["assigned"]


VISIT_SECRET = "訪問報告の秘密QX7"


def visit_matrix(srv, a, users, info, company):
    expert = users["expert_assigned"][1]
    st, done = a.post(f"/api/v1/companies/{company}/visits", {"stage": 1, "scheduled_at": "2026-08-03T10:00:00+09:00",
                                                              "mode": "onsite", "expert_id": expert.uid})
    expect(st == 201, f"visit: {st} {done}")
    st, body = expert.patch(f"/api/v1/visits/{done['id']}", {"status": "done", "report": VISIT_SECRET,
                                                             "checklist": {"problems_shared": True}})
    expect(st == 200, f"report: {st} {body}")
    st, gone = a.post(f"/api/v1/companies/{company}/visits", {"stage": 2, "scheduled_at": "2026-09-03T10:00:00+09:00",
                                                              "mode": "online", "expert_id": expert.uid})
    st, body = a.patch(f"/api/v1/visits/{gone['id']}", {"status": "cancelled"})
    expect(st == 200, f"cancel: {st} {body}")
    cells = failures = 0
    problems = []

    def cell(name, path, allowed, ok):
        nonlocal cells, failures
        cells += 1
        if not ok:
            failures += 1
            problems.append(f"{name} × visit × {path}: expected {'allowed' if allowed else 'denied'}")

    for name, (role, c, _) in users.items():
        allowed = visit_reference(role, info[name], company)
        st, body = c.get(f"/api/v1/companies/{company}/visits")
        cell(name, "company list", allowed, st == (200 if allowed else 404) and
             (not allowed or [v["id"] for v in body["visits"]] == [done["id"], gone["id"]]) and
             (allowed or VISIT_SECRET not in str(body)))
        for v, label in ((done, "visit GET"), (gone, "cancelled visit GET")):
            st, body = c.get(f"/api/v1/visits/{v['id']}")
            cell(name, label, allowed, st == (200 if allowed else 404) and
                 (not allowed or label != "visit GET" or body["report"] == VISIT_SECRET))
        st, body = c.get("/api/v1/dispatch/companies")
        cell(name, "dispatch companies", allowed, st == 200 and (company in [x["id"] for x in body["companies"]]) == allowed)
        writer = role == "secretariat" or c is expert
        st, body = c.patch(f"/api/v1/visits/{done['id']}", {"checklist": {"vision_aligned": False}})
        cell(name, "PATCH", allowed, st == (200 if writer else 403 if allowed else 404))
        told = allowed and (role == "participant" or c is expert)  # the visit's expert was told when scheduled
        st, body = c.get("/api/v1/notifications")
        visit_ids = {n.get("visit_id") for n in body["notifications"]}
        cell(name, "notification", allowed, st == 200 and (done["id"] in visit_ids) == told
             and VISIT_SECRET not in str(body))
    # the status rows: suspended, withdrawn company, gated
    suspended = fw.user(srv, a, "participant", company)
    st, _ = a.patch(f"/api/v1/users/{suspended.uid}", {"status": "suspended"})
    expect(st == 200, "suspend")
    st, _ = suspended.get(f"/api/v1/visits/{done['id']}")
    cell("participant_suspended", "visit GET", False, st == 401)
    g = fw.group(a)
    cw = fw.company(a, g)
    pw = fw.user(srv, a, "participant", cw)
    fw.assign(a, cw, expert.uid)
    st, vw = a.post(f"/api/v1/companies/{cw}/visits", {"stage": 1, "scheduled_at": "2026-08-04T10:00:00+09:00",
                                                        "mode": "online", "expert_id": expert.uid})
    expect(st == 201, f"visit of the company to withdraw: {st} {vw}")
    st, _ = pw.get(f"/api/v1/visits/{vw['id']}")
    cell("participant_before_withdrawal", "visit GET", True, st == 200)
    st, _ = a.patch(f"/api/v1/companies/{cw}", {"status": "withdrawn"})
    expect(st == 200, "withdraw")
    st, body = pw.get(f"/api/v1/visits/{vw['id']}")
    cell("participant_withdrawn", "visit GET", False, st == 403 and body.get("error") == "company_inactive")
    st, body = pw.get(f"/api/v1/companies/{cw}/visits")
    cell("participant_withdrawn", "company list", False, st == 403 and body.get("error") == "company_inactive")
    st, body = pw.get("/api/v1/notifications")
    cell("participant_withdrawn", "notification", False, st == 200 and vw["id"] not in
         {n.get("visit_id") for n in body["notifications"]})
    st, doc = a.post("/api/v1/documents", {"kind": "nda", "title": "NDA", "body": "秘密を守ります。", "material": True})
    expect(st == 201, f"publish: {st} {doc}")
    for name, (role, c, _) in users.items():
        st, body = c.get(f"/api/v1/visits/{done['id']}")
        ok = st == 200 if role == "secretariat" else (st == 403 and body.get("error") == "consent_required")
        cell(name + "_gated", "visit GET", role == "secretariat", ok)
        if role == "participant":
            st, body = c.get("/api/v1/notifications")
            cell(name + "_gated", "notification", False, st == 200 and done["id"] not in
                 {n.get("visit_id") for n in body["notifications"]})
    print(f"visit matrix: {len(users)} roles × 6 paths + status rows, {cells} cells checked, {failures} wrong")
    for p in problems:
        print("  " + p)
    expect(failures == 0, f"{failures} visit cells wrong")
    expect(cells == len(users) * 6 + 5 + len(users) + 3, f"every visit path was checked ({cells})")


CASE_STATES = ["draft", "awaiting_approval", "approved", "published"]


def case_reference(name, state):
    """Who may read a case of company A (docs/API.md §11), written independently of the server."""
    if name == "anonymous":
        return False
    if state == "published" or name == "secretariat":
        return True
    return name in ("representative", "participant_same_company", "expert_assigned")


def case_matrix(srv, a, users, cA, cB, cC):
    # the participation consent covers the case collection: everyone passes the gate again
    docs = {}
    for kind in ("participation", "nda"):
        st, d = a.post("/api/v1/documents", {"kind": kind, "title": kind, "body": f"{kind} 本文", "material": True})
        expect(st == 201, f"document: {st} {d}")
        docs[kind] = d
    st, rep_u = a.post("/api/v1/users", {"email": f"{fw.uniq('rep')}@example.jp", "name": "代表 者",
                                         "role": "participant", "company_id": cA, "representative": True})
    expect(st == 201, f"rep: {st} {rep_u}")
    rep = srv.client()
    st, _ = rep.post(f"/api/v1/invites/{rep_u['invite_token']}/accept", {"password": fw.PASSWORD}, csrf=False)
    rep = srv.client()
    st, _ = rep.login(rep_u["user"]["email"], fw.PASSWORD)
    expect(st == 200, "rep sign-in")
    rep.uid = rep_u["user"]["id"]
    for company in (cB, cC):
        for d in docs.values():
            st, body = a.post(f"/api/v1/companies/{company}/consents",
                              {"document_id": d["id"], "method": "paper", "reference": "matrix"})
            expect(st == 201, f"company consent: {st} {body}")
    people = {"secretariat": a, "representative": rep}
    for name in ("participant_same_company", "participant_same_group", "participant_other_group",
                 "expert_assigned", "expert_unassigned"):
        people[name] = users[name][1]
    for name, c in people.items():
        if name == "secretariat":
            continue
        kinds = ("nda",) if name.startswith("expert") else ("participation", "nda")
        for k in kinds:
            body = {"sha256": docs[k]["sha256"]}
            if name == "representative":
                body["on_behalf_of_company"] = True
            st, r = c.post(f"/api/v1/documents/{docs[k]['id']}/accept", body)
            expect(st == 201, f"{name} accepts {k}: {st} {r}")
    anon = srv.client()
    people["anonymous"] = anon

    # one case of company A in each state (made clean so it can be submitted)
    cases = {}
    for state in CASE_STATES:
        st, k = a.post("/api/v1/cases", {"company_id": cA, "title": f"事例 {state}",
                                        "body": f"A社は 2026年 に対策を進めた。{state}"})
        expect(st == 201, f"case: {st} {k}")
        if state != "draft":
            st, k = a.post(f"/api/v1/cases/{k['id']}/submit")
            expect(st == 200, f"submit: {st} {k}")
        if state in ("approved", "published"):
            st, k = rep.post(f"/api/v1/cases/{k['id']}/approve", {"sha256": k["sha256"]})
            expect(st == 200, f"approve: {st} {k}")
        if state == "published":
            st, k = a.post(f"/api/v1/cases/{k['id']}/publish")
            expect(st == 200, f"publish: {st} {k}")
        expect(k["status"] == state, f"state {state}: {k}")
        cases[state] = k

    cells = failures = 0
    problems = []

    def cell(name, state, path, ok):
        nonlocal cells, failures
        cells += 1
        if not ok:
            failures += 1
            problems.append(f"{name} × {state} × {path}")

    st, pub = anon.get("/api/v1/public/cases")
    public_ids = [x["id"] for x in pub["cases"]] if st == 200 else None
    for name, c in people.items():
        signed_in = name != "anonymous"
        st, lst = c.get("/api/v1/cases")
        listed = [x["id"] for x in lst["cases"]] if st == 200 else []
        st_notes, notes = c.get("/api/v1/notifications")
        kinds = [n["kind"] for n in notes["notifications"]] if st_notes == 200 else []
        for state, k in cases.items():
            allowed = case_reference(name, state)
            cid = k["id"]
            st, body = c.get(f"/api/v1/cases/{cid}")
            cell(name, state, "case GET", st == (200 if allowed else 404 if signed_in else 401))
            if st == 200 and name in ("participant_same_group", "participant_other_group", "expert_unassigned"):
                cell(name, state, "no company identity", "company_id" not in body and "company_name" not in body)
            cell(name, state, "list membership", (cid in listed) == allowed)
            st, body = c.get(f"/api/v1/cases?status={state}")
            cell(name, state, "list by status",
                 (st == 200 and (cid in [x["id"] for x in body["cases"]]) == allowed) or (not signed_in and st == 401))
            st, body = c.get(f"/api/v1/cases/{cid}/findings")
            want = 200 if name == "secretariat" else 401 if not signed_in else 403
            cell(name, state, "findings", st == want)
            st, body = c.post(f"/api/v1/cases/{cid}/approve", {"sha256": "0" * 64})
            if not signed_in:
                want = {401}
            elif name == "representative":
                want = {409}
            elif not name.startswith("participant"):
                want = {403}  # the route is the participants'
            else:
                want = {403} if allowed else {404}
            cell(name, state, "approve refused", st in want)
            st, body = c.get(f"/api/v1/public/cases/{cid}")
            cell(name, state, "public GET", st == (200 if state == "published" else 404))
            cell(name, state, "public list", public_ids is not None and (cid in public_ids) == (state == "published"))
        # the representative alone is told of the cases awaiting approval (3 were submitted)
        if signed_in:
            told = kinds.count("case.awaiting_approval")
            cell(name, "awaiting_approval", "notification", told == (3 if name == "representative" else 0))
    print(f"case matrix: {len(people)} roles × {len(CASE_STATES)} states, {cells} cells checked, {failures} wrong")
    for p in problems:
        print("  " + p)
    expect(failures == 0, f"{failures} case cells wrong")
    # nothing changed by the refused approvals
    for state, k in cases.items():
        st, body = a.get(f"/api/v1/cases/{k['id']}")
        expect(body["status"] == state, f"{state} unchanged: {body['status']}")


if __name__ == "__main__":
    main()
