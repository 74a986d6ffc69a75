#!/usr/bin/env python3
"""Consent and NDA tracking end to end (docs/API.md §4, issue 4): documents and versions, personal
and company acceptance, secretariat records, withdrawal, the gate as seen on a content route,
company status before the gate (§3), the report as JSON and as CSV with a BOM, and the audit.

Each test starts its own server, so that the documents one test publishes never gate another.
"""
import csv
import hashlib
import io
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamori import Server, expect, run_tests  # noqa: E402

# A content route (ACCESS_CONTENT) and a write route (ACCESS_WRITE) from the forum: the gate is
# checked where users meet it.
CONTENT = "/api/v1/categories"
WRITE = "/api/v1/threads"

PASSWORD = "seigyo-no-kagi-2026"
PARTICIPATION_BODY = "第1条（目的）本プログラムは、都内中小企業のサイバーセキュリティ対策を支援する。\n"
NDA_BODY = "第1条（秘密情報）参加者は、本プログラムで知り得た他社の情報を第三者に開示しない。\n"


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class World:
    """One fresh server with its secretariat, and helpers to publish, enrol and accept."""

    def __init__(self, config=None):
        cfg = {"participants_per_company": "3"}
        cfg.update(config or {})
        self.srv = Server(config=cfg)
        self.srv.__enter__()
        self.clients = []
        self.n = 0
        self.group_id = None
        self.admin = self.srv.client()
        self.clients.append(self.admin)
        st, body = self.admin.login(self.srv.admin_email, self.srv.admin_password)
        expect(st == 200, f"admin sign-in: {st} {body}")
        self.admin.id = body["user"]["id"]

    def close(self):
        for c in self.clients:
            c.close()
        self.srv.__exit__(None, None, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- documents ----

    def publish(self, kind, body=None, material=True, title=None):
        body = body if body is not None else (PARTICIPATION_BODY if kind == "participation" else NDA_BODY)
        title = title or ("参加同意書" if kind == "participation" else "機密保持の同意書")
        st, doc = self.admin.post("/api/v1/documents", {"kind": kind, "title": title, "body": body,
                                                        "material": material})
        expect(st == 201, f"publish {kind}: {st} {doc}")
        return doc

    def publish_both(self):
        return self.publish("participation"), self.publish("nda")

    # ---- the registry ----

    def company(self, name=None, industry="E"):
        if self.group_id is None:
            st, g = self.admin.post("/api/v1/groups", {"name": "島A"})
            expect(st == 201, f"group: {st} {g}")
            self.group_id = g["id"]
        self.n += 1
        st, c = self.admin.post("/api/v1/companies", {
            "name": name or f"株式会社テスト{self.n}", "industry": industry, "sme_class": "manufacturing_other",
            "capital_yen": 30000000, "employees": 40, "group_id": self.group_id})
        expect(st == 201, f"company: {st} {c}")
        return c["id"]

    def set_company_status(self, company_id, status):
        st, body = self.admin.patch(f"/api/v1/companies/{company_id}", {"status": status})
        expect(st == 200, f"company status {status}: {st} {body}")

    def user(self, role, company_id=None, representative=False, name=None, activate=True):
        """Creates a user through the API; signed in unless activate is False (left invited)."""
        self.n += 1
        email = f"u{self.n}@example.jp"
        req = {"email": email, "name": name or f"利用者{self.n}", "role": role}
        if company_id is not None:
            req["company_id"] = company_id
        if representative:
            req["representative"] = True
        if role == "expert":
            req["specialties"] = ["incident-response"]
        st, body = self.admin.post("/api/v1/users", req)
        expect(st == 201, f"user {role}: {st} {body}")
        uid = body["user"]["id"]
        if not activate:
            return uid
        c = self.srv.client()
        self.clients.append(c)
        st, acc = c.post(f"/api/v1/invites/{body['invite_token']}/accept", {"password": PASSWORD}, csrf=False)
        expect(st == 200, f"invite accept: {st} {acc}")
        c.close()
        c.cookie = c.csrf = None
        st, login = c.login(email, PASSWORD)
        expect(st == 200, f"sign-in {email}: {st} {login}")
        c.id = uid
        c.email = email
        return c

    # ---- consent ----

    def current(self, client=None):
        st, docs = (client or self.admin).get("/api/v1/documents/current")
        expect(st == 200, f"current: {st} {docs}")
        return {d["kind"]: d for d in docs}

    def accept(self, client, doc, on_behalf=False, expect_status=201):
        body = {"sha256": doc["sha256"]}
        if on_behalf:
            body["on_behalf_of_company"] = True
        st, rec = client.post(f"/api/v1/documents/{doc['id']}/accept", body)
        expect(st == expect_status, f"accept {doc['kind']} v{doc['version']} (expected {expect_status}): {st} {rec}")
        return rec

    def accept_all(self, client, on_behalf=False, kinds=("participation", "nda")):
        cur = self.current(client)
        return [self.accept(client, cur[k], on_behalf) for k in kinds]


def content(client):
    """Status and body of a gated read."""
    return client.get(CONTENT)


def expect_passes(client, what):
    st, body = content(client)
    expect(st == 200, f"{what}: expected to pass the gate, got {st} {body}")


def expect_gated(client, what, pending):
    """Expects 403 consent_required whose pending list is exactly the set of (kind, scope,
    document) given as pending: [(kind, scope, doc), ...]."""
    st, body = content(client)
    expect(st == 403 and isinstance(body, dict) and body.get("error") == "consent_required",
           f"{what}: expected consent_required, got {st} {body}")
    got = sorted((p["kind"], p["scope"], p["document_id"], p["version"]) for p in body["pending"])
    want = sorted((k, s, d["id"], d["version"]) for k, s, d in pending)
    expect(got == want, f"{what}: pending {got}, expected {want}")


def expect_error(st, body, status, code, what):
    expect(st == status and isinstance(body, dict) and body.get("error") == code,
           f"{what}: expected {status} {code}, got {st} {body}")


# ---- tests -----------------------------------------------------------------------------------

def test_publish_versions_and_read():
    with World() as w:
        p1 = w.publish("participation")
        expect(p1["kind"] == "participation" and p1["version"] == 1, f"first version: {p1}")
        expect(p1["sha256"] == sha(PARTICIPATION_BODY), f"sha256 of the UTF-8 body: {p1}")
        expect(p1["title"] == "参加同意書" and p1["material"] is True, f"fields: {p1}")
        expect(isinstance(p1["id"], int) and p1["created_at"].endswith("Z"), f"id and time: {p1}")
        p2 = w.publish("participation", body=PARTICIPATION_BODY + "第2条 追加。\n")
        expect(p2["version"] == 2 and p2["id"] != p1["id"], f"second version: {p2}")
        n1 = w.publish("nda")
        expect(n1["version"] == 1, f"versions count per kind: {n1}")
        # material defaults to a new required acceptance when not said otherwise
        st, n2 = w.admin.post("/api/v1/documents", {"kind": "nda", "title": "NDA", "body": "本文"})
        expect(st == 201 and n2["material"] is True and n2["version"] == 2, f"material default: {st} {n2}")

        for bad, what in [({"kind": "terms", "title": "t", "body": "b"}, "bad kind"),
                          ({"title": "t", "body": "b"}, "no kind"),
                          ({"kind": "nda", "title": "", "body": "b"}, "empty title"),
                          ({"kind": "nda", "title": " \u3000 ", "body": "b"}, "blank title"),
                          ({"kind": "nda", "title": "t", "body": ""}, "empty body"),
                          ({"kind": "nda", "body": "b"}, "no title"),
                          ({"kind": "nda", "title": "t", "body": "b", "material": "yes"}, "material not boolean")]:
            st, body = w.admin.post("/api/v1/documents", bad)
            expect_error(st, body, 422, "invalid", what)

        cid = w.company()
        p = w.user("participant", cid, representative=True)
        st, body = p.post("/api/v1/documents", {"kind": "nda", "title": "t", "body": "b", "material": True})
        expect_error(st, body, 403, "forbidden", "participant publishing")

        # the newest version of each kind, with body and sha256, readable while gated
        st, cur = p.get("/api/v1/documents/current")
        expect(st == 200 and isinstance(cur, list) and len(cur) == 2, f"current: {st} {cur}")
        by = {d["kind"]: d for d in cur}
        expect(by["participation"]["id"] == p2["id"] and by["participation"]["body"].endswith("追加。\n"),
               f"current participation: {by['participation']}")
        expect(by["nda"]["id"] == n2["id"] and by["nda"]["sha256"] == sha("本文"), f"current nda: {by['nda']}")
        expect(by["nda"]["current_material_version"] == 2, f"current_material_version: {by['nda']}")
        expect(sorted(by["nda"]["pending"]) == ["company", "personal"], f"pending scopes: {by['nda']}")

        st, one = p.get(f"/api/v1/documents/{p1['id']}")
        expect(st == 200 and one["body"] == PARTICIPATION_BODY and one["version"] == 1, f"one: {st} {one}")
        st, body = p.get("/api/v1/documents/99999")
        expect_error(st, body, 404, "not_found", "missing document")

        st, hist = w.admin.get("/api/v1/documents")
        expect(st == 200 and len(hist) == 4 and all("body" not in d for d in hist), f"history: {st} {hist}")

        st, audit = w.admin.get("/api/v1/audit")
        pubs = [e for e in audit["entries"] if e["action"] == "consent.publish"]
        expect(len(pubs) == 4 and pubs[0]["target"] == f"document:{p1['id']}", f"publish audit: {pubs}")


def test_gated_before_consent():
    with World() as w:
        p, n = w.publish_both()
        cid = w.company()
        rep = w.user("participant", cid, representative=True)
        ex = w.user("expert")
        expect_gated(rep, "participant before any consent",
                     [("participation", "personal", p), ("participation", "company", p),
                      ("nda", "personal", n), ("nda", "company", n)])
        expect_gated(ex, "expert before the NDA", [("nda", "personal", n)])
        expect_passes(w.admin, "secretariat")
        # what a gated user still reaches: the documents and the acceptance itself
        st, _ = rep.get("/api/v1/documents/current")
        expect(st == 200, f"documents while gated: {st}")
        st, me = rep.get("/api/v1/me")
        expect(st == 200 and len(me["pending_consents"]) == 4, f"/me while gated: {st} {me}")
        # an expert's NDA is all an expert needs
        w.accept(ex, n)
        expect_passes(ex, "expert with the NDA")


def test_personal_consent_without_company_consent_still_gated():
    with World() as w:
        p, n = w.publish_both()
        cid = w.company()
        rep = w.user("participant", cid, representative=True)
        staff = w.user("participant", cid)
        ex = w.user("expert")
        recs = w.accept_all(staff)
        r = recs[1]
        expect(r["action"] == "accept" and r["scope"] == "personal" and r["kind"] == "nda", f"record: {r}")
        expect(r["user_id"] == staff.id and r["company_id"] == cid and r["document_id"] == n["id"], f"who: {r}")
        expect(r["version"] == 1 and r["sha256"] == n["sha256"] and r["at"].endswith("Z"), f"what: {r}")
        expect(r["ip"] == "127.0.0.1" and r["user_agent"] == "mamori-e2e", f"where from: {r}")
        expect(r["in_effect"] is True and "company_record" not in r, f"state: {r}")
        expect_gated(staff, "personal consent only",
                     [("participation", "company", p), ("nda", "company", n)])

        # only a representative participant may accept for the company
        st, body = staff.post(f"/api/v1/documents/{n['id']}/accept",
                              {"sha256": n["sha256"], "on_behalf_of_company": True})
        expect_error(st, body, 403, "forbidden", "non-representative on behalf of the company")
        st, body = ex.post(f"/api/v1/documents/{n['id']}/accept",
                           {"sha256": n["sha256"], "on_behalf_of_company": True})
        expect_error(st, body, 403, "forbidden", "expert on behalf of a company")
        st, body = w.admin.post(f"/api/v1/documents/{n['id']}/accept", {"sha256": n["sha256"]})
        expect_error(st, body, 403, "forbidden", "secretariat accepting")
        expect_gated(staff, "after refused attempts", [("participation", "company", p), ("nda", "company", n)])

        recs = w.accept_all(rep, on_behalf=True)
        cr = recs[0]["company_record"]
        expect(cr["scope"] == "company" and cr["company_id"] == cid and cr["user_id"] == rep.id
               and cr["action"] == "accept" and cr["kind"] == "participation", f"company record: {cr}")
        expect_passes(rep, "representative after accepting for both")
        expect_passes(staff, "colleague once the company consented")


def test_company_consent_by_paper_record():
    with World() as w:
        p, n = w.publish_both()
        cid = w.company()
        staff = w.user("participant", cid)
        w.accept_all(staff)
        expect_gated(staff, "before the paper arrives", [("participation", "company", p), ("nda", "company", n)])

        st, rec = w.admin.post(f"/api/v1/companies/{cid}/consents",
                               {"document_id": p["id"], "method": "paper", "reference": "受付番号 2026-014"})
        expect(st == 201, f"record: {st} {rec}")
        expect(rec["action"] == "record" and rec["scope"] == "company" and rec["company_id"] == cid
               and rec["method"] == "paper" and rec["reference"] == "受付番号 2026-014"
               and rec["version"] == 1 and rec["sha256"] == p["sha256"] and rec["actor_id"] == w.admin.id,
               f"record fields: {rec}")
        expect_gated(staff, "one kind recorded", [("nda", "company", n)])
        st, rec2 = w.admin.post(f"/api/v1/companies/{cid}/consents", {"document_id": n["id"], "method": "paper"})
        expect(st == 201 and rec2["reference"] == "", f"record without reference: {st} {rec2}")
        expect_passes(staff, "after both paper records")

        st, body = w.admin.post("/api/v1/companies/99999/consents", {"document_id": n["id"], "method": "paper"})
        expect_error(st, body, 404, "not_found", "unknown company")
        for bad, what in [({"method": "paper"}, "no document"),
                          ({"document_id": 99999, "method": "paper"}, "unknown document"),
                          ({"document_id": n["id"], "method": ""}, "empty method"),
                          ({"document_id": n["id"]}, "no method")]:
            st, body = w.admin.post(f"/api/v1/companies/{cid}/consents", bad)
            expect_error(st, body, 422, "invalid", what)
        st, body = staff.post(f"/api/v1/companies/{cid}/consents", {"document_id": n["id"], "method": "paper"})
        expect_error(st, body, 403, "forbidden", "participant recording")


def test_document_changed():
    with World() as w:
        p, n1 = w.publish_both()
        cid = w.company()
        rep = w.user("participant", cid, representative=True)
        st, body = rep.post(f"/api/v1/documents/{n1['id']}/accept", {"sha256": sha("別の本文")})
        expect_error(st, body, 409, "document_changed", "a sha256 that is not this version's")
        st, body = rep.post(f"/api/v1/documents/{n1['id']}/accept", {})
        expect_error(st, body, 422, "invalid", "no sha256")
        st, body = rep.post("/api/v1/documents/99999/accept", {"sha256": n1["sha256"]})
        expect_error(st, body, 404, "not_found", "unknown document")

        n2 = w.publish("nda", body=NDA_BODY + "第2条 改定。\n")
        # the right hash of a version that a material one has replaced no longer counts
        st, body = rep.post(f"/api/v1/documents/{n1['id']}/accept", {"sha256": n1["sha256"]})
        expect_error(st, body, 409, "document_changed", "a replaced version")
        expect(body.get("current_document_id") == n2["id"], f"names the version to accept: {body}")

        # a correction published meanwhile does not fail someone who read the material version
        n3 = w.publish("nda", body=NDA_BODY + "第2条 改定（誤字修正）。\n", material=False)
        rec = w.accept(rep, n2, on_behalf=True)
        expect(rec["version"] == 2 and rec["current"] is True, f"material version still accepted: {rec}")
        w.accept(rep, p, on_behalf=True)
        expect_passes(rep, "holding v2 while v3 is a correction")
        rec3 = w.accept(rep, n3)
        expect(rec3["version"] == 3, f"the newest accepted too: {rec3}")
        st, audit = w.admin.get("/api/v1/audit")
        accepts = [e for e in audit["entries"] if e["action"] == "consent.accept"]
        expect(len(accepts) == 5, f"refused acceptances leave no trace, the 5 records do: {accepts}")
        st, mine = rep.get("/api/v1/consents")
        expect(st == 200 and len(mine) == 5, f"5 records, none for refused attempts: {mine}")


def test_non_material_version_keeps_acceptances():
    with World() as w:
        w.publish_both()
        cid = w.company()
        rep = w.user("participant", cid, representative=True)
        staff = w.user("participant", cid)
        ex = w.user("expert")
        w.accept_all(rep, on_behalf=True)
        w.accept_all(staff)
        w.accept_all(ex, kinds=("nda",))
        for c, what in [(rep, "representative"), (staff, "colleague"), (ex, "expert")]:
            expect_passes(c, what)
        p2 = w.publish("participation", body=PARTICIPATION_BODY.replace("対策", "対策等"), material=False,
                       title="参加同意書（誤字修正）")
        n2 = w.publish("nda", body=NDA_BODY + " ", material=False)
        for c, what in [(rep, "representative"), (staff, "colleague"), (ex, "expert")]:
            expect_passes(c, f"{what} after a non-material version")
        cur = w.current(staff)
        expect(cur["participation"]["id"] == p2["id"] and cur["participation"]["material"] is False
               and cur["participation"]["current_material_version"] == 1
               and cur["participation"]["pending"] == [], f"current after a correction: {cur['participation']}")
        expect(cur["nda"]["id"] == n2["id"] and cur["nda"]["pending"] == [], f"nda: {cur['nda']}")
        st, body = w.admin.get("/api/v1/consents/report")
        u = {x["id"]: x for x in body["users"]}[staff.id]
        expect(u["nda"]["version"] == 1 and u["nda"]["current"] is True and u["cleared"] is True,
               f"report after a correction: {u}")


def test_material_version_gates_until_reaccepted():
    with World() as w:
        p, n1 = w.publish_both()
        cid = w.company()
        rep = w.user("participant", cid, representative=True)
        staff = w.user("participant", cid)
        ex = w.user("expert")
        w.accept_all(rep, on_behalf=True)
        w.accept_all(staff)
        w.accept_all(ex, kinds=("nda",))
        n2 = w.publish("nda", body=NDA_BODY + "第3条（期間）終了後も5年間有効とする。\n")
        expect_gated(rep, "representative after a material NDA", [("nda", "personal", n2), ("nda", "company", n2)])
        expect_gated(staff, "colleague after a material NDA", [("nda", "personal", n2), ("nda", "company", n2)])
        expect_gated(ex, "expert after a material NDA", [("nda", "personal", n2)])
        expect_passes(w.admin, "secretariat is never gated")

        # everyone the version gates is told, in the app; the secretariat is not
        db = sqlite3.connect(os.path.join(w.srv.data, "mamori.db"), timeout=10)
        rows = db.execute("SELECT user_id, params FROM notifications WHERE kind = 'consent_version'").fetchall()
        mails = db.execute("SELECT user_id, params FROM mail_outbox WHERE kind = 'consent_version'").fetchall()
        db.close()
        expect(sorted(r[0] for r in rows) == sorted([rep.id, staff.id, ex.id]), f"notified: {rows}")
        expect(all(json.loads(r[1]) == {"document_kind": "nda", "document_title": "機密保持の同意書", "version": 2}
                   for r in rows), f"notification params: {rows}")
        expect(sorted(m[0] for m in mails) == sorted([rep.id, staff.id, ex.id]), f"mailed: {mails}")
        expect(all(json.loads(m[1])["document_title"] == "機密保持の同意書" and json.loads(m[1])["version"] == 2
                   for m in mails), f"mail params: {mails}")

        w.accept(rep, n2, on_behalf=True)
        expect_passes(rep, "representative after re-accepting")
        expect_gated(staff, "colleague, company consent renewed", [("nda", "personal", n2)])
        w.accept(staff, n2)
        w.accept(ex, n2)
        expect_passes(staff, "colleague after re-accepting")
        expect_passes(ex, "expert after re-accepting")

        # a material participation version does not concern experts
        p2 = w.publish("participation", body=PARTICIPATION_BODY + "附則 改定。\n")
        expect_passes(ex, "expert after a participation version")
        expect_gated(staff, "colleague after a participation version",
                     [("participation", "personal", p2), ("participation", "company", p2)])
        db = sqlite3.connect(os.path.join(w.srv.data, "mamori.db"), timeout=10)
        told = dict(db.execute("SELECT user_id, count(*) FROM notifications WHERE kind = 'consent_version'"
                               " GROUP BY user_id").fetchall())
        db.close()
        expect(told == {rep.id: 2, staff.id: 2, ex.id: 1}, f"only those gated are told: {told}")
        st, notes = staff.get("/api/v1/documents/current")
        expect(st == 200, "documents readable while gated")


def test_withdrawal_gates_at_once():
    with World() as w:
        p, n = w.publish_both()
        cid = w.company()
        rep = w.user("participant", cid, representative=True)
        staff = w.user("participant", cid)
        ex = w.user("expert")
        rep_recs = w.accept_all(rep, on_behalf=True)
        staff_recs = w.accept_all(staff)
        ex_nda = w.accept(ex, n)
        expect_passes(staff, "before withdrawing")

        st, wd = staff.post(f"/api/v1/consents/{staff_recs[1]['id']}/withdraw", {"reason": "退職のため"})
        expect(st == 200, f"withdraw: {st} {wd}")
        expect(wd["action"] == "withdraw" and wd["withdraws_id"] == staff_recs[1]["id"] and wd["scope"] == "personal"
               and wd["kind"] == "nda" and wd["user_id"] == staff.id and wd["reference"] == "退職のため", f"{wd}")
        expect_gated(staff, "the very next request", [("nda", "personal", n)])
        st, body = staff.post(f"/api/v1/consents/{staff_recs[1]['id']}/withdraw")
        expect_error(st, body, 409, "not_in_effect", "withdrawing twice")
        st, body = staff.post(f"/api/v1/consents/{wd['id']}/withdraw")
        expect_error(st, body, 409, "not_in_effect", "withdrawing a withdrawal")
        st, body = rep.post(f"/api/v1/consents/{staff_recs[0]['id']}/withdraw")
        expect_error(st, body, 404, "not_found", "withdrawing someone else's record")
        st, body = staff.post(f"/api/v1/consents/{rep_recs[0]['company_record']['id']}/withdraw")
        expect_error(st, body, 404, "not_found", "a colleague withdrawing the company consent")
        st, body = staff.post("/api/v1/consents/99999/withdraw")
        expect_error(st, body, 404, "not_found", "unknown record")
        expect_passes(rep, "the representative is untouched")

        # accepting again: a new record, and the gate opens
        again = w.accept(staff, n)
        expect(again["id"] not in (staff_recs[1]["id"], wd["id"]) and again["in_effect"], f"new record: {again}")
        expect_passes(staff, "after accepting again")
        dup = w.accept(staff, n)
        expect(dup["id"] != again["id"], "accepting a version already held creates a new record")
        st, old = staff.get(f"/api/v1/consents/{again['id']}")
        expect(st == 200 and old["in_effect"] is False, f"superseded record: {st} {old}")

        # the representative withdraws the company consent they gave: the whole company is gated
        st, body = rep.post(f"/api/v1/consents/{rep_recs[0]['company_record']['id']}/withdraw")
        expect(st == 200 and body["scope"] == "company" and body["company_id"] == cid, f"company withdraw: {st} {body}")
        expect_gated(staff, "company consent withdrawn", [("participation", "company", p)])
        expect_gated(rep, "company consent withdrawn (rep)", [("participation", "company", p)])
        st, rec = w.admin.post(f"/api/v1/companies/{cid}/consents", {"document_id": p["id"], "method": "paper"})
        expect(st == 201, f"paper record: {st} {rec}")
        expect_passes(staff, "after a paper record")

        # the secretariat withdraws for someone (e.g. a letter received)
        st, body = w.admin.post(f"/api/v1/consents/{ex_nda['id']}/withdraw", {"reason": "書面による撤回"})
        expect(st == 200 and body["user_id"] == ex.id and body["actor_id"] == w.admin.id, f"secretariat: {st} {body}")
        expect_gated(ex, "expert after the secretariat withdrew", [("nda", "personal", n)])
        st, body = w.admin.post(f"/api/v1/consents/{rec['id']}/withdraw")
        expect(st == 200, f"secretariat withdraws a paper record: {st} {body}")
        expect_gated(staff, "paper record withdrawn", [("participation", "company", p)])


def test_company_status_before_the_gate():
    with World() as w:
        w.publish_both()
        c_done, c_gone = w.company(), w.company()
        done = w.user("participant", c_done, representative=True)
        gone = w.user("participant", c_gone, representative=True)
        w.accept_all(done, on_behalf=True)
        w.accept_all(gone, on_behalf=True)
        expect_passes(done, "active company")
        expect_passes(gone, "active company")
        st, body = done.post(WRITE, {})
        expect(st != 403, f"an active company may write (got {st} {body})")

        w.set_company_status(c_gone, "withdrawn")
        st, body = content(gone)
        expect_error(st, body, 403, "company_inactive", "withdrawn company's participant")
        st, body = gone.post(WRITE, {})
        expect_error(st, body, 403, "company_inactive", "withdrawn company writing")
        st, _ = gone.get("/api/v1/documents/current")
        expect(st == 200, "documents stay readable")

        w.set_company_status(c_done, "completed")
        expect_passes(done, "completed company keeps read access")
        st, body = done.post(WRITE, {"category_id": 1, "title": "t", "body": "b", "kind": "discussion",
                                     "visibility": "community"})
        expect_error(st, body, 403, "read_only", "completed company writing")

        # company status is checked before consent: a withdrawn company with no consent either
        w.publish("nda", body="改定版\n")
        st, body = content(gone)
        expect_error(st, body, 403, "company_inactive", "withdrawn and behind on consent")
        st, body = content(done)
        expect_error(st, body, 403, "consent_required", "completed and behind on consent")


def test_report_json_and_csv():
    with World() as w:
        p, n = w.publish_both()
        ca = w.company(name="株式会社 山田製作所")
        cb = w.company(name='=HYPERLINK("http://evil.example","x")')
        cgone = w.company(name="撤退した会社")
        rep = w.user("participant", ca, representative=True, name='山田, "太郎"')
        staff = w.user("participant", ca, name="佐藤 花子")
        other = w.user("participant", cb)
        ex = w.user("expert", name="専門家 一郎")
        invited = w.user("participant", cb, activate=False, name="招待中 次郎")
        w.accept_all(rep, on_behalf=True)
        recs = w.accept_all(staff)
        w.accept(ex, n)
        staff.post(f"/api/v1/consents/{recs[1]['id']}/withdraw")
        w.set_company_status(cgone, "withdrawn")
        p2 = w.publish("participation", body=PARTICIPATION_BODY + "改定\n")

        st, body = staff.get("/api/v1/consents/report")
        expect_error(st, body, 403, "forbidden", "participant reading the report")

        st, rep_json = w.admin.get("/api/v1/consents/report")
        expect(st == 200, f"report: {st} {rep_json}")
        comps = {c["id"]: c for c in rep_json["companies"]}
        expect(set(comps) == {ca, cb}, f"active companies only: {sorted(comps)}")
        a = comps[ca]
        expect(a["name"] == "株式会社 山田製作所" and a["track"] == "monozukuri" and a["status"] == "active",
               f"company fields: {a}")
        expect(a["participation"]["version"] == 1 and a["participation"]["current"] is False
               and a["participation"]["at"].endswith("Z"), f"company behind on participation: {a}")
        expect(a["nda"]["version"] == 1 and a["nda"]["current"] is True, f"company nda: {a}")
        expect(comps[cb]["participation"] is None and comps[cb]["nda"] is None, f"no consent: {comps[cb]}")
        users = {u["id"]: u for u in rep_json["users"]}
        expect({rep.id, staff.id, other.id, ex.id, invited, w.admin.id} <= set(users), f"everyone: {sorted(users)}")
        s = users[staff.id]
        expect(s["participation"]["version"] == 1 and s["nda"] is None and s["cleared"] is False
               and s["company_id"] == ca and s["role"] == "participant", f"staff: {s}")
        expect(users[ex.id]["nda"]["version"] == 1 and users[ex.id]["cleared"] is True
               and users[ex.id]["participation"] is None, f"expert: {users[ex.id]}")
        expect(users[invited]["status"] == "invited" and users[invited]["nda"] is None, f"invited: {users[invited]}")
        expect(users[w.admin.id]["cleared"] is True, f"the secretariat is never pending: {users[w.admin.id]}")
        expect(rep_json["current_material"] == {"participation": p2["version"], "nda": n["version"]},
               f"current material: {rep_json['current_material']}")

        st, raw = w.admin.get("/api/v1/consents/report?format=csv")
        h = w.admin.last_headers
        expect(st == 200 and isinstance(raw, bytes), f"csv: {st}")
        expect(raw.startswith(b"\xef\xbb\xbf"), f"BOM first: {raw[:10]!r}")
        expect(h.get("content-type") == "text/csv; charset=utf-8", f"content type: {h.get('content-type')}")
        expect(h.get("content-disposition") == 'attachment; filename="consent-report.csv"',
               f"disposition: {h.get('content-disposition')}")
        text = raw[3:].decode("utf-8")
        expect("\r\n" in text, "CRLF line ends (RFC 4180)")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        head = rows[0]
        for col in ("type", "id", "name", "email", "role", "company", "participation_version",
                    "participation_at", "nda_version", "nda_at"):
            expect(col in head, f"column {col} in {head}")
        recs_csv = [dict(zip(head, r)) for r in rows[1:] if r]
        expect(all(len(r) == len(head) for r in rows[1:] if r), "every row has every column")
        by = {(r["type"], int(r["id"])): r for r in recs_csv}
        expect({("company", ca), ("company", cb)} == {k for k in by if k[0] == "company"}, f"companies: {by.keys()}")
        for uid in (rep.id, staff.id, other.id, ex.id, invited, w.admin.id):
            expect(("user", uid) in by, f"user {uid} in the CSV")
        expect(by[("user", rep.id)]["name"] == '山田, "太郎"', f"quoting round-trips: {by[('user', rep.id)]}")
        expect(by[("company", cb)]["name"].startswith("'="), f"formula neutralised: {by[('company', cb)]}")
        srow = by[("user", staff.id)]
        expect(srow["participation_version"] == "1" and srow["nda_version"] == "" and srow["nda_at"] == ""
               and srow["participation_at"].endswith("Z") and srow["company"] == "株式会社 山田製作所",
               f"staff row: {srow}")
        expect(by[("user", ex.id)]["email"] == ex.email, "emails listed")

        st, body = w.admin.get("/api/v1/consents/report?format=xml")
        expect(st == 400, f"unknown format: {st} {body}")


def test_record_lists_and_visibility():
    with World() as w:
        p, n = w.publish_both()
        ca, cb = w.company(), w.company()
        rep = w.user("participant", ca, representative=True)
        staff = w.user("participant", ca)
        other = w.user("participant", cb, representative=True)
        rep_recs = w.accept_all(rep, on_behalf=True)
        staff_recs = w.accept_all(staff)
        w.accept_all(other, on_behalf=True)

        st, mine = staff.get("/api/v1/consents")
        expect(st == 200 and isinstance(mine, list), f"list: {st} {mine}")
        ids = {r["id"] for r in mine}
        expect({r["id"] for r in staff_recs} <= ids, "own records listed")
        company_ids = {r["company_record"]["id"] for r in rep_recs}
        expect(company_ids <= ids, "the company's consents listed for its participants")
        expect({r["id"] for r in rep_recs}.isdisjoint(ids), "a colleague's personal records are not")
        expect(all("ip" not in r for r in mine if r["id"] in company_ids), "no address of a colleague")
        expect(all(r["company_id"] == ca for r in mine), "nothing of another company")
        st, body = staff.get(f"/api/v1/consents?user_id={other.id}")
        expect(st == 200 and {r["id"] for r in body} == ids, "filters do not widen a participant's view")
        st, body = staff.get(f"/api/v1/consents/{rep_recs[0]['id']}")
        expect_error(st, body, 404, "not_found", "a colleague's personal record")

        st, body = w.admin.get(f"/api/v1/consents?user_id={staff.id}")
        expect(st == 200 and {r["id"] for r in body} == {r["id"] for r in staff_recs}, f"by user: {body}")
        st, body = w.admin.get(f"/api/v1/consents?company_id={cb}")
        expect(st == 200 and len(body) == 4 and all(r["company_id"] == cb for r in body), f"by company: {body}")
        st, body = w.admin.get("/api/v1/consents?limit=2")
        expect(st == 200 and len(body) == 2 and body[0]["id"] > body[1]["id"], f"newest first, paged: {body}")
        st, more = w.admin.get(f"/api/v1/consents?limit=2&before={body[1]['id']}")
        expect(st == 200 and more[0]["id"] < body[1]["id"], f"next page: {more}")

        # records cannot be changed behind the API's back either
        db = sqlite3.connect(os.path.join(w.srv.data, "mamori.db"), timeout=10)
        for sql in ("UPDATE consents SET version = 9", "DELETE FROM consents"):
            try:
                db.execute(sql)
                db.commit()
                raise AssertionError(f"{sql} succeeded")
            except sqlite3.DatabaseError as e:
                expect("append-only" in str(e), f"{sql}: {e}")
        db.close()


def test_audit_entries():
    with World() as w:
        p, n = w.publish_both()
        cid = w.company()
        rep = w.user("participant", cid, representative=True)
        recs = w.accept_all(rep, on_behalf=True)
        st, rec = w.admin.post(f"/api/v1/companies/{cid}/consents", {"document_id": n["id"], "method": "paper"})
        expect(st == 201, f"record: {st}")
        st, wd = rep.post(f"/api/v1/consents/{recs[1]['id']}/withdraw")
        expect(st == 200, f"withdraw: {st}")
        st, audit = w.admin.get("/api/v1/audit")
        expect(st == 200, f"audit: {st}")
        by = {}
        for e in audit["entries"]:
            by.setdefault(e["action"], []).append(e)
        expect(len(by.get("consent.publish", [])) == 2, f"publish entries: {by.get('consent.publish')}")
        acc = by.get("consent.accept", [])
        expect(len(acc) == 4, f"one accept entry per record (2 personal + 2 company): {acc}")
        expect(all(e["actor_id"] == rep.id and e["ip"] == "127.0.0.1" for e in acc), f"accept entries: {acc}")
        expect({e["target"] for e in acc} == {f"consent:{r['id']}" for r in recs}
               | {f"consent:{r['company_record']['id']}" for r in recs}, f"accept targets: {acc}")
        rc = by.get("consent.record", [])
        expect(len(rc) == 1 and rc[0]["target"] == f"consent:{rec['id']}" and rc[0]["actor_id"] == w.admin.id,
               f"record entry: {rc}")
        wds = by.get("consent.withdraw", [])
        expect(len(wds) == 1 and wds[0]["target"] == f"consent:{wd['id']}"
               and wds[0]["detail"]["withdraws_id"] == recs[1]["id"], f"withdraw entry: {wds}")
        w.srv.stop()
        from mamori import run as mamori_run
        out = mamori_run(["audit", "verify", "--data", w.srv.data])
        expect(out.stdout.startswith("ok "), f"audit chain intact: {out.stdout}")
        w.srv.start()


if __name__ == "__main__":
    run_tests([
        test_publish_versions_and_read,
        test_gated_before_consent,
        test_personal_consent_without_company_consent_still_gated,
        test_company_consent_by_paper_record,
        test_document_changed,
        test_non_material_version_keeps_acceptances,
        test_material_version_gates_until_reaccepted,
        test_withdrawal_gates_at_once,
        test_company_status_before_the_gate,
        test_report_json_and_csv,
        test_record_lists_and_visibility,
        test_audit_entries,
    ])
