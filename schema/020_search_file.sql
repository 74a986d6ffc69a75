-- 020: the search indexes leave this file. search_fts and search_short now live in DATA/search.db
-- (server/search_file.c), written by an indexer thread on its own connection beside the writes,
-- so indexing no longer holds the one writer's lock (it was ~40% of the lock's time per post).
-- The queue stays here, written in the transaction that changes a post's text: seq orders it
-- (AUTOINCREMENT: never reused, so a replaced row always gets a higher number), and search.db
-- records the seq it has indexed up to in the same transaction as the index changes. A row is
-- indexed when its seq is at most that number; the writer removes such rows later. The old
-- indexes are dropped: the first start after this migration rebuilds search.db from the posts.
CREATE TABLE search_queue (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	post_id INTEGER NOT NULL UNIQUE,
	title TEXT NOT NULL, -- folded (text_fold_new): the thread's title for its first post, else ''
	body TEXT NOT NULL   -- folded: the text as it should be found; '' and '' for no entry at all
);
INSERT INTO search_queue (post_id, title, body) SELECT post_id, title, body FROM search_pending ORDER BY post_id;
DROP TABLE search_pending;
ALTER TABLE search_queue RENAME TO search_pending;
DROP TABLE search_fts;
DROP TABLE search_short;
