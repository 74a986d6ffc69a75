/* search_index.c — the writing side of search (search.h). Every path that stores or changes a
 * post's text calls search_index_post / search_unindex_post inside its transaction; the text
 * waits in search_pending (durable, in the same transaction) and search_index_pending moves it
 * into the two FTS5 indexes in bulk, outside any per-request savepoint, so FTS5 writes one
 * segment per batch instead of one per post. The queue holds folded text, as the indexes do,
 * and the query side reads it too (search.c), so a queued post is found before it is indexed.
 * Removal is immediate: a hidden, redacted or
 * purged text leaves both indexes (and the queue) in the transaction that removes it. */
#include "search.h"

#include "db.h"
#include "text.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char pending_put_sql[] =
	"INSERT OR REPLACE INTO search_pending (post_id, title, body) VALUES (:id, :title, :body)";
static const char pending_drop_sql[] = "DELETE FROM search_pending WHERE post_id = :id";
static const char pending_take_sql[] =
	"SELECT post_id, title, body FROM search_pending ORDER BY post_id LIMIT :max";
static const char pending_any_sql[] = "SELECT EXISTS (SELECT 1 FROM search_pending)";
static const char fts_insert_sql[] = "INSERT INTO search_fts (rowid, title, body) VALUES (:id, :title, :body)";
static const char short_insert_sql[] = "INSERT INTO search_short (rowid, tokens) VALUES (:id, :tokens)";
static const char fts_old_sql[] = "SELECT title, body FROM search_fts WHERE rowid = :id";
static const char short_delete_sql[] =
	"INSERT INTO search_short (search_short, rowid, tokens) VALUES ('delete', :id, :tokens)";
static const char fts_delete_sql[] = "DELETE FROM search_fts WHERE rowid = :id";

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

/* Appends the short-term tokens of folded text s: 'u'+hex of each character, 'b'+hex of each
 * pair of adjacent non-space characters, space-separated. */
static void short_tokens(struct buf *b, const char *s)
{
	const char *end = s + strlen(s);
	while (s < end) {
		if (search_is_space((unsigned char)*s)) {
			s++;
			continue;
		}
		size_t n = search_cp_len(s, end);
		search_put_hex(b, 'u', s, n);
		buf_append(b, " ", 1);
		if (s + n < end && !search_is_space((unsigned char)s[n])) {
			size_t m = search_cp_len(s + n, end);
			search_put_hex(b, 'b', s, n + m);
			buf_append(b, " ", 1);
		}
		s += n;
	}
}

/* Indexes folded text (as search_pending holds it). */
static int index_now(struct db *d, int64_t post_id, const char *ft, const char *fb)
{
	struct buf tok = {0};
	short_tokens(&tok, ft);
	short_tokens(&tok, fb);
	sqlite3_stmt *st = db_stmt(d, fts_insert_sql);
	db_bind_int64(st, ":id", post_id);
	db_bind_text(st, ":title", ft);
	db_bind_text(st, ":body", fb);
	int rc = db_exec_stmt(d, st);
	if (rc == 0) {
		st = db_stmt(d, short_insert_sql);
		db_bind_int64(st, ":id", post_id);
		db_bind_text(st, ":tokens", buf_cstr(&tok));
		rc = db_exec_stmt(d, st);
	}
	buf_free(&tok);
	return rc < 0 ? -1 : 0;
}

int search_unindex_post(struct db *d, int64_t post_id)
{
	assert(db_in_write_tx(d));
	sqlite3_stmt *st = db_stmt(d, pending_drop_sql);
	db_bind_int64(st, ":id", post_id);
	if (db_exec_stmt(d, st) < 0)
		return -1;
	st = db_stmt(d, fts_old_sql);
	db_bind_int64(st, ":id", post_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return 0;
	}
	/* search_short keeps no content: its delete must replay exactly the tokens indexed. */
	struct buf tok = {0};
	short_tokens(&tok, db_col_text(st, 0));
	short_tokens(&tok, db_col_text(st, 1));
	sqlite3_reset(st);
	st = db_stmt(d, short_delete_sql);
	db_bind_int64(st, ":id", post_id);
	db_bind_text(st, ":tokens", buf_cstr(&tok));
	int rc = db_exec_stmt(d, st);
	buf_free(&tok);
	if (rc == 0) {
		st = db_stmt(d, fts_delete_sql);
		db_bind_int64(st, ":id", post_id);
		rc = db_exec_stmt(d, st);
	}
	return rc < 0 ? -1 : 0;
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

int search_index_post(struct db *d, int64_t post_id, const char *title, const char *body)
{
	char *ft = text_fold_new(title ? title : "", title ? strlen(title) : 0);
	char *fb = text_fold_new(body, strlen(body));
	int rc = search_queue_folded(d, post_id, ft, fb);
	free(ft);
	free(fb);
	return rc;
}

int search_index_pending(struct db *d, int max)
{
	assert(db_in_write_tx(d));
	/* Read the queue first: the loop below writes to it. */
	struct item {
		int64_t id;
		char *title, *body;
	} *items = xcalloc((size_t)max, sizeof *items);
	sqlite3_stmt *st = db_stmt(d, pending_take_sql);
	db_bind_int64(st, ":max", max);
	int n = 0;
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		items[n].id = sqlite3_column_int64(st, 0);
		items[n].title = db_col_dup(st, 1);
		items[n].body = db_col_dup(st, 2);
		n++;
	}
	sqlite3_reset(st);
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		rc = index_now(d, items[i].id, items[i].title ? items[i].title : "", items[i].body ? items[i].body : "");
		if (rc == 0) {
			st = db_stmt(d, pending_drop_sql);
			db_bind_int64(st, ":id", items[i].id);
			rc = db_exec_stmt(d, st) < 0 ? -1 : 0;
		}
	}
	for (int i = 0; i < n; i++) {
		free(items[i].title);
		free(items[i].body);
	}
	free(items);
	return rc < 0 ? -1 : n;
}

bool search_pending_any(struct db *d)
{
	return db_one_int64(db_stmt(d, pending_any_sql), 0) != 0;
}

/* The features table's before_commit (feature.h): before each batch commits, index the posts
 * queued for search, outside every request's savepoint. FTS5 writes a segment per flush and merges segments later, so the cost
 * per post falls steeply with the posts per flush (docs/BENCHMARKS.md). When writes come one at
 * a time, the batch indexes what it queued: the post is ranked in search from its 201 on. When
 * requests write concurrently (BUSY_HOLDS or more requests in this batch and the one just
 * before), the queue may grow to
 * QUEUE_HIGH and is then indexed BUSY_CHUNK posts per batch (a bounded pause for the workers
 * waiting on the writer's lock); everything left is indexed IDLE_CHUNK at a time as soon as the
 * writes pause (a batch the writer opens itself, holds 0). Meanwhile search reads the queue too
 * (search.c, newest first before the ranked results, SEARCH_QUEUE_SCAN > SEARCH_QUEUE_FULL), so
 * nothing written is missing from search at any time. */
#define QUEUE_HIGH 1024
#define QUEUE_FULL SEARCH_QUEUE_FULL
#define BUSY_CHUNK 128
#define IDLE_CHUNK 512
#define BUSY_HOLDS 3
static const char pending_count_sql[] = "SELECT count(*) FROM search_pending";
/* FTS5 merges a level's segments as soon as `automerge` of them exist (default 4). With a segment
 * per batch that merge work was most of a post's cost at 1,000,000 posts: writer CPU per post
 * 1,557-2,117 us with 4, 710-852 us with 16, the maximum (a larger fan-in rewrites each posting
 * fewer times), while search p95 stayed 2.7-4.4 ms against 3.1 (issue 17, docs/BENCHMARKS.md).
 * A persistent setting of each index, written once per process before its first indexing. */
static const char automerge_sql[] = "INSERT INTO search_fts(search_fts, rank) VALUES ('automerge', 16);"
				    "INSERT INTO search_short(search_short, rank) VALUES ('automerge', 16);";

int search_before_commit(struct db *d, int holds)
{
	int64_t queued = db_one_int64(db_stmt(d, pending_count_sql), 0);
	if (queued == 0)
		return 0;
	static bool automerge_set; /* the writer thread's alone */
	if (!automerge_set) {
		if (db_exec(d, automerge_sql) < 0)
			return -1; /* the batch's before_commit savepoint rolls back; retried next batch */
		automerge_set = true;
	}
	bool busy = holds >= BUSY_HOLDS;
	if (busy && queued < QUEUE_HIGH)
		return 1; /* when the writes pause */
	/* Past QUEUE_FULL (more than one chunk a batch arrives) search's scan of the queue would
	 * no longer see all of it: larger chunks until it is back. */
	int chunk = !busy || queued > QUEUE_FULL ? IDLE_CHUNK : BUSY_CHUNK;
	int n = search_index_pending(d, chunk);
	if (n < 0)
		log_error("search: indexing queued posts failed; they stay queued");
	return n < 0 ? -1 : queued > n;
}
