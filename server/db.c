/* db.c — SQLite connections, the statement cache, the write-transaction helper, migrations and
 * backup. Each connection belongs to one thread; nothing here takes a lock of its own. */
#include "db.h"

#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define STMT_CACHE_SLOTS 512 /* power of two; open addressing by SQL pointer */

struct stmt_slot {
	const char *sql;
	sqlite3_stmt *st;
};

struct db {
	sqlite3 *h;
	struct stmt_slot slots[STMT_CACHE_SLOTS];
	const char *tx_caller; /* non-NULL while a write transaction is open */
	/* Group commit (db_batch_enable): transactions become savepoints inside one batch
	 * transaction that db_batch_commit ends with a single durable COMMIT. */
	bool batching, batch_open;
	uint64_t write_seq; /* bumped by every successful db_tx_commit */
	void (*on_open)(void *arg);
	void *on_open_arg;
};

/* Serialises batches across the worker connections of this process: a worker waits on the
 * mutex (woken at once by the commit) rather than in SQLite's sleeping busy handler. */
static pthread_mutex_t batch_lock = PTHREAD_MUTEX_INITIALIZER;

int db_open(const char *dir, bool create, struct db **out)
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
	/* synchronous=FULL: an answered write survives power loss, not only a process crash.
	 * secure_delete: freed pages are zeroed, so purged text does not linger in the file. */
	static const char pragmas[] = "PRAGMA journal_mode=WAL;"
				      "PRAGMA synchronous=FULL;"
				      "PRAGMA foreign_keys=ON;"
				      "PRAGMA secure_delete=ON;"
				      "PRAGMA temp_store=MEMORY;"
				      "PRAGMA cache_size=-16000;";
	if (db_exec(d, pragmas) < 0) {
		db_close(d);
		return -EIO;
	}
	*out = d;
	return 0;
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
	return d->h;
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

static int param_index(sqlite3_stmt *st, const char *name)
{
	return sqlite3_bind_parameter_index(st, name);
}

void db_bind_int64(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = param_index(st, name);
	if (i)
		sqlite3_bind_int64(st, i, v);
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
		  sqlite3_errmsg(d->h), sqlite3_sql(st));
	return -1;
}

int db_exec(struct db *d, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(d->h, sql, NULL, NULL, &err) != SQLITE_OK) {
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

static int step_simple(struct db *d, const char *sql, const char *caller)
{
	if (sqlite3_step(db_stmt(d, sql)) != SQLITE_DONE) {
		log_error("db: %s for %s: %s", sql, caller ? caller : "?", sqlite3_errmsg(d->h));
		sqlite3_reset(db_stmt(d, sql));
		return -1;
	}
	return 0;
}

int db_tx_begin(struct db *d, const char *caller)
{
	if (d->tx_caller) {
		log_error("db: %s began a transaction inside %s", caller, d->tx_caller);
		abort();
	}
	if (d->batching) {
		if (!d->batch_open) {
			pthread_mutex_lock(&batch_lock);
			if (step_simple(d, "BEGIN IMMEDIATE", caller) < 0) {
				pthread_mutex_unlock(&batch_lock);
				return -1;
			}
			d->batch_open = true;
			if (d->on_open)
				d->on_open(d->on_open_arg);
		}
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
	if (d->batching && d->batch_open) {
		/* Undo this writer's savepoint only; the batch goes on for the others. */
		if (sqlite3_get_autocommit(d->h) == 0) {
			sqlite3_step(db_stmt(d, "ROLLBACK TO tx"));
			sqlite3_step(db_stmt(d, "RELEASE tx"));
		}
	} else if (sqlite3_get_autocommit(d->h) == 0) {
		sqlite3_step(db_stmt(d, "ROLLBACK"));
	}
	d->tx_caller = NULL;
}

void db_batch_enable(struct db *d, void (*on_open)(void *arg), void *arg)
{
	d->batching = true;
	d->on_open = on_open;
	d->on_open_arg = arg;
}

bool db_batch_open(struct db *d)
{
	return d->batch_open;
}

bool db_routed(struct db *d)
{
	(void)d;
	return false;
}

uint64_t db_write_seq(struct db *d)
{
	return d->write_seq;
}

int db_batch_commit(struct db *d)
{
	if (!d->batch_open)
		return 0;
	int rc = 0;
	if (d->tx_caller) {
		log_error("db: batch commit while %s is inside a transaction", d->tx_caller);
		abort();
	}
	if (sqlite3_step(db_stmt(d, "COMMIT")) != SQLITE_DONE) {
		log_error("db: group COMMIT failed: %s", sqlite3_errmsg(d->h));
		if (sqlite3_get_autocommit(d->h) == 0)
			sqlite3_step(db_stmt(d, "ROLLBACK"));
		rc = -1;
	}
	d->batch_open = false;
	pthread_mutex_unlock(&batch_lock);
	return rc;
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
