#!/usr/bin/env python3
"""Questions and escalation end to end (docs/API.md §6, issue 6): accept and reopen with their
permissions, escalation with a due time on the business clock, the expert's access while the
escalation stands, the expert's answer through the on_post hook, decline, the expert queue, the
secretariat's triage (unanswered, overdue, declined), the overdue and reminder timers, and every
notification arriving both in the app and by e-mail (a real SMTP server on loopback), with no
confidential text in any mail about a company thread.

The tests must pass at any hour, also outside business hours, so times that depend on the
business clock are compared with `mamori calendar add-business-hours` (the same arithmetic), and
"old" questions and "late" escalations are made by moving their times back in the database.
"""
import email
import email.policy
import mailbox
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamori import Server, expect, free_port, run, run_tests  # noqa: E402

PASSWORD = "seigyo-no-kagi-2026"
BASE_URL = "https://mamori.example.jp"
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, which has python3-aiosmtpd


def parse_time(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def business_add(start_rfc3339, hours):
    """The CLI's answer for start + hours business hours, as an aware datetime."""
    out = run(["calendar", "add-business-hours", start_rfc3339, str(hours)]).stdout.strip()
    return datetime.fromisoformat(out)


class Smtp:
    """aiosmtpd on a loopback port, saving each message into a Maildir."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="mamori-smtp-")
        self.maildir = os.path.join(self.dir, "Maildir")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
             "-c", "aiosmtpd.handlers.Mailbox", self.maildir],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "smtp.log"), "ab"))
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("aiosmtpd exited; is python3-aiosmtpd installed?")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("aiosmtpd did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def messages(self):
        """Every message so far as (to, subject, body text, raw bytes)."""
        if not os.path.isdir(self.maildir):
            return []
        out = []
        box = mailbox.Maildir(self.maildir, create=False)
        for key in sorted(box.keys()):
            raw = box.get_bytes(key)
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            to = (msg.get("X-RcptTo") or msg.get("To") or "").strip("<> ")
            out.append((to, str(msg["Subject"]), msg.get_content(), raw))
        return out

    def wait_for(self, pred, what, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [m for m in self.messages() if pred(m)]
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"no mail: {what}; have {[(m[0], m[1]) for m in self.messages()]}")


class World:
    """A server wired to an SMTP server, a secretariat, two companies in one group with a
    participant each, two experts, and a category."""

    def __init__(self, config=None, smtp=True):
        """smtp=False: the relay is down (nothing listens on self.smtp.port until smtp.start())."""
        self.smtp = Smtp()
        if smtp:
            self.smtp.start()
        cfg = {"smtp_host": "127.0.0.1", "smtp_port": str(self.smtp.port),
               "mail_from": "mamori@example.jp", "base_url": BASE_URL}
        cfg.update(config or {})
        self.srv = Server(config=cfg)
        self.srv.__enter__()
        self.n = 0
        self.clients = []
        self.admin = self.srv.client()
        st, body = self.admin.login(self.srv.admin_email, self.srv.admin_password)
        expect(st == 200, f"admin sign-in: {st} {body}")
        self.admin.id = body["user"]["id"]
        self.admin.email = self.srv.admin_email
        self.clients.append(self.admin)
        st, g = self.admin.post("/api/v1/groups", {"name": "島A"})
        expect(st == 201, f"group: {st} {g}")
        self.group_id = g["id"]
        self.company_a = self.company()
        self.company_b = self.company()
        self.pa = self.user("participant", self.company_a, name="参加者A")
        self.pb = self.user("participant", self.company_b, name="参加者B")
        self.e1 = self.user("expert", name="専門家1", specialties=["ランサムウェア", "backup"])
        self.e2 = self.user("expert", name="専門家2", specialties=["クラウド"])
        st, cat = self.admin.post("/api/v1/categories", {"slug": "qa", "name": "質問", "description": ""})
        expect(st == 201, f"category: {st} {cat}")
        self.category = cat["id"]

    def close(self):
        for c in self.clients:
            c.close()
        self.srv.__exit__(None, None, None)
        self.smtp.stop()
        if not os.environ.get("MAMORI_KEEP"):
            shutil.rmtree(self.smtp.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def company(self):
        self.n += 1
        st, c = self.admin.post("/api/v1/companies", {
            "name": f"株式会社テスト{self.n}", "industry": "E", "sme_class": "manufacturing_other",
            "capital_yen": 30000000, "employees": 40, "group_id": self.group_id})
        expect(st == 201, f"company: {st} {c}")
        return c["id"]

    def user(self, role, company_id=None, name=None, specialties=None):
        self.n += 1
        mail = f"u{self.n}@example.jp"
        req = {"email": mail, "name": name or f"利用者{self.n}", "role": role}
        if company_id is not None:
            req["company_id"] = company_id
        if specialties is not None:
            req["specialties"] = specialties
        st, body = self.admin.post("/api/v1/users", req)
        expect(st == 201, f"user {role}: {st} {body}")
        c = self.srv.client()
        st, acc = c.post(f"/api/v1/invites/{body['invite_token']}/accept", {"password": PASSWORD}, csrf=False)
        expect(st == 200, f"invite accept: {st} {acc}")
        c.close()
        c.cookie = c.csrf = None
        st, login = c.login(mail, PASSWORD)
        expect(st == 200, f"sign-in {mail}: {st} {login}")
        c.id = body["user"]["id"]
        c.email = mail
        self.clients.append(c)
        return c

    # ---- the forum ----

    def question(self, client, title, body, visibility="company", kind="question", tags=None):
        req = {"category_id": self.category, "title": title, "body": body, "kind": kind,
               "visibility": visibility}
        if tags:
            req["tags"] = tags
        st, t = client.post("/api/v1/threads", req)
        expect(st == 201, f"thread: {st} {t}")
        return t

    def reply(self, client, thread_id, body):
        st, p = client.post(f"/api/v1/threads/{thread_id}/posts", {"body": body})
        expect(st == 201, f"reply: {st} {p}")
        return p

    def thread(self, client, thread_id):
        return client.get(f"/api/v1/threads/{thread_id}")

    def escalate(self, thread_id, expert, note="至急お願いします", expect_status=201):
        st, e = self.admin.post(f"/api/v1/threads/{thread_id}/escalations", {"expert_id": expert.id, "note": note})
        expect(st == expect_status, f"escalate (expected {expect_status}): {st} {e}")
        return e

    def notifications(self, client):
        st, body = client.get("/api/v1/notifications")
        expect(st == 200, f"notifications: {st} {body}")
        return body["notifications"]

    def wait_notification(self, client, kind, thread_id, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for n in self.notifications(client):
                if n["kind"] == kind and n.get("thread_id") == thread_id:
                    return n
            time.sleep(0.2)
        raise AssertionError(f"no {kind} notification about thread {thread_id}: {self.notifications(client)}")

    def mail_to(self, client, subject_part, timeout=60):
        return self.smtp.wait_for(lambda m: m[0] == client.email and subject_part in m[1],
                                  f"to {client.email} with {subject_part!r}", timeout)

    def db(self):
        return sqlite3.connect(os.path.join(self.srv.data, "mamori.db"), timeout=30)

    def sql(self, statement, *args):
        with self.db() as c:
            c.execute(statement, args)

    def triage(self):
        st, body = self.admin.get("/api/v1/triage")
        expect(st == 200, f"triage: {st} {body}")
        return {(i["thread_id"], i["reason"]): i for i in body["items"]}


MARKER = "KIMITSU-7f3a9c"


def assert_no_marker(messages):
    for to, subject, text, raw in messages:
        expect(MARKER not in subject and MARKER not in text and MARKER.encode() not in raw,
               f"confidential text in a mail to {to}: {subject!r} {text!r}")


# ---- the whole flow -----------------------------------------------------------------------------

def test_company_question_flow_notifies_in_app_and_by_mail_without_its_text():
    with World() as w:
        t = w.question(w.pa, "本社サーバのランサムウェア対策", f"社内の構成は {MARKER} です。バックアップは？",
                       tags=["ランサムウェア"])
        tid = t["id"]
        expect(t["status"] == "open", f"a new question is open: {t}")
        # An unassigned expert cannot read a company thread.
        st, _ = w.thread(w.e1, tid)
        expect(st == 404, f"expert before escalation: {st}")

        # Suggestions: the expert whose specialty matches the tag comes first.
        st, sug = w.admin.get(f"/api/v1/threads/{tid}/expert-suggestions")
        expect(st == 200 and sug["experts"][0]["id"] == w.e1.id, f"suggestions: {st} {sug}")
        expect(sug["experts"][0]["matching_tags"] == ["ランサムウェア"], f"matching tags: {sug}")
        st, _ = w.pa.get(f"/api/v1/threads/{tid}/expert-suggestions")
        expect(st == 403, f"suggestions for a participant: {st}")

        e = w.escalate(tid, w.e1)
        expect(e["state"] == "assigned" and e["thread_id"] == tid and e["expert_id"] == w.e1.id, f"{e}")
        # due_at = creation + 16 business hours, by the same clock as the CLI.
        due = parse_time(e["due_at"])
        expect(due == business_add(e["created_at"], 16), f"due_at {e['due_at']} from {e['created_at']}")
        st, th = w.thread(w.admin, tid)
        expect(th["thread"]["status"] == "escalated", f"thread after escalation: {th['thread']}")

        # The expert may now read it, and finds it in their queue with its title.
        st, th = w.thread(w.e1, tid)
        expect(st == 200, f"escalated expert reads: {st}")
        st, q = w.e1.get("/api/v1/escalations?state=assigned")
        expect(st == 200 and [x["id"] for x in q["escalations"]] == [e["id"]], f"queue: {st} {q}")
        expect(q["escalations"][0]["title"] == "本社サーバのランサムウェア対策", f"queue title: {q}")
        st, q = w.e2.get("/api/v1/escalations")
        expect(st == 200 and q["escalations"] == [], f"another expert's queue: {q}")
        st, _ = w.pa.get("/api/v1/escalations")
        expect(st == 403, f"participant queue: {st}")

        # Assignment: in the app and by mail, with title and link, never the text.
        w.wait_notification(w.e1, "escalation.assigned", tid)
        m = w.mail_to(w.e1, "本社サーバのランサムウェア対策")
        expect(f"{BASE_URL}/#/threads/{tid}" in m[0][2], f"link in mail: {m[0][2]}")

        # The expert's first post answers.
        w.reply(w.e1, tid, f"オフラインのバックアップを。{MARKER} の件は設定を見直してください。")
        st, th = w.thread(w.pa, tid)
        expect(th["thread"]["status"] == "answered", f"after the expert's post: {th['thread']}")
        st, one = w.admin.get(f"/api/v1/escalations/{e['id']}")
        expect(st == 200 and one["state"] == "answered" and one["answered_at"], f"escalation answered: {one}")
        w.wait_notification(w.pa, "question.answered", tid)
        w.mail_to(w.pa, "専門家が回答しました")
        # A second post changes nothing more.
        answer_post = th["posts"][-1]["id"]
        w.reply(w.e1, tid, "補足です。")

        # The author accepts the expert's answer.
        st, acc = w.pa.post(f"/api/v1/threads/{tid}/accept", {"post_id": answer_post})
        expect(st == 200 and acc["status"] == "resolved" and acc["accepted_post_id"] == answer_post, f"{st} {acc}")
        w.wait_notification(w.e1, "answer.accepted", tid)
        w.mail_to(w.e1, "採用")
        # The answered escalation keeps the expert's access.
        st, _ = w.thread(w.e1, tid)
        expect(st == 200, f"expert after the answer: {st}")

        time.sleep(1.5)  # let anything still queued go out before looking for leaks
        msgs = w.smtp.messages()
        expect(len(msgs) >= 3, f"mails: {[(m[0], m[1]) for m in msgs]}")
        assert_no_marker(msgs)
        for to, subject, text, raw in msgs:
            expect(f"/#/threads/{tid}" in text, f"every mail links the thread: {text}")

        # Audit: the escalation is recorded.
        st, audit = w.admin.get("/api/v1/audit")
        actions = [x["action"] for x in audit["entries"]]
        expect("escalation.create" in actions and "question.accept" in actions, f"audit: {actions}")


def test_community_question_mail_carries_the_answer_text():
    """The filter is about confidentiality, not a blanket rule: a community thread's mail quotes
    the answer (so the test above would notice if the company check were lost)."""
    with World() as w:
        t = w.question(w.pa, "パスワード管理の相談", "パスワード管理ツールは何が良いですか", visibility="community")
        tid = t["id"]
        w.escalate(tid, w.e2)
        w.reply(w.e2, tid, "公開の回答: OPEN-ANSWER-5521 をお勧めします")
        m = w.mail_to(w.pa, "専門家が回答しました")
        expect("OPEN-ANSWER-5521" in m[0][2], f"community answer quoted: {m[0][2]}")


# ---- accept and reopen ---------------------------------------------------------------------------

def test_accept_and_reopen_permissions():
    with World() as w:
        t = w.question(w.pa, "共有の質問", "UTM は必要ですか", visibility="community")
        tid = t["id"]
        first = t["first_post_id"]
        peer = w.reply(w.pb, tid, "小規模なら必要です")
        other = w.question(w.pb, "別の質問", "本文", visibility="community")
        secret = w.question(w.pb, "B社の質問", "本文", visibility="company")
        disc = w.question(w.pa, "雑談", "本文", visibility="community", kind="discussion")

        # Another reader may not accept or reopen: 403.
        st, body = w.pb.post(f"/api/v1/threads/{tid}/accept", {"post_id": peer["id"]})
        expect(st == 403 and body["error"] == "forbidden", f"other reader accepts: {st} {body}")
        st, body = w.e1.post(f"/api/v1/threads/{tid}/reopen")
        expect(st == 403, f"other reader reopens: {st} {body}")
        # Unreadable: 404, the same as missing.
        st, body = w.pa.post(f"/api/v1/threads/{secret['id']}/accept", {"post_id": secret["first_post_id"]})
        expect(st == 404 and body["error"] == "not_found", f"unreadable: {st} {body}")
        st, body = w.pa.post("/api/v1/threads/999999/accept", {"post_id": 1})
        expect(st == 404, f"missing: {st}")
        # Invalid posts and non-questions: 422.
        for pid in (other["first_post_id"], 999999, first):
            st, body = w.pa.post(f"/api/v1/threads/{tid}/accept", {"post_id": pid})
            expect(st == 422 and body["error"] == "invalid", f"accept post {pid}: {st} {body}")
        st, body = w.pa.post(f"/api/v1/threads/{tid}/accept", {})
        expect(st == 422, f"no post_id: {st}")
        st, body = w.pa.post(f"/api/v1/threads/{disc['id']}/accept", {"post_id": disc["first_post_id"]})
        expect(st == 422 and body["error"] == "invalid", f"discussion: {st} {body}")
        # Without the CSRF token: 403 csrf.
        st, body = w.pa.request("POST", f"/api/v1/threads/{tid}/accept", {"post_id": peer["id"]}, csrf=False)
        expect(st == 403 and body["error"] == "csrf", f"no csrf: {st} {body}")

        # The author accepts a peer's answer; the peer is told.
        st, acc = w.pa.post(f"/api/v1/threads/{tid}/accept", {"post_id": peer["id"]})
        expect(st == 200 and acc["status"] == "resolved" and acc["accepted_post_id"] == peer["id"], f"{st} {acc}")
        w.wait_notification(w.pb, "answer.accepted", tid)
        w.mail_to(w.pb, "採用")
        st, listed = w.pa.get("/api/v1/threads?status=resolved")
        expect(tid in [x["id"] for x in listed["threads"]], f"listed as resolved: {listed}")
        # A resolved question cannot be escalated without reopening.
        w.escalate(tid, w.e1, expect_status=409)

        # Reopen by the author.
        st, ro = w.pa.post(f"/api/v1/threads/{tid}/reopen")
        expect(st == 200 and ro["status"] == "open" and ro["accepted_post_id"] is None, f"reopen: {st} {ro}")
        # The secretariat may accept and reopen too; the author is told.
        st, acc = w.admin.post(f"/api/v1/threads/{tid}/accept", {"post_id": peer["id"]})
        expect(st == 200 and acc["status"] == "resolved", f"secretariat accepts: {st} {acc}")
        w.wait_notification(w.pa, "question.resolved", tid)
        st, ro = w.admin.post(f"/api/v1/threads/{tid}/reopen")
        expect(st == 200 and ro["status"] == "open", f"secretariat reopens: {st} {ro}")
        st, body = w.pa.post(f"/api/v1/threads/{disc['id']}/reopen")
        expect(st == 422, f"reopen a discussion: {st} {body}")

        # An escalated question waits for the expert: reopen → 409.
        w.escalate(tid, w.e1)
        st, body = w.pa.post(f"/api/v1/threads/{tid}/reopen")
        expect(st == 409, f"reopen while escalated: {st} {body}")


# ---- escalations ----------------------------------------------------------------------------------

def test_escalation_rules_and_decline():
    with World() as w:
        t = w.question(w.pa, "A社の機密の質問", f"{MARKER} のログ", visibility="company")
        tid = t["id"]
        disc = w.question(w.pa, "雑談", "本文", visibility="community", kind="discussion")

        # Only the secretariat escalates; only questions; only to active experts.
        st, body = w.pa.post(f"/api/v1/threads/{tid}/escalations", {"expert_id": w.e2.id, "note": ""})
        expect(st == 403, f"participant escalates: {st} {body}")
        st, body = w.admin.post(f"/api/v1/threads/{disc['id']}/escalations", {"expert_id": w.e2.id, "note": ""})
        expect(st == 422, f"escalate a discussion: {st} {body}")
        st, body = w.admin.post(f"/api/v1/threads/{tid}/escalations", {"expert_id": w.pb.id, "note": ""})
        expect(st == 422, f"escalate to a participant: {st} {body}")
        st, body = w.admin.post("/api/v1/threads/999999/escalations", {"expert_id": w.e2.id, "note": ""})
        expect(st == 404, f"escalate a missing thread: {st}")

        e = w.escalate(tid, w.e2)
        w.escalate(tid, w.e2, expect_status=409)  # already on it
        st, _ = w.thread(w.e2, tid)
        expect(st == 200, "escalated expert reads")

        # Decline: another expert does not see it (404), the secretariat may not (403), a reason
        # is required (422).
        st, body = w.e1.post(f"/api/v1/escalations/{e['id']}/decline", {"reason": "x"})
        expect(st == 404, f"other expert declines: {st} {body}")
        st, body = w.admin.post(f"/api/v1/escalations/{e['id']}/decline", {"reason": "x"})
        expect(st == 403, f"secretariat declines: {st} {body}")
        st, body = w.e2.post(f"/api/v1/escalations/{e['id']}/decline", {})
        expect(st == 422, f"decline without reason: {st} {body}")
        st, d = w.e2.post(f"/api/v1/escalations/{e['id']}/decline", {"reason": "専門外のため"})
        expect(st == 200 and d["state"] == "declined" and d["reason"] == "専門外のため", f"decline: {st} {d}")
        expect(d["title"] is None, f"a declined expert no longer sees the title: {d}")
        st, body = w.e2.post(f"/api/v1/escalations/{e['id']}/decline", {"reason": "again"})
        expect(st == 409, f"decline twice: {st} {body}")

        # The thread is open again and the expert has lost access.
        st, th = w.thread(w.admin, tid)
        expect(th["thread"]["status"] == "open", f"after decline: {th['thread']}")
        st, _ = w.thread(w.e2, tid)
        expect(st == 404, f"declined expert reads: {st}")
        st, q = w.e2.get("/api/v1/escalations?state=declined")
        expect(st == 200 and q["escalations"][0]["title"] is None, f"queue after decline: {q}")
        st, q = w.e2.get("/api/v1/escalations?state=nonsense")
        expect(st == 400, f"bad state: {st}")

        # Triage shows it as declined; the secretariat was told, in the app and by mail.
        tri = w.triage()
        expect((tid, "declined") in tri, f"triage: {tri}")
        w.wait_notification(w.admin, "escalation.declined", tid)
        w.mail_to(w.admin, "辞退")
        st, audit = w.admin.get("/api/v1/audit")
        expect("escalation.decline" in [x["action"] for x in audit["entries"]], "audit escalation.decline")

        # An expert assigned to the company keeps reading after declining.
        st, body = w.admin.post(f"/api/v1/companies/{w.company_a}/experts", {"expert_id": w.e1.id})
        expect(st == 201, f"assign e1 to A: {st} {body}")
        e3 = w.escalate(tid, w.e1)
        st, d = w.e1.post(f"/api/v1/escalations/{e3['id']}/decline", {"reason": "多忙"})
        expect(st == 200, f"assigned expert declines: {st}")
        st, _ = w.thread(w.e1, tid)
        expect(st == 200, f"company's expert still reads: {st}")

        # Secretariat sees all escalations.
        st, q = w.admin.get("/api/v1/escalations")
        expect(st == 200 and q["total"] == 2, f"all: {q}")
        time.sleep(1.5)
        assert_no_marker(w.smtp.messages())


def test_triage_reasons():
    with World() as w:
        old = w.question(w.pa, "古い質問", "本文", visibility="community")
        fresh = w.question(w.pa, "新しい質問", "本文", visibility="community")
        answered_by_peer = w.question(w.pa, "返信のある古い質問", "本文", visibility="community")
        w.reply(w.pb, answered_by_peer["id"], "返信です")
        resolved = w.question(w.pa, "解決済みの古い質問", "本文", visibility="community")
        p = w.reply(w.pb, resolved["id"], "答え")
        w.pa.post(f"/api/v1/threads/{resolved['id']}/accept", {"post_id": p["id"]})
        late = w.question(w.pa, "期限切れ", "本文", visibility="community")
        e = w.escalate(late["id"], w.e1)
        ontime = w.question(w.pa, "期限内", "本文", visibility="community")
        w.escalate(ontime["id"], w.e2)

        # Ten days ago is at least 8 business hours ago even across a long holiday.
        ago = int(time.time()) - 10 * 86400
        for t in (old, answered_by_peer, resolved):
            w.sql("UPDATE threads SET created_at = ? WHERE id = ?", ago, t["id"])
        w.sql("UPDATE escalations SET due_at = ? WHERE id = ?", int(time.time()) - 60, e["id"])

        tri = w.triage()
        expect((old["id"], "unanswered") in tri, f"old open question: {tri}")
        expect((answered_by_peer["id"], "unanswered") in tri, "a peer reply does not stop the clock")
        expect(fresh["id"] not in [k[0] for k in tri], f"a fresh question is not triaged: {tri}")
        expect(resolved["id"] not in [k[0] for k in tri], "a resolved question is not triaged")
        expect((late["id"], "overdue") in tri, f"overdue escalation: {tri}")
        expect(tri[(late["id"], "overdue")]["due_at"], "overdue items carry due_at")
        expect(ontime["id"] not in [k[0] for k in tri], "an escalation within its time is not triaged")
        since = parse_time(tri[(old["id"], "unanswered")]["since"])
        created = datetime.fromtimestamp(ago, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        expect(since == business_add(created, 8), f"unanswered since = creation + 8 business hours: {since}")
        for item in tri.values():
            expect(item["title"], f"items carry titles: {item}")
        st, body = w.pa.get("/api/v1/triage")
        expect(st == 403, f"participant triage: {st}")
        st, body = w.e1.get("/api/v1/triage")
        expect(st == 403, f"expert triage: {st}")

        # Escalating takes a question off the unanswered list.
        w.escalate(old["id"], w.e2)
        tri = w.triage()
        expect(old["id"] not in [k[0] for k in tri], f"escalated question: {tri}")


def test_timers_notify_overdue_once_and_remind_before_due():
    with World() as w:
        late = w.question(w.pa, "期限切れの質問", f"{MARKER}", visibility="company")
        soon = w.question(w.pa, "期限間近の質問", f"{MARKER}", visibility="company")
        e_late = w.escalate(late["id"], w.e1)
        e_soon = w.escalate(soon["id"], w.e2)
        now = int(time.time())
        w.sql("UPDATE escalations SET due_at = ?, remind_at = ? WHERE id = ?", now - 5, now - 10, e_late["id"])
        w.sql("UPDATE escalations SET due_at = ?, remind_at = ? WHERE id = ?", now + 86400, now - 5, e_soon["id"])

        # The scan runs at most every 30 s on one worker.
        w.wait_notification(w.admin, "escalation.overdue", late["id"], timeout=45)
        w.wait_notification(w.e1, "escalation.overdue", late["id"], timeout=5)
        w.wait_notification(w.e2, "escalation.reminder", soon["id"], timeout=45)
        w.mail_to(w.admin, "回答期限を過ぎました")
        w.mail_to(w.e2, "回答期限が近づいています")
        # An overdue escalation gets no reminder: it is already late.
        kinds = [n["kind"] for n in w.notifications(w.e1)]
        expect("escalation.reminder" not in kinds, f"no reminder after the due time: {kinds}")

        # Once only: after another scan there is still one overdue notification.
        time.sleep(32)
        count = sum(1 for n in w.notifications(w.admin)
                    if n["kind"] == "escalation.overdue" and n["thread_id"] == late["id"])
        expect(count == 1, f"overdue notified once: {count}")
        with w.db() as c:
            row = c.execute("SELECT overdue_notified_at, reminded_at FROM escalations WHERE id = ?",
                            (e_soon["id"],)).fetchone()
        expect(row[0] is None and row[1] is not None, f"reminder marked, not overdue: {row}")
        assert_no_marker(w.smtp.messages())


def test_small_expert_window_goes_overdue_by_the_business_clock():
    """sla_expert_hours = 0.001 (3.6 business seconds). Outside business hours the clock waits
    for the next opening, which the due time must show; inside, the escalation goes overdue and
    the timer tells the secretariat."""
    with World(config={"sla_expert_hours": "0.001"}) as w:
        t = w.question(w.pa, "短い期限", "本文", visibility="community")
        e = w.escalate(t["id"], w.e1)
        due = parse_time(e["due_at"])
        expect(due == business_add(e["created_at"], 0.001), f"due {e['due_at']} from {e['created_at']}")
        if due.timestamp() > time.time() + 20:
            tri = w.triage()
            expect((t["id"], "overdue") not in tri, "not overdue before the next opening")
            print("     (outside business hours: due at the next opening", e["due_at"], ")")
            return
        w.wait_notification(w.admin, "escalation.overdue", t["id"], timeout=45)
        expect((t["id"], "overdue") in w.triage(), "overdue in triage")


def test_mail_preferences():
    with World() as w:
        st, prefs = w.pa.get("/api/v1/me/mail-preferences")
        expect(st == 200 and prefs == {"assignments": True, "answers": True, "acceptances": True,
                                       "overdue": True, "mentions": True, "consent": True}, f"{st} {prefs}")
        st, prefs = w.pa.request("PUT", "/api/v1/me/mail-preferences", {"answers": False})
        expect(st == 200 and prefs["answers"] is False and prefs["acceptances"] is True, f"{st} {prefs}")
        st, body = w.pa.request("PUT", "/api/v1/me/mail-preferences", {"answers": "no"})
        expect(st == 422, f"not a boolean: {st} {body}")
        st, prefs = w.pa.get("/api/v1/me/mail-preferences")
        expect(prefs["answers"] is False, f"kept: {prefs}")
        st, other = w.pb.get("/api/v1/me/mail-preferences")
        expect(other["answers"] is True, "per user")

        t = w.question(w.pa, "設定の確認", "本文", visibility="community")
        w.escalate(t["id"], w.e1)
        w.reply(w.e1, t["id"], "回答です")
        # In the app the answer arrives; by mail it does not.
        w.wait_notification(w.pa, "question.answered", t["id"])
        w.mail_to(w.e1, "設定の確認")  # the assignment mail went out, so the sender has run
        time.sleep(2)
        expect(not [m for m in w.smtp.messages() if m[0] == w.pa.email], "no answer mail when turned off")
        st, out = w.admin.get("/api/v1/mail/outbox")
        expect(st == 200 and all(m["user_id"] != w.pa.id for m in out["mails"]), f"not queued: {out}")
        st, _ = w.pa.get("/api/v1/mail/outbox")
        expect(st == 403, "outbox is the secretariat's")


if __name__ == "__main__":
    run_tests([
        test_company_question_flow_notifies_in_app_and_by_mail_without_its_text,
        test_community_question_mail_carries_the_answer_text,
        test_accept_and_reopen_permissions,
        test_escalation_rules_and_decline,
        test_triage_reasons,
        test_timers_notify_overdue_once_and_remind_before_due,
        test_small_expert_window_goes_overdue_by_the_business_clock,
        test_mail_preferences,
    ])
