-- 003_forum.sql — categories, threads, posts and escalations: the tables the visibility rule
-- (server/authz.h) reads. A thread's company and group are its author's at creation.

CREATE TABLE categories (
  id          INTEGER PRIMARY KEY,
  slug        TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  position    INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL
);

CREATE TABLE threads (
  id               INTEGER PRIMARY KEY,
  category_id      INTEGER NOT NULL REFERENCES categories(id),
  author_id        INTEGER NOT NULL REFERENCES users(id),
  title            TEXT NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('discussion','question','announcement')),
  visibility       TEXT NOT NULL CHECK (visibility IN ('community','group','company','staff')),
  company_id       INTEGER REFERENCES companies(id),
  group_id         INTEGER REFERENCES groups(id),
  status           TEXT CHECK (status IN ('open','escalated','answered','resolved')),
  accepted_post_id INTEGER,
  pinned           INTEGER NOT NULL DEFAULT 0,
  locked           INTEGER NOT NULL DEFAULT 0,
  post_count       INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL,
  last_post_at     INTEGER NOT NULL
);
CREATE INDEX threads_category ON threads(category_id, pinned DESC, last_post_at DESC);
CREATE INDEX threads_recent ON threads(pinned DESC, last_post_at DESC);
CREATE INDEX threads_company ON threads(company_id, visibility);
CREATE INDEX threads_group ON threads(group_id, visibility);
CREATE INDEX threads_author ON threads(author_id);

CREATE TABLE posts (
  id          INTEGER PRIMARY KEY,
  thread_id   INTEGER NOT NULL REFERENCES threads(id),
  author_id   INTEGER NOT NULL REFERENCES users(id),
  body        TEXT NOT NULL,
  html        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  edited_at   INTEGER
);
CREATE INDEX posts_thread ON posts(thread_id, id);
CREATE INDEX posts_author ON posts(author_id);

CREATE TABLE escalations (
  id          INTEGER PRIMARY KEY,
  thread_id   INTEGER NOT NULL REFERENCES threads(id),
  expert_id   INTEGER NOT NULL REFERENCES users(id),
  note        TEXT NOT NULL DEFAULT '',
  state       TEXT NOT NULL CHECK (state IN ('assigned','answered','declined')),
  due_at      INTEGER NOT NULL,
  created_by  INTEGER REFERENCES users(id),
  created_at  INTEGER NOT NULL,
  answered_at INTEGER,
  declined_at INTEGER,
  decline_reason TEXT
);
CREATE INDEX escalations_thread ON escalations(thread_id, expert_id, state);
CREATE INDEX escalations_expert ON escalations(expert_id, state);
CREATE INDEX escalations_state ON escalations(state, due_at);
