#!/usr/bin/env python3
"""Applications and selection end to end (docs/API.md §8, docs/APPLICATIONS.md): the public form's
eligibility rules at their exact boundaries and in their stated order, the deadline and the
per-address rate limit, contact_due_at on the business calendar (a weekend, a national holiday,
年末年始 and the Tokyo calendar day), the lottery against an independent re-computation (Python's
hashlib and the documented sha256sum one-liner), promotion from the waitlist, admission (company,
representative, invitation mail in a real SMTP sink, track_full), secretariat-only access, the
overdue triage items, and the retention purge leaving no trace in any file under the data
directory.

Times that depend on the calendar use the test clock (config clock_offset_seconds with
MAMORI_TEST_CLOCK=1): the server is restarted with its "now" at a chosen instant."""
import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import forum_world as fw  # noqa: E402
from mamori import Server, expect, run, run_tests  # noqa: E402
from test_questions import Smtp  # noqa: E402

JST = timezone(timedelta(hours=9))
CLASSES = {  # the brochure's table (中小企業基本法 第2条): capital ceiling, employees ceiling
    "manufacturing_other": (300_000_000, 300),
    "wholesale": (100_000_000, 100),
    "service": (50_000_000, 100),
    "retail": (50_000_000, 50),
}
FIELDS = ["company_name", "industry", "sme_class", "capital_yen", "employees", "tokyo_office",
          "has_security_devices", "has_security_policy", "contact_name", "contact_email", "contact_phone"]
_n = [0]


def form(**over):
    _n[0] += 1
    k = f"{os.getpid()}x{_n[0]}"
    body = {"company_name": f"株式会社テスト{k}", "industry": "E", "sme_class": "manufacturing_other",
            "capital_yen": 10_000_000, "employees": 20, "tokyo_office": True,
            "has_security_devices": True, "has_security_policy": True,
            "contact_name": f"山田 太郎{k}", "contact_email": f"apply{k}@example.jp",
            "contact_phone": "03-1234-5678"}
    body.update(over)
    return body


def apply(client, body):
    """The public form: no session, no CSRF header."""
    return client.post("/api/v1/applications", body, csrf=False)


def apps(admin, status=None):
    st, body = admin.get("/api/v1/applications" + (f"?status={status}" if status else ""))
    expect(st == 200, (st, body))
    return {a["id"]: a for a in body["applications"]}


def applied(srv, **over):
    st, body = apply(srv.client(), form(**over))
    expect(st == 201, (st, body))
    return body


def contact(admin, app_id, note="電話で前提条件を確認"):
    st, body = admin.post(f"/api/v1/applications/{app_id}/contact", {"note": note})
    expect(st == 200 and body["status"] == "contacted", (st, body))
    return body


def audit(admin):
    out, after = [], 0
    while True:
        st, body = admin.get(f"/api/v1/audit?after={after}&limit=1000")
        expect(st == 200, (st, body))
        if not body["entries"]:
            return out
        out += body["entries"]
        after = body["entries"][-1]["id"]


def parse(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def draw_by_hand(seed, ids, remaining):
    order = sorted(ids, key=lambda i: (hashlib.sha256(f"{seed}:{i}".encode()).hexdigest(), i))
    return order[:remaining], order[remaining:]


# ---- the form ------------------------------------------------------------------------------------

def test_eligibility_boundaries_per_sme_class():
    with Server(config={"application_rate_per_hour": "0"}) as srv:
        c = srv.client()
        for cls, (cap, emp) in CLASSES.items():
            ind = "E" if cls == "manufacturing_other" else "I" if cls in ("wholesale", "retail") else "G"
            cases = [
                (cap, emp, 201), (cap, emp + 1, 201), (cap + 1, emp, 201),  # either ceiling is enough
                (cap + 1, emp + 1, "not_sme"), (0, emp + 1, 201), (cap + 1, 0, 201),
            ]
            for capital, employees, want in cases:
                st, body = apply(c, form(industry=ind, sme_class=cls, capital_yen=capital, employees=employees))
                if want == 201:
                    expect(st == 201 and body["status"] == "received", (cls, capital, employees, st, body))
                else:
                    expect(st == 422 and body["error"] == want, (cls, capital, employees, st, body))
        # Tracks from the JSIC division, and the divisions outside both.
        for ind, track in [("D", "monozukuri"), ("e", "monozukuri"), ("F", "monozukuri"), ("G", "service"),
                           ("P", "service"), ("R", "service"), ("T", "service")]:
            st, body = apply(c, form(industry=ind, sme_class="retail", capital_yen=1, employees=1))
            expect(st == 201 and body["track"] == track, (ind, st, body))
        for ind in ["A", "B", "C", "Q", "U", "Z"]:
            st, body = apply(c, form(industry=ind))
            expect(st == 422 and body["error"] == "industry_not_eligible", (ind, st, body))


def test_error_order_and_invalid_fields():
    with Server(config={"application_rate_per_hour": "0"}) as srv:
        c, admin = srv.client(), srv.admin()
        worst = form(industry="Q", capital_yen=10**9, employees=10**4, tokyo_office=False,
                     has_security_devices=False, has_security_policy=False)
        steps = [("industry_not_eligible", {"industry": "E"}), ("not_sme", {"employees": 300}),
                 ("not_tokyo", {"tokyo_office": True}), ("prerequisites_unmet", {"has_security_devices": True}),
                 ("prerequisites_unmet", {"has_security_policy": True})]
        for code, fix in steps:
            st, body = apply(c, worst)
            expect(st == 422 and body["error"] == code, (code, st, body))
            worst.update(fix)
        st, body = apply(c, worst)
        expect(st == 201, (st, body))
        # A missing or mistyped field is `invalid` (naming it), before any eligibility rule.
        bad_values = {"company_name": [None, 5, "", " "], "industry": [None, "EE", "1", 5],
                      "sme_class": [None, "big", 1], "capital_yen": [None, "100", 1.5, -1, True],
                      "employees": [None, "20", -1, 2.5], "tokyo_office": [None, 1, "true"],
                      "has_security_devices": [None, 0, "yes"], "has_security_policy": [None, 1],
                      "contact_name": [None, "", 3], "contact_email": [None, "not-an-address", 4],
                      "contact_phone": [None, "", "call me", 3]}
        for field in FIELDS:
            for v in bad_values[field]:
                body = form(industry="Q")  # also ineligible: invalid must win
                if v is None:
                    del body[field]
                else:
                    body[field] = v
                st, out = apply(c, body)
                expect(st == 422 and out["error"] == "invalid" and out.get("field") == field,
                       (field, v, st, out))
        st, out = c.post("/api/v1/applications", raw=b"{not json", headers={"Content-Type": "application/json"},
                         csrf=False)
        expect(st == 400, (st, out))
        expect(len(apps(admin)) == 1, "refused attempts store no application")


def test_deadline():
    past = (datetime.now(timezone.utc) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with Server(config={"application_rate_per_hour": "0", "application_deadline": past}) as srv:
        st, body = apply(srv.client(), form())
        expect(st == 409 and body["error"] == "applications_closed", (st, body))
        expect(not apps(srv.admin()), "nothing stored after the deadline")
    future = (datetime.now(JST) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+09:00")
    with Server(config={"application_rate_per_hour": "0", "application_deadline": future}) as srv:
        st, body = apply(srv.client(), form())
        expect(st == 201, (st, body))


def test_rate_limit_per_address():
    with Server(config={"application_rate_per_hour": "3"}) as srv:
        c = srv.client()
        expect(apply(c, form(industry="Q"))[0] == 422, "refused")
        expect(apply(c, form(tokyo_office=False))[0] == 422, "refused")
        expect(apply(c, form())[0] == 201, "accepted")
        for body in (form(), form(industry="Q")):
            st, out = apply(c, body)
            expect(st == 429 and out["error"] == "rate_limited", (st, out))
            ra = int(c.last_headers.get("retry-after", "0"))
            expect(0 < ra <= 3600, f"Retry-After {ra}")
        expect(len(apps(srv.admin())) == 1, "only the accepted one is stored")
    with Server(config={"application_rate_per_hour": "0"}) as srv:
        for _ in range(8):
            expect(apply(srv.client(), form())[0] == 201, "0 = no limit")
        # A retried submission (the page's network dropped) with its Idempotency-Key gets the same
        # receipt and stores nothing twice.
        c, body = srv.client(), form()
        st1, r1 = c.post("/api/v1/applications", body, csrf=False, headers={"Idempotency-Key": "apply-retry-1"})
        st2, r2 = c.post("/api/v1/applications", body, csrf=False, headers={"Idempotency-Key": "apply-retry-1"})
        expect(st1 == st2 == 201 and r1 == r2, (st1, r1, st2, r2))
        expect(c.last_headers.get("idempotent-replayed") == "true", c.last_headers)
        expect(len(apps(srv.admin())) == 9, "one application for the two requests")


# ---- contact_due_at on the business calendar ----------------------------------------------------

DUE_CASES = [
    # received (Tokyo time)          due: 17:00 Tokyo on        why
    (datetime(2026, 12, 4, 10, 0, tzinfo=JST), (2026, 12, 9), "Friday: the weekend does not count"),
    (datetime(2026, 12, 8, 8, 0, tzinfo=JST), (2026, 12, 11), "Tuesday 08:00 in Tokyo is Monday in UTC"),
    (datetime(2026, 12, 5, 23, 30, tzinfo=JST), (2026, 12, 9), "received on a Saturday"),
    (datetime(2027, 2, 9, 12, 0, tzinfo=JST), (2027, 2, 15), "建国記念の日 (Thu 11 Feb) is closed"),
    (datetime(2026, 12, 25, 10, 0, tzinfo=JST), (2027, 1, 5), "年末年始: 29 Dec - 3 Jan closed"),
    (datetime(2026, 12, 28, 16, 59, tzinfo=JST), (2027, 1, 6), "the last business day of the year"),
]


def test_contact_due_across_weekend_holiday_and_year_end():
    srv = Server(config={"application_rate_per_hour": "0"}, env={"MAMORI_TEST_CLOCK": "1"})
    srv.init()
    try:
        for received, (y, m, d), why in DUE_CASES:
            srv.config["clock_offset_seconds"] = str(int(received.timestamp() - time.time()))
            srv.start()
            body = applied(srv)
            got_received = parse(body["received_at"])
            expect(abs((got_received - received).total_seconds()) < 60, (why, body))
            want = datetime(y, m, d, 17, 0, tzinfo=JST)
            expect(parse(body["contact_due_at"]) == want, (why, body["contact_due_at"], want.isoformat()))
            srv.stop()
        # Without MAMORI_TEST_CLOCK=1 a clock offset stops the server at start.
        p = subprocess.run([os.environ.get("MAMORI_BIN", "build/mamori"), "serve", "--data", srv.data,
                            "--listen", "127.0.0.1:1", "--config", os.path.join(srv.data, "test.conf")],
                           capture_output=True, text=True, timeout=30,
                           env={k: v for k, v in os.environ.items() if k != "MAMORI_TEST_CLOCK"})
        expect(p.returncode == 2 and "clock_offset_seconds" in p.stderr, (p.returncode, p.stderr))
    finally:
        srv.stop()
        srv.__exit__(None, None, None)


# ---- the lottery ------------------------------------------------------------------------------------

def test_lottery_waitlist_promotion_and_admission():
    smtp = Smtp().start()
    cfg = {"application_rate_per_hour": "0", "track_capacity": "3", "smtp_host": "127.0.0.1",
           "smtp_port": str(smtp.port), "base_url": "https://mamori.example.jp"}
    try:
        with Server(config=cfg) as srv:
            admin = srv.admin()
            fw.company(admin, industry="E")  # one active monozukuri company: 2 places left there
            mono = [applied(srv, industry="E")["id"] for _ in range(6)]
            serv = [applied(srv, industry="G", sme_class="service")["id"] for _ in range(2)]
            late = applied(srv, industry="E")["id"]  # never contacted: not a candidate
            for i in mono + serv:
                contact(admin, i)
            st, view = admin.get("/api/v1/selection")
            expect(st == 200, (st, view))
            tr = {t["track"]: t for t in view["tracks"]}
            expect(tr["monozukuri"]["remaining"] == 2 and tr["service"]["remaining"] == 3, tr)
            expect(sorted(c["id"] for c in tr["monozukuri"]["candidates"]) == sorted(mono), tr)

            seed = "2027-02-01-抽選-x7Qp"
            st, draw = admin.post("/api/v1/selection", {"seed": seed})
            expect(st == 200 and draw["seed"] == seed, (st, draw))
            sel_m, wait_m = draw_by_hand(seed, mono, 2)
            expect(draw["selected"] == sel_m + sorted(serv, key=lambda i: hashlib.sha256(
                f"{seed}:{i}".encode()).hexdigest()), (draw, sel_m))
            expect(draw["waitlisted"] == wait_m, (draw["waitlisted"], wait_m))
            # The documented shell one-liner gives the same order.
            ids = " ".join(str(i) for i in mono)
            sh = subprocess.run(["bash", "-c", f"for id in {ids}; do printf '%s %s\\n' \"$(printf '%s' "
                                 f"'{seed}:'$id | sha256sum | cut -c1-64)\" $id; done | sort"],
                                capture_output=True, text=True, check=True)
            expect([int(line.split()[1]) for line in sh.stdout.splitlines()] == sel_m + wait_m, sh.stdout)
            now = apps(admin)
            expect(all(now[i]["status"] == "selected" for i in sel_m + serv), now)
            expect(all(now[i]["status"] == "waitlisted" for i in wait_m), now)
            expect(now[late]["status"] == "received", "a received application is not drawn")
            entry = [e for e in audit(admin) if e["action"] == "selection.draw"]
            expect(len(entry) == 1 and entry[0]["detail"]["seed"] == seed and
                   entry[0]["detail"]["selected"] == draw["selected"] and
                   entry[0]["detail"]["waitlisted"] == draw["waitlisted"], entry)
            # Drawn applications are not drawn again.
            st, again = admin.post("/api/v1/selection", {"seed": "another"})
            expect(st == 200 and again["selected"] == [] and again["waitlisted"] == [], again)

            # Declining a selected one promotes the first waitlisted of its track, in draw order.
            st, out = admin.post(f"/api/v1/applications/{sel_m[0]}/decline", {"reason": "辞退の連絡あり"})
            expect(st == 200 and out["status"] == "declined" and out["promoted"] == wait_m[0], (st, out))
            # Declining a waitlisted one promotes nobody.
            st, out = admin.post(f"/api/v1/applications/{wait_m[-1]}/decline", {"reason": "取り下げ"})
            expect(st == 200 and out["promoted"] is None, out)
            now = apps(admin)
            expect(now[wait_m[0]]["status"] == "selected" and now[wait_m[1]]["status"] == "waitlisted", now)
            st, out = admin.post(f"/api/v1/applications/{sel_m[0]}/decline", {"reason": "again"})
            expect(st == 409, (st, out))
            st, out = admin.post(f"/api/v1/applications/{late}/decline", {"reason": " "})
            expect(st == 422 and out["error"] == "invalid", (st, out))

            # Admission: only a selected application.
            for not_sel in (wait_m[1], late, sel_m[0]):
                st, out = admin.post(f"/api/v1/applications/{not_sel}/admit")
                expect(st == 409 and out["error"] == "not_selected", (not_sel, st, out))
            target = now[sel_m[1]]
            st, adm = admin.post(f"/api/v1/applications/{target['id']}/admit")
            expect(st == 201, (st, adm))
            co, user = adm["company"], adm["user"]
            expect(co["name"] == target["company_name"] and co["track"] == "monozukuri" and
                   co["status"] == "active" and co["capital_yen"] == target["capital_yen"], co)
            expect(user["email"] == target["contact_email"] and user["name"] == target["contact_name"] and
                   user["role"] == "participant" and user["representative"] is True and
                   user["status"] == "invited" and user["company_id"] == co["id"], user)
            expect(adm["application"]["status"] == "admitted", adm)
            st, out = admin.post(f"/api/v1/applications/{target['id']}/admit")
            expect(st == 409 and out["error"] == "not_selected", "admitted once")
            mail = smtp.wait_for(lambda m: m[0] == user["email"], "the invitation mail")[0]
            expect(f"https://mamori.example.jp/#/invite/{adm['invite_token']}" in mail[2], mail[2])
            c = srv.client()
            st, out = c.post(f"/api/v1/invites/{adm['invite_token']}/accept",
                             {"password": "atarashii-kaisha-2027"}, csrf=False)
            expect(st == 200, (st, out))
            expect(c.login(user["email"], "atarashii-kaisha-2027")[0] == 200, "the representative signs in")
            acts = [e for e in audit(admin) if e["action"] == "application.admit"]
            expect(len(acts) == 1 and acts[0]["detail"] == {"company_id": co["id"], "user_id": user["id"]}, acts)
            # Once sent, the outbox keeps no usable invitation link.
            db = sqlite3.connect(os.path.join(srv.data, "mamori.db"))
            body = db.execute("SELECT body FROM mail_outbox WHERE kind = 'invitation' AND state = 'sent'").fetchall()
            db.close()
            expect(body == [("",)], body)

            # track_full: the secretariat filled the track meanwhile; nothing is created.
            fw.company(admin, industry="D")
            companies_before = len(admin.get("/api/v1/companies")[1]["companies"])
            st, out = admin.post(f"/api/v1/applications/{wait_m[0]}/admit")
            expect(st == 409 and out["error"] == "track_full", (st, out))
            expect(len(admin.get("/api/v1/companies")[1]["companies"]) == companies_before, "no company")
            expect(apps(admin)[wait_m[0]]["status"] == "selected", "still selected")
            # email_taken: an account already has the contact's address; nothing is created.
            serv_app = apps(admin)[serv[1]]
            part = fw.user(srv, admin, "participant", fw.company(admin, industry="G"))
            db = sqlite3.connect(os.path.join(srv.data, "mamori.db"), timeout=30)
            db.execute("UPDATE applications SET contact_email = ? WHERE id = ?",
                       (f"{part.handle}@example.jp", serv_app["id"]))
            db.commit()
            db.close()
            companies_before = len(admin.get("/api/v1/companies")[1]["companies"])
            st, out = admin.post(f"/api/v1/applications/{serv[1]}/admit")
            expect(st == 409 and out["error"] == "email_taken", (st, out))
            expect(len(admin.get("/api/v1/companies")[1]["companies"]) == companies_before, "no company either")
            expect(apps(admin)[serv[1]]["status"] == "selected", "still selected")
            # A service application is admitted on its own track.
            st, adm2 = admin.post(f"/api/v1/applications/{serv[0]}/admit")
            expect(st == 201 and adm2["company"]["track"] == "service", (st, adm2))
    finally:
        smtp.stop()


# ---- who may see applications -----------------------------------------------------------------------

def test_only_the_secretariat_reads_applications():
    with Server(config={"application_rate_per_hour": "0"}) as srv:
        admin = srv.admin()
        a = applied(srv)["id"]
        comp = fw.company(admin)
        part = fw.user(srv, admin, "participant", comp)
        expert = fw.user(srv, admin, "expert")
        anon = srv.client()
        reads = [("GET", "/api/v1/applications", None), ("GET", f"/api/v1/applications/{a}", None),
                 ("GET", "/api/v1/applications?status=received", None), ("GET", "/api/v1/selection", None),
                 ("POST", f"/api/v1/applications/{a}/contact", {"note": "x"}),
                 ("POST", f"/api/v1/applications/{a}/decline", {"reason": "x"}),
                 ("POST", f"/api/v1/applications/{a}/admit", {}), ("POST", "/api/v1/selection", {"seed": "s"})]
        for who in (part, expert):
            for method, path, body in reads:
                st, out = who.request(method, path, body)
                expect(st == 404 and out["error"] == "not_found", (who.handle, method, path, st, out))
        for method, path, body in reads:
            st, out = anon.request(method, path, body)
            expect(st == 401, (method, path, st, out))
        st, out = admin.get(f"/api/v1/applications/{a}")
        expect(st == 200 and out["status"] == "received", "unchanged by the refused actions")
        expect(admin.get("/api/v1/applications/999999")[0] == 404, "missing is 404 for the secretariat too")
        st, list_ = admin.get("/api/v1/applications")
        expect(set(list_["applications"][0]) >= set(FIELDS) | {"status", "contacted_at", "overdue"},
               list_["applications"][0].keys())


# ---- triage ---------------------------------------------------------------------------------------

def test_overdue_applications_in_triage():
    with Server(config={"application_rate_per_hour": "0"}) as srv:
        admin = srv.admin()
        late, fine = applied(srv)["id"], applied(srv)["id"]

        def triage():
            st, body = admin.get("/api/v1/triage")
            expect(st == 200, (st, body))
            return [i for i in body["items"] if i["reason"] == "application_overdue"]

        expect(triage() == [] and not apps(admin)[late]["overdue"], "not overdue before its due time")
        due = int(time.time()) - 60
        db = sqlite3.connect(os.path.join(srv.data, "mamori.db"), timeout=30)
        db.execute("UPDATE applications SET contact_due_at = ? WHERE id = ?", (due, late))
        db.commit()
        db.close()
        items = triage()
        expect(len(items) == 1 and items[0]["application_id"] == late and "thread_id" not in items[0], items)
        expect(parse(items[0]["since"]).timestamp() == due, items)
        listed = apps(admin)
        expect(listed[late]["overdue"] is True and listed[fine]["overdue"] is False, listed)
        contact(admin, late)
        expect(triage() == [] and apps(admin)[late]["overdue"] is False, "contacted: no longer overdue")
        st, _ = admin.post(f"/api/v1/applications/{late}/contact", {"note": "again"})
        expect(st == 409, "contact is not repeated")


# ---- retention ------------------------------------------------------------------------------------

def files_with(data, needles):
    found = {}
    for root, _dirs, names in os.walk(data):
        for n in names:
            path = os.path.join(root, n)
            try:
                with open(path, "rb") as f:
                    blob = f.read()
            except OSError:
                continue
            hits = [x for x in needles if x in blob]
            if hits:
                found[os.path.relpath(path, data)] = hits
    return found


def test_retention_purge_leaves_no_trace():
    """Four applications: one declined on day 0, one declined on day 2, one waitlisted on day 0
    and one selected (kept). On day 91 the first and the waitlisted one are deleted while the one
    declined on day 2 (89 days before) stays; on day 93 it goes too. The scan that deletes the
    first proves a scan ran, so "stays" is not vacuous. Every deleted text was in the database
    file before and is in no file under the data directory after."""
    srv = Server(config={"application_rate_per_hour": "0", "track_capacity": "1"},
                 env={"MAMORI_TEST_CLOCK": "1"})
    srv.init()
    tag = f"{os.getpid()}qz"
    rec = {}
    for k in ("declined1", "declined2", "waitlisted", "kept"):
        m = f"鷲鶚鸛{k}{tag}"
        rec[k] = {"mark": m, "email": f"{k}{tag}@example.jp", "needles": [m.encode(), f"{k}{tag}@example.jp".encode()]}

    def restart(days):
        srv.stop()
        srv.config["clock_offset_seconds"] = str(days * 86400)
        srv.start()
        return srv.admin()

    def wait_until(pred, what):
        deadline = time.time() + 60
        while not pred():
            expect(time.time() < deadline, what)
            time.sleep(0.3)

    try:
        srv.start()
        admin = srv.admin()
        for k, r in rec.items():
            r["id"] = applied(srv, company_name=f"会社{r['mark']}", contact_name=f"氏名{r['mark']}",
                              contact_email=r["email"])["id"]
        for k in ("waitlisted", "kept"):
            contact(admin, rec[k]["id"], note=f"メモ{rec[k]['mark']}")
        # Capacity 1: the seed decides which of the two contacted is waitlisted; name them so.
        seed = "retention"
        _sel, wait = draw_by_hand(seed, [rec["waitlisted"]["id"], rec["kept"]["id"]], 1)
        if wait[0] != rec["waitlisted"]["id"]:
            rec["waitlisted"], rec["kept"] = rec["kept"], rec["waitlisted"]
        st, out = admin.post("/api/v1/selection", {"seed": seed})
        expect(st == 200 and out["waitlisted"] == [rec["waitlisted"]["id"]], out)
        st, out = admin.post(f"/api/v1/applications/{rec['declined1']['id']}/decline",
                             {"reason": f"理由{rec['declined1']['mark']}"})
        expect(st == 200, (st, out))

        admin = restart(2)
        st, out = admin.post(f"/api/v1/applications/{rec['declined2']['id']}/decline",
                             {"reason": f"理由{rec['declined2']['mark']}"})
        expect(st == 200, (st, out))
        srv.stop()
        every = [n for r in rec.values() for n in r["needles"]]
        found = files_with(srv.data, every)
        expect(set(found.get("mamori.db", [])) == set(every), f"the texts were in the database: {found}")

        admin = restart(91)
        first = [n for k in ("declined1", "waitlisted") for n in rec[k]["needles"]]
        wait_until(lambda: not ({rec["declined1"]["id"], rec["waitlisted"]["id"]} & set(apps(admin))),
                   "declined1 and waitlisted purged on day 91")
        listed = apps(admin)
        expect(rec["declined2"]["id"] in listed, "declined 89 days ago: kept")
        expect(listed[rec["kept"]["id"]]["status"] == "selected", listed)
        wait_until(lambda: not files_with(srv.data, first), f"no copy left: {files_with(srv.data, first)}")

        admin = restart(93)
        wait_until(lambda: rec["declined2"]["id"] not in apps(admin), "declined2 purged on day 93")
        gone = [n for k in ("declined1", "declined2", "waitlisted") for n in rec[k]["needles"]]
        wait_until(lambda: not files_with(srv.data, gone), f"no copy left: {files_with(srv.data, gone)}")
        expect(files_with(srv.data, rec["kept"]["needles"]), "the selected one is still stored")
        entries = [e for e in audit(admin) if e["action"] == "application.purge"]
        expect(sorted(e["target"] for e in entries) ==
               sorted(f"application:{rec[k]['id']}" for k in ("declined1", "declined2", "waitlisted")), entries)
        srv.stop()
        expect(not files_with(srv.data, gone), "nothing after a clean stop either")
        expect(run(["audit", "verify", "--data", srv.data]).stdout.startswith("ok"), "audit chain intact")
    finally:
        srv.stop()
        srv.__exit__(None, None, None)


if __name__ == "__main__":
    run_tests([
        test_eligibility_boundaries_per_sme_class,
        test_error_order_and_invalid_fields,
        test_deadline,
        test_rate_limit_per_address,
        test_contact_due_across_weekend_holiday_and_year_end,
        test_lottery_waitlist_promotion_and_admission,
        test_only_the_secretariat_reads_applications,
        test_overdue_applications_in_triage,
        test_retention_purge_leaves_no_trace,
    ])
