-- 008_moderation.sql — moderation (server/moderation.c, docs/API.md §7): hidden and redacted posts,
-- flags and their review, the originals of redacted texts kept for the secretariat, and the
-- indexes the posting rate limit and the purge of a post's copies need.

-- A hidden post shows to everyone but the secretariat without its text; a redacted post's text
-- has been replaced (posts.body holds the placeholder) for everyone.
ALTER TABLE posts ADD COLUMN hidden_at INTEGER;
ALTER TABLE posts ADD COLUMN hidden_by INTEGER REFERENCES users(id);
ALTER TABLE posts ADD COLUMN redacted_at INTEGER;

-- The posting rate limit counts a user's posts of the last minute (a thread's first post
-- included).
CREATE INDEX posts_author_time ON posts(author_id, created_at);

-- A reader's report of a post. One open flag per reporter and post. `resolution` says what the
-- secretariat did: dismissed, hidden, redacted or purged.
CREATE TABLE flags (
  id           INTEGER PRIMARY KEY,
  post_id      INTEGER NOT NULL REFERENCES posts(id),
  thread_id    INTEGER NOT NULL REFERENCES threads(id),
  reporter_id  INTEGER NOT NULL REFERENCES users(id),
  reason       TEXT NOT NULL,
  state        TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','resolved')),
  resolution   TEXT CHECK (resolution IN ('dismissed','hidden','redacted','purged')),
  created_at   INTEGER NOT NULL,
  resolved_by  INTEGER REFERENCES users(id),
  resolved_at  INTEGER
);
CREATE INDEX flags_state ON flags(state, id);
CREATE INDEX flags_post ON flags(post_id, state);
CREATE INDEX flags_reporter_time ON flags(reporter_id, created_at);
CREATE UNIQUE INDEX flags_open_once ON flags(post_id, reporter_id) WHERE state = 'open';

-- One row per redaction of a post (purged = 1: every copy was destroyed).
CREATE TABLE post_redactions (
  id          INTEGER PRIMARY KEY,
  post_id     INTEGER NOT NULL REFERENCES posts(id),
  actor_id    INTEGER NOT NULL REFERENCES users(id),
  reason      TEXT NOT NULL,
  purged      INTEGER NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX post_redactions_post ON post_redactions(post_id, id);

-- The texts a (non-purging) redaction replaced, readable only through the secretariat's route
-- GET /api/v1/posts/{id}/redactions; a purge of the post deletes them.
CREATE TABLE redacted_texts (
  id            INTEGER PRIMARY KEY,
  redaction_id  INTEGER NOT NULL REFERENCES post_redactions(id),
  post_id       INTEGER NOT NULL REFERENCES posts(id),
  source        TEXT NOT NULL CHECK (source IN ('post','revision')),
  revision_id   INTEGER,
  body          TEXT NOT NULL,
  author_id     INTEGER REFERENCES users(id),
  written_at    INTEGER
);
CREATE INDEX redacted_texts_post ON redacted_texts(post_id, id);
CREATE INDEX redacted_texts_redaction ON redacted_texts(redaction_id, id);

-- A redaction finds the copies of a post's text that notifications and queued mail carry among
-- the rows about its thread.
CREATE INDEX notifications_thread ON notifications(thread_id, created_at);
CREATE INDEX mail_outbox_thread ON mail_outbox(thread_id, created_at);

-- GET /api/v1/threads/{id}/readers lists the thread's read state by thread.
CREATE INDEX thread_reads_thread ON thread_reads(thread_id, user_id);
