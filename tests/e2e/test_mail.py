#!/usr/bin/env python3
"""E-mail end to end (issue 6): the outbox and its sender against a real SMTP server on loopback
(Debian's python3-aiosmtpd). A relay that is down when the mail is caused and comes up later
still gets every mail, once; a mail queued while its thread was `community` and sent after the
thread became confidential carries no text, and one whose recipient lost access is not sent;
the message is well formed (From, To, an RFC 2047 Japanese subject, a UTF-8 body with greeting,
link and footer); and no mail about a company thread carries the thread's text.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamori import expect, run_tests  # noqa: E402
from test_questions import BASE_URL, MARKER, World, assert_no_marker  # noqa: E402


def outbox(w, **filters):
    st, body = w.admin.get("/api/v1/mail/outbox")
    expect(st == 200, f"outbox: {st} {body}")
    return [m for m in body["mails"] if all(m.get(k) == v for k, v in filters.items())]


def wait_outbox(w, pred, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        rows = [m for m in outbox(w) if pred(m)]
        if rows:
            return rows
        time.sleep(0.2)
    raise AssertionError(f"outbox never showed {what}: {outbox(w)}")


def test_relay_down_then_up_delivers_everything_once():
    with World(smtp=False) as w:
        t = w.question(w.pa, "中継サーバ停止中の質問", f"{MARKER} の扱い", visibility="company")
        tid = t["id"]
        w.escalate(tid, w.e1)
        # In the app at once, whatever the relay does.
        w.wait_notification(w.e1, "escalation.assigned", tid)
        # The sender tried, failed, and scheduled a retry; the row is still pending.
        rows = wait_outbox(w, lambda m: m["thread_id"] == tid and m["attempts"] >= 1, "a failed attempt")
        expect(rows[0]["state"] == "pending" and rows[0]["last_error"], f"pending with an error: {rows[0]}")
        expect(rows[0]["next_attempt_at"] > rows[0]["created_at"], f"retry scheduled later: {rows[0]}")

        # More mail while the relay is down.
        w.reply(w.e1, tid, f"回答: {MARKER}")
        w.wait_notification(w.pa, "question.answered", tid)

        w.smtp.start()
        w.mail_to(w.e1, "回答を依頼されました", timeout=90)
        w.mail_to(w.pa, "専門家が回答しました", timeout=90)
        wait_outbox(w, lambda m: m["thread_id"] == tid and m["kind"] == "question.answered" and m["state"] == "sent",
                    "the answer mail sent")
        time.sleep(2)
        msgs = w.smtp.messages()
        to_e1 = [m for m in msgs if m[0] == w.e1.email]
        expect(len(to_e1) == 1, f"delivered once: {[(m[0], m[1]) for m in msgs]}")
        expect(all(m["state"] == "sent" for m in outbox(w, thread_id=tid)), f"all sent: {outbox(w)}")
        assert_no_marker(msgs)
        # The log says what happened, without the text either.
        expect(MARKER not in w.srv.read_log(), "no thread text in the server log")


def test_message_is_well_formed():
    with World() as w:
        t = w.question(w.pa, "メールの形式の確認", "本文", visibility="company")
        w.escalate(t["id"], w.e1, note="よろしくお願いします")
        to, subject, text, raw = w.mail_to(w.e1, "メールの形式の確認")[0]
        # The Maildir copy may have LF line ends; headers are pure ASCII.
        head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("ascii")
        expect("From: mamori <mamori@example.jp>" in head, f"From: {head}")
        expect(f"To: <{w.e1.email}>" in head, f"To: {head}")
        expect("=?UTF-8?B?" in head and "Message-ID: <mamori." in head and "Date: " in head, head)
        expect("Content-Type: text/plain; charset=UTF-8" in head, head)
        expect(all(len(line) <= 78 for line in head.split("\n")), f"folded headers: {head}")
        expect(subject == "[mamori] 専門家として質問への回答を依頼されました: メールの形式の確認", subject)
        expect(text.startswith("専門家1 様"), f"greeting: {text!r}")
        expect(f"{BASE_URL}/#/threads/{t['id']}" in text, f"link: {text}")
        # A company thread: the secretariat's note is thread content too, so it stays out.
        expect("よろしくお願いします" not in text, f"no note in a confidential thread's mail: {text}")
        expect("本文はメールに載せていません" in text, f"says why: {text}")


def test_queued_mail_follows_a_visibility_change():
    """Mail is checked again when sent: a thread made `company` after the mail was queued goes
    out with title and link only, and a recipient who can no longer read it gets nothing."""
    with World(smtp=False) as w:
        t = w.question(w.pa, "公開から限定へ", "OPEN-BODY-1234 の相談", visibility="community")
        tid = t["id"]
        peer = w.reply(w.pb, tid, "B社からの返信")
        w.escalate(tid, w.e1, note="NOTE-SECRET-77")
        st, acc = w.pa.post(f"/api/v1/threads/{tid}/accept", {"post_id": peer["id"]})
        expect(st == 200, f"accept: {st} {acc}")
        expect(len(outbox(w, thread_id=tid)) == 2, f"two mails queued: {outbox(w)}")
        st, body = w.admin.patch(f"/api/v1/threads/{tid}", {"visibility": "company"})
        expect(st == 200, f"make it company: {st} {body}")

        w.smtp.start()
        to, subject, text, raw = w.mail_to(w.e1, "公開から限定へ", timeout=90)[0]
        expect("NOTE-SECRET-77" not in text and b"NOTE-SECRET-77" not in raw, f"note stripped: {text}")
        wait_outbox(w, lambda m: m["user_id"] == w.pb.id and m["state"] == "cancelled", "pb's mail cancelled")
        time.sleep(1)
        expect(not [m for m in w.smtp.messages() if m[0] == w.pb.email], "nothing to a user who lost access")


def test_community_mail_carries_text_while_community():
    """The counterpart of the test above, so that it can fail: unchanged, the note goes out."""
    with World() as w:
        t = w.question(w.pa, "公開のまま", "本文", visibility="community")
        w.escalate(t["id"], w.e1, note="NOTE-OPEN-88")
        to, subject, text, raw = w.mail_to(w.e1, "公開のまま")[0]
        expect("NOTE-OPEN-88" in text, f"community note in mail: {text}")


def test_suspended_recipient_gets_no_mail():
    with World(smtp=False) as w:
        t = w.question(w.pa, "停止された専門家", "本文", visibility="community")
        w.escalate(t["id"], w.e2)
        st, body = w.admin.patch(f"/api/v1/users/{w.e2.id}", {"status": "suspended"})
        expect(st == 200, f"suspend: {st} {body}")
        w.smtp.start()
        wait_outbox(w, lambda m: m["user_id"] == w.e2.id and m["state"] == "cancelled", "cancelled", timeout=90)
        expect(not [m for m in w.smtp.messages() if m[0] == w.e2.email], "no mail to a suspended user")


if __name__ == "__main__":
    run_tests([
        test_relay_down_then_up_delivers_everything_once,
        test_message_is_well_formed,
        test_queued_mail_follows_a_visibility_change,
        test_community_mail_carries_text_while_community,
        test_suspended_recipient_gets_no_mail,
    ])
