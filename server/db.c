/* db.c — SQLite connections, the statement cache, the write-transaction helper, migrations,
 * backup, and the server's writer: one connection that carries every write of the workers and
 * a thread that commits them in batches (group commit) and makes them durable. Each connection
 * belongs to one thread, except the writer's, which is used only under the writer's lock. A
 * checkpointer thread keeps the WAL bounded. Past 900 lines on purpose: the writer, its
 * checkpointer and the write helper share the writer's state (wr) and its lock, which a split
 * would have to expose. */
#include "db.h"

#include "config.h"
#include "feature.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STMT_CACHE_SLOTS 512 /* power of two; open addressing by SQL pointer */

struct stmt_slot {
	const char *sql;
	sqlite3_stmt *st;
};

struct db {
	sqlite3 *h;
	struct stmt_slot slots[STMT_CACHE_SLOTS];
	const char *tx_caller; /* non-NULL while a write transaction is open */
	uint64_t write_seq;    /* bumped by every successful db_tx_commit */
	/* A worker connection of the server (db_batch_enable): its transactions are savepoints in
	 * the writer's open batch, and while it holds the writer, route sends every statement to
	 * the writer's connection, so the request reads its own writes. */
	bool batching, holding;
	struct db *route;
	uint64_t gen; /* the newest batch this connection wrote into */
	void (*on_hold)(void *arg);
	void (*on_settled)(void *arg, uint64_t gen, bool ok);
	void *cb_arg;
};

#define MAX_MEMBERS CONFIG_MAX_WORKERS /* worker connections; config.c refuses more workers */
/* The checkpointer runs once the WAL holds CHECKPOINT_FRAMES frames (pages: 64 MiB of 4 KiB) and
 * copies them in passes beside the writes until fewer than FINISH_FRAMES came in during the last
 * pass, or CHECKPOINT_PASSES passes, then finishes with the gate closed (checkpointer_main). Each
 * pass ends with an fsync of the database file, so under constant writes a pass never gets much
 * shorter than an fsync and a few hundred frames always come in meanwhile; what the gate costs the
 * writes is about one such pass per cycle, so cycles are long: the post benchmark spent 8% of its
 * time behind the gate with 4,000 frames a cycle (docs/BENCHMARKS.md). */
#define CHECKPOINT_FRAMES 16000
#define FINISH_FRAMES 512
#define CHECKPOINT_PASSES 6
#define IDLE_MS 50              /* a pause of the workers' writes this long lets before_commit work */
#define RECENT_US 20000         /* a batch committed this recently still counts as busy */

/* The writer (db_writer_start). lock serialises the use of conn; the thread waits on cond for
 * a batch with writes, commits it, syncs the WAL without the lock, then tells the members. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_cond_t gate_cond; /* signalled when the gate opens and when a batch commits */
	pthread_cond_t ckpt_cond; /* wakes the checkpointer */
	struct db *conn;
	sqlite3 *ckpt; /* the checkpointer's connection */
	pthread_t ckpt_thread;
	bool ckpt_wanted; /* the WAL passed checkpoint_frames: the checkpointer has work */
	char *wal_path;
	int wal_fd;
	pthread_t thread;
	bool running, stop;
	bool open;  /* the batch transaction is open */
	bool dirty; /* a worker held the writer since the last commit */
	bool more;  /* before_commit has work left */
	int holds;  /* times a worker took the lock in the open batch */
	int prev_holds;       /* ... in the batch before it */
	int64_t prev_commit;  /* when that one committed (µs, monotonic) */
	uint64_t gen;
	_Atomic uint64_t settled; /* every batch up to this one is committed or rolled back */
	int wal_frames;
	int checkpoint_frames; /* CHECKPOINT_FRAMES, or the test hook's */
	bool gate; /* closed: no batch may begin until the WAL is wholly checkpointed */
	uint64_t batches, sync_ns; /* for MAMORI_SQL_PROFILE */
	/* MAMORI_SQL_PROFILE: ns the lock was held by workers (writer_hold to db_release), by
	 * before_commit and by COMMIT; ns of checkpoints, the gate closed; worker holds, checkpoints
	 * finished. */
	uint64_t held_ns, before_ns, commit_ns, ckpt_ns, gate_ns, gate_wait_ns, nholds, nckpt;
	int64_t hold_t0;
	struct db *members[MAX_MEMBERS];
	int nmembers;
	int (*before_commit)(struct db *d, int holds);
	void (*after_settle)(void); /* db_writer_on_settled */
	/* Test hooks (environment, read at db_writer_start; never set in production):
	 * MAMORI_TEST_SETTLE_DELAY_MS holds each batch this long after its COMMIT (outside the lock,
	 * like the sync), widening the window in which later batches fill; MAMORI_TEST_FAIL_MARKER
	 * makes a batch that stored a post containing that text fail (rolled back, reported !ok). */
	int test_settle_delay_ms;
	char *test_fail_marker;
} wr = {.lock = PTHREAD_MUTEX_INITIALIZER,
      .cond = PTHREAD_COND_INITIALIZER,
      .gate_cond = PTHREAD_COND_INITIALIZER,
      .ckpt_cond = PTHREAD_COND_INITIALIZER,
      .wal_fd = -1};

/* ---- MAMORI_SQL_PROFILE=1: time spent per statement, printed when the writer stops -------- */

#define PROFILE_SLOTS 1024
static struct {
	bool on;
	pthread_mutex_t lock;
	struct {
		const char *sql; /* copied, so the struct starts with it (profile_cmp) */
		uint64_t ns, runs;
		const char *key;
	} slot[PROFILE_SLOTS];
} prof = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* SQLITE_TRACE_PROFILE callback (MAMORI_SQL_PROFILE), on any thread: adds the statement's run time
 * (*x, ns) to its slot, keyed by the pointer to its SQL text, copying the text (200 bytes at most)
 * on its first run. Takes prof.lock; a run is not counted when every slot is taken by other
 * statements. */
static int profile_cb(unsigned type, void *ctx, void *p, void *x)
{
	sqlite3_stmt *st = p;
	const char *sql = sqlite3_sql(st);
	if (!sql)
		return 0;
	size_t i = ((uintptr_t)sql >> 4) & (PROFILE_SLOTS - 1);
	pthread_mutex_lock(&prof.lock);
	for (size_t n = 0; n < PROFILE_SLOTS; n++, i = (i + 1) & (PROFILE_SLOTS - 1)) {
		/* the same text: sqlite3_exec's statements come and go, and a new one may reuse the
		 * address of another's text */
		if (!prof.slot[i].sql || (prof.slot[i].key == sql && strncmp(prof.slot[i].sql, sql, 200) == 0)) {
			if (!prof.slot[i].sql) { /* the text may go with the statement: keep a copy */
				prof.slot[i].key = sql;
				prof.slot[i].sql = xstrndup(sql, strnlen(sql, 200));
			}
			prof.slot[i].ns += *(sqlite3_int64 *)x;
			prof.slot[i].runs++;
			break;
		}
	}
	pthread_mutex_unlock(&prof.lock);
	return 0;
}

/* qsort order of the profile slots: most total time first (ns, the field right after sql). */
static int profile_cmp(const void *a, const void *b)
{
	const uint64_t *x = (const uint64_t *)((const char *)a + sizeof(const char *));
	const uint64_t *y = (const uint64_t *)((const char *)b + sizeof(const char *));
	return *x < *y ? 1 : *x > *y ? -1 : 0;
}

/* Prints the writer's batch and WAL sync totals and the 40 statements that took the most time to
 * stderr, then empties the table. Called when the writer stops; nothing without MAMORI_SQL_PROFILE. */
static void profile_dump(void)
{
	if (!prof.on)
		return;
	pthread_mutex_lock(&prof.lock);
	fprintf(stderr, "sql-profile writer: %llu batches, WAL sync %.1f ms in all\n", (unsigned long long)wr.batches,
		wr.sync_ns / 1e6);
	fprintf(stderr,
		"sql-profile writer lock: workers %.1f ms over %llu holds (%.1f us each), before_commit %.1f ms, "
		"COMMIT %.1f ms; %llu checkpoints %.1f ms, gate closed %.1f ms (%.1f of them for the open batch)\n",
		wr.held_ns / 1e6, (unsigned long long)wr.nholds, wr.nholds ? wr.held_ns / 1e3 / (double)wr.nholds : 0.0,
		wr.before_ns / 1e6, wr.commit_ns / 1e6, (unsigned long long)wr.nckpt, wr.ckpt_ns / 1e6,
		wr.gate_ns / 1e6, wr.gate_wait_ns / 1e6);
	qsort(prof.slot, PROFILE_SLOTS, sizeof prof.slot[0], profile_cmp);
	for (size_t i = 0; i < 40 && prof.slot[i].sql; i++)
		fprintf(stderr, "sql-profile %10.1f ms %8llu runs %8.1f us/run  %.160s\n", prof.slot[i].ns / 1e6,
			(unsigned long long)prof.slot[i].runs, prof.slot[i].ns / 1e3 / (double)prof.slot[i].runs,
			prof.slot[i].sql);
	for (size_t i = 0; i < PROFILE_SLOTS; i++)
		free((char *)prof.slot[i].sql);
	memset(prof.slot, 0, sizeof prof.slot);
	pthread_mutex_unlock(&prof.lock);
}

void db_profile_enable(void)
{
	prof.on = true;
}

/* The writer's test hooks as main read them from the environment (db_test_hooks). */
static struct {
	int settle_delay_ms;
	char *fail_marker;
	int checkpoint_frames;
} test_hooks;

bool db_profile_on(void)
{
	return prof.on;
}

void db_test_checkpoint_frames(int frames)
{
	test_hooks.checkpoint_frames = frames;
}

void db_test_hooks(int settle_delay_ms, const char *fail_marker)
{
	test_hooks.settle_delay_ms = settle_delay_ms;
	free(test_hooks.fail_marker);
	test_hooks.fail_marker = fail_marker && *fail_marker ? xstrdup(fail_marker) : NULL;
}

/* Attaches DIR/search.db as `search`: the search indexes' own file (search_file.c). When it is
 * missing, SQLite makes it first (ATTACH may not create one on a connection opened without
 * SQLITE_OPEN_CREATE). Never open()/close() a database file beside SQLite: closing any descriptor
 * of a file drops every POSIX lock the process holds on it, and another process could then take
 * the WAL away from under the server (SQLite's own VFS keeps such descriptors until the locks
 * go). synchronous=FULL there: the writer removes queue rows the indexer reports indexed, so what
 * search.db says it indexed must survive power loss. */
static int attach_search(struct db *d, const char *dir)
{
	char *path = xasprintf("%s/search.db", dir);
	struct stat sb;
	if (stat(path, &sb) < 0) {
		sqlite3 *h = NULL;
		int rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
		if (rc != SQLITE_OK)
			log_error("db: cannot make %s: %s", path, h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
		sqlite3_close(h);
		if (rc != SQLITE_OK) {
			free(path);
			return -1;
		}
	}
	sqlite3_stmt *st = db_stmt(d, "ATTACH DATABASE :path AS search");
	db_bind_text(st, ":path", path);
	int rc = db_exec_stmt(d, st);
	free(path);
	if (rc < 0)
		return -1;
	/* the same page cache as mamori.db's (db_open's pragmas cover only main): a search reads
	 * the posting lists of every trigram of the query */
	return db_exec(d, "PRAGMA search.synchronous=FULL; PRAGMA search.secure_delete=ON; PRAGMA search.cache_size=-16000;");
}

static int open_conn(const char *dir, bool create, bool with_search, struct db **out);

int db_open(const char *dir, bool create, struct db **out)
{
	return open_conn(dir, create, true, out);
}

/* db_open; with_search false for the writer's connection, which must never lock search.db. */
static int open_conn(const char *dir, bool create, bool with_search, struct db **out)
{
	char *path = xasprintf("%s/mamori.db", dir);
	sqlite3 *h = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(path, &h, flags, NULL);
	if (rc != SQLITE_OK) {
		log_error("db: cannot open %s: %s", path, h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
		sqlite3_close(h);
		free(path);
		return -EIO;
	}
	free(path);
	sqlite3_extended_result_codes(h, 1);
	sqlite3_db_config(h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_busy_timeout(h, 5000);
	struct db *d = xcalloc(1, sizeof *d);
	d->h = h;
	if (prof.on) {
		sqlite3_trace_v2(h, SQLITE_TRACE_PROFILE, profile_cb, NULL);
	}
	/* synchronous=FULL: an answered write survives power loss, not only a process crash.
	 * secure_delete: freed pages are zeroed, so purged text does not linger in the file. */
	static const char pragmas[] = "PRAGMA journal_mode=WAL;"
				      "PRAGMA synchronous=FULL;"
				      "PRAGMA foreign_keys=ON;"
				      "PRAGMA secure_delete=ON;"
				      "PRAGMA temp_store=MEMORY;"
				      "PRAGMA cache_size=-16000;";
	if (db_exec(d, pragmas) < 0 || (with_search && attach_search(d, dir) < 0) || features_db_open(h) < 0) {
		db_close(d);
		return -EIO;
	}
	sqlite3_db_release_memory(h); /* what the open's statements left in the page cache: ~125 KB of heap */
	*out = d;
	return 0;
}

bool db_checkpoint_truncate(struct db *d, int busy_ms, int64_t deadline_us)
{
	sqlite3_busy_timeout(db_handle(d), busy_ms);
	int64_t start = now_us_monotonic();
	while (now_us_monotonic() - start < deadline_us) {
		sqlite3_stmt *st = db_stmt(d, "PRAGMA main.wal_checkpoint(TRUNCATE)");
		int busy = 1;
		if (sqlite3_step(st) == SQLITE_ROW)
			busy = sqlite3_column_int(st, 0);
		sqlite3_reset(st);
		if (!busy)
			return true;
		usleep(20 * 1000);
	}
	return false;
}

void db_close(struct db *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < STMT_CACHE_SLOTS; i++)
		sqlite3_finalize(d->slots[i].st);
	sqlite3_close(d->h);
	free(d);
}

sqlite3 *db_handle(struct db *d)
{
	return d->route ? d->route->h : d->h;
}

int db_schema_version(void)
{
	int v = 0;
	for (const struct schema_file *f = db_schema_files; f->sql; f++)
		if (f->version > v)
			v = f->version;
	return v;
}

int db_migrate(struct db *d)
{
	int have = (int)db_one_int64(db_stmt(d, "PRAGMA user_version"), 0);
	for (const struct schema_file *f = db_schema_files; f->sql; f++) {
		if (f->version <= have)
			continue;
		if (db_tx_begin(d, "db_migrate") < 0)
			return -1;
		char *bump = xasprintf("PRAGMA user_version=%d", f->version);
		int rc = db_exec(d, f->sql);
		if (rc == 0)
			rc = db_exec(d, bump);
		free(bump);
		if (rc < 0) {
			log_error("db: schema %s failed", f->name);
			db_tx_rollback(d);
			return -1;
		}
		if (db_tx_commit(d) < 0)
			return -1;
		log_info("db: applied schema %s", f->name);
	}
	return 0;
}

sqlite3_stmt *db_stmt(struct db *d, const char *sql)
{
	if (d->route)
		d = d->route;
	size_t i = ((uintptr_t)sql >> 3) & (STMT_CACHE_SLOTS - 1);
	for (size_t n = 0; n < STMT_CACHE_SLOTS; n++, i = (i + 1) & (STMT_CACHE_SLOTS - 1)) {
		struct stmt_slot *s = &d->slots[i];
		if (s->sql == sql) {
			sqlite3_reset(s->st);
			sqlite3_clear_bindings(s->st);
			return s->st;
		}
		if (!s->sql) {
			int rc = sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL);
			if (rc != SQLITE_OK) {
				log_error("db: prepare failed: %s\nSQL: %s", sqlite3_errmsg(d->h), sql);
				abort();
			}
			s->sql = sql;
			return s->st;
		}
	}
	log_error("db: statement cache full");
	abort();
}

/* A name the statement does not have is a programming error (a typo binds nothing and the
 * query silently reads NULL): debug and sanitizer builds stop with the statement's text;
 * release builds (NDEBUG) ignore the bind as before. */
static int param_index(sqlite3_stmt *st, const char *name)
{
	int i = sqlite3_bind_parameter_index(st, name);
#ifndef NDEBUG
	if (!i) {
		log_error("db: bind of %s, which the statement does not have\nSQL: %s", name, sqlite3_sql(st));
		abort();
	}
#endif
	return i;
}

void db_bind_int64(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = param_index(st, name);
	if (i)
		sqlite3_bind_int64(st, i, v);
}

void db_bind_int64_opt(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(st, name);
	if (i)
		sqlite3_bind_int64(st, i, v);
}

void db_bind_text_opt(sqlite3_stmt *st, const char *name, const char *v)
{
	if (sqlite3_bind_parameter_index(st, name))
		db_bind_text(st, name, v);
}

void db_bind_text(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = param_index(st, name);
	if (!i)
		return;
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

void db_bind_textn(sqlite3_stmt *st, const char *name, const char *v, size_t n)
{
	int i = param_index(st, name);
	if (i)
		sqlite3_bind_text64(st, i, v, n, SQLITE_TRANSIENT, SQLITE_UTF8);
}

void db_bind_blob(sqlite3_stmt *st, const char *name, const void *v, size_t n)
{
	int i = param_index(st, name);
	if (i)
		sqlite3_bind_blob64(st, i, v, n, SQLITE_TRANSIENT);
}

void db_bind_null(sqlite3_stmt *st, const char *name)
{
	int i = param_index(st, name);
	if (i)
		sqlite3_bind_null(st, i);
}

int db_exec_stmt(struct db *d, sqlite3_stmt *st)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return -2;
	log_error("db: step failed in %s: %s\nSQL: %s", d->tx_caller ? d->tx_caller : "?",
		  sqlite3_errmsg(db_handle(d)), sqlite3_sql(st));
	return -1;
}

int db_exec(struct db *d, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db_handle(d), sql, NULL, NULL, &err) != SQLITE_OK) {
		log_error("db: %s", err ? err : "exec failed");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int64_t db_one_int64(sqlite3_stmt *st, int64_t dflt)
{
	int64_t v = dflt;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

/* Steps sql, a statement without parameters or rows (transaction control), from d's statement cache
 * (d's route when routed), expecting DONE. Returns 0, or -1 with the error logged under caller's
 * name. */
static int step_simple(struct db *d, const char *sql, const char *caller)
{
	if (sqlite3_step(db_stmt(d, sql)) != SQLITE_DONE) {
		log_error("db: %s for %s: %s", sql, caller ? caller : "?", sqlite3_errmsg(db_handle(d)));
		sqlite3_reset(db_stmt(d, sql));
		return -1;
	}
	return 0;
}

/* Takes the writer for d (a worker connection) until db_release: opens the batch if none is
 * open and routes d's statements to the writer's connection. */
static int writer_hold(struct db *d, const char *caller)
{
	pthread_mutex_lock(&wr.lock);
	while (wr.gate && !wr.open)
		pthread_cond_wait(&wr.gate_cond, &wr.lock);
	if (!wr.open) {
		if (step_simple(wr.conn, "BEGIN IMMEDIATE", caller) < 0) {
			pthread_mutex_unlock(&wr.lock);
			return -1;
		}
		wr.open = true;
		wr.gen++;
	}
	wr.dirty = true;
	wr.holds++;
	int i = 0;
	while (i < wr.nmembers && wr.members[i] != d)
		i++;
	if (i == wr.nmembers) {
		if (wr.nmembers == MAX_MEMBERS)
			abort(); /* more worker connections than MAX_MEMBERS: a configuration bug */
		wr.members[wr.nmembers++] = d;
	}
	d->holding = true;
	if (prof.on)
		wr.hold_t0 = now_us_monotonic();
	d->route = wr.conn;
	d->gen = wr.gen;
	if (d->on_hold)
		d->on_hold(d->cb_arg);
	return 0;
}

bool db_in_write_tx(struct db *d)
{
	return d->tx_caller != NULL || (d == wr.conn && wr.open);
}

int db_tx_begin(struct db *d, const char *caller)
{
	if (d->tx_caller) {
		log_error("db: %s began a transaction inside %s", caller, d->tx_caller);
		abort();
	}
	if (d->batching) {
		if (!d->holding && writer_hold(d, caller) < 0)
			return -1;
		if (step_simple(d, "SAVEPOINT tx", caller) < 0)
			return -1;
	} else if (step_simple(d, "BEGIN IMMEDIATE", caller) < 0) {
		return -1;
	}
	d->tx_caller = caller;
	return 0;
}

int db_tx_commit(struct db *d)
{
	if (step_simple(d, d->batching ? "RELEASE tx" : "COMMIT", d->tx_caller) < 0) {
		db_tx_rollback(d);
		return -1;
	}
	d->tx_caller = NULL;
	d->write_seq++;
	return 0;
}

void db_tx_rollback(struct db *d)
{
	if (sqlite3_get_autocommit(db_handle(d)) == 0) {
		if (d->batching) {
			/* Undo this writer's savepoint only; the batch goes on for the others. */
			sqlite3_step(db_stmt(d, "ROLLBACK TO tx"));
			sqlite3_step(db_stmt(d, "RELEASE tx"));
		} else {
			sqlite3_step(db_stmt(d, "ROLLBACK"));
		}
	}
	d->tx_caller = NULL;
}

void db_batch_enable(struct db *d, void (*on_hold)(void *arg), void (*on_settled)(void *arg, uint64_t gen, bool ok),
		     void *arg)
{
	d->batching = true;
	d->on_hold = on_hold;
	d->on_settled = on_settled;
	d->cb_arg = arg;
}

void db_release(struct db *d)
{
	if (!d->holding)
		return;
	if (d->tx_caller) {
		log_error("db: %s did not end its transaction", d->tx_caller);
		db_tx_rollback(d);
	}
	d->holding = false;
	if (prof.on) {
		wr.held_ns += (uint64_t)(now_us_monotonic() - wr.hold_t0) * 1000;
		wr.nholds++;
	}
	d->route = NULL;
	pthread_cond_signal(&wr.cond);
	pthread_mutex_unlock(&wr.lock);
}

uint64_t db_pending_gen(struct db *d)
{
	if (d->holding)
		return d->gen;
	return d->gen > atomic_load(&wr.settled) ? d->gen : 0;
}

bool db_batch_open(struct db *d)
{
	return db_pending_gen(d) != 0;
}

bool db_routed(struct db *d)
{
	return d->route != NULL;
}

uint64_t db_write_seq(struct db *d)
{
	return d->write_seq;
}

/* Makes every committed frame of the WAL durable. Our own descriptor of the WAL file (SQLite
 * keeps it while any connection is open); reopened if the file was replaced. */
static int wal_sync(void)
{
	struct stat a, b;
	if (wr.wal_fd >= 0 && (fstat(wr.wal_fd, &a) < 0 || stat(wr.wal_path, &b) < 0 || a.st_ino != b.st_ino)) {
		close(wr.wal_fd);
		wr.wal_fd = -1;
	}
	if (wr.wal_fd < 0) {
		wr.wal_fd = open(wr.wal_path, O_RDONLY | O_CLOEXEC);
		if (wr.wal_fd < 0) {
			char eb[ERR_STR_LEN];
			log_error("db: cannot open %s: %s", wr.wal_path, err_str(errno, eb));
			return -1;
		}
	}
	if (fdatasync(wr.wal_fd) < 0) {
		char eb[ERR_STR_LEN];
		log_error("db: fdatasync of the WAL failed: %s", err_str(errno, eb));
		return -1;
	}
	return 0;
}

/* sqlite3_wal_hook of the writer's connection: after each of its commits, records the WAL's size in
 * frames, for the writer thread's checkpoint. */
static int wal_hook(void *arg, sqlite3 *h, const char *name, int frames)
{
	wr.wal_frames = frames;
	return SQLITE_OK;
}

/* Commits the open batch (called with the lock held). Runs before_commit first, in its own
 * savepoint so a failure there loses nothing of the batch. Returns whether it committed. */
static bool batch_commit_locked(void)
{
	assert_locked(&wr.lock);
	int64_t t0 = prof.on ? now_us_monotonic() : 0;
	if (wr.before_commit && wr.gate) {
		wr.more = true; /* a checkpoint waits for this commit: before_commit's work can wait */
	} else if (wr.before_commit) {
		step_simple(wr.conn, "SAVEPOINT before_commit", "writer");
		/* How busy the writes are: this batch's holds, plus the previous batch's when it
		 * committed just before (with a fast disk, batches stay small under load). */
		int64_t now = now_us_monotonic();
		int recent = wr.holds + (now - wr.prev_commit < RECENT_US ? wr.prev_holds : 0);
		int more = wr.before_commit(wr.conn, wr.holds ? recent : 0);
		if (more < 0)
			step_simple(wr.conn, "ROLLBACK TO before_commit", "writer");
		step_simple(wr.conn, "RELEASE before_commit", "writer");
		wr.more = more > 0;
	}
	int64_t t1 = prof.on ? now_us_monotonic() : 0;
	bool ok = true;
	if (wr.test_fail_marker) {
		static const char marker_sql[] = "SELECT 1 FROM posts WHERE instr(body, :m) > 0 LIMIT 1";
		sqlite3_stmt *m = db_stmt(wr.conn, marker_sql);
		db_bind_text(m, ":m", wr.test_fail_marker);
		if (db_one_int64(m, 0) == 1) {
			log_warn("db: MAMORI_TEST_FAIL_MARKER: this batch fails");
			sqlite3_step(db_stmt(wr.conn, "ROLLBACK"));
			ok = false;
			goto done;
		}
	}
	sqlite3_stmt *st = db_stmt(wr.conn, "COMMIT");
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_error("db: group COMMIT failed: %s", sqlite3_errmsg(wr.conn->h));
		sqlite3_reset(st);
		if (sqlite3_get_autocommit(wr.conn->h) == 0)
			sqlite3_step(db_stmt(wr.conn, "ROLLBACK"));
		ok = false;
	}
done:
	if (prof.on) {
		wr.before_ns += (uint64_t)(t1 - t0) * 1000;
		wr.commit_ns += (uint64_t)(now_us_monotonic() - t1) * 1000;
	}
	wr.open = false;
	wr.dirty = false;
	pthread_cond_broadcast(&wr.gate_cond); /* a checkpointer may wait for this batch */
	if (wr.wal_frames > wr.checkpoint_frames && !wr.ckpt_wanted) {
		wr.ckpt_wanted = true;
		pthread_cond_signal(&wr.ckpt_cond);
	}
	wr.prev_holds = wr.holds;
	wr.prev_commit = now_us_monotonic();
	wr.holds = 0;
	return ok;
}

/* The writer thread. Under wr.lock it waits for a batch with writes (or, while before_commit has
 * work left, for IDLE_MS without writes, then opens a batch of its own) and commits it; without the
 * lock it syncs the WAL, publishes wr.settled and tells each member (on_settled). Ends once stop
 * is set and no batch is open or dirty. */
static void *writer_main(void *arg)
{
	pthread_mutex_lock(&wr.lock);
	for (;;) {
		while (!wr.stop && !wr.dirty) {
			if (!wr.more) {
				pthread_cond_wait(&wr.cond, &wr.lock);
				continue;
			}
			/* before_commit has work left: do it once the workers pause for IDLE_MS. */
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += IDLE_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (pthread_cond_timedwait(&wr.cond, &wr.lock, &ts) == ETIMEDOUT)
				break;
		}
		if (wr.stop && !wr.dirty && !wr.open)
			break;
		if (!wr.open) {
			/* Nothing written, but before_commit has work left (the search queue after a
			 * burst): a batch of its own, once the gate is open. */
			if (wr.gate) {
				pthread_cond_wait(&wr.gate_cond, &wr.lock);
				continue;
			}
			if (step_simple(wr.conn, "BEGIN IMMEDIATE", "writer") < 0) {
				wr.more = false;
				continue;
			}
			wr.open = true;
			wr.gen++;
		}
		uint64_t gen = wr.gen;
		bool ok = batch_commit_locked();
		struct db *members[MAX_MEMBERS];
		int n = wr.nmembers;
		memcpy(members, wr.members, (size_t)n * sizeof *members);
		wr.nmembers = 0;
		pthread_mutex_unlock(&wr.lock);
		/* The next batch fills while this one syncs. */
		int64_t t0 = now_us_monotonic();
		if (ok && wal_sync() < 0)
			ok = false;
		wr.sync_ns += (uint64_t)(now_us_monotonic() - t0) * 1000;
		if (wr.test_settle_delay_ms > 0)
			usleep((useconds_t)wr.test_settle_delay_ms * 1000);
		wr.batches++;
		atomic_store(&wr.settled, gen);
		for (int i = 0; i < n; i++)
			if (members[i]->on_settled)
				members[i]->on_settled(members[i]->cb_arg, gen, ok);
		if (wr.after_settle)
			wr.after_settle();
		pthread_mutex_lock(&wr.lock);
	}
	pthread_mutex_unlock(&wr.lock);
	return NULL;
}

/* One PASSIVE checkpoint on the checkpointer's connection: *log frames in the WAL, *done of them
 * in the database file (both -1 when it could not run). */
static void checkpoint_pass(int *log, int *done)
{
	int64_t t0 = now_us_monotonic();
	if (sqlite3_wal_checkpoint_v2(wr.ckpt, "main", SQLITE_CHECKPOINT_PASSIVE, log, done) != SQLITE_OK)
		*log = *done = -1;
	wr.ckpt_ns += (uint64_t)(now_us_monotonic() - t0) * 1000;
}

/* The checkpointer thread. Woken when a commit leaves more than checkpoint_frames in the WAL, it
 * copies them into the database file beside the writes (PASSIVE never takes the write lock), in
 * passes until what the writes added meanwhile is small. The WAL then starts over only if a write
 * transaction begins on a wholly checkpointed WAL, which never happens while the next batch has
 * always begun before the checkpoint ends (the WAL grew to 3.5 GB in a minute of the post
 * benchmark). So to finish it closes the gate (no batch begins), waits for the open batch to
 * commit, copies the rest and opens the gate: the next batch begins on an empty WAL, unless a
 * reader still holds an old snapshot (then the next round tries again). */
static void *checkpointer_main(void *arg)
{
	pthread_mutex_lock(&wr.lock);
	for (;;) {
		while (!wr.stop && !wr.ckpt_wanted)
			pthread_cond_wait(&wr.ckpt_cond, &wr.lock);
		if (wr.stop)
			break;
		pthread_mutex_unlock(&wr.lock);
		int log, done, frames;
		for (int pass = 0; pass < CHECKPOINT_PASSES; pass++) {
			checkpoint_pass(&log, &done);
			pthread_mutex_lock(&wr.lock);
			frames = wr.wal_frames; /* what the commits since the pass began added */
			pthread_mutex_unlock(&wr.lock);
			if (log < 0 || frames - done < FINISH_FRAMES)
				break;
		}
		pthread_mutex_lock(&wr.lock);
		int64_t t0 = now_us_monotonic();
		wr.gate = true;
		while (wr.open && !wr.stop)
			pthread_cond_wait(&wr.gate_cond, &wr.lock);
		wr.gate_wait_ns += (uint64_t)(now_us_monotonic() - t0) * 1000;
		pthread_mutex_unlock(&wr.lock);
		checkpoint_pass(&log, &done);
		pthread_mutex_lock(&wr.lock);
		wr.gate = false;
		pthread_cond_broadcast(&wr.gate_cond);
		wr.gate_ns += (uint64_t)(now_us_monotonic() - t0) * 1000;
		wr.nckpt++;
		wr.ckpt_wanted = false;
	}
	pthread_mutex_unlock(&wr.lock);
	return NULL;
}

int db_writer_start(const char *dir, int (*before_commit)(struct db *writer, int holds))
{
	if (wr.running)
		return 0;
	if (open_conn(dir, false, false, &wr.conn) < 0)
		return -1;
	/* Durability comes from wal_sync after COMMIT, outside the lock; checkpoints from the
	 * writer thread. synchronous=NORMAL still syncs the WAL before each checkpoint and the
	 * database after it. */
	char *path = xasprintf("%s/mamori.db", dir);
	/* A large page cache: the writer touches the indexes of every table posts write to. */
	if (db_exec(wr.conn, "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=-262144;") < 0 ||
	    sqlite3_open_v2(path, &wr.ckpt, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_error("db: cannot open the writer's connections");
		free(path);
		sqlite3_close(wr.ckpt);
		wr.ckpt = NULL;
		db_close(wr.conn);
		wr.conn = NULL;
		return -1;
	}
	sqlite3_busy_timeout(wr.ckpt, 5000);
	/* A connection opens its file lazily: until it has read the database it is not in WAL mode,
	 * and sqlite3_wal_checkpoint_v2 on it does nothing and says so only with a log of -1. */
	sqlite3_exec(wr.ckpt, "PRAGMA schema_version", NULL, NULL, NULL); /* reads the header, not the schema */
	sqlite3_wal_hook(wr.conn->h, wal_hook, NULL);
	wr.wal_path = xasprintf("%s-wal", path);
	free(path);
	wr.before_commit = before_commit;
	wr.checkpoint_frames = test_hooks.checkpoint_frames > 0 ? test_hooks.checkpoint_frames : CHECKPOINT_FRAMES;
	wr.test_settle_delay_ms = test_hooks.settle_delay_ms;
	free(wr.test_fail_marker);
	wr.test_fail_marker = test_hooks.fail_marker ? xstrdup(test_hooks.fail_marker) : NULL;
	if (wr.test_settle_delay_ms || wr.test_fail_marker)
		log_warn("db: test hooks on (MAMORI_TEST_SETTLE_DELAY_MS / MAMORI_TEST_FAIL_MARKER)");
	wr.stop = false;
	wr.more = before_commit != NULL; /* whatever a previous run left queued */
	wr.ckpt_wanted = false;
	wr.gate = false;
	wr.running = true;
	pthread_create(&wr.thread, NULL, writer_main, NULL);
	pthread_create(&wr.ckpt_thread, NULL, checkpointer_main, NULL);
	return 0;
}

void db_writer_on_settled(void (*fn)(void))
{
	assert(!wr.running);
	wr.after_settle = fn;
}

void db_writer_stop(void)
{
	if (!wr.running)
		return;
	pthread_mutex_lock(&wr.lock);
	wr.stop = true;
	pthread_cond_signal(&wr.cond);
	pthread_cond_broadcast(&wr.gate_cond);
	pthread_cond_signal(&wr.ckpt_cond);
	pthread_mutex_unlock(&wr.lock);
	pthread_join(wr.thread, NULL);
	pthread_join(wr.ckpt_thread, NULL);
	profile_dump();
	/* A clean stop leaves a checkpointed, small WAL. */
	sqlite3_wal_checkpoint_v2(wr.ckpt, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_close(wr.ckpt);
	wr.ckpt = NULL;
	if (wr.wal_fd >= 0)
		close(wr.wal_fd);
	wr.wal_fd = -1;
	free(wr.wal_path);
	wr.wal_path = NULL;
	db_close(wr.conn);
	wr.conn = NULL;
	wr.nmembers = 0;
	wr.running = false;
}

char *db_col_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? xstrndup((const char *)t, (size_t)sqlite3_column_bytes(st, col)) : NULL;
}

const char *db_col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : "";
}

int db_backup(struct db *d, const char *out_path)
{
	sqlite3 *dst = NULL;
	if (sqlite3_open_v2(out_path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		log_error("backup: cannot create %s: %s", out_path, sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return -1;
	}
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", d->h, "main");
	int rc = SQLITE_ERROR;
	if (b) {
		/* Copy in steps so a busy server is never blocked for long; restarts if it writes. */
		do {
			rc = sqlite3_backup_step(b, 256);
			if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
				sqlite3_sleep(20);
		} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
		sqlite3_backup_finish(b);
	}
	if (rc != SQLITE_DONE) {
		log_error("backup: %s", sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return -1;
	}
	sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	sqlite3_close(dst);
	return 0;
}
