/* search_file.c — the search indexes' own database file, DATA/search.db (attached as `search` to
 * every connection but the writer's, db.c), and the indexer thread that keeps it in step with
 * the queue in mamori.db (search.h).
 *
 * Why a file of its own: FTS5 indexing was ~40% of the writer's lock time per post (issue 17,
 * docs/BENCHMARKS.md), and SQLite has one writer per file. Here the indexer writes search.db
 * on its own connection beside the writer's batches, on the other core.
 *
 * The protocol (docs/DECISIONS.md, "Search in its own file"):
 * - every change of a post's text replaces its row in search_pending (mamori.db), in the
 *   transaction of the change; the row's seq comes from AUTOINCREMENT, so it only grows;
 * - the indexer reads rows with seq above search_state.indexed (search.db), applies them to both
 *   indexes and raises `indexed` in the same search.db transaction (synchronous=FULL), then
 *   publishes the number; the writer's before_commit (search_index.c) removes rows at or below
 *   it from the queue. A crash anywhere re-indexes at most a chunk: applying a row twice gives
 *   the same index;
 * - search (search.c) trusts the index for a post only when no queue row above `indexed` names
 *   it, and reads such rows' folded text directly. One statement opens mamori.db's snapshot
 *   before search.db's, so a queue row it no longer sees was indexed in the search.db it sees;
 * - when search.db is missing, was never completed (a new data directory, a restored backup,
 *   the upgrade that moved the indexes here) or has indexed past the queue's last number (an
 *   older mamori.db restored beside it), the indexer rebuilds it from the posts first. */
#include "search.h"

#include "db.h"
#include "text.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 512          /* queue rows a search.db transaction indexes, at most */
#define REBUILD_CHUNK 2000 /* posts a rebuild transaction indexes */
/* FTS5's cost per post falls steeply with the posts per transaction (each one flushes a segment
 * that later merges rewrite; each commit syncs): after a chunk smaller than CHUNK, the indexer
 * lets the queue fill for COLLECT_MS before the next one, unless the writer needs it sooner
 * (search_wait_indexed). Under a burst of posts that makes chunks of hundreds; a lone post is
 * indexed at once. Meanwhile search reads the queue. */
#define COLLECT_MS 100
/* search.db's WAL: the indexer checkpoints it itself (PASSIVE, between chunks) once it holds
 * CKPT_FRAMES frames; SQLite's default, every 1,000, synced the 1.5 GB file after nearly every
 * chunk on the large dataset. */
#define CKPT_FRAMES 8192

/* How FTS5 merges segments, set on both indexes (persistent in search.db; set by the rebuild, and
 * by the indexer at every start that needs no rebuild, so older files get it too). `automerge`: a level's segments start merging,
 * a little after each flush, once 16 of them exist (default 4; 16, the maximum, rewrites each
 * posting fewer times). `crisismerge`: a level holding that many segments is merged whole, at
 * once, inside the flush; at the default 16, equal to automerge, every merge was one of those
 * and the 16 segments of a high level (~100,000 posts) were rewritten in one flush of
 * seconds while the writer waited for the indexer (issue 17, docs/BENCHMARKS.md). 64 leaves
 * the incremental merges room to keep up. */
static const char merge_sql[] =
	"INSERT INTO search.search_fts (search_fts, rank) VALUES ('automerge', 16);"
	"INSERT INTO search.search_short (search_short, rank) VALUES ('automerge', 16);"
	"INSERT INTO search.search_fts (search_fts, rank) VALUES ('crisismerge', 64);"
	"INSERT INTO search.search_short (search_short, rank) VALUES ('crisismerge', 64);";
static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS search.search_state (k TEXT PRIMARY KEY, v INTEGER NOT NULL);"
	"CREATE VIRTUAL TABLE IF NOT EXISTS search.search_fts USING fts5(title, body, tokenize = 'trigram');"
	"CREATE VIRTUAL TABLE IF NOT EXISTS search.search_short USING fts5(tokens, tokenize = 'ascii', detail = none,"
	" content = '');";
static const char has_schema_sql[] =
	"SELECT count(*) FROM search.sqlite_schema WHERE name IN ('search_state', 'search_fts', 'search_short')";
static const char drop_sql[] = "DROP TABLE IF EXISTS search.search_fts; DROP TABLE IF EXISTS search.search_short;"
			       "DROP TABLE IF EXISTS search.search_state;";
static const char state_get_sql[] = "SELECT v FROM search.search_state WHERE k = :k";
static const char state_put_sql[] = "INSERT OR REPLACE INTO search.search_state (k, v) VALUES (:k, :v)";
static const char take_sql[] =
	"SELECT seq, post_id, title, body FROM main.search_pending WHERE seq > :after ORDER BY seq LIMIT :max";
static const char last_seq_sql[] =
	"SELECT coalesce((SELECT seq FROM main.sqlite_sequence WHERE name = 'search_pending'), 0)";
/* The text a post is found by (search_index.c's callers store the same): none while hidden; its
 * thread's title if it is the thread's first post; its body unless the secretariat removed it. */
static const char posts_sql[] =
	"SELECT p.id, CASE WHEN p.id = (SELECT min(id) FROM posts WHERE thread_id = p.thread_id) THEN t.title END,"
	" CASE WHEN p.redacted_at IS NULL THEN p.body END"
	" FROM posts p JOIN threads t ON t.id = p.thread_id"
	" WHERE p.id > :after AND p.hidden_at IS NULL ORDER BY p.id LIMIT :max";
static const char fts_insert_sql[] = "INSERT INTO search.search_fts (rowid, title, body) VALUES (:id, :title, :body)";
static const char short_insert_sql[] = "INSERT INTO search.search_short (rowid, tokens) VALUES (:id, :tokens)";
static const char fts_old_sql[] = "SELECT title, body FROM search.search_fts WHERE rowid = :id";
static const char short_delete_sql[] =
	"INSERT INTO search.search_short (search_short, rowid, tokens) VALUES ('delete', :id, :tokens)";
static const char fts_delete_sql[] = "DELETE FROM search.search_fts WHERE rowid = :id";
static const char optimize_sql[] = "INSERT INTO search.search_fts (search_fts) VALUES ('optimize');"
				   "INSERT INTO search.search_short (search_short) VALUES ('optimize');";

/* MAMORI_SQL_PROFILE: the indexer's time by phase (µs) and its chunks, printed when it stops. */
static struct {
	bool on;
	int64_t read_us, index_us, commit_us, ckpt_us, chunks, rows;
} iprof;

/* Every queue row up to this seq is in search.db, durably (-1: not known yet: nothing may be
 * removed from the queue). */
static _Atomic int64_t published = -1;

/* The indexer thread (search_indexer_start). */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;     /* the indexer waits here */
	pthread_cond_t progress; /* signalled when `published` moves and when a flush is done */
	pthread_t thread;
	bool running, kicked;
	bool urgent; /* the writer waits for the indexer (search_wait_indexed): no collecting */
	_Atomic bool stop; /* read by the indexer between chunks without the lock */
	char *dir;
	uint64_t flush_wanted, flush_done; /* search_flush's requests and the last one served */
	bool flush_ok;
} ix = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .progress = PTHREAD_COND_INITIALIZER};

static void search_indexer_kick(void);

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

/* Removes post_id from both indexes (no-op when absent). Inside a search.db transaction. */
static int unindex(struct db *d, int64_t post_id)
{
	sqlite3_stmt *st = db_stmt(d, fts_old_sql);
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

/* Adds folded text (ft: title or "", fb: body) for post_id to both indexes. */
static int index_text(struct db *d, int64_t post_id, const char *ft, const char *fb)
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

/* search.db's state value k (-1 when absent). */
static int64_t state_get(struct db *d, const char *k)
{
	sqlite3_stmt *st = db_stmt(d, state_get_sql);
	db_bind_text(st, ":k", k);
	return db_one_int64(st, -1);
}

/* Sets search.db's state value k, inside a search.db transaction. */
static int state_put(struct db *d, const char *k, int64_t v)
{
	sqlite3_stmt *st = db_stmt(d, state_put_sql);
	db_bind_text(st, ":k", k);
	db_bind_int64(st, ":v", v);
	return db_exec_stmt(d, st) < 0 ? -1 : 0;
}

/* BEGIN (deferred: only search.db, the one file written, is locked; never mamori.db) ...
 * COMMIT, or ROLLBACK when ok is false or the commit fails. Returns 0 or -1. */
static int end_tx(struct db *d, bool ok)
{
	if (ok && db_exec(d, "COMMIT") == 0)
		return 0;
	if (sqlite3_get_autocommit(db_handle(d)) == 0)
		db_exec(d, "ROLLBACK");
	return -1;
}

int search_file_prepare(struct sqlite3 *h)
{
	if (!sqlite3_db_filename(h, "search"))
		return 0; /* the writer's connection */
	sqlite3_stmt *st = NULL;
	int n = -1;
	if (sqlite3_prepare_v2(h, has_schema_sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (n == 3)
		return 0;
	/* First use of this search.db: WAL (persistent in the file), then the tables. Several
	 * connections may get here at once; the transaction and IF NOT EXISTS make one win. */
	char *err = NULL;
	if (sqlite3_exec(h, "PRAGMA search.journal_mode=WAL", NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, &err) != SQLITE_OK) {
		log_error("search: cannot prepare search.db: %s", err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	n = -1;
	if (sqlite3_prepare_v2(h, has_schema_sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (n != 3 && (sqlite3_exec(h, drop_sql, NULL, NULL, &err) != SQLITE_OK ||
		       sqlite3_exec(h, schema_sql, NULL, NULL, &err) != SQLITE_OK)) {
		log_error("search: cannot make search.db's tables: %s", err ? err : "?");
		sqlite3_free(err);
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (sqlite3_exec(h, "COMMIT", NULL, NULL, &err) != SQLITE_OK) {
		log_error("search: cannot make search.db's tables: %s", err ? err : "?");
		sqlite3_free(err);
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int64_t search_indexed(struct db *d)
{
	return state_get(d, "indexed");
}

int search_index_pending(struct db *d, int max)
{
	int64_t after = state_get(d, "indexed");
	if (after < 0)
		return 0; /* not built yet: search_rebuild first */
	struct item {
		int64_t seq, id;
		char *title, *body;
	} *items = xcalloc((size_t)max, sizeof *items);
	/* Read first, in a statement of its own: the transaction below must not hold a snapshot
	 * of mamori.db (it would keep the writer's WAL from starting over). */
	int64_t t0 = now_us_monotonic();
	sqlite3_stmt *st = db_stmt(d, take_sql);
	db_bind_int64(st, ":after", after);
	db_bind_int64(st, ":max", max);
	int n = 0;
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		items[n].seq = sqlite3_column_int64(st, 0);
		items[n].id = sqlite3_column_int64(st, 1);
		items[n].title = db_col_dup(st, 2);
		items[n].body = db_col_dup(st, 3);
		n++;
	}
	sqlite3_reset(st);
	int rc = 0;
	if (n > 0) {
		int64_t t1 = now_us_monotonic();
		bool ok = db_exec(d, "BEGIN") == 0;
		for (int i = 0; ok && i < n; i++) {
			const char *t = items[i].title ? items[i].title : "", *b = items[i].body ? items[i].body : "";
			ok = unindex(d, items[i].id) == 0 && (!*t && !*b ? true : index_text(d, items[i].id, t, b) == 0);
		}
		ok = ok && state_put(d, "indexed", items[n - 1].seq) == 0;
		int64_t t2 = now_us_monotonic();
		rc = end_tx(d, ok) < 0 ? -1 : n;
		if (iprof.on) {
			iprof.read_us += t1 - t0;
			iprof.index_us += t2 - t1;
			iprof.commit_us += now_us_monotonic() - t2;
			iprof.chunks++;
			iprof.rows += n;
		}
		if (rc > 0)
			atomic_store(&published, items[n - 1].seq);
	}
	for (int i = 0; i < n; i++) {
		free(items[i].title);
		free(items[i].body);
	}
	free(items);
	if (rc < 0)
		log_error("search: indexing queued posts failed; they stay queued");
	return rc;
}

static int wal_frames; /* search.db's WAL size, in frames (the indexer's thread) */

/* sqlite3_wal_hook of the indexer's connection: records search.db's WAL size. */
static int wal_hook(void *arg, sqlite3 *h, const char *name, int frames)
{
	(void)arg;
	(void)h;
	if (strcmp(name, "search") == 0)
		wal_frames = frames;
	return SQLITE_OK;
}

/* A PASSIVE checkpoint of search.db once its WAL passed CKPT_FRAMES (the indexer's thread). */
static void checkpoint_if_due(struct db *d)
{
	if (wal_frames < CKPT_FRAMES)
		return;
	int64_t t0 = now_us_monotonic();
	int log = 0, done = 0;
	if (sqlite3_wal_checkpoint_v2(db_handle(d), "search", SQLITE_CHECKPOINT_PASSIVE, &log, &done) == SQLITE_OK &&
	    done == log)
		wal_frames = 0; /* wholly copied: the next chunk starts the WAL over */
	if (iprof.on)
		iprof.ckpt_us += now_us_monotonic() - t0;
}

int search_rebuild(struct db *d)
{
	int64_t t0 = now_us_monotonic();
	/* Every queue row up to here changed a post before the posts are read below, so the posts
	 * as read already hold what it says; later rows are indexed after the rebuild. */
	int64_t upto = db_one_int64(db_stmt(d, last_seq_sql), 0);
	if (db_exec(d, "BEGIN") < 0 || end_tx(d, db_exec(d, drop_sql) == 0 && db_exec(d, schema_sql) == 0 &&
							 db_exec(d, merge_sql) == 0) < 0)
		return -1;
	int64_t after = 0, count = 0;
	for (;;) {
		struct item {
			int64_t id;
			char *title, *body;
		} *items = xcalloc(REBUILD_CHUNK, sizeof *items);
		sqlite3_stmt *st = db_stmt(d, posts_sql);
		db_bind_int64(st, ":after", after);
		db_bind_int64(st, ":max", REBUILD_CHUNK);
		int n = 0;
		while (n < REBUILD_CHUNK && sqlite3_step(st) == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(st, 1), *b = sqlite3_column_text(st, 2);
			items[n].id = sqlite3_column_int64(st, 0);
			items[n].title = t ? text_fold_new((const char *)t, (size_t)sqlite3_column_bytes(st, 1)) : NULL;
			items[n].body = b ? text_fold_new((const char *)b, (size_t)sqlite3_column_bytes(st, 2)) : NULL;
			n++;
		}
		sqlite3_reset(st);
		bool ok = true;
		if (n > 0) {
			ok = db_exec(d, "BEGIN") == 0;
			for (int i = 0; ok && i < n; i++)
				if (items[i].title || items[i].body)
					ok = index_text(d, items[i].id, items[i].title ? items[i].title : "",
							items[i].body ? items[i].body : "") == 0;
			ok = end_tx(d, ok) == 0;
			after = items[n - 1].id;
			count += n;
		}
		for (int i = 0; i < n; i++) {
			free(items[i].title);
			free(items[i].body);
		}
		free(items);
		if (!ok)
			return -1;
		checkpoint_if_due(d);
		if (n < REBUILD_CHUNK)
			break;
	}
	/* One segment per index, as after a purge: the chunks above left hundreds of small ones, and
	 * the first writes after a start then met FTS5's merges of them (a pause of seconds while
	 * the writer waited for the indexer; posts/s 3,238 against 4,286 on the large dataset). */
	if (db_exec(d, "BEGIN") < 0 ||
	    end_tx(d, db_exec(d, optimize_sql) == 0 && state_put(d, "indexed", upto) == 0) < 0)
		return -1;
	checkpoint_if_due(d);
	atomic_store(&published, upto);
	log_info("search: search.db rebuilt from %" PRId64 " posts in %.1f s", count, (now_us_monotonic() - t0) / 1e6);
	return 0;
}

int64_t search_published(void)
{
	return atomic_load(&published);
}

/* The CLOCK_REALTIME time ms from now, for pthread_cond_timedwait. */
static struct timespec deadline_in(int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Optimizes both indexes (one segment each: a removed text's postings are gone from every
 * page, secure_delete zeroing what is freed) and truncates search.db's WAL. For a purge. */
static bool flush_now(struct db *d)
{
	while (search_index_pending(d, CHUNK) > 0)
		;
	if (db_exec(d, "BEGIN") < 0 || end_tx(d, db_exec(d, optimize_sql) == 0) < 0)
		return false;
	sqlite3_busy_timeout(db_handle(d), 100);
	bool done = false;
	for (int i = 0; i < 50 && !done; i++) {
		int log = -1, ckpt = -1;
		done = sqlite3_wal_checkpoint_v2(db_handle(d), "search", SQLITE_CHECKPOINT_TRUNCATE, &log, &ckpt) == SQLITE_OK;
		if (!done)
			usleep(20 * 1000);
	}
	sqlite3_busy_timeout(db_handle(d), 5000);
	return done;
}

/* The indexer thread: rebuilds search.db when it must, then indexes the queue whenever the
 * writer settles a batch (search_indexer_kick) and serves search_flush. */
static void *indexer_main(void *arg)
{
	(void)arg;
	struct db *d = NULL;
	if (db_open(ix.dir, false, &d) < 0) {
		log_error("search: the indexer cannot open the database; search finds only queued posts");
		return NULL;
	}
	/* A large page cache, as the writer's: FTS5's merges read and free whole segments (with 2 MB,
	 * the default, each range delete of a merged segment took 2.7 ms instead of 45 us). */
	db_exec(d, "PRAGMA search.cache_size=-262144; PRAGMA wal_autocheckpoint=0;");
	sqlite3_wal_hook(db_handle(d), wal_hook, NULL);
	int64_t have = search_indexed(d), last = db_one_int64(db_stmt(d, last_seq_sql), 0);
	if (have < 0 || have > last) {
		/* Past the queue's last number: this search.db indexed a later history of the posts
		 * than mamori.db holds (a backup restored beside it). */
		log_info("search: search.db is %s: rebuilding it from the posts",
			 have < 0 ? "new or incomplete" : "ahead of mamori.db (a restored backup?)");
		if (search_rebuild(d) < 0)
			log_error("search: rebuilding search.db failed; it is tried again at the next start");
	} else {
		atomic_store(&published, have);
		/* A search.db made before the merge settings were (the rebuild sets them itself). */
		if (db_exec(d, "BEGIN") < 0 || end_tx(d, db_exec(d, merge_sql) == 0) < 0)
			log_error("search: cannot set search.db's merge settings");
	}
	pthread_mutex_lock(&ix.lock);
	for (;;) {
		uint64_t want = ix.flush_wanted;
		pthread_mutex_unlock(&ix.lock);
		int n;
		do
			n = search_index_pending(d, CHUNK);
		while (n == CHUNK && !atomic_load(&ix.stop));
		checkpoint_if_due(d);
		bool flushed = false;
		if (want != ix.flush_done)
			flushed = flush_now(d);
		pthread_mutex_lock(&ix.lock);
		if (want != ix.flush_done) {
			ix.flush_done = want;
			ix.flush_ok = flushed;
		}
		pthread_cond_broadcast(&ix.progress);
		if (n != 0) { /* a failed chunk: not again at once; a small one: let the queue fill */
			struct timespec ts = deadline_in(n < 0 ? 1000 : COLLECT_MS);
			int rc = 0;
			while (!ix.stop && !ix.urgent && ix.flush_wanted == ix.flush_done && rc != ETIMEDOUT)
				rc = pthread_cond_timedwait(&ix.wake, &ix.lock, &ts);
		}
		if (!ix.stop && !ix.kicked && !ix.urgent && ix.flush_wanted == ix.flush_done) {
			/* Idle: hand back the page cache a burst filled (up to the 256 MB above). */
			pthread_mutex_unlock(&ix.lock);
			sqlite3_db_release_memory(db_handle(d));
			pthread_mutex_lock(&ix.lock);
		}
		while (!ix.stop && !ix.kicked && !ix.urgent && ix.flush_wanted == ix.flush_done)
			pthread_cond_wait(&ix.wake, &ix.lock);
		if (ix.stop)
			break;
		ix.kicked = false;
		ix.urgent = false;
	}
	pthread_mutex_unlock(&ix.lock);
	if (iprof.on)
		fprintf(stderr,
			"sql-profile indexer: %" PRId64 " rows in %" PRId64 " chunks; read %.1f ms, index %.1f ms,"
			" commit %.1f ms, checkpoints %.1f ms\n",
			iprof.rows, iprof.chunks, iprof.read_us / 1e3, iprof.index_us / 1e3, iprof.commit_us / 1e3,
			iprof.ckpt_us / 1e3);
	db_close(d);
	return NULL;
}

/* db_writer_on_settled's hook, and search_wait_indexed's: the queue may have grown. */
static void search_indexer_kick(void)
{
	pthread_mutex_lock(&ix.lock);
	ix.kicked = true;
	pthread_cond_signal(&ix.wake);
	pthread_mutex_unlock(&ix.lock);
}

int search_indexer_start(const char *dir)
{
	if (ix.running)
		return 0;
	free(ix.dir);
	ix.dir = xstrdup(dir);
	ix.stop = false;
	ix.kicked = true;
	ix.flush_wanted = ix.flush_done = 0;
	atomic_store(&published, -1);
	iprof.on = db_profile_on();
	db_writer_on_settled(search_indexer_kick);
	if (pthread_create(&ix.thread, NULL, indexer_main, NULL) != 0)
		return -1;
	ix.running = true;
	return 0;
}

void search_indexer_stop(void)
{
	if (!ix.running)
		return;
	pthread_mutex_lock(&ix.lock);
	ix.stop = true;
	pthread_cond_broadcast(&ix.wake);
	pthread_cond_broadcast(&ix.progress);
	pthread_mutex_unlock(&ix.lock);
	pthread_join(ix.thread, NULL);
	ix.running = false;
	free(ix.dir);
	ix.dir = NULL;
}

bool search_flush(int64_t timeout_ms)
{
	pthread_mutex_lock(&ix.lock);
	if (!ix.running || ix.stop) {
		pthread_mutex_unlock(&ix.lock);
		return false;
	}
	uint64_t want = ++ix.flush_wanted;
	pthread_cond_signal(&ix.wake);
	struct timespec ts = deadline_in(timeout_ms);
	int rc = 0;
	while (ix.flush_done < want && !ix.stop && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&ix.progress, &ix.lock, &ts);
	bool ok = ix.flush_done >= want && ix.flush_ok;
	pthread_mutex_unlock(&ix.lock);
	return ok;
}

bool search_wait_indexed(int64_t seq, int64_t timeout_ms)
{
	pthread_mutex_lock(&ix.lock);
	if (!ix.running) {
		pthread_mutex_unlock(&ix.lock);
		return false;
	}
	ix.kicked = ix.urgent = true;
	pthread_cond_signal(&ix.wake);
	struct timespec ts = deadline_in(timeout_ms);
	int rc = 0;
	while (atomic_load(&published) < seq && !ix.stop && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&ix.progress, &ix.lock, &ts);
	bool ok = atomic_load(&published) >= seq;
	pthread_mutex_unlock(&ix.lock);
	return ok;
}
