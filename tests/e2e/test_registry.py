#!/usr/bin/env python3
"""The program registry end to end (docs/API.md §3): workshop groups, companies with the industry →
track derivation, SME eligibility at every class's boundaries, track capacity (also on
reactivation), company status, expert assignment and unassignment (access ends at once), the
expert directory with open escalations, the secretariat-only rule, and the audit entries."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamori import Server, expect, run_tests  # noqa: E402

srv = None  # the shared server (track_capacity large), started in main
PASSWORD = "registry-test-pass-2026"
_seq = [0]


# ---- helpers ---------------------------------------------------------------------------------

def uniq(prefix="x"):
    _seq[0] += 1
    return f"{prefix}{_seq[0]}-{int(time.time() * 1000) % 100000}"


def admin(server=None):
    c = (server or srv).client()
    st, body = c.login((server or srv).admin_email, (server or srv).admin_password)
    expect(st == 200, f"admin sign-in: {st} {body}")
    return c


def err(st, body, status, code, what):
    expect(st == status and isinstance(body, dict) and body.get("error") == code,
           f"{what}: expected {status} {code}, got {st} {body}")


def company_body(**kw):
    body = {"name": uniq("株式会社"), "industry": "E", "sme_class": "manufacturing_other",
            "capital_yen": 10_000_000, "employees": 20}
    body.update(kw)
    return body


def new_company(adm, **kw):
    st, c = adm.post("/api/v1/companies", company_body(**kw))
    expect(st == 201, f"company: {st} {c}")
    return c


def new_user(adm, role, server=None, **kw):
    """Creates and activates a user, signs them in; returns (client, user)."""
    body = {"email": uniq(role) + "@example.jp", "name": uniq("名前"), "role": role}
    body.update(kw)
    st, out = adm.post("/api/v1/users", body)
    expect(st == 201, f"user: {st} {out}")
    s = server or srv
    st, b = s.client().post(f"/api/v1/invites/{out['invite_token']}/accept", {"password": PASSWORD})
    expect(st == 200, f"accept: {st} {b}")
    c = s.client()
    st, b = c.login(body["email"], PASSWORD)
    expect(st == 200, f"sign-in: {st} {b}")
    return c, b["user"]


def audit(adm):
    st, body = adm.get("/api/v1/audit?limit=1000")
    expect(st == 200, f"audit: {st}")
    return body["entries"]


# ---- groups --------------------------------------------------------------------------------------

def test_groups():
    adm = admin()
    name = uniq("島")
    st, g = adm.post("/api/v1/groups", {"name": name})
    expect(st == 201 and g["name"] == name and isinstance(g["id"], int), f"create: {st} {g}")
    err(*adm.post("/api/v1/groups", {"name": name}), 409, "name_taken", "duplicate name")
    err(*adm.post("/api/v1/groups", {}), 422, "invalid", "missing name")
    err(*adm.post("/api/v1/groups", {"name": 3}), 422, "invalid", "numeric name")
    err(*adm.post("/api/v1/groups", {"name": "   "}), 422, "invalid", "blank name")
    new_company(adm, group_id=g["id"])
    st, body = adm.get("/api/v1/groups")
    mine = [x for x in body["groups"] if x["id"] == g["id"]]
    expect(st == 200 and mine and mine[0]["companies"] == 1, f"list: {st} {body}")
    expect(any(e["action"] == "group.create" and e["target"] == f"group:{g['id']}" for e in audit(adm)),
           "group.create not audited")


# ---- companies -----------------------------------------------------------------------------------

def test_track_derivation_every_letter():
    adm = admin()
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        st, body = adm.post("/api/v1/companies", company_body(industry=letter))
        if letter in "DEF":
            expect(st == 201 and body["track"] == "monozukuri", f"{letter}: {st} {body}")
        elif letter in "GHIJKLMNOPRST":
            expect(st == 201 and body["track"] == "service", f"{letter}: {st} {body}")
        else:
            err(st, body, 422, "industry_not_eligible", f"division {letter}")
    st, body = adm.post("/api/v1/companies", company_body(industry="e"))
    expect(st == 201 and body["industry"] == "E" and body["track"] == "monozukuri", f"lower case: {st} {body}")
    c = new_company(adm, industry="G")
    expect(c["status"] == "active" and c["group_id"] is None and c["sme_class"] == "manufacturing_other", f"{c}")


def test_sme_boundaries():
    adm = admin()
    ceilings = {"manufacturing_other": (300_000_000, 300), "wholesale": (100_000_000, 100),
                "service": (50_000_000, 100), "retail": (50_000_000, 50)}
    for cls, (cap, emp) in ceilings.items():
        ok = [(cap, emp + 1), (cap + 1, emp), (0, 10**6), (10**12, 0), (cap, emp)]
        for capital, employees in ok:
            st, body = adm.post("/api/v1/companies", company_body(industry="G", sme_class=cls, capital_yen=capital,
                                                                  employees=employees))
            expect(st == 201, f"{cls} {capital} yen {employees} people is an SME: {st} {body}")
        for capital, employees in [(cap + 1, emp + 1), (10**12, 10**6)]:
            st, body = adm.post("/api/v1/companies", company_body(industry="G", sme_class=cls, capital_yen=capital,
                                                                  employees=employees))
            err(st, body, 422, "not_sme", f"{cls} {capital} yen {employees} people")
    # the issue's own example
    st, _ = adm.post("/api/v1/companies", company_body(industry="I", sme_class="retail", capital_yen=50_000_000,
                                                       employees=51))
    expect(st == 201, "retail 50,000,000 / 51 is an SME")
    st, b = adm.post("/api/v1/companies", company_body(industry="I", sme_class="retail", capital_yen=50_000_001,
                                                       employees=51))
    err(st, b, 422, "not_sme", "retail 50,000,001 / 51")


def test_company_validation():
    adm = admin()
    bad = [
        ({"name": ""}, "empty name"),
        ({"name": None}, "missing name"),
        ({"industry": None}, "missing industry"),
        ({"industry": "EF"}, "two letters"),
        ({"industry": "1"}, "a digit"),
        ({"industry": 5}, "industry as number"),
        ({"sme_class": "manufacturing"}, "unknown class"),
        ({"sme_class": None}, "missing class"),
        ({"capital_yen": "10000000"}, "capital as text"),
        ({"capital_yen": 1.5}, "capital as float"),
        ({"capital_yen": -1}, "negative capital"),
        ({"capital_yen": None}, "missing capital"),
        ({"employees": None}, "missing employees"),
        ({"employees": -3}, "negative employees"),
        ({"employees": True}, "employees as boolean"),
        ({"group_id": "1"}, "group_id as text"),
        ({"group_id": 999999}, "missing group"),
    ]
    for change, what in bad:
        body = company_body(**change)
        body = {k: v for k, v in body.items() if v is not None}
        err(*adm.post("/api/v1/companies", body), 422, "invalid", what)
    # type errors come before eligibility
    err(*adm.post("/api/v1/companies", company_body(industry="A", employees="x")), 422, "invalid", "both wrong")


def test_company_get_list_patch():
    adm = admin()
    st, g = adm.post("/api/v1/groups", {"name": uniq("島")})
    c = new_company(adm, group_id=g["id"])
    expect(c["group_id"] == g["id"], f"group set: {c}")
    st, one = adm.get(f"/api/v1/companies/{c['id']}")
    expect(st == 200 and one["id"] == c["id"] and one["track"] == "monozukuri", f"get: {st} {one}")
    err(*adm.get("/api/v1/companies/999999"), 404, "not_found", "missing company")
    st, lst = adm.get("/api/v1/companies")
    expect(st == 200 and c["id"] in [x["id"] for x in lst["companies"]], "list")
    st, lst = adm.get(f"/api/v1/companies?group_id={g['id']}")
    expect(st == 200 and [x["id"] for x in lst["companies"]] == [c["id"]], f"filter by group: {lst}")
    st, b = adm.patch(f"/api/v1/companies/{c['id']}", {"group_id": None})
    expect(st == 200 and b["group_id"] is None, f"ungroup: {st} {b}")
    st, b = adm.patch(f"/api/v1/companies/{c['id']}", {"group_id": g["id"], "status": "completed"})
    expect(st == 200 and b["group_id"] == g["id"] and b["status"] == "completed", f"patch: {st} {b}")
    st, lst = adm.get("/api/v1/companies?status=completed")
    expect(c["id"] in [x["id"] for x in lst["companies"]], "filter by status")
    err(*adm.patch(f"/api/v1/companies/{c['id']}", {"status": "closed"}), 422, "invalid", "unknown status")
    err(*adm.patch(f"/api/v1/companies/{c['id']}", {"group_id": 999999}), 422, "invalid", "missing group")
    err(*adm.patch(f"/api/v1/companies/{c['id']}", {"group_id": "x"}), 422, "invalid", "group as text")
    err(*adm.patch(f"/api/v1/companies/{c['id']}", {}), 422, "invalid", "nothing to change")
    err(*adm.patch("/api/v1/companies/999999", {"status": "active"}), 404, "not_found", "missing company")
    updates = [e for e in audit(adm) if e["action"] == "company.update" and e["target"] == f"company:{c['id']}"]
    expect(len(updates) >= 2 and updates[-1]["detail"]["status"] == {"from": "active", "to": "completed"},
           f"company.update entries: {updates}")
    expect(any(e["action"] == "company.create" and e["target"] == f"company:{c['id']}" for e in audit(adm)),
           "company.create not audited")


def test_track_full():
    with Server(config={"track_capacity": "2"}) as s:
        adm = admin(s)
        a = new_company(adm, industry="G")
        b = new_company(adm, industry="K")
        err(*adm.post("/api/v1/companies", company_body(industry="N")), 409, "track_full", "third service company")
        # the other track is separate
        m = new_company(adm, industry="D")
        # eligibility is checked before capacity
        err(*adm.post("/api/v1/companies", company_body(industry="Q")), 422, "industry_not_eligible", "Q")
        # completed and withdrawn companies do not count
        st, _ = adm.patch(f"/api/v1/companies/{a['id']}", {"status": "completed"})
        expect(st == 200, "complete")
        c = new_company(adm, industry="H")
        err(*adm.patch(f"/api/v1/companies/{a['id']}", {"status": "active"}), 409, "track_full", "reactivation")
        st, _ = adm.patch(f"/api/v1/companies/{c['id']}", {"status": "withdrawn"})
        st, body = adm.patch(f"/api/v1/companies/{a['id']}", {"status": "active"})
        expect(st == 200 and body["status"] == "active", f"reactivation with room: {st} {body}")
        # an active company staying active is no reactivation
        st, _ = adm.patch(f"/api/v1/companies/{b['id']}", {"status": "active"})
        expect(st == 200, "active → active in a full track")
        st, _ = adm.patch(f"/api/v1/companies/{m['id']}", {"name": "改名"})
        expect(st == 200, "rename")


def test_secretariat_only():
    adm = admin()
    co = new_company(adm)
    part, _ = new_user(adm, "participant", company_id=co["id"])
    exp, _ = new_user(adm, "expert")
    for c, who in ((part, "participant"), (exp, "expert")):
        err(*c.post("/api/v1/companies", company_body()), 403, "forbidden", f"{who} creating a company")
        err(*c.get("/api/v1/companies"), 403, "forbidden", f"{who} listing companies")
        err(*c.get(f"/api/v1/companies/{co['id']}"), 403, "forbidden", f"{who} reading a company")
        err(*c.post("/api/v1/groups", {"name": uniq()}), 403, "forbidden", f"{who} creating a group")
        err(*c.get("/api/v1/experts"), 403, "forbidden", f"{who} listing experts")
    anon = srv.client()
    err(*anon.get("/api/v1/companies"), 401, "unauthenticated", "no session")
    err(*anon.post("/api/v1/groups", {"name": uniq()}), 401, "unauthenticated", "no session")


# ---- experts -------------------------------------------------------------------------------------

def test_assign_and_unassign():
    adm = admin()
    co = new_company(adm)
    part, puser = new_user(adm, "participant", company_id=co["id"])
    exp, euser = new_user(adm, "expert", specialties=["network"])
    path = f"/api/v1/companies/{co['id']}/experts"
    st, body = adm.post(path, {"expert_id": euser["id"]})
    expect(st == 201 and body["expert_id"] == euser["id"] and body["company_id"] == co["id"], f"assign: {st} {body}")
    err(*adm.post(path, {"expert_id": euser["id"]}), 409, "already_assigned", "twice")
    err(*adm.post(path, {"expert_id": puser["id"]}), 404, "not_found", "a participant is not an expert")
    err(*adm.post(path, {"expert_id": 999999}), 404, "not_found", "missing user")
    err(*adm.post("/api/v1/companies/999999/experts", {"expert_id": euser["id"]}), 404, "not_found", "no company")
    err(*adm.post(path, {}), 422, "invalid", "missing expert_id")
    err(*adm.post(path, {"expert_id": "1"}), 422, "invalid", "expert_id as text")
    st, one = adm.get(f"/api/v1/companies/{co['id']}")
    expect(one["expert_ids"] == [euser["id"]], f"company lists its experts: {one}")
    st, lst = adm.get(path)
    expect(st == 200 and [x["id"] for x in lst["experts"]] == [euser["id"]], f"company experts: {lst}")
    st, _ = adm.delete(f"{path}/{euser['id']}")
    expect(st == 204, f"unassign: {st}")
    err(*adm.delete(f"{path}/{euser['id']}"), 404, "not_found", "unassign twice")
    acts = [(e["action"], e["target"], e["detail"].get("expert_id")) for e in audit(adm)]
    expect(("expert.assign", f"company:{co['id']}", euser["id"]) in acts, "expert.assign not audited")
    expect(("expert.unassign", f"company:{co['id']}", euser["id"]) in acts, "expert.unassign not audited")


def test_unassignment_ends_access_at_once():
    adm = admin()
    st, _ = adm.get("/api/v1/categories")
    if st == 404:
        print("SKIP test_unassignment_ends_access_at_once: no forum routes yet")
        return
    st, g = adm.post("/api/v1/groups", {"name": uniq("島")})
    co = new_company(adm, group_id=g["id"])
    part, _ = new_user(adm, "participant", company_id=co["id"])
    exp, euser = new_user(adm, "expert")
    slug = uniq("cat").lower()
    st, cat = adm.post("/api/v1/categories", {"slug": slug, "name": slug, "description": ""})
    expect(st == 201, f"category: {st} {cat}")
    ids = {}
    for vis in ("company", "group"):
        st, t = part.post("/api/v1/threads", {"category_id": cat["id"], "title": f"{vis} の相談", "body": "本文",
                                              "kind": "discussion", "visibility": vis})
        expect(st == 201, f"thread ({vis}): {st} {t}")
        ids[vis] = t["id"]
    for tid in ids.values():
        err(*exp.get(f"/api/v1/threads/{tid}"), 404, "not_found", "unassigned expert before")
    st, _ = adm.post(f"/api/v1/companies/{co['id']}/experts", {"expert_id": euser["id"]})
    for vis, tid in ids.items():
        st, body = exp.get(f"/api/v1/threads/{tid}")
        expect(st == 200, f"assigned expert reads the {vis} thread: {st} {body}")
    st, _ = adm.delete(f"/api/v1/companies/{co['id']}/experts/{euser['id']}")
    expect(st == 204, "unassign")
    for vis, tid in ids.items():
        err(*exp.get(f"/api/v1/threads/{tid}"), 404, "not_found", f"{vis} thread right after unassignment")


def test_expert_directory():
    with Server() as s:
        adm = admin(s)
        _, a = new_user(adm, "expert", server=s, name="A 専門家", specialties=["ransomware", "Network"])
        _, b = new_user(adm, "expert", server=s, name="B 専門家", specialties=["email"])
        _, c = new_user(adm, "expert", server=s, name="C 専門家", specialties=[])
        _, gone = new_user(adm, "expert", server=s, name="D 停止中", specialties=["email"])
        st, _ = adm.patch(f"/api/v1/users/{gone['id']}", {"status": "suspended"})
        st, body = adm.get("/api/v1/experts")
        expect(st == 200, f"list: {st} {body}")
        ids = [x["id"] for x in body["experts"]]
        expect(set(ids) == {a["id"], b["id"], c["id"]}, f"suspended experts are not offered: {body}")
        for x in body["experts"]:
            for k in ("id", "name", "specialties", "open_escalations"):
                expect(k in x, f"expert lacks {k}: {x}")
            expect(x["open_escalations"] == 0, f"{x}")
        st, body = adm.get("/api/v1/experts?tag=network")
        expect(body["experts"][0]["id"] == a["id"], f"tag match (any ASCII case) first: {body}")
        st, body = adm.get("/api/v1/experts?tag=email")
        expect(body["experts"][0]["id"] == b["id"] and body["experts"][0]["matches"], f"email first: {body}")
        st, cats = adm.get("/api/v1/categories")
        if st == 404:
            print("SKIP open_escalations part: no forum routes yet")
            return
        st, cat = adm.post("/api/v1/categories", {"slug": "q", "name": "質問", "description": ""})
        threads = []
        for i in range(3):
            st, t = adm.post("/api/v1/threads", {"category_id": cat["id"], "title": f"質問 {i}", "body": "教えて",
                                                 "kind": "question", "visibility": "community"})
            expect(st == 201, f"question: {st} {t}")
            threads.append(t["id"])
        for tid, expert in ((threads[0], b), (threads[1], b), (threads[2], a)):
            st, e = adm.post(f"/api/v1/threads/{tid}/escalations", {"expert_id": expert["id"], "note": "お願いします"})
            expect(st == 201, f"escalate: {st} {e}")
        st, body = adm.get("/api/v1/experts")
        counts = {x["id"]: x["open_escalations"] for x in body["experts"]}
        expect(counts == {a["id"]: 1, b["id"]: 2, c["id"]: 0}, f"open escalations: {counts}")
        expect([x["id"] for x in body["experts"]] == [c["id"], a["id"], b["id"]], f"least busy first: {body}")
        st, body = adm.get("/api/v1/experts?tag=EMAIL")
        expect(body["experts"][0]["id"] == b["id"], f"a match comes before a lighter load: {body}")


def main():
    global srv
    with Server(config={"track_capacity": "1000"}) as s:
        srv = s
        run_tests([
            test_groups,
            test_track_derivation_every_letter,
            test_sme_boundaries,
            test_company_validation,
            test_company_get_list_patch,
            test_track_full,
            test_secretariat_only,
            test_assign_and_unassign,
            test_unassignment_ends_access_at_once,
            test_expert_directory,
        ])


if __name__ == "__main__":
    main()
