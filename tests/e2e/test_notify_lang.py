#!/usr/bin/env python3
"""Server texts in the reader's language (issue 14 item 4): notifications are kind + params,
rendered by the client; mail is composed at send time in the recipient's language (users.lang,
set with PATCH /api/v1/me {lang}); a thread's title in a notification is read at listing time
and only listed while the reader may read the thread; schema 014 migrates old rows.
"""
import json
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamori import expect, run_tests  # noqa: E402
from test_questions import BASE_URL, World  # noqa: E402

SCHEMA = os.path.join(os.environ.get("MAMORI_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../..")),
                      "schema")
KEYS = {"id", "kind", "params", "thread_id", "post_id", "actor", "created_at", "read_at"}
JAPANESE = re.compile(r"[\u3040-\u30ff]")  # kana: every Japanese frame text has some


def set_lang(client, lang):
    st, body = client.patch("/api/v1/me", {"lang": lang})
    expect(st == 200 and body["user"]["lang"] == lang, f"PATCH /me lang={lang}: {st} {body}")


def test_lang_setting():
    with World(smtp=False) as w:
        st, me = w.e1.get("/api/v1/me")
        expect(st == 200 and me["user"]["lang"] == "ja", f"Japanese by default: {me}")
        set_lang(w.e1, "en")
        st, me = w.e1.get("/api/v1/me")
        expect(me["user"]["lang"] == "en", f"kept: {me}")
        for bad in ({"lang": "fr"}, {"lang": ""}, {"lang": 1}, {}, {"lang": None}):
            st, body = w.e1.patch("/api/v1/me", bad)
            expect(st == 422 and body["error"] == "invalid", f"{bad}: {st} {body}")
        st, me = w.e1.get("/api/v1/me")
        expect(me["user"]["lang"] == "en", f"a bad value changes nothing: {me}")
        st, other = w.pa.get("/api/v1/me")
        expect(other["user"]["lang"] == "ja", f"one user's setting only: {other}")
        st, body = w.srv.client().patch("/api/v1/me", {"lang": "en"})
        expect(st == 401, f"signed out: {st} {body}")


def test_english_and_japanese_mail_and_notifications():
    with World() as w:
        set_lang(w.e1, "en")
        t = w.question(w.pa, "UTMのログ保存期間", "UTMのログは何日残すべきでしょうか", visibility="community")
        tid = t["id"]
        w.escalate(tid, w.e1, note="NOTE-EN-1 よろしくお願いします")
        w.escalate_company = w.question(w.pb, "資産台帳の棚卸し", "本文", visibility="company")
        w.escalate(w.escalate_company["id"], w.e2, note="NOTE-JA-2")

        # English expert: English subject, greeting, details, frame; the thread's own words as they are.
        to, subject, text, raw = w.mail_to(w.e1, "UTMのログ保存期間")[0]
        expect(subject == "[mamori] You have been asked to answer a question as an expert: UTMのログ保存期間",
               subject)
        expect(text.startswith("Dear 専門家1,"), f"greeting: {text!r}")
        expect("Due: " in text and "business hours" in text and "Note from the secretariat:" in text, text)
        expect("NOTE-EN-1" in text, f"a community thread's mail carries the note: {text}")
        expect(f"Thread: UTMのログ保存期間\n{BASE_URL}/#/threads/{tid}" in text.replace("\r\n", "\n"), text)
        expect(f"Language and settings: {BASE_URL}/#/account" in text, text)
        frame = text.replace("UTMのログ保存期間", "").replace("専門家1", "").replace("よろしくお願いします", "")
        expect(not JAPANESE.search(frame), f"no Japanese besides the thread's own words: {text}")

        # Japanese expert, a company thread: Japanese, title and link only.
        to, subject, text, raw = w.mail_to(w.e2, "資産台帳の棚卸し")[0]
        expect(subject == "[mamori] 専門家として質問への回答を依頼されました: 資産台帳の棚卸し", subject)
        expect(text.startswith("専門家2 様"), text)
        expect("NOTE-JA-2" not in text and "本文はメールに載せていません" in text, text)

        # The in-app notification: kind + params, the same for both languages; no composed text.
        n = w.wait_notification(w.e1, "escalation.assigned", tid)
        expect(set(n) == KEYS, f"notification keys: {sorted(n)}")
        p = n["params"]
        expect(p["title"] == "UTMのログ保存期間", p)
        expect(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00", p["due_at"]), p)
        expect(isinstance(p["hours"], (int, float)) and p["hours"] > 0, p)
        expect(n["actor"]["id"] == w.admin.id and n["post_id"] is None and n["read_at"] is None, n)
        n2 = w.wait_notification(w.e2, "escalation.assigned", w.escalate_company["id"])
        expect(set(n2["params"]) == {"title", "due_at", "hours"}, n2)

        # The expert answers: the Japanese asker hears in Japanese, with the answer's opening.
        w.reply(w.e1, tid, "90日を目安に保存してください。ANSWER-77")
        to, subject, text, raw = w.mail_to(w.pa, "UTMのログ保存期間")[0]
        expect(subject == "[mamori] あなたの質問に専門家が回答しました: UTMのログ保存期間", subject)
        expect(text.startswith("参加者A 様") and "回答の冒頭:" in text and "ANSWER-77" in text, text)
        n = w.wait_notification(w.pa, "question.answered", tid)
        expect(n["params"] == {"title": "UTMのログ保存期間"} and n["actor"]["name"] == "専門家1", n)


def test_language_is_read_when_the_mail_is_sent():
    """A mail queued while the recipient read English goes out in Japanese if they switched
    before it was sent (the relay was down meanwhile)."""
    with World(smtp=False) as w:
        set_lang(w.e1, "en")
        t = w.question(w.pa, "切替の確認", "本文", visibility="company")
        w.escalate(t["id"], w.e1)
        st, out = w.admin.get("/api/v1/mail/outbox")
        row = [m for m in out["mails"] if m["user_id"] == w.e1.id][0]
        expect(row["kind"] == "escalation.assigned" and row["subject"].startswith("[mamori] You have"), row)
        set_lang(w.e1, "ja")
        w.smtp.start()
        to, subject, text, raw = w.mail_to(w.e1, "切替の確認", timeout=90)[0]
        expect(subject == "[mamori] 専門家として質問への回答を依頼されました: 切替の確認", subject)
        expect(text.startswith("専門家1 様"), text)


def test_consent_version_mail_in_english():
    with World() as w:
        set_lang(w.pb, "en")
        for kind, title in (("participation", "参加同意書"), ("nda", "機密保持の同意書")):
            st, d = w.admin.post("/api/v1/documents", {"kind": kind, "title": title, "body": "本文です。"})
            expect(st == 201, (st, d))
        to, subject, text, raw = w.mail_to(w.pb, "A consent document has a new version")[0]
        expect(subject == "[mamori] A consent document has a new version", subject)
        expect(("参加同意書 (version 1) has been published" in text or "機密保持の同意書 (version 1) has been published"
                in text) and f"{BASE_URL}/" in text, text)
        to, subject, text, raw = w.mail_to(w.pa, "同意書が新しい版になりました")[0]
        expect("（第1版）が公開されました" in text, text)
        # Held at the gate, the participant still lists notifications about no thread.
        st, body = w.pb.get("/api/v1/notifications")
        expect(st == 200, (st, body))
        got = sorted((n["kind"], n["params"]["document_kind"], n["params"]["version"], n["thread_id"])
                     for n in body["notifications"])
        expect(got == [("consent_version", "nda", 1, None), ("consent_version", "participation", 1, None)], got)
        expect(all(set(n) == KEYS for n in body["notifications"]), body)


def test_title_listed_only_while_readable():
    """The title is read at listing time: a thread the reader can no longer read takes its
    notifications, and so its title, with it."""
    with World(smtp=False) as w:
        t = w.question(w.pa, "CONFIDENTIAL-TITLE-9", "本文", visibility="community")
        tid = t["id"]
        st, _ = w.pb.post(f"/api/v1/threads/{tid}/follow")
        expect(st in (200, 204), st)
        w.reply(w.pa, tid, "返信します")   # pb hears of the reply
        n = w.wait_notification(w.pb, "reply", tid)
        expect(n["params"] == {"title": "CONFIDENTIAL-TITLE-9"} and n["post_id"], n)
        st, body = w.admin.patch(f"/api/v1/threads/{tid}", {"visibility": "company"})
        expect(st == 200, (st, body))
        st, raw = w.pb.get("/api/v1/notifications")
        expect(st == 200, (st, raw))
        expect("CONFIDENTIAL-TITLE-9" not in json.dumps(raw, ensure_ascii=False), f"title gone: {raw}")
        expect(not [x for x in raw["notifications"] if x["thread_id"] == tid] and raw["unread_count"] == 0, raw)


def test_migration_014_keeps_old_rows_meaningful():
    """Schema 014 applied to a database of version 13 with notifications and mail of the old shape."""
    db = sqlite3.connect(":memory:")
    files = sorted(f for f in os.listdir(SCHEMA) if re.match(r"\d{3}_.*\.sql$", f))
    for f in files:
        if int(f[:3]) < 14:
            db.executescript(open(os.path.join(SCHEMA, f), encoding="utf-8").read())
    db.executescript("""
        INSERT INTO users (id, email, name, role, status, created_at) VALUES
          (1, 'staff@example.jp', '事務局', 'secretariat', 'active', 0),
          (2, 'ex@example.jp', '専門家', 'expert', 'active', 0);
        INSERT INTO notifications (user_id, kind, thread_id, text, created_at) VALUES
          (2, 'consent_version', NULL, '機密保持の同意書（第3版）が公開されました。内容をご確認のうえ、改めて同意してください。', 1),
          (1, 'escalation.overdue', NULL, 'エスカレーションが回答期限を過ぎました', 2),
          (2, 'escalation.overdue', NULL, 'ご担当の質問が回答期限を過ぎました', 3),
          (2, 'reply', NULL, 'スレッドの題名', 4);
        INSERT INTO mail_outbox (user_id, kind, subject, body, next_attempt_at, created_at) VALUES
          (2, 'assignment', 's', '回答期限: ...', 0, 0), (2, 'consent', 's', 'b', 0, 0), (2, 'weird', 's', 'b', 0, 0);
    """)
    path = [f for f in files if f.startswith("014_")]
    expect(path == ["014_notification_kinds.sql"], path)
    db.executescript(open(os.path.join(SCHEMA, path[0]), encoding="utf-8").read())
    rows = db.execute("SELECT user_id, kind, params, text FROM notifications ORDER BY id").fetchall()
    expect(json.loads(rows[0][2]) == {"document_title": "機密保持の同意書", "version": 3}, rows[0])
    expect(json.loads(rows[1][2]) == {"audience": "secretariat"}, rows[1])
    expect(json.loads(rows[2][2]) == {"audience": "expert"}, rows[2])
    expect(json.loads(rows[3][2]) == {}, rows[3])
    expect(all(r[3] == "" for r in rows), f"old texts cleared: {rows}")
    mails = db.execute("SELECT kind, params, body FROM mail_outbox ORDER BY id").fetchall()
    expect(mails == [("escalation.assigned", None, "回答期限: ..."), ("consent_version", None, "b"),
                     ("weird", None, "b")], mails)
    expect(db.execute("SELECT lang FROM users ORDER BY id").fetchall() == [("ja",), ("ja",)], "ja by default")
    try:
        db.execute("UPDATE users SET lang = 'fr' WHERE id = 1")
        raise AssertionError("lang must be ja or en")
    except sqlite3.IntegrityError:
        pass


if __name__ == "__main__":
    run_tests([
        test_migration_014_keeps_old_rows_meaningful,
        test_lang_setting,
        test_english_and_japanese_mail_and_notifications,
        test_language_is_read_when_the_mail_is_sent,
        test_consent_version_mail_in_english,
        test_title_listed_only_while_readable,
    ])
