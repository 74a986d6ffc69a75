-- 006_forum.sql — the forum's own additions to 003: tags, per-user read state and follows,
-- post revisions, attachments, and the two search indexes (server/search.c). Every row here
-- hangs off a thread, so every read goes through the visibility rule of the thread it names.

CREATE TABLE tags (
  id    INTEGER PRIMARY KEY,
  name  TEXT NOT NULL UNIQUE            -- folded (text_fold_new): width- and case-insensitive
);

CREATE TABLE thread_tags (
  thread_id  INTEGER NOT NULL REFERENCES threads(id),
  tag_id     INTEGER NOT NULL REFERENCES tags(id),
  PRIMARY KEY (thread_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX thread_tags_tag ON thread_tags(tag_id, thread_id);

-- Read state: how many of the thread's posts the user had seen (posts are never deleted, so
-- threads.post_count - seen_count is the unread count) and the newest post id seen.
CREATE TABLE thread_reads (
  user_id       INTEGER NOT NULL REFERENCES users(id),
  thread_id     INTEGER NOT NULL REFERENCES threads(id),
  seen_count    INTEGER NOT NULL,
  last_post_id  INTEGER NOT NULL,
  read_at       INTEGER NOT NULL,
  PRIMARY KEY (user_id, thread_id)
) WITHOUT ROWID;

-- Who is told about replies; the author follows their own thread from the start.
CREATE TABLE thread_follows (
  thread_id   INTEGER NOT NULL REFERENCES threads(id),
  user_id     INTEGER NOT NULL REFERENCES users(id),
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (thread_id, user_id)
) WITHOUT ROWID;
CREATE INDEX thread_follows_user ON thread_follows(user_id, thread_id);

-- Earlier texts of edited posts, oldest first by id.
CREATE TABLE post_revisions (
  id          INTEGER PRIMARY KEY,
  post_id     INTEGER NOT NULL REFERENCES posts(id),
  body        TEXT NOT NULL,
  html        TEXT NOT NULL,
  author_id   INTEGER NOT NULL REFERENCES users(id),  -- who wrote this text
  created_at  INTEGER NOT NULL,                        -- when this text was written
  replaced_by INTEGER REFERENCES users(id),            -- who replaced it
  replaced_at INTEGER NOT NULL
);
CREATE INDEX post_revisions_post ON post_revisions(post_id, id);

-- Files attached to a thread, stored once per content under DATA/files/ab/cdef... (sha256).
CREATE TABLE attachments (
  id           INTEGER PRIMARY KEY,
  thread_id    INTEGER NOT NULL REFERENCES threads(id),
  uploader_id  INTEGER NOT NULL REFERENCES users(id),
  filename     TEXT NOT NULL,
  size         INTEGER NOT NULL,
  sha256       TEXT NOT NULL,
  content_type TEXT NOT NULL DEFAULT 'application/octet-stream',
  created_at   INTEGER NOT NULL
);
CREATE INDEX attachments_thread ON attachments(thread_id, id);
CREATE INDEX attachments_sha256 ON attachments(sha256);

-- Search. rowid = posts.id. Both hold text folded by text_fold_new; `title` is filled only
-- for a thread's first post. search_fts answers terms of 3+ code points (trigram, ranked by
-- bm25); search_short answers 1-2 code point terms exactly: its tokens are 'u'+hex(char) for
-- every character and 'b'+hex(pair) for every two adjacent non-space characters (see
-- search.c). It keeps no content: deleting a row replays the tokens from search_fts.
CREATE VIRTUAL TABLE search_fts USING fts5(title, body, tokenize = 'trigram');
CREATE VIRTUAL TABLE search_short USING fts5(tokens, tokenize = 'ascii', detail = none, content = '');

CREATE INDEX posts_thread_author ON posts(thread_id, author_id);
CREATE INDEX notifications_user_unread ON notifications(user_id, read_at);
