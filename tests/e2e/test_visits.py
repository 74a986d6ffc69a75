#!/usr/bin/env python3
"""Expert dispatch end to end (docs/API.md §10, docs/DISPATCH.md): scheduling (who may, stage 1–4,
mode, the assigned expert, one live visit per stage), the `company` visibility of visits on every
read (404 for anyone else, also after unassignment), the life cycle (scheduled → done | cancelled,
a done visit needs a report, checklist keys fixed per stage), the report rendered safely, the
participants told in the app and by mail without the report, the audit, the consent gate and
company status, and the secretariat's dispatch report (behind marks, CSV with a BOM)."""
import csv
import io
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamori import expect, run_tests  # noqa: E402
from test_questions import World  # noqa: E402
from forum_world import EventReader  # noqa: E402

JST = timezone(timedelta(hours=9))
REPORT_SECRET = "極秘の診断結果ZX81"


def err(st, body, status, code, what):
    expect(st == status and isinstance(body, dict) and body.get("error") == code,
           f"{what}: expected {status} {code}, got {st} {body}")


def schedule(w, client, company, stage, expert=None, when="2026-08-03T10:00:00+09:00", mode="onsite"):
    req = {"stage": stage, "scheduled_at": when, "mode": mode}
    if expert is not None:
        req["expert_id"] = expert.id
    return client.post(f"/api/v1/companies/{company}/visits", req)


def world():
    w = World()
    st, _ = w.admin.post(f"/api/v1/companies/{w.company_a}/experts", {"expert_id": w.e1.id})
    expect(st == 201, f"assign: {st}")
    return w


def visit_notes(w, client):
    return [n for n in w.notifications(client) if n.get("visit_id")]


def test_scheduling_rules():
    with world() as w:
        st, v = schedule(w, w.admin, w.company_a, 1, w.e1)
        expect(st == 201, f"schedule: {st} {v}")
        expect(v["status"] == "scheduled" and v["report"] is None and v["stage"] == 1 and v["mode"] == "onsite"
               and v["expert_id"] == w.e1.id and v["company_id"] == w.company_a, f"{v}")
        expect(v["checklist"] == {"problems_shared": False, "vision_aligned": False}, f"checklist {v}")
        err(*schedule(w, w.admin, w.company_a, 1, w.e1), 409, "stage_taken", "second stage 1")
        err(*schedule(w, w.admin, w.company_a, 2, w.e2), 422, "expert_not_assigned", "unassigned expert")
        err(*schedule(w, w.admin, w.company_a, 2, w.pa), 422, "expert_not_assigned", "a participant as expert")
        for bad in (0, 5, "1"):
            err(*schedule(w, w.admin, w.company_a, bad, w.e1), 422, "invalid", f"stage {bad!r}")
        err(*schedule(w, w.admin, w.company_a, 2, w.e1, mode="phone"), 422, "invalid", "mode")
        err(*schedule(w, w.admin, w.company_a, 2, w.e1, when="next tuesday"), 422, "invalid", "time")
        st, body = w.admin.post(f"/api/v1/companies/{w.company_a}/visits",
                                {"stage": 2, "scheduled_at": "2026-09-01T10:00:00+09:00", "mode": "online"})
        err(st, body, 422, "invalid", "secretariat without expert_id")
        # the assigned expert schedules for themselves (expert_id may be left out), not for others
        st, v2 = schedule(w, w.e1, w.company_a, 2, mode="online")
        expect(st == 201 and v2["expert_id"] == w.e1.id and v2["mode"] == "online", f"expert: {st} {v2}")
        st, _ = w.admin.post(f"/api/v1/companies/{w.company_a}/experts", {"expert_id": w.e2.id})
        err(*schedule(w, w.e1, w.company_a, 3, w.e2), 403, "forbidden", "expert for another expert")
        # an expert not assigned to the company does not see it; a participant may not schedule
        err(*schedule(w, w.e1, w.company_b, 1), 404, "not_found", "unassigned expert, other company")
        err(*schedule(w, w.pa, w.company_a, 3, w.e1), 403, "forbidden", "participant")
        err(*schedule(w, w.admin, 999999, 1, w.e1), 404, "not_found", "no such company")
        # nothing of the refused requests was stored
        st, lst = w.admin.get(f"/api/v1/companies/{w.company_a}/visits")
        expect(st == 200 and [x["stage"] for x in lst["visits"]] == [1, 2], f"list {lst}")


def test_visibility_is_the_company_rule():
    with world() as w:
        st, v = schedule(w, w.admin, w.company_a, 1, w.e1)
        expect(st == 201, f"{st} {v}")
        path, one = f"/api/v1/companies/{w.company_a}/visits", f"/api/v1/visits/{v['id']}"
        for who, ok in ((w.admin, True), (w.pa, True), (w.e1, True), (w.pb, False), (w.e2, False)):
            st, body = who.get(path)
            expect(st == (200 if ok else 404), f"list as {who.email}: {st} {body}")
            if ok:
                expect([x["id"] for x in body["visits"]] == [v["id"]], f"{body}")
            st, body = who.get(one)
            expect(st == (200 if ok else 404), f"get as {who.email}: {st} {body}")
            expect(ok or "2026-08-03" not in str(body), "a refusal names nothing")
        # the companies each caller may follow (the web page's start)
        for who, want in ((w.admin, {w.company_a, w.company_b}), (w.pa, {w.company_a}), (w.pb, {w.company_b}),
                          (w.e1, {w.company_a}), (w.e2, set())):
            st, body = who.get("/api/v1/dispatch/companies")
            expect(st == 200 and {c["id"] for c in body["companies"]} == want, f"companies of {who.email}: {body}")
        st, body = w.pa.get("/api/v1/dispatch/companies")
        expect(body["companies"][0]["stages"] == {"1": "scheduled", "2": "none", "3": "none", "4": "none"}, f"{body}")
        # unassignment ends the expert's access at once; assignment gives it back
        st, _ = w.admin.delete(f"/api/v1/companies/{w.company_a}/experts/{w.e1.id}")
        expect(st == 204, f"unassign {st}")
        for p in (path, one):
            st, _ = w.e1.get(p)
            expect(st == 404, f"unassigned expert reads {p}: {st}")
        st, _ = w.e1.patch(one, {"report": "x"})
        expect(st == 404, f"unassigned expert patches: {st}")
        st, _ = w.admin.post(f"/api/v1/companies/{w.company_a}/experts", {"expert_id": w.e1.id})
        st, _ = w.e1.get(one)
        expect(st == 200, f"reassigned: {st}")


def test_life_cycle_report_and_checklist():
    with world() as w:
        st, v = schedule(w, w.admin, w.company_a, 1, w.e1)
        one = f"/api/v1/visits/{v['id']}"
        err(*w.pa.patch(one, {"report": "participant"}), 403, "forbidden", "participant patch")
        err(*w.e1.patch(one, {"status": "done"}), 422, "report_required", "done without report")
        err(*w.e1.patch(one, {"status": "done", "report": "  \n "}), 422, "report_required", "blank report")
        err(*w.e1.patch(one, {"checklist": {"goals_set": True}}), 422, "invalid", "stage 2 key on stage 1")
        err(*w.e1.patch(one, {"checklist": {"problems_shared": "yes"}}), 422, "invalid", "not a boolean")
        err(*w.e1.patch(one, {"checklist": ["problems_shared"]}), 422, "invalid", "not an object")
        err(*w.e1.patch(one, {"status": "finished"}), 422, "invalid", "unknown status")
        err(*w.e1.patch(one, {"mode": "phone"}), 422, "invalid", "mode")
        err(*w.e1.patch(one, {"report": "x" * 65537}), 413, "too_large", "report too large")
        st, v = w.admin.get(one)
        expect(v["report"] is None and v["status"] == "scheduled" and not any(v["checklist"].values()),
               f"refusals changed nothing: {v}")
        # a draft report and one checklist item; the rendering is safe
        report = f"## 所見\n\n{REPORT_SECRET}\n\n<script>alert(1)</script> [x](javascript:alert(1))"
        st, v = w.e1.patch(one, {"report": report, "checklist": {"problems_shared": True}})
        expect(st == 200 and v["report"] == report and v["status"] == "scheduled", f"draft: {st} {v}")
        expect("<h2>" in v["report_html"] and "<script" not in v["report_html"]
               and "javascript:" not in v["report_html"], f"html {v['report_html']}")
        expect(v["checklist"] == {"problems_shared": True, "vision_aligned": False}, f"{v['checklist']}")
        st, v = w.e1.patch(one, {"status": "done", "checklist": {"vision_aligned": True}})
        expect(st == 200 and v["status"] == "done" and v["done_at"], f"done: {st} {v}")
        expect(v["checklist"] == {"problems_shared": True, "vision_aligned": True}, "checklist merged")
        # done is final: no return, no cancel, date and mode kept; the report may be corrected
        err(*w.e1.patch(one, {"status": "scheduled"}), 409, "conflict", "done → scheduled")
        err(*w.admin.patch(one, {"status": "cancelled"}), 409, "conflict", "done → cancelled")
        err(*w.e1.patch(one, {"scheduled_at": "2026-08-04T10:00:00+09:00"}), 409, "conflict", "done reschedule")
        err(*w.e1.patch(one, {"report": ""}), 422, "report_required", "a done visit keeps a report")
        st, v = w.e1.patch(one, {"report": report + "\n\n追記"})
        expect(st == 200 and v["report"].endswith("追記"), f"correction: {st}")
        # another assigned expert reads but does not change the visit
        st, _ = w.admin.post(f"/api/v1/companies/{w.company_a}/experts", {"expert_id": w.e2.id})
        st, _ = w.e2.get(one)
        expect(st == 200, "assigned expert reads")
        err(*w.e2.patch(one, {"report": "mine"}), 403, "forbidden", "another expert's visit")
        # cancel a scheduled visit; the stage may be scheduled again; the cancelled one stays listed
        st, v2 = schedule(w, w.admin, w.company_a, 2, w.e1)
        st, c2 = w.admin.patch(f"/api/v1/visits/{v2['id']}", {"status": "cancelled"})
        expect(st == 200 and c2["status"] == "cancelled", f"cancel: {st} {c2}")
        err(*w.e1.patch(f"/api/v1/visits/{v2['id']}", {"report": "late"}), 409, "conflict", "cancelled is closed")
        st, v3 = schedule(w, w.admin, w.company_a, 2, w.e1, when="2026-09-10T14:00:00+09:00")
        expect(st == 201, f"stage again after cancel: {st} {v3}")
        st, lst = w.pa.get(f"/api/v1/companies/{w.company_a}/visits")
        expect([(x["stage"], x["status"]) for x in lst["visits"]] ==
               [(1, "done"), (2, "cancelled"), (2, "scheduled")], f"{lst}")
        # rescheduling a scheduled visit
        st, v3 = w.e1.patch(f"/api/v1/visits/{v3['id']}", {"scheduled_at": "2026-09-11T14:00:00+09:00", "mode": "online"})
        expect(st == 200 and v3["mode"] == "online" and v3["scheduled_at"] == "2026-09-11T05:00:00Z", f"{v3}")
        # every change audited
        st, audit = w.admin.get("/api/v1/audit?limit=1000")
        actions = [(e["action"], e["target"]) for e in audit["entries"] if e["action"].startswith("visit.")]
        expect(("visit.create", f"visit:{v['id']}") in actions, f"{actions}")
        updates = [a for a in actions if a == ("visit.update", f"visit:{v['id']}")]
        expect(len(updates) == 3, f"three updates of visit 1: {actions}")
        expect(REPORT_SECRET not in str(audit), "the audit never holds the report")


def test_participants_told_without_the_report():
    with world() as w:
        streams = {c.email: EventReader(w.srv, c) for c in (w.pa, w.pb, w.e2)}
        for email, rd in streams.items():
            expect(rd.status == 200, f"stream of {email}: {rd.status}")
        st, v = schedule(w, w.admin, w.company_a, 1, w.e1, when="2026-08-03T10:00:00+09:00", mode="online")
        expect(st == 201, f"{st} {v}")
        notes = visit_notes(w, w.pa)
        # the event stream: the participant's own notification event, carrying only its id
        got = streams[w.pa.email].wait_for(lambda e: e[0] == "notification" and e[1].get("id") == notes[0]["id"]
                                           if notes else False, timeout=10)
        expect(got is not None and set(got[1]) <= {"id", "thread_id"}, f"participant's event: {got}")
        time.sleep(0.5)
        for email in (w.pb.email, w.e2.email):
            expect(not streams[email].events, f"{email} got events about the visit: {streams[email].events}")
        for rd in streams.values():
            rd.close()
        expect([(n["kind"], n["visit_id"]) for n in notes] == [("visit.scheduled", v["id"])], f"{notes}")
        expect(notes[0]["params"].get("when") == "2026-08-03 10:00" and notes[0]["params"].get("stage") == 1,
               f"params have the stage and date: {notes[0]}")
        mail = w.mail_to(w.pa, "専門家派遣（第1回）")[0]
        expect("2026-08-03 10:00" in mail[2], f"mail has the date: {mail[2]}")
        expect(not visit_notes(w, w.pb) and not visit_notes(w, w.e2), "other company and unassigned expert not told")
        expect([(n["kind"], n["visit_id"]) for n in visit_notes(w, w.e1)] == [("visit.scheduled", v["id"])],
               "the visit's expert is told when the secretariat schedules")
        w.mail_to(w.e1, "専門家派遣（第1回）")
        one = f"/api/v1/visits/{v['id']}"
        st, _ = w.e1.patch(one, {"status": "done", "report": REPORT_SECRET, "checklist": {"problems_shared": True}})
        expect(st == 200, f"done {st}")
        kinds = [n["kind"] for n in visit_notes(w, w.pa)]
        expect(kinds == ["visit.reported", "visit.scheduled"], f"{kinds}")
        expect(len(visit_notes(w, w.e1)) == 1, "the expert is not told of their own report")
        w.mail_to(w.pa, "報告が登録されました")
        time.sleep(1)
        for to, subject, body, raw in w.smtp.messages():
            expect(REPORT_SECRET not in body and REPORT_SECRET.encode() not in raw, f"report in mail to {to}")
            expect(not (to == w.pb.email and "専門家派遣" in subject), f"other company mailed: {subject}")
        for n in w.notifications(w.pa):
            expect(REPORT_SECRET not in json.dumps(n, ensure_ascii=False), "report in a notification")


def test_gate_and_company_status():
    with world() as w:
        st, v = schedule(w, w.admin, w.company_a, 1, w.e1)
        path = f"/api/v1/companies/{w.company_a}/visits"
        # a new NDA: participants and experts are held at the gate; the secretariat is not
        st, doc = w.admin.post("/api/v1/documents", {"kind": "nda", "title": "NDA", "body": "秘密を守ります。",
                                                     "material": True})
        expect(st == 201, f"publish {st} {doc}")
        for who in (w.pa, w.e1):
            st, body = who.get(path)
            err(st, body, 403, "consent_required", f"gated {who.email}")
            st, body = who.get(f"/api/v1/visits/{v['id']}")
            err(st, body, 403, "consent_required", "gated get")
        err(*schedule(w, w.e1, w.company_a, 2), 403, "consent_required", "gated expert schedules")
        st, _ = w.admin.get(path)
        expect(st == 200, "secretariat is not gated")
        # while gated, the participant's notifications about the visit are not listed, nor is the
        # visit in their calendar feed (the secretariat's still has it)
        expect(not visit_notes(w, w.pa), "gated: no visit notification listed")
        expect(feed(w, w.pa) == [] and feed(w, w.e1) == [] and len(feed(w, w.admin)) == 1, "gated feeds")
        st, _ = w.e1.post(f"/api/v1/documents/{doc['id']}/accept", {"sha256": doc["sha256"]})
        expect(st in (200, 201), f"expert accepts: {st}")
        st, _ = w.e1.get(path)
        expect(st == 200, f"expert after accepting: {st}")
        # a withdrawn company: no scheduling, its participant is refused
        st, c = w.admin.patch(f"/api/v1/companies/{w.company_a}", {"status": "withdrawn"})
        expect(st == 200, f"withdraw {st} {c}")
        err(*schedule(w, w.admin, w.company_a, 2, w.e1), 422, "invalid", "withdrawn company")
        err(*w.pa.get(path), 403, "company_inactive", "withdrawn participant")


def test_dispatch_report_and_behind():
    now = datetime.now(JST)
    fy = now.year if now.month >= 4 else now.year - 1
    # stage 1 due yesterday-ish (past), stage 4 due at the end of the program year (future)
    past = now - timedelta(days=2)
    if (past.month >= 4) != (now.month >= 4) or past.year not in (fy, fy + 1):
        past = now  # the program year just began: fall back to today (its end is still ahead)
    w = World(config={"dispatch_stage1_due": past.strftime("%m-%d"), "dispatch_stage4_due": "03-31"})
    try:
        st, _ = w.admin.post(f"/api/v1/companies/{w.company_a}/experts", {"expert_id": w.e1.id})
        st, _ = w.admin.post(f"/api/v1/companies/{w.company_b}/experts", {"expert_id": w.e2.id})
        st, v1 = schedule(w, w.admin, w.company_a, 1, w.e1)
        st, _ = w.e1.patch(f"/api/v1/visits/{v1['id']}", {"status": "done", "report": "ok",
                                                          "checklist": {"problems_shared": True, "vision_aligned": True}})
        expect(st == 200, "done")
        st, v2 = schedule(w, w.admin, w.company_a, 2, w.e1)
        st, _ = w.admin.patch(f"/api/v1/visits/{v2['id']}", {"status": "cancelled"})
        late = f"{fy + 2}-01-10T10:00:00+09:00"  # after the stage 4 day
        st, v4 = schedule(w, w.admin, w.company_b, 4, w.e2, when=late)
        expect(st == 201, f"late stage 4 {st} {v4}")
        err(*w.pa.get("/api/v1/dispatch/report"), 403, "forbidden", "participant")
        err(*w.e1.get("/api/v1/dispatch/report"), 403, "forbidden", "expert")
        st, rep = w.admin.get("/api/v1/dispatch/report")
        expect(st == 200, f"report {st} {rep}")
        expect(rep["due"] == {"1": f"{past.year}-{past.strftime('%m-%d')}", "4": f"{fy + 1}-03-31"}, f"due {rep['due']}")
        rows = {r["company_id"]: r for r in rep["companies"]}
        a, b = rows[w.company_a], rows[w.company_b]
        expect(a["stages"] == {"1": "done", "2": "cancelled", "3": "none", "4": "none"}, f"{a}")
        expect(b["stages"] == {"1": "none", "2": "none", "3": "none", "4": "scheduled"}, f"{b}")
        expect(a["checklist_met"] == 2 and a["checklist_total"] == 8 and b["checklist_met"] == 0, f"{a} {b}")
        stage1_passed = past < now  # the fallback day has not ended yet
        expect(a["behind"] == [], f"a is on time: {a['behind']}")
        expect(b["behind"] == ([1, 4] if stage1_passed else [4]), f"b behind: {b['behind']}")
        # a withdrawn company is not in the report
        st, _ = w.admin.patch(f"/api/v1/companies/{w.company_b}", {"status": "withdrawn"})
        st, rep2 = w.admin.get("/api/v1/dispatch/report")
        expect(w.company_b not in [r["company_id"] for r in rep2["companies"]], "withdrawn left out")
        st, raw = w.admin.request("GET", "/api/v1/dispatch/report?format=csv")
        expect(st == 200 and isinstance(raw, bytes) and raw.startswith(b"\xef\xbb\xbf"), f"csv {st} {raw[:20]!r}")
        rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"))))
        expect(rows[0][:8] == ["company_id", "company", "track", "experts", "stage_1", "stage_2", "stage_3", "stage_4"],
               f"{rows[0]}")
        mine = [r for r in rows[1:] if r[0] == str(w.company_a)][0]
        expect(mine[4:8] == ["done", "cancelled", "none", "none"] and mine[12] == "2", f"{mine}")
        err(*w.admin.get("/api/v1/dispatch/report?format=xml"), 400, "bad_request", "format")
    finally:
        w.close()


def feed(w, client):
    st, body = client.get("/api/v1/me/calendar")
    expect(st == 200, f"calendar url: {st} {body}")
    path = "/" + body["url"].split("/", 3)[3]
    st, ics = client.request("GET", path)
    expect(st == 200, f"feed: {st}")
    text = ics.decode("utf-8").replace("\r\n ", "")
    return [ev for ev in text.split("BEGIN:VEVENT")[1:] if "UID:visit-" in ev]


def test_calendar_feed_carries_the_callers_visits_only():
    with world() as w:
        st, v1 = schedule(w, w.admin, w.company_a, 1, w.e1, when="2026-08-03T10:00:00+09:00")
        st, _ = w.admin.post(f"/api/v1/companies/{w.company_b}/experts", {"expert_id": w.e2.id})
        st, v2 = schedule(w, w.admin, w.company_b, 1, w.e2, when="2026-08-04T10:00:00+09:00")
        st, v3 = schedule(w, w.admin, w.company_a, 2, w.e1)
        st, _ = w.admin.patch(f"/api/v1/visits/{v3['id']}", {"status": "cancelled"})
        st, _ = w.e1.patch(f"/api/v1/visits/{v1['id']}", {"report": REPORT_SECRET, "checklist": {"problems_shared": True}})
        name_a = w.admin.get(f"/api/v1/visits/{v1['id']}")[1]["company_name"]
        mine = {c.email: feed(w, c) for c in (w.admin, w.pa, w.pb, w.e1, w.e2)}
        uid = lambda v: f"UID:visit-{v['id']}@"
        expect(len(mine[w.admin.email]) == 2, f"secretariat: all live visits {mine[w.admin.email]}")
        expect(len(mine[w.pa.email]) == 1 and uid(v1) in mine[w.pa.email][0], "participant A: own company's")
        expect("SUMMARY:専門家派遣（第1回）\r\n" in mine[w.pa.email][0], f"participant summary: {mine[w.pa.email][0]}")
        expect(len(mine[w.pb.email]) == 1 and uid(v2) in mine[w.pb.email][0], "participant B: own company's")
        expect(len(mine[w.e1.email]) == 1 and uid(v1) in mine[w.e1.email][0] and name_a in mine[w.e1.email][0],
               f"expert: own, with the company's name {mine[w.e1.email]}")
        expect(len(mine[w.e2.email]) == 1 and uid(v2) in mine[w.e2.email][0], "expert 2: own")
        for evs in mine.values():
            for ev in evs:
                expect(REPORT_SECRET not in ev and "problems_shared" not in ev, "no report or checklist in a feed")


if __name__ == "__main__":
    run_tests([
        test_scheduling_rules,
        test_visibility_is_the_company_rule,
        test_life_cycle_report_and_checklist,
        test_participants_told_without_the_report,
        test_gate_and_company_status,
        test_dispatch_report_and_behind,
        test_calendar_feed_carries_the_callers_visits_only,
    ])

