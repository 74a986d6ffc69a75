#!/usr/bin/env python3
"""The program calendar end to end (docs/API.md §9, docs/CALENDAR.md): rounds (409 round_exists,
422 invalid), the standard ten of the brochure, materials invisible until published (list and
GET), the consent gate on readers, attendance validation (all or nothing), and the attendance
report in JSON and CSV (BOM, CRLF, formula-safe) with its at-risk marks."""
import csv
import io
import json
import os
import sys
import time
from urllib.parse import quote

sys.path.insert(0, os.path.dirname(__file__))
from mamori import Server, expect, run_tests  # noqa: E402
from forum_world import company, group, user  # noqa: E402


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def round_body(number, start, title=None, venue="新宿サンエービル 7F"):
    """A round whose seminar starts at epoch `start` (2 h) and workshop 15 min later (2 h)."""
    return {"number": number, "title": title or f"第{number}回のテーマ", "seminar_starts_at": iso(start),
            "seminar_ends_at": iso(start + 7200), "workshop_starts_at": iso(start + 8100),
            "workshop_ends_at": iso(start + 15300), "venue": venue}


class World:
    """A server with two companies (one participant each), an expert and the admin."""

    def __enter__(self):
        self.srv = Server().__enter__()
        self.admin = self.srv.admin()
        g = group(self.admin)
        self.c1 = company(self.admin, g)
        self.c2 = company(self.admin, g, industry="G")
        self.p1 = user(self.srv, self.admin, "participant", self.c1)
        self.p2 = user(self.srv, self.admin, "participant", self.c2)
        self.ex = user(self.srv, self.admin, "expert")
        return self

    def __exit__(self, *exc):
        self.srv.__exit__(*exc)

    def round(self, number, start, **kw):
        st, body = self.admin.post("/api/v1/rounds", round_body(number, start, **kw))
        expect(st == 201, f"round: {st} {body}")
        return body

    def upload(self, rid, name, data):
        st, body = self.admin.request("POST", f"/api/v1/rounds/{rid}/materials?filename={quote(name)}", raw=data,
                                      headers={"Content-Type": "application/pdf"})
        expect(st == 201, f"upload: {st} {body}")
        return body


def test_round_create_and_rules():
    with World() as w:
        start = int(time.time()) + 86400 * 30
        r = w.round(1, start, title="基礎; 知識, と\\演習")
        for k in ("id", "number", "title", "seminar_starts_at", "seminar_ends_at", "workshop_starts_at",
                  "workshop_ends_at", "venue", "materials"):
            expect(k in r, f"round has {k}: {r}")
        expect(r["seminar_starts_at"] == iso(start) and r["materials"] == [], f"round: {r}")
        # the same number again → 409 round_exists, nothing created
        st, body = w.admin.post("/api/v1/rounds", round_body(1, start + 86400))
        expect(st == 409 and body["error"] == "round_exists", f"duplicate: {st} {body}")
        # an end before its start → 422 invalid (seminar and workshop each)
        bad = round_body(2, start)
        bad["seminar_ends_at"] = iso(start - 60)
        st, body = w.admin.post("/api/v1/rounds", bad)
        expect(st == 422 and body["error"] == "invalid", f"seminar end before start: {st} {body}")
        bad = round_body(2, start)
        bad["workshop_ends_at"] = iso(start + 8000)
        st, body = w.admin.post("/api/v1/rounds", bad)
        expect(st == 422 and body["error"] == "invalid", f"workshop end before start: {st} {body}")
        for field in ("title", "venue", "number", "seminar_starts_at"):
            bad = round_body(2, start)
            del bad[field]
            st, body = w.admin.post("/api/v1/rounds", bad)
            expect(st == 422 and body["error"] == "invalid", f"missing {field}: {st} {body}")
        bad = round_body(2, start)
        bad["seminar_starts_at"] = "next tuesday"
        st, body = w.admin.post("/api/v1/rounds", bad)
        expect(st == 422, f"bad time: {st} {body}")
        # participants may not create rounds
        st, body = w.p1.post("/api/v1/rounds", round_body(3, start))
        expect(st == 403 and body["error"] == "forbidden", f"participant create: {st} {body}")
        # a later number created first still lists in number order
        w.round(5, start + 86400 * 50)
        w.round(2, start + 86400 * 10)
        st, lst = w.p1.get("/api/v1/rounds")
        expect(st == 200 and [x["number"] for x in lst["rounds"]] == [1, 2, 5], f"order: {lst}")
        st, one = w.ex.get(f"/api/v1/rounds/{r['id']}")
        expect(st == 200 and one["title"] == "基礎; 知識, と\\演習", f"expert reads: {st} {one}")
        st, body = w.p1.get("/api/v1/rounds/999999")
        expect(st == 404, f"missing round: {st}")
        # a correction of the date (PATCH), and its number conflict
        st, upd = w.admin.patch(f"/api/v1/rounds/{r['id']}", {"venue": "オンライン"})
        expect(st == 200 and upd["venue"] == "オンライン" and upd["number"] == 1, f"patch: {st} {upd}")
        st, body = w.admin.patch(f"/api/v1/rounds/{r['id']}", {"number": 2})
        expect(st == 409 and body["error"] == "round_exists", f"patch number taken: {st} {body}")
        st, body = w.admin.get("/api/v1/audit")
        expect(any(e["action"] == "round.create" for e in body["entries"]), "round.create audited")


def test_standard_rounds():
    with World() as w:
        # the brochure's own year (令和5年度): its ten dates exactly, 13:00-15:00 and 15:15-17:15 JST
        w.round(3, int(time.time()) + 86400)  # number 3 is taken: skipped
        st, body = w.admin.post("/api/v1/rounds/standard", {"year": 2023})
        expect(st == 201, f"standard: {st} {body}")
        expect(body["skipped"] == [3], f"skipped: {body['skipped']}")
        got = {r["number"]: r for r in body["created"]}
        expect(sorted(got) == [1, 2, 4, 5, 6, 7, 8, 9, 10], f"created: {sorted(got)}")
        dates = {1: "2023-07-25", 2: "2023-08-22", 4: "2023-09-26", 5: "2023-10-10", 6: "2023-10-24",
                 7: "2023-11-14", 8: "2023-11-28", 9: "2023-12-19", 10: "2024-01-23"}
        for n, d in dates.items():
            r = got[n]
            # 13:00 JST = 04:00Z, 15:00 = 06:00Z, 15:15 = 06:15Z, 17:15 = 08:15Z
            expect(r["seminar_starts_at"] == f"{d}T04:00:00Z" and r["seminar_ends_at"] == f"{d}T06:00:00Z",
                   f"round {n} seminar: {r}")
            expect(r["workshop_starts_at"] == f"{d}T06:15:00Z" and r["workshop_ends_at"] == f"{d}T08:15:00Z",
                   f"round {n} workshop: {r}")
            expect("新宿" in r["venue"], f"venue: {r['venue']}")
        expect(got[1]["title"].startswith("サイバーセキュリティを取り巻く環境") and got[10]["title"] == "全体総括",
               f"titles: {got[1]['title']} / {got[10]['title']}")
        # again: everything is taken → 200, nothing created
        st, body = w.admin.post("/api/v1/rounds/standard", {"year": 2023})
        expect(st == 200 and body["created"] == [] and len(body["skipped"]) == 10, f"again: {st} {body}")
        st, body = w.p1.post("/api/v1/rounds/standard", {})
        expect(st == 403, f"participant: {st}")
        st, body = w.admin.post("/api/v1/rounds/standard", {"year": "2023"})
        expect(st == 422, f"bad year: {st} {body}")


def test_standard_rounds_default_year():
    with World() as w:
        st, body = w.admin.post("/api/v1/rounds/standard", {})
        expect(st == 201 and len(body["created"]) == 10, f"standard: {st} {body}")
        jst = time.gmtime(time.time() + 9 * 3600)
        fy = jst.tm_year if jst.tm_mon >= 4 else jst.tm_year - 1
        expect(body["year"] == fy, f"program year {fy}: {body['year']}")
        first = body["created"][0]
        expect(first["seminar_starts_at"].startswith(f"{fy}-07-"), f"July of {fy}: {first}")
        for r in body["created"]:
            # every standard round is on a Tuesday in Tokyo
            t = time.strptime(r["seminar_starts_at"], "%Y-%m-%dT%H:%M:%SZ")
            expect(t.tm_wday == 1 and t.tm_hour == 4, f"Tuesday 13:00 JST: {r}")


def test_materials_invisible_until_published():
    with World() as w:
        r = w.round(1, int(time.time()) + 86400 * 7, title="初回")
        secret = "社外秘-資料-2026".encode() + os.urandom(64)
        m = w.upload(r["id"], "第1回_スライド.pdf", secret)
        expect(m["published_at"] is None and m["size"] == len(secret) and m["filename"] == "第1回_スライド.pdf",
               f"material: {m}")
        # the secretariat sees it, in the list and by GET
        st, one = w.admin.get(f"/api/v1/rounds/{r['id']}")
        expect([x["id"] for x in one["materials"]] == [m["id"]], f"secretariat list: {one}")
        st, data = w.admin.get(f"/api/v1/materials/{m['id']}")
        expect(st == 200 and data == secret, f"secretariat download: {st}")
        # nobody else: not listed, 404 like a missing one
        for c in (w.p1, w.ex):
            st, one = c.get(f"/api/v1/rounds/{r['id']}")
            expect(st == 200 and one["materials"] == [], f"unpublished listed to {c.uid}: {one}")
            st, lst = c.get("/api/v1/rounds")
            expect(all(x["materials"] == [] for x in lst["rounds"]), f"unpublished in list: {lst}")
            st, body = c.get(f"/api/v1/materials/{m['id']}")
            st2, body2 = c.get("/api/v1/materials/99999999")
            expect(st == 404 and st2 == 404 and body == body2, f"unpublished GET: {st} {body} / {st2} {body2}")
        # only the secretariat uploads and publishes
        st, body = w.p1.request("POST", f"/api/v1/rounds/{r['id']}/materials?filename=x.pdf", raw=b"x")
        expect(st == 403, f"participant upload: {st} {body}")
        st, body = w.p1.post(f"/api/v1/materials/{m['id']}/publish")
        expect(st == 403, f"participant publish: {st} {body}")
        # upload rules
        st, body = w.admin.request("POST", f"/api/v1/rounds/{r['id']}/materials?filename=", raw=b"x")
        expect(st == 422, f"no filename: {st} {body}")
        st, body = w.admin.request("POST", f"/api/v1/rounds/{r['id']}/materials?filename=a.pdf", raw=b"")
        expect(st == 422, f"empty: {st} {body}")
        st, body = w.admin.request("POST", "/api/v1/rounds/999999/materials?filename=a.pdf", raw=b"x")
        expect(st == 404, f"no round: {st} {body}")
        # publish: visible to readers, downloadable as an attachment
        st, pub = w.admin.post(f"/api/v1/materials/{m['id']}/publish")
        expect(st == 200 and pub["published_at"], f"publish: {st} {pub}")
        st, again = w.admin.post(f"/api/v1/materials/{m['id']}/publish")
        expect(st == 200 and again["published_at"] == pub["published_at"], f"publish twice: {again}")
        st, one = w.p1.get(f"/api/v1/rounds/{r['id']}")
        expect([x["id"] for x in one["materials"]] == [m["id"]] and one["materials"][0]["published_at"],
               f"published listed: {one}")
        st, data = w.p2.get(f"/api/v1/materials/{m['id']}")
        h = w.p2.last_headers
        expect(st == 200 and data == secret, f"participant download: {st}")
        expect(h["content-disposition"].startswith("attachment") and h.get("x-content-type-options") == "nosniff"
               and h["content-type"] == "application/octet-stream", f"download headers: {h}")
        # an unpublished second file stays hidden beside the published one
        m2 = w.upload(r["id"], "draft.pdf", b"draft")
        st, one = w.p1.get(f"/api/v1/rounds/{r['id']}")
        expect([x["id"] for x in one["materials"]] == [m["id"]], f"draft hidden: {one}")
        st, _ = w.p1.get(f"/api/v1/materials/{m2['id']}")
        expect(st == 404, f"draft GET: {st}")
        # an unpublished file uploaded by mistake can be deleted; a published one cannot
        st, body = w.p1.delete(f"/api/v1/materials/{m2['id']}")
        expect(st == 403, f"participant delete: {st} {body}")
        st, body = w.admin.delete(f"/api/v1/materials/{m['id']}")
        expect(st == 409 and body["error"] == "published", f"published delete: {st} {body}")
        st, body = w.admin.delete(f"/api/v1/materials/{m2['id']}")
        expect(st == 204, f"delete draft: {st} {body}")
        st, one = w.admin.get(f"/api/v1/rounds/{r['id']}")
        expect([x["id"] for x in one["materials"]] == [m["id"]], f"draft gone: {one}")
        st, _ = w.admin.delete(f"/api/v1/materials/{m2['id']}")
        expect(st == 404, "deleted twice")


def test_publish_notifies_without_confidential_text():
    with World() as w:
        r = w.round(4, int(time.time()) + 86400 * 7, title="フレームワーク")
        m = w.upload(r["id"], "極秘_顧客一覧.xlsx", b"confidential rows")
        st, _ = w.admin.post(f"/api/v1/materials/{m['id']}/publish")
        expect(st == 200, "publish")
        for p in (w.p1, w.p2):
            st, body = p.get("/api/v1/notifications")
            mine = [n for n in body["notifications"] if n["kind"] == "material.published"]
            expect(len(mine) == 1, f"one notification: {body}")
            params = mine[0]["params"]
            expect(params == {"round_id": r["id"], "number": 4, "round_title": "フレームワーク"}, f"round named: {params}")
            text = json.dumps(mine[0], ensure_ascii=False)
            expect("極秘" not in text and "xlsx" not in text, f"no file name: {text}")
        st, body = w.ex.get("/api/v1/notifications")
        expect(not [n for n in body["notifications"] if n["kind"] == "material.published"], "experts not told")
        st, body = w.admin.get("/api/v1/mail/outbox")
        mails = [x for x in body["mails"] if x["kind"] == "material.published"]
        expect(sorted(x["user_id"] for x in mails) == sorted([w.p1.uid, w.p2.uid]), f"mails: {mails}")
        for x in mails:
            expect("第4回" in x["subject"] and "極秘" not in x["subject"], f"subject: {x['subject']}")
        # publishing again tells nobody again
        st, _ = w.admin.post(f"/api/v1/materials/{m['id']}/publish")
        st, body = w.p1.get("/api/v1/notifications")
        expect(len([n for n in body["notifications"] if n["kind"] == "material.published"]) == 1, "no repeat")


def test_publish_mail_through_real_smtp():
    """The mail as the participants' SMTP server receives it: round number, title and link, never
    the file's name or bytes."""
    from test_questions import BASE_URL, World as MailWorld
    w = MailWorld()
    try:
        start = int(time.time()) + 86400 * 7
        st, r = w.admin.post("/api/v1/rounds", round_body(6, start, title="リスク評価"))
        expect(st == 201, f"round: {st} {r}")
        st, m = w.admin.request("POST", f"/api/v1/rounds/{r['id']}/materials?filename={quote('機密_A社_診断結果.pdf')}",
                                raw=b"QQ-MATERIAL-BYTES-QQ")
        expect(st == 201, f"upload: {st} {m}")
        st, _ = w.admin.post(f"/api/v1/materials/{m['id']}/publish")
        expect(st == 200, "publish")
        for p in (w.pa, w.pb):
            (to, subject, body, raw), = w.smtp.wait_for(lambda x, e=p.email: x[0] == e, f"mail to {p.email}")
            expect("第6回" in subject and "リスク評価" in subject, f"subject: {subject}")
            expect(f"{BASE_URL}/#/rounds/{r['id']}" in body and "第6回" in body, f"body: {body}")
            for bad in ("機密", "診断結果", ".pdf", "QQ-MATERIAL"):
                expect(bad not in subject and bad not in body and bad.encode() not in raw, f"{bad} in the mail")
        expect(not [x for x in w.smtp.messages() if x[0] in (w.e1.email, w.e2.email)], "experts get no mail")
    finally:
        w.close()


def test_purging_an_attachment_keeps_a_material_with_the_same_bytes():
    """Materials share the content-addressed file store with thread attachments: purging an
    attachment must not remove (or zero) the file a material names."""
    from forum_world import category, thread
    with World() as w:
        r = w.round(1, int(time.time()) + 86400)
        data = ("第1回 配布資料 " + os.urandom(8).hex()).encode() * 40
        m = w.upload(r["id"], "slides.pdf", data)
        w.admin.post(f"/api/v1/materials/{m['id']}/publish")
        t = thread(w.p1, category(w.admin), "資料を共有", "同じファイルです")
        st, att = w.p1.request("POST", f"/api/v1/threads/{t['id']}/attachments?filename=copy.pdf", raw=data)
        expect(st == 201 and att["sha256"] == m["sha256"], f"attachment: {st} {att}")
        st, res = w.admin.post(f"/api/v1/attachments/{att['id']}/purge")
        expect(st == 200 and res["file_removed"] is False, f"purge keeps the shared file: {st} {res}")
        st, got = w.p2.get(f"/api/v1/materials/{m['id']}")
        expect(st == 200 and got == data, f"the material still downloads whole: {st}")


def test_gate_applies_to_readers():
    with World() as w:
        r = w.round(1, int(time.time()) + 86400 * 7)
        m = w.upload(r["id"], "a.pdf", b"bytes")
        w.admin.post(f"/api/v1/materials/{m['id']}/publish")
        # a new material NDA: nobody has accepted it, the gate closes for participants and experts
        st, doc = w.admin.post("/api/v1/documents", {"kind": "nda", "title": "NDA", "body": "守秘", "material": True})
        expect(st == 201, f"document: {st} {doc}")
        for c in (w.p1, w.ex):
            for path in ("/api/v1/rounds", f"/api/v1/rounds/{r['id']}", f"/api/v1/materials/{m['id']}"):
                st, body = c.get(path)
                expect(st == 403 and body["error"] == "consent_required", f"{path} gated: {st} {body}")
        st, body = w.admin.get("/api/v1/rounds")
        expect(st == 200 and len(body["rounds"]) == 1, "the secretariat is not gated")
        # the expert accepts the NDA and reads again
        st, _ = w.ex.post(f"/api/v1/documents/{doc['id']}/accept", {"sha256": doc["sha256"]})
        expect(st == 201, f"accept: {st}")
        st, body = w.ex.get(f"/api/v1/materials/{m['id']}")
        expect(st == 200 and body == b"bytes", f"expert after consent: {st}")
        # unauthenticated
        st, body = w.srv.client().get("/api/v1/rounds")
        expect(st == 401, f"no session: {st}")


def test_attendance_validation_all_or_nothing():
    with World() as w:
        r = w.round(1, int(time.time()) + 86400)
        url = f"/api/v1/rounds/{r['id']}/attendance"

        def roll():
            st, body = w.admin.get(url)
            expect(st == 200, f"roll: {st} {body}")
            return {p["user_id"]: p["status"] for p in body["participants"]}

        expect(roll() == {w.p1.uid: None, w.p2.uid: None}, f"empty roll: {roll()}")
        bad_sets = [
            [{"user_id": w.p1.uid, "status": "present"}, {"user_id": 999999, "status": "absent"}],  # unknown
            [{"user_id": w.p1.uid, "status": "present"}, {"user_id": w.ex.uid, "status": "present"}],  # expert
            [{"user_id": w.p1.uid, "status": "present"}, {"user_id": 1, "status": "present"}],  # secretariat
            [{"user_id": w.p1.uid, "status": "late"}],
            [{"user_id": str(w.p1.uid), "status": "present"}],
            [{"user_id": w.p1.uid, "status": "present"}, {"user_id": w.p1.uid, "status": "absent"}],
            ["present"],
        ]
        for recs in bad_sets:
            st, body = w.admin.request("PUT", url, {"records": recs})
            expect(st == 422 and body["error"] == "invalid", f"{recs}: {st} {body}")
            expect(roll() == {w.p1.uid: None, w.p2.uid: None}, f"nothing changed after {recs}: {roll()}")
        st, body = w.admin.request("PUT", url, {"records": "all present"})
        expect(st == 422, f"records not a list: {st}")
        st, body = w.admin.request("PUT", url, {"records": [{"user_id": w.p1.uid, "status": "present"},
                                                            {"user_id": w.p2.uid, "status": "excused"}]})
        expect(st == 200, f"record: {st} {body}")
        expect({p["user_id"]: p["status"] for p in body["participants"]} == {w.p1.uid: "present", w.p2.uid: "excused"},
               f"recorded: {body}")
        # a change, and a cleared mistake (status null)
        st, body = w.admin.request("PUT", url, {"records": [{"user_id": w.p1.uid, "status": "absent"},
                                                            {"user_id": w.p2.uid, "status": None}]})
        expect(st == 200 and roll() == {w.p1.uid: "absent", w.p2.uid: None}, f"update: {roll()}")
        st, body = w.p1.request("PUT", url, {"records": [{"user_id": w.p1.uid, "status": "present"}]})
        expect(st == 403, f"participant records: {st}")
        st, body = w.admin.request("PUT", "/api/v1/rounds/999999/attendance", {"records": []})
        expect(st == 404, f"no round: {st}")
        st, body = w.admin.get("/api/v1/audit")
        expect(any(e["action"] == "attendance.update" for e in body["entries"]), "attendance audited")


def test_report_json_csv_and_at_risk():
    with World() as w:
        now = int(time.time())
        past1 = w.round(1, now - 86400 * 20)
        past2 = w.round(2, now - 86400 * 10)
        future = w.round(3, now + 86400 * 10)
        # c1: present at both past rounds → not at risk; c2: present, then nothing recorded → at risk
        w.admin.request("PUT", f"/api/v1/rounds/{past1['id']}/attendance",
                        {"records": [{"user_id": w.p1.uid, "status": "present"},
                                     {"user_id": w.p2.uid, "status": "present"}]})
        w.admin.request("PUT", f"/api/v1/rounds/{past2['id']}/attendance",
                        {"records": [{"user_id": w.p1.uid, "status": "excused"}]})
        # a third company whose participant's name would be a spreadsheet formula, absent at round 1
        c3 = company(w.admin)
        p3 = user(w.srv, w.admin, "participant", c3, handle="formula")
        w.admin.request("PUT", f"/api/v1/rounds/{past1['id']}/attendance",
                        {"records": [{"user_id": p3.uid, "status": "absent"}]})
        w.admin.request("PUT", f"/api/v1/rounds/{past2['id']}/attendance",
                        {"records": [{"user_id": p3.uid, "status": "present"}]})
        w.admin.request("PUT", f"/api/v1/rounds/{future['id']}/attendance",
                        {"records": [{"user_id": p3.uid, "status": "present"}]})

        st, rep = w.admin.get("/api/v1/attendance/report")
        expect(st == 200, f"report: {st} {rep}")
        expect([r["number"] for r in rep["rounds"]] == [1, 2, 3], f"rounds: {rep['rounds']}")
        rows = {r["user_id"]: r for r in rep["rows"]}
        expect(set(rows) == {w.p1.uid, w.p2.uid, p3.uid}, f"one row per participant: {list(rows)}")
        expect([s["status"] for s in rows[w.p1.uid]["rounds"]] == ["present", "excused", None], f"p1: {rows[w.p1.uid]}")
        expect(rows[w.p1.uid]["at_risk"] is False and rows[w.p1.uid]["at_risk_reason"] is None, f"p1 safe: {rows[w.p1.uid]}")
        expect(rows[w.p2.uid]["at_risk"] is True and rows[w.p2.uid]["at_risk_rounds"] == [
            {"round_number": 2, "reason": "unrecorded"}], f"p2 unrecorded past round: {rows[w.p2.uid]}")
        expect(rows[p3.uid]["at_risk"] is True and rows[p3.uid]["at_risk_rounds"] == [
            {"round_number": 1, "reason": "absent"}], f"p3 absent: {rows[p3.uid]}")
        expect("第1回" in rows[p3.uid]["at_risk_reason"], f"reason text: {rows[p3.uid]['at_risk_reason']}")
        comps = {c["company_id"]: c for c in rep["companies"]}
        expect(comps[w.c1]["at_risk"] is False and comps[w.c2]["at_risk"] is True and comps[c3]["at_risk"] is True,
               f"companies: {comps}")
        # a withdrawn company drops out of the report
        st, _ = w.admin.patch(f"/api/v1/companies/{c3}", {"status": "withdrawn"})
        st, rep2 = w.admin.get("/api/v1/attendance/report")
        expect(p3.uid not in {r["user_id"] for r in rep2["rows"]}, "withdrawn company's participant gone")
        st, _ = w.admin.patch(f"/api/v1/companies/{c3}", {"status": "active"})

        # CSV: BOM, CRLF, one row per participant, round columns, formula-safe names
        st, body = w.admin.patch(f"/api/v1/users/{w.p2.uid}", {"name": "=HYPERLINK(\"x\")"})
        expect(st == 200, f"rename: {st} {body}")
        st, raw = w.admin.get("/api/v1/attendance/report?format=csv")
        h = w.admin.last_headers
        expect(st == 200 and h["content-type"].startswith("text/csv"), f"csv: {st} {h}")
        expect(raw.startswith(b"\xef\xbb\xbf"), "BOM")
        text = raw[3:].decode("utf-8")
        expect("\r\n" in text and "\n" not in text.replace("\r\n", ""), "CRLF only")
        table = list(csv.reader(io.StringIO(text, newline="")))
        head = table[0]
        expect(head[:6] == ["company_id", "company", "track", "user_id", "name", "email"], f"head: {head}")
        expect(head[6:9] == ["round_1", "round_2", "round_3"] and head[-2:] == ["at_risk", "at_risk_reason"],
               f"head: {head}")
        body = {int(r[3]): r for r in table[1:] if r}
        expect(len(body) == 3, f"rows: {table}")
        expect(body[w.p1.uid][6:9] == ["present", "excused", ""], f"p1 csv: {body[w.p1.uid]}")
        expect(body[p3.uid][-2] == "true" and "第1回" in body[p3.uid][-1], f"p3 csv: {body[p3.uid]}")
        name_cell = body[w.p2.uid][4]
        expect(not name_cell.startswith("="), f"formula-safe: {name_cell!r}")
        st, _ = w.admin.get("/api/v1/attendance/report?format=xml")
        expect(st == 400, "bad format")
        st, _ = w.p1.get("/api/v1/attendance/report")
        expect(st == 403, "participants may not read the report")


if __name__ == "__main__":
    run_tests([test_round_create_and_rules, test_standard_rounds, test_standard_rounds_default_year,
               test_materials_invisible_until_published, test_publish_notifies_without_confidential_text,
               test_publish_mail_through_real_smtp, test_purging_an_attachment_keeps_a_material_with_the_same_bytes,
               test_gate_applies_to_readers, test_attendance_validation_all_or_nothing,
               test_report_json_csv_and_at_risk])
