/* search_index.c — the writing side of search in mamori.db (search.h). Every path that stores or
 * changes a post's text calls search_index_post / search_unindex_post inside its transaction:
 * the folded text (or its absence) replaces the post's row in search_pending, durable with the
 * change. The indexer thread (search_file.c) moves queued rows into the indexes in search.db,
 * beside the writer; search (search.c) reads a row's text from the queue until then, so a post
 * is found as it now reads from its 201 on, and a hidden, redacted or purged text is not found
 * from the commit that removes it. This file also holds the writer's share (before_commit):
 * removing indexed rows from the queue, and holding the writes when the indexer falls behind. */
#include "search.h"

#include "db.h"
#include "text.h"
#include "util.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char pending_put_sql[] =
	"INSERT OR REPLACE INTO search_pending (post_id, title, body) VALUES (:id, :title, :body)";

bool search_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Length of the UTF-8 sequence at s (1 for an invalid byte), never past end. */
size_t search_cp_len(const char *s, const char *end)
{
	uint32_t cp;
	size_t n = utf8_decode(s, (size_t)(end - s), &cp);
	return n ? n : 1;
}

void search_put_hex(struct buf *b, char prefix, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[1 + 16 * 2];
	size_t k = 0;
	tmp[k++] = prefix;
	for (size_t i = 0; i < n && i < 16; i++) {
		tmp[k++] = hex[(unsigned char)s[i] >> 4];
		tmp[k++] = hex[(unsigned char)s[i] & 15];
	}
	buf_append(b, tmp, k);
}

int search_queue_folded(struct db *d, int64_t post_id, const char *ftitle, const char *fbody)
{
	assert(db_in_write_tx(d));
	sqlite3_stmt *st = db_stmt(d, pending_put_sql);
	db_bind_int64(st, ":id", post_id);
	db_bind_text(st, ":title", ftitle);
	db_bind_text(st, ":body", fbody);
	return db_exec_stmt(d, st) < 0 ? -1 : 0;
}

int search_unindex_post(struct db *d, int64_t post_id)
{
	return search_queue_folded(d, post_id, "", "");
}

int search_index_post(struct db *d, int64_t post_id, const char *title, const char *body)
{
	char *ft = text_fold_new(title ? title : "", title ? strlen(title) : 0);
	char *fb = text_fold_new(body, strlen(body));
	int rc = search_queue_folded(d, post_id, ft, fb);
	free(ft);
	free(fb);
	return rc;
}

/* The features table's before_commit, on the writer's connection (which has no search.db):
 * removes the queue rows the indexer has made durable in search.db (rows indexed after the last
 * batch wait for the next one: search ignores them, seq <= indexed), and, when the indexer is
 * more than SEARCH_QUEUE_FULL rows behind, holds this batch (and so every writer) until it is
 * back under QUEUE_HIGH: search reads at most SEARCH_QUEUE_SCAN queued posts, so none may be
 * missed, and the writes slow to the indexer's pace instead. The batch's own rows are not
 * visible to the indexer yet; there are far fewer of them than QUEUE_FULL - QUEUE_HIGH. The
 * indexer never takes the writer's lock, so waiting for it here cannot deadlock. */
#define QUEUE_HIGH 1024
#define HOLD_MS 5000
static const char cleanup_sql[] = "DELETE FROM search_pending WHERE seq <= :seq";
static const char last_sql[] = "SELECT coalesce(max(seq), 0) FROM search_pending";

int search_before_commit(struct db *d, int holds)
{
	(void)holds;
	static int64_t cleaned; /* the writer thread's alone */
	int64_t done = search_published();
	if (done < 0)
		return 0; /* the indexer has not said yet (starting, or rebuilding search.db) */
	int64_t last = db_one_int64(db_stmt(d, last_sql), 0);
	if (last - done > SEARCH_QUEUE_FULL && !search_wait_indexed(last - QUEUE_HIGH, HOLD_MS))
		log_warn("search: the indexer is %" PRId64 " queued posts behind", last - search_published());
	done = search_published();
	if (done != cleaned) {
		sqlite3_stmt *st = db_stmt(d, cleanup_sql);
		db_bind_int64(st, ":seq", done);
		if (db_exec_stmt(d, st) < 0)
			return -1;
		cleaned = done;
	}
	return 0;
}
