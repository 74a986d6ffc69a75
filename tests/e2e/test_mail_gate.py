#!/usr/bin/env python3
"""Mail and notifications to people held at the gate (issue 13, finding 2), against a real SMTP
server. A thread's title is content: a recipient who would not pass the consent gate (has not
accepted the current NDA, or withdrew it), who must enrol two-step sign-in first, or who is
suspended, gets no mail about a thread, decided when the mail is queued and again when it is
sent, by the same decision the router makes for content routes (authz.c). Mail about no thread
(a new consent version) still reaches them. GET /api/v1/notifications lists nothing about a
thread to a user who must enrol two-step sign-in first.

Each test also shows an ungated recipient getting the same kind of mail, so it can fail."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamori import expect, run_tests  # noqa: E402
from test_accounts import totp  # noqa: E402
from test_mail import outbox, wait_outbox  # noqa: E402
from test_questions import World  # noqa: E402

SECRET_TITLE = "GATE-TITLE-5d1e"


def publish_nda(w):
    st, doc = w.admin.post("/api/v1/documents", {"kind": "nda", "title": "機密保持の同意書",
                                                 "body": "秘密を守ります。", "material": True})
    expect(st == 201, f"publish: {st} {doc}")
    return doc


def accept(client, doc):
    st, rec = client.post(f"/api/v1/documents/{doc['id']}/accept", {"sha256": doc["sha256"]})
    expect(st == 201, f"accept: {st} {rec}")
    return rec


def no_mail_to(w, client, what):
    """No mail about a thread reached client (mail about consent documents may)."""
    got = [(m[0], m[1]) for m in w.smtp.messages()
           if m[0] == client.email and (SECRET_TITLE in m[1] or SECRET_TITLE in m[2] or "/threads/" in m[2])]
    expect(not got, f"{what}: {got}")
    rows = [m for m in outbox(w) if m["user_id"] == client.id and m["thread_id"] is not None
            and m["state"] != "cancelled"]
    expect(not rows, f"{what}: nothing about a thread queued for them either: {rows}")


def test_not_accepted_or_withdrawn_nda_gets_no_mail():
    with World() as w:
        t1 = w.question(w.pa, f"{SECRET_TITLE} 一件目", "本文", visibility="community")
        t2 = w.question(w.pa, f"{SECRET_TITLE} 二件目", "本文", visibility="community")
        t3 = w.question(w.pa, f"{SECRET_TITLE} 三件目", "本文", visibility="community")
        nda = publish_nda(w)
        rec = accept(w.e2, nda)  # e2 passes the gate; e1 has not accepted the new NDA
        w.escalate(t1["id"], w.e1)
        w.escalate(t2["id"], w.e2)
        w.mail_to(w.e2, "二件目")  # the control: mail flows
        # e2 withdraws: from then on e2 is held at the gate as well
        st, body = w.e2.post(f"/api/v1/consents/{rec['id']}/withdraw", {"reason": "確認のため"})
        expect(st == 200, f"withdraw: {st} {body}")
        w.escalate(t3["id"], w.e2)
        time.sleep(2)  # the sender runs every second; the control above shows it runs
        no_mail_to(w, w.e1, "an expert who has not accepted the current NDA")
        late = [(m[0], m[1]) for m in w.smtp.messages() if m[0] == w.e2.email and "三件目" in m[1]]
        expect(not late, f"an expert who withdrew the NDA: {late}")


def test_gated_between_queue_and_send():
    """Checked again when sent: the mail was queued while the recipient passed the gate. The
    control (e2's mail) is queued once e2 has accepted the new NDA: queued before, the sender
    (which keeps trying while the relay is down) could meet it between the publication and e2's
    acceptance and rightly cancel it, which a slow run (ThreadSanitizer, a loaded machine) did."""
    with World(smtp=False) as w:
        t1 = w.question(w.pa, f"{SECRET_TITLE} 送信前", "本文", visibility="community")
        t2 = w.question(w.pa, f"{SECRET_TITLE} 対照", "本文", visibility="community")
        w.escalate(t1["id"], w.e1)
        queued = [m for m in outbox(w) if m["user_id"] == w.e1.id]
        expect(len(queued) == 1, f"queued while e1 passed the gate: {outbox(w)}")
        nda = publish_nda(w)
        accept(w.e2, nda)
        w.escalate(t2["id"], w.e2)
        w.smtp.start()
        try:
            w.mail_to(w.e2, "対照", timeout=90)
        except AssertionError as e:
            raise AssertionError(f"{e}; outbox {outbox(w)}") from None
        wait_outbox(w, lambda m: m["user_id"] == w.e1.id and m["state"] == "cancelled", "e1's mail cancelled", timeout=90)
        no_mail_to(w, w.e1, "queued before the NDA, sent after it")


def test_totp_setup_required_gets_no_mail_and_no_titles():
    with World() as w:
        st, body = w.admin.patch(f"/api/v1/users/{w.e1.id}", {"totp_required": True})
        expect(st == 200 and body["user"]["totp_setup_required"], f"require TOTP: {st} {body}")
        t1 = w.question(w.pa, f"{SECRET_TITLE} 二段階", "本文", visibility="community")
        t2 = w.question(w.pa, f"{SECRET_TITLE} 対照二", "本文", visibility="community")
        w.escalate(t1["id"], w.e1)
        w.escalate(t2["id"], w.e2)
        w.mail_to(w.e2, "対照二")
        time.sleep(2)
        no_mail_to(w, w.e1, "an expert who must enrol two-step sign-in first")
        # the in-app list: nothing about a thread while enrolment is pending
        st, body = w.e1.get("/api/v1/notifications")
        expect(st == 200, f"notifications: {st} {body}")
        about = [n for n in body["notifications"] if n["thread_id"] is not None]
        expect(not about and SECRET_TITLE not in str(body), f"listed while enrolment is pending: {body}")
        expect(body["unread_count"] == len(body["notifications"]), f"count agrees: {body}")
        # once enrolled, the same notification shows (it was kept, only hidden)
        secret = w.e1.post("/api/v1/me/totp")[1]["secret"]
        st, b = w.e1.post("/api/v1/me/totp/confirm", {"code": totp(secret)})
        expect(st == 200, f"enrol: {st} {b}")
        st, body = w.e1.get("/api/v1/notifications")
        expect(any(n["thread_id"] == t1["id"] for n in body["notifications"]), f"after enrolment: {body}")


def test_suspended_gets_no_mail():
    with World() as w:
        t1 = w.question(w.pa, f"{SECRET_TITLE} 停止", "本文", visibility="community")
        st, body = w.admin.patch(f"/api/v1/users/{w.e1.id}", {"status": "suspended"})
        expect(st == 200, f"suspend: {st} {body}")
        w.escalate(t1["id"], w.e2)
        w.mail_to(w.e2, "停止")
        st, body = w.admin.post(f"/api/v1/threads/{t1['id']}/escalations", {"expert_id": w.e1.id, "note": "x"})
        time.sleep(2)
        no_mail_to(w, w.e1, "a suspended expert")


def test_consent_mail_still_reaches_gated_people():
    """Mail about no thread is not content: a new NDA version's notice reaches the very people
    it holds at the gate."""
    with World() as w:
        publish_nda(w)
        w.mail_to(w.e1, "同意書")


if __name__ == "__main__":
    run_tests([
        test_not_accepted_or_withdrawn_nda_gets_no_mail,
        test_gated_between_queue_and_send,
        test_totp_setup_required_gets_no_mail_and_no_titles,
        test_suspended_gets_no_mail,
        test_consent_mail_still_reaches_gated_people,
    ])
