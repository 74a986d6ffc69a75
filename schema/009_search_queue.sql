-- 009: the search index's queue (server/search_index.c). A post's text is stored here in the
-- transaction that writes the post, and moved into search_fts and search_short by the writer
-- thread just before a batch commits (or, under a burst, in the following batches): FTS5
-- flushes a segment at every savepoint, so indexing inside each request's savepoint made every
-- post its own segment. The queue is durable: a crash between the two loses no indexing.
-- Search reads the queue beside the two indexes, so a queued post is found all the same.
CREATE TABLE search_pending (
	post_id INTEGER PRIMARY KEY,
	title TEXT NOT NULL, -- folded (text_fold_new): the thread's title for its first post, else ''
	body TEXT NOT NULL   -- folded: the text as it should be found ('' for a redacted body)
);
