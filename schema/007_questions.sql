-- 007_questions.sql — the question flow's timers (server/escalation.c) and the e-mail outbox and
-- per-user mail preferences (server/mail.c). Escalations themselves are in 003 because the
-- visibility rule reads them.

-- Timer marks: remind_at is when the expert gets a reminder (2 business hours before due_at,
-- or half-way for short windows); reminded_at and overdue_notified_at make each timer fire once.
ALTER TABLE escalations ADD COLUMN remind_at INTEGER;
ALTER TABLE escalations ADD COLUMN reminded_at INTEGER;
ALTER TABLE escalations ADD COLUMN overdue_notified_at INTEGER;
CREATE INDEX escalations_remind ON escalations(state, remind_at);

-- Open questions by age, for the triage list and its `unanswered` clock.
CREATE INDEX threads_kind_status ON threads(kind, status, created_at);

-- Every e-mail the server means to send, written in the same transaction as the action that
-- causes it, so a crash or a relay outage loses nothing. The recipient address is looked up
-- when sending (a changed address is honoured); for a thread that is not `community` the row
-- never holds the thread's text (mail.c writes only its title and link).
CREATE TABLE mail_outbox (
  id               INTEGER PRIMARY KEY,
  user_id          INTEGER NOT NULL REFERENCES users(id),
  kind             TEXT NOT NULL,
  thread_id        INTEGER REFERENCES threads(id),
  subject          TEXT NOT NULL,
  body             TEXT NOT NULL,
  state            TEXT NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending','sent','failed','cancelled')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  sent_at          INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox(state, next_attempt_at);
CREATE INDEX mail_outbox_user ON mail_outbox(user_id, id);

-- One row per user who changed a preference; no row means every kind is on.
CREATE TABLE mail_preferences (
  user_id      INTEGER PRIMARY KEY REFERENCES users(id),
  assignments  INTEGER NOT NULL DEFAULT 1,
  answers      INTEGER NOT NULL DEFAULT 1,
  acceptances  INTEGER NOT NULL DEFAULT 1,
  overdue      INTEGER NOT NULL DEFAULT 1,
  mentions     INTEGER NOT NULL DEFAULT 1,
  consent      INTEGER NOT NULL DEFAULT 1,
  updated_at   INTEGER NOT NULL
);
