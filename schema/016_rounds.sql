-- 016_rounds.sql — the program calendar (docs/API.md §9): the ten rounds of seminar + workshop, their
-- materials (files stored like attachments, content-addressed under DATA/files), attendance per
-- round and participant, and each user's private calendar feed.

CREATE TABLE rounds (
  id                  INTEGER PRIMARY KEY,
  number              INTEGER NOT NULL UNIQUE CHECK (number >= 1),
  title               TEXT NOT NULL,
  seminar_starts_at   INTEGER NOT NULL,
  seminar_ends_at     INTEGER NOT NULL,
  workshop_starts_at  INTEGER NOT NULL,
  workshop_ends_at    INTEGER NOT NULL,
  venue               TEXT NOT NULL,
  created_by          INTEGER REFERENCES users(id),
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  revision            INTEGER NOT NULL DEFAULT 0,   -- bumped by each change (the feed's SEQUENCE)
  CHECK (seminar_ends_at >= seminar_starts_at AND workshop_ends_at >= workshop_starts_at)
);

-- A material is a file of a round; published_at NULL = only the secretariat sees it.
CREATE TABLE materials (
  id            INTEGER PRIMARY KEY,
  round_id      INTEGER NOT NULL REFERENCES rounds(id),
  filename      TEXT NOT NULL,
  size          INTEGER NOT NULL,
  sha256        TEXT NOT NULL,
  uploader_id   INTEGER REFERENCES users(id),
  created_at    INTEGER NOT NULL,
  published_at  INTEGER,
  published_by  INTEGER REFERENCES users(id)
);
CREATE INDEX materials_round ON materials(round_id, id);

-- The latest record per (round, participant); each change is also an audit entry.
CREATE TABLE attendance (
  round_id     INTEGER NOT NULL REFERENCES rounds(id),
  user_id      INTEGER NOT NULL REFERENCES users(id),
  status       TEXT NOT NULL CHECK (status IN ('present','absent','excused')),
  recorded_by  INTEGER REFERENCES users(id),
  recorded_at  INTEGER NOT NULL,
  PRIMARY KEY (round_id, user_id)
) WITHOUT ROWID;
CREATE INDEX attendance_user ON attendance(user_id);

-- One feed per user. The token is never stored: it is an HMAC of (user, generation) under the
-- key in DATA/calendar.key (outside the database and its backups); token_hash (SHA-256 hex of the
-- token) finds the row, as for sessions. Revoking clears token_hash and bumps generation, so the
-- next feed gets a new URL and the old one can never come back.
CREATE TABLE calendar_feeds (
  user_id     INTEGER PRIMARY KEY REFERENCES users(id),
  generation  INTEGER NOT NULL DEFAULT 1,
  token_hash  TEXT UNIQUE,
  created_at  INTEGER NOT NULL
);
