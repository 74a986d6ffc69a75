#!/usr/bin/env python3
"""The case collection end to end (docs/API.md §11, docs/CASES.md): drafts, the identifying-terms
check, submission, the representative's approval of the exact text (sha256), send-back, edits
voiding an approval, publication behind the company's participation consent, unpublishing, the
public pages without a session, who may read what, notifications, the append-only approval
record and the audit entries.
"""
import hashlib
import json
import os
import sqlite3
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import forum_world as fw  # noqa: E402
from mamori import expect, run_tests  # noqa: E402
from test_consent import World, expect_error  # noqa: E402

CLEAN = ("## 取組の概要\n\nA社（製造業、従業員45名）は、2026年6月から専門家と月1回の打合せを重ね、"
         "令和6年1月23日に基本方針を策定した。投資額は1,200,000円（0.4%）、会議は13:00から。"
         "ソフトウェアを 1.2.3 から 2.0.1 に更新した。")


def sha(title, body):
    return hashlib.sha256(f"{title}\n{body}".encode("utf-8")).hexdigest()


class Program:
    """A world with consent documents, two companies (A with a representative, a colleague and
    an assigned expert; B with its representative), an unassigned expert, all through the gate."""

    def __init__(self, w):
        self.w = w
        w.publish_both()
        self.a = w.company(name="株式会社アルファ製作所")
        self.b = w.company(name="Beta Logistics Co., Ltd.", industry="H")
        self.rep = w.user("participant", self.a, representative=True, name="山田 太郎")
        self.colleague = w.user("participant", self.a, name="佐藤 花子")
        self.rep_b = w.user("participant", self.b, representative=True, name="Ken Tanaka")
        self.expert = w.user("expert", name="専門家 一郎")
        self.other_expert = w.user("expert", name="専門家 二郎")
        self.rep_a_records = w.accept_all(self.rep, on_behalf=True)
        w.accept_all(self.colleague)
        w.accept_all(self.rep_b, on_behalf=True)
        for e in (self.expert, self.other_expert):
            w.accept_all(e, kinds=("nda",))
        st, body = w.admin.post(f"/api/v1/companies/{self.a}/experts", {"expert_id": self.expert.id})
        expect(st == 201, f"assign: {st} {body}")

    def create(self, title="A社の取組", body=CLEAN, company=None):
        st, k = self.w.admin.post("/api/v1/cases", {"company_id": company or self.a, "title": title, "body": body})
        expect(st == 201, f"create: {st} {k}")
        return k

    def to_published(self, k=None):
        k = k or self.create()
        st, s = self.w.admin.post(f"/api/v1/cases/{k['id']}/submit")
        expect(st == 200 and s["status"] == "awaiting_approval", f"submit: {st} {s}")
        st, a = self.rep.post(f"/api/v1/cases/{k['id']}/approve", {"sha256": s["sha256"]})
        expect(st == 200 and a["status"] == "approved", f"approve: {st} {a}")
        st, p = self.w.admin.post(f"/api/v1/cases/{k['id']}/publish")
        expect(st == 200 and p["status"] == "published", f"publish: {st} {p}")
        return p


def audit_actions(w, target):
    """Every audit action on target, oldest first (all pages)."""
    out, after = [], 0
    while True:
        st, body = w.admin.get(f"/api/v1/audit?after={after}&limit=500")
        expect(st == 200, f"audit: {st} {body}")
        if not body["entries"]:
            return out
        out += [e["action"] for e in body["entries"] if e["target"] == target]
        after = body["entries"][-1]["id"]


def test_create_and_fields():
    with World() as w:
        pr = Program(w)
        k = pr.create()
        expect(k["status"] == "draft" and k["company_id"] == pr.a and k["title"] == "A社の取組"
               and k["body"] == CLEAN, f"fields: {k}")
        expect(k["sha256"] == sha("A社の取組", CLEAN), f"sha256 of title LF body: {k['sha256']}")
        expect("<h2>" in k["html"], f"html rendered: {k['html'][:80]}")
        for bad, what in [({"company_id": pr.a, "title": "", "body": "x"}, "empty title"),
                          ({"company_id": pr.a, "title": "t", "body": ""}, "empty body"),
                          ({"company_id": 999999, "title": "t", "body": "x"}, "no such company"),
                          ({"title": "t", "body": "x"}, "no company")]:
            st, body = w.admin.post("/api/v1/cases", bad)
            expect_error(st, body, 422, "invalid", what)
        st, body = w.admin.post("/api/v1/cases", {"company_id": pr.a, "title": "t", "body": "x" * 70000})
        expect_error(st, body, 413, "too_large", "body over 64 KiB")
        st, body = pr.rep.post("/api/v1/cases", {"company_id": pr.a, "title": "t", "body": "x"})
        expect_error(st, body, 403, "forbidden", "participant creating")
        st, body = pr.expert.patch(f"/api/v1/cases/{k['id']}", {"title": "x"})
        expect_error(st, body, 403, "forbidden", "expert editing")
        expect(audit_actions(w, f"case:{k['id']}") == ["case.create"], "create audited")


def test_findings_and_submit():
    with World() as w:
        pr = Program(w)
        dirty = ("ＡＬＰＨＡ社ではなくアルファ製作所の山田さん（u1@example.jp）が、192.168.1.10 の機器と"
                 "03-1234-5678 の窓口を整理し、Beta Logistics とも連携した。版 1.2.3、2026-12-02。")
        k = pr.create(body=dirty)
        st, f = w.admin.get(f"/api/v1/cases/{k['id']}/findings")
        expect(st == 200, f"findings: {st} {f}")
        got = {(x["kind"], x["term"]) for x in f["findings"]}
        for want in [("company_name", "アルファ製作所"), ("company_name", "Beta Logistics"), ("person_name", "山田"),
                     ("ip_address", "192.168.1.10"), ("phone", "03-1234-5678")]:
            expect(want in got, f"finding {want} in {got}")
        expect(any(kind == "email" for kind, _ in got), f"an e-mail finding: {got}")
        expect(not any(t in ("1.2.3", "2026-12-02") for _, t in got), f"no false positives: {got}")
        # positions point at the draft (UTF-16 code units, as the browser counts)
        for x in f["findings"]:
            for p in x["positions"]:
                text = k["body"] if p["field"] == "body" else k["title"]
                span = text[p["start"]:p["end"]]
                expect(span, f"non-empty span for {x}")
                if x["kind"] in ("ip_address", "phone"):
                    expect(span == x["term"], f"span {span!r} for {x}")
        st, body = pr.rep.get(f"/api/v1/cases/{k['id']}/findings")
        expect_error(st, body, 403, "forbidden", "findings are the secretariat's")

        st, body = w.admin.post(f"/api/v1/cases/{k['id']}/submit")
        expect_error(st, body, 409, "identifying_terms", "submit with findings")
        expect(len(body["findings"]) == len(f["findings"]), f"the findings come with the 409: {body}")
        st, again = w.admin.get(f"/api/v1/cases/{k['id']}")
        expect(again["status"] == "draft", "still a draft")

        st, fixed = w.admin.patch(f"/api/v1/cases/{k['id']}", {"body": CLEAN})
        expect(st == 200 and fixed["status"] == "draft", f"fixed: {st} {fixed}")
        st, f2 = w.admin.get(f"/api/v1/cases/{k['id']}/findings")
        expect(f2["findings"] == [], f"clean now: {f2}")
        readers = {name: fw.EventReader(w.srv, c) for name, c in
                   [("rep", pr.rep), ("colleague", pr.colleague), ("rep_b", pr.rep_b), ("expert", pr.expert)]}
        for name, rd in readers.items():  # ": connected" is sent once the stream is registered
            expect(rd.status == 200, f"{name}: events {rd.status}")
            end = time.time() + 60
            while ": connected" not in rd.lines and time.time() < end:
                time.sleep(0.02)
            expect(": connected" in rd.lines, f"{name}: stream attached")
        st, s = w.admin.post(f"/api/v1/cases/{k['id']}/submit")
        expect(st == 200 and s["status"] == "awaiting_approval" and s["submitted_at"], f"submit: {st} {s}")
        # the event stream tells the representative alone (a notification event, no thread)
        got = readers["rep"].wait_for(lambda e: e[0] == "notification", timeout=60)  # a bound, not a threshold
        expect(got is not None and not got[1].get("thread_id"), f"the representative's event: {got}")
        time.sleep(0.3)  # anything that was going to leak has arrived by now (as the access matrix does)
        for name in ("colleague", "rep_b", "expert"):
            expect(not [e for e in readers[name].events if e[0] == "notification"],
                   f"{name} got no event: {readers[name].events}")
        for rd in readers.values():
            rd.close()
        st, body = w.admin.post(f"/api/v1/cases/{k['id']}/submit")
        expect_error(st, body, 409, "not_draft", "submit twice")
        # the representative is told, without any text of the case
        st, notes = pr.rep.get("/api/v1/notifications")
        expect(st == 200, f"notifications: {st} {notes}")
        items = notes["notifications"] if isinstance(notes, dict) else notes
        mine = [n for n in items if n["kind"] == "case.awaiting_approval"]
        expect(len(mine) == 1 and "text" not in mine[0] and mine[0].get("params") == {"case_id": k["id"]}
               and mine[0].get("thread_id") is None and "A社" not in json.dumps(mine[0], ensure_ascii=False),
               f"rep notified, by kind and the case's id alone: {mine}")
        st, notes = pr.colleague.get("/api/v1/notifications")
        items = notes["notifications"] if isinstance(notes, dict) else notes
        expect(not [n for n in items if n["kind"].startswith("case.")], f"colleague not notified: {items}")


def test_approve_reject_and_edits():
    with World() as w:
        pr = Program(w)
        k = pr.create()
        cid = k["id"]
        st, body = pr.rep.post(f"/api/v1/cases/{cid}/approve", {"sha256": k["sha256"]})
        expect_error(st, body, 409, "case_changed", "approving a draft never submitted")
        st, s = w.admin.post(f"/api/v1/cases/{cid}/submit")
        st, body = pr.colleague.post(f"/api/v1/cases/{cid}/approve", {"sha256": s["sha256"]})
        expect_error(st, body, 403, "forbidden", "another participant of the company")
        st, body = pr.rep_b.post(f"/api/v1/cases/{cid}/approve", {"sha256": s["sha256"]})
        expect_error(st, body, 404, "not_found", "another company's representative")
        st, body = pr.expert.post(f"/api/v1/cases/{cid}/approve", {"sha256": s["sha256"]})
        expect_error(st, body, 403, "forbidden", "an expert")
        st, body = pr.rep.post(f"/api/v1/cases/{cid}/approve", {"sha256": "0" * 64})
        expect_error(st, body, 409, "case_changed", "stale sha256")
        st, body = pr.rep.post(f"/api/v1/cases/{cid}/approve", {})
        expect_error(st, body, 422, "invalid", "no sha256")
        # send back with a reason
        st, body = pr.rep.post(f"/api/v1/cases/{cid}/reject", {"reason": ""})
        expect_error(st, body, 422, "invalid", "empty reason")
        st, r = pr.rep.post(f"/api/v1/cases/{cid}/reject", {"reason": "設備名が特定につながるため削除してください"})
        expect(st == 200 and r["status"] == "draft" and r["reject_reason"].startswith("設備名"), f"reject: {st} {r}")
        # resubmit, approve
        st, s = w.admin.post(f"/api/v1/cases/{cid}/submit")
        expect(s["reject_reason"] is None, f"a new submission clears the reason: {s}")
        st, a = pr.rep.post(f"/api/v1/cases/{cid}/approve", {"sha256": s["sha256"]})
        expect(st == 200 and a["status"] == "approved" and a["approval"]["user_id"] == pr.rep.id
               and a["approval"]["sha256"] == s["sha256"], f"approve: {st} {a}")
        st, body = pr.rep.post(f"/api/v1/cases/{cid}/approve", {"sha256": s["sha256"]})
        expect_error(st, body, 409, "not_awaiting_approval", "approve twice")
        # a completed company (read-only in the forum) still decides on its own case
        w.set_company_status(pr.a, "completed")
        k3 = pr.create(title="完了後")
        st, s3 = w.admin.post(f"/api/v1/cases/{k3['id']}/submit")
        st, a3 = pr.rep.post(f"/api/v1/cases/{k3['id']}/approve", {"sha256": s3["sha256"]})
        expect(st == 200 and a3["status"] == "approved", f"completed company approves: {st} {a3}")
        w.set_company_status(pr.a, "active")
        # any edit voids the approval
        st, e = w.admin.patch(f"/api/v1/cases/{cid}", {"title": "A社の取組（改）"})
        expect(st == 200 and e["status"] == "draft" and e["approval"] is None and e["sha256"] != s["sha256"],
               f"edit voids: {st} {e}")
        st, body = w.admin.post(f"/api/v1/cases/{cid}/publish")
        expect_error(st, body, 409, "not_approved", "publish after an edit")
        st, body = pr.rep.post(f"/api/v1/cases/{cid}/approve", {"sha256": s["sha256"]})
        expect_error(st, body, 409, "case_changed", "the old sha after an edit")
        # an unchanged PATCH changes nothing
        st, s2 = w.admin.post(f"/api/v1/cases/{cid}/submit")
        st, same = w.admin.patch(f"/api/v1/cases/{cid}", {"title": "A社の取組（改）"})
        expect(same["status"] == "awaiting_approval", f"no-op edit keeps the state: {same}")
        # the approval record: who, which sha256, when; append-only
        db = sqlite3.connect(os.path.join(w.srv.data, "mamori.db"), timeout=60)
        rows = db.execute("SELECT user_id, action, sha256 FROM case_approvals WHERE case_id = ? ORDER BY id",
                          (cid,)).fetchall()
        expect(rows == [(pr.rep.id, "reject", k["sha256"]), (pr.rep.id, "approve", s["sha256"])], f"rows: {rows}")
        for sql in ("UPDATE case_approvals SET sha256 = 'x'", "DELETE FROM case_approvals"):
            try:
                db.execute(sql)
                expect(False, f"{sql} must fail")
            except sqlite3.DatabaseError as e:
                expect("append-only" in str(e), f"{sql}: refused by the trigger, not {e}")
        db.close()
        acts = audit_actions(w, f"case:{cid}")
        expect(acts[:6] == ["case.create", "case.submit", "case.reject", "case.submit", "case.approve", "case.update"],
               f"audit: {acts}")


def test_publish_public_and_unpublish():
    with World() as w:
        pr = Program(w)
        k = pr.to_published()
        cid = k["id"]
        expect(k["published_at"], f"published_at: {k}")
        anon = w.srv.client()
        w.clients.append(anon)
        st, lst = anon.get("/api/v1/public/cases")
        expect(st == 200 and [c["id"] for c in lst["cases"]] == [cid], f"public list: {st} {lst}")
        one = lst["cases"][0]
        expect(set(one) == {"id", "title", "html", "published_at", "track", "industry"}, f"public fields: {one}")
        expect(one["track"] == "monozukuri" and one["industry"] == "E", f"track and letter: {one}")
        st, raw = anon.get(f"/api/v1/public/cases/{cid}", headers={"Accept": "application/json"})
        expect(st == 200 and raw["title"] == "A社の取組", f"public one: {st} {raw}")
        expect("アルファ" not in str(raw) and "company" not in str(raw), f"never the name: {raw}")
        # other readers see the published case without the company's identity
        st, seen = pr.rep_b.get(f"/api/v1/cases/{cid}")
        expect(st == 200 and "company_id" not in seen and "company_name" not in seen, f"other company: {st} {seen}")
        st, seen = pr.other_expert.get(f"/api/v1/cases/{cid}")
        expect(st == 200 and "company_id" not in seen, f"unassigned expert: {st} {seen}")
        # unpublish: another participant cannot, nor another company's representative
        st, body = pr.colleague.post(f"/api/v1/cases/{cid}/unpublish")
        expect_error(st, body, 403, "forbidden", "colleague unpublishing")
        st, body = pr.rep_b.post(f"/api/v1/cases/{cid}/unpublish")
        expect_error(st, body, 403, "forbidden", "another company's representative unpublishing")
        st, u = pr.rep.post(f"/api/v1/cases/{cid}/unpublish")
        expect(st == 200 and u["status"] == "draft" and u["published_at"] is None, f"unpublish: {st} {u}")
        st, lst = anon.get("/api/v1/public/cases")
        expect(lst["cases"] == [], f"gone from the public list: {lst}")
        st, body = anon.get(f"/api/v1/public/cases/{cid}")
        expect_error(st, body, 404, "not_found", "gone from the public page")
        st, body = pr.rep_b.get(f"/api/v1/cases/{cid}")
        expect_error(st, body, 404, "not_found", "gone for other companies")
        st, body = w.admin.post(f"/api/v1/cases/{cid}/unpublish")
        expect_error(st, body, 409, "not_published", "unpublish a draft")
        st, body = w.admin.post(f"/api/v1/cases/{cid}/publish")
        expect_error(st, body, 409, "not_approved", "publish a draft")
        # an edit of a published case takes it off the site
        p2 = pr.to_published(pr.create(title="二つ目"))
        st, e = w.admin.patch(f"/api/v1/cases/{p2['id']}", {"body": CLEAN + "\n追記。"})
        expect(e["status"] == "draft", f"edit unpublishes: {e}")
        st, lst = anon.get("/api/v1/public/cases")
        expect(lst["cases"] == [], f"edited case not public: {lst}")
        acts = audit_actions(w, f"case:{cid}")
        expect("case.publish" in acts and "case.unpublish" in acts and "case.approve" in acts, f"audit: {acts}")
        expect(audit_actions(w, f"case:{p2['id']}")[-2:] == ["case.update", "case.unpublish"], "edit audited")


def test_consent_required_and_withdrawal():
    with World() as w:
        pr = Program(w)
        # company C never consented (its case is approved by a representative of the company
        # who accepted personally only: the company record is missing)
        c = w.company(name="合同会社ガンマ")
        k = pr.create(company=c, title="C社")
        rep_c = w.user("participant", c, representative=True)
        w.accept_all(rep_c)  # personal only: gated, but the secretariat can still drive the case
        db = sqlite3.connect(os.path.join(w.srv.data, "mamori.db"), timeout=60)
        db.execute("UPDATE cases SET status = 'approved' WHERE id = ?", (k["id"],))
        db.commit()
        db.close()
        st, body = w.admin.post(f"/api/v1/cases/{k['id']}/publish")
        expect_error(st, body, 409, "consent_required", "company without participation consent")
        expect([(x["kind"], x["scope"]) for x in body["pending"]] == [("participation", "company")],
               f"what is missing: {body}")
        # A's published case: withdrawing A's participation consent takes it off at once
        p = pr.to_published()
        company_rec = pr.rep_a_records[0]["company_record"]
        st, body = w.admin.post(f"/api/v1/consents/{company_rec['id']}/withdraw")
        expect(st == 200, f"withdraw: {st} {body}")
        anon = w.srv.client()
        w.clients.append(anon)
        st, lst = anon.get("/api/v1/public/cases")
        expect(lst["cases"] == [], f"withdrawn company's case gone: {lst}")
        st, k2 = w.admin.get(f"/api/v1/cases/{p['id']}")
        expect(k2["status"] == "draft", f"back to draft: {k2}")
        acts = audit_actions(w, f"case:{p['id']}")
        expect(acts[-1] == "case.unpublish", f"audited: {acts}")


def test_who_reads_what():
    with World() as w:
        pr = Program(w)
        draft = pr.create(title="下書き")
        st, awaiting = w.admin.post(f"/api/v1/cases/{pr.create(title='承認待ち')['id']}/submit")
        pub = pr.to_published(pr.create(title="公開"))
        b_draft = pr.create(company=pr.b, title="B下書き")
        anon = w.srv.client()
        w.clients.append(anon)

        def ids(c, q=""):
            st, body = c.get("/api/v1/cases" + q)
            expect(st == 200, f"list: {st} {body}")
            return sorted(x["id"] for x in body["cases"])

        a_all = sorted([draft["id"], awaiting["id"], pub["id"]])
        expect(ids(w.admin) == sorted(a_all + [b_draft["id"]]), "secretariat reads all")
        expect(ids(pr.rep) == a_all and ids(pr.colleague) == a_all and ids(pr.expert) == a_all, "company A reads A's")
        expect(ids(pr.rep_b) == sorted([pub["id"], b_draft["id"]]), "B reads B's and the published")
        expect(ids(pr.other_expert) == [pub["id"]], "unassigned expert reads the published only")
        expect(ids(pr.rep, "?status=draft") == [draft["id"]], "status filter")
        st, body = pr.rep.get("/api/v1/cases?status=bogus")
        expect_error(st, body, 422, "invalid", "bad status")
        for c, what in [(pr.rep_b, "B"), (pr.other_expert, "unassigned expert")]:
            for k in (draft, awaiting):
                st, body = c.get(f"/api/v1/cases/{k['id']}")
                expect_error(st, body, 404, "not_found", f"{what} reading A's unpublished case")
        st, body = anon.get("/api/v1/cases")
        expect_error(st, body, 401, "unauthenticated", "no session")
        for k in (draft, awaiting, b_draft):
            st, body = anon.get(f"/api/v1/public/cases/{k['id']}")
            expect_error(st, body, 404, "not_found", "public draft")
        st, body = anon.get("/api/v1/public/cases/999999")
        expect_error(st, body, 404, "not_found", "public missing")
        # unassigning the expert ends their access to the drafts at once
        st, _ = w.admin.delete(f"/api/v1/companies/{pr.a}/experts/{pr.expert.id}")
        expect(ids(pr.expert) == [pub["id"]], "unassigned now")
        # search never returns case text
        st, res = pr.rep_b.get("/api/v1/search?q=" + urllib.parse.quote("打合せ"))
        expect(st == 200 and res["results"] == [], f"cases are not in search: {res}")


if __name__ == "__main__":
    run_tests([
        test_create_and_fields,
        test_findings_and_submit,
        test_approve_reject_and_edits,
        test_publish_public_and_unpublish,
        test_consent_required_and_withdrawal,
        test_who_reads_what,
    ])
