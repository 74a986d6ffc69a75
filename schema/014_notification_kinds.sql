-- 014_notification_kinds.sql — server texts in the reader's language (docs/FORUM.md
-- "Notifications and mail in the reader's language").
--
-- A notification is stored as a kind plus parameters (a JSON object of language-neutral values:
-- ids, times, a document's title and version), never as a composed sentence: the web front end
-- renders it in the reader's language. The thread's title is not stored; the listing adds it
-- while, and only while, the reader may read the thread. The old `text` column stays (empty
-- for new rows) so that nothing that scrubs it breaks.
--
-- A mail is composed when it is sent, in the recipient's language (users.lang), from its kind,
-- its params and its body (the caller's own words: an answer's excerpt, a note, a reason).
-- Rows queued before this version have params NULL and keep their old, composed body.

ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'ja' CHECK (lang IN ('ja', 'en'));

ALTER TABLE notifications ADD COLUMN params TEXT NOT NULL DEFAULT '{}';

-- A new consent version: the old text was "TITLE（第N版）が公開されました。…".
UPDATE notifications SET params = json_object(
    'document_title', substr(text, 1, instr(text, '（第') - 1),
    'version', CAST(substr(text, instr(text, '（第') + 2,
                           instr(text, '版）') - instr(text, '（第') - 2) AS INTEGER))
  WHERE kind = 'consent_version' AND instr(text, '（第') > 1 AND instr(text, '版）') > instr(text, '（第');

-- An overdue escalation told the secretariat and the expert different things.
UPDATE notifications SET params = json_object('audience',
    CASE WHEN (SELECT role FROM users u WHERE u.id = notifications.user_id) = 'secretariat'
         THEN 'secretariat' ELSE 'expert' END)
  WHERE kind = 'escalation.overdue';

-- Every other old text was either the thread's title (now added at listing time) or a fixed
-- Japanese sentence (now the kind): neither is kept.
UPDATE notifications SET text = '';

-- The outbox's kind is now the notification kind (one table of kinds, server/kinds.c).
ALTER TABLE mail_outbox ADD COLUMN params TEXT;
UPDATE mail_outbox SET kind = CASE kind
    WHEN 'assignment' THEN 'escalation.assigned'
    WHEN 'reminder'   THEN 'escalation.reminder'
    WHEN 'declined'   THEN 'escalation.declined'
    WHEN 'answer'     THEN 'question.answered'
    WHEN 'acceptance' THEN 'answer.accepted'
    WHEN 'overdue'    THEN 'escalation.overdue'
    WHEN 'consent'    THEN 'consent_version'
    ELSE kind END;
