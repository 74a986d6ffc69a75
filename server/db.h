/* db.h — the database layer: one SQLite connection per thread, opened with the pragmas every
 * connection needs, a per-connection cache of prepared statements keyed by their SQL text, the
 * single write-transaction helper, and schema migration from the numbered files in schema/. */
#ifndef MAMORI_DB_H
#define MAMORI_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct schema_file {
	int version;
	const char *name;
	const char *sql;
};
/* Generated from schema/NNN_*.sql at build time, terminated by {0}. */
extern const struct schema_file db_schema_files[];

struct db;

/* Opens DIR/mamori.db (creating it when create is true) with WAL, synchronous=FULL,
 * foreign_keys, busy_timeout, secure_delete and SQLITE_DBCONFIG_DEFENSIVE, with DIR/search.db
 * (the search indexes, made when missing) attached as `search` (every connection but the
 * writer's). The connection is for
 * one thread only (SQLITE_OPEN_NOMUTEX). Returns 0 and *out (caller frees with db_close), or a
 * negative errno-style code with a message logged. */
int db_open(const char *dir, bool create, struct db **out);
/* MAMORI_SQL_PROFILE=1: time every statement of connections opened from now on; the totals are
 * printed when the writer stops. Call before any thread starts (main). */
void db_profile_enable(void);
/* Whether MAMORI_SQL_PROFILE is on (other threads' own timings print with the writer's). */
bool db_profile_on(void);
/* Test hooks of the writer (never set in production; see wr in db.c), from the environment
 * (MAMORI_TEST_SETTLE_DELAY_MS, MAMORI_TEST_FAIL_MARKER), taken by db_writer_start. Call
 * before any thread starts (main). */
void db_test_hooks(int settle_delay_ms, const char *fail_marker);
/* Test hook: the WAL size in frames past which the writer checkpoints (0: the default,
 * CHECKPOINT_FRAMES in db.c), taken by db_writer_start. */
void db_test_checkpoint_frames(int frames);
/* Finalizes cached statements and closes. Accepts NULL. */
void db_close(struct db *d);
/* Copies every WAL frame into the database file and truncates the WAL to zero bytes (after a
 * purge: with secure_delete the old pages then exist nowhere), retrying while readers hold old
 * frames, each attempt waiting at most busy_ms, for at most deadline_us. d is a connection of
 * its own (a helper thread's), left with busy_ms as its busy timeout. True when done. */
bool db_checkpoint_truncate(struct db *d, int busy_ms, int64_t deadline_us);
/* The SQLite handle d's statements run on: the writer's connection while d is routed, else d's
 * own. */
sqlite3 *db_handle(struct db *d);

/* Applies every schema file newer than PRAGMA user_version, each in its own transaction.
 * Returns 0 or -1 (logged). Safe to call on every start. */
int db_migrate(struct db *d);
/* The newest schema version compiled in. */
int db_schema_version(void);

/* Returns a prepared statement for sql, prepared once per connection with
 * SQLITE_PREPARE_PERSISTENT and reset/cleared for reuse. sql must be a string with static
 * storage (the pointer is the cache key). Aborts on a prepare error: SQL text is code, not input. */
sqlite3_stmt *db_stmt(struct db *d, const char *sql);

/* True while d has a write transaction open (db_tx_begin), or d is the writer's connection
 * inside its open batch (before_commit). For assert() of stated preconditions. */
bool db_in_write_tx(struct db *d);
/* Binds v to the named parameter name (":x") of st; text and blobs are copied. */
void db_bind_int64(sqlite3_stmt *st, const char *name, int64_t v);
void db_bind_text(sqlite3_stmt *st, const char *name, const char *v); /* NULL binds NULL */
void db_bind_textn(sqlite3_stmt *st, const char *name, const char *v, size_t n);
void db_bind_blob(sqlite3_stmt *st, const char *name, const void *v, size_t n);
void db_bind_null(sqlite3_stmt *st, const char *name);
/* Binding a name the statement lacks is a programming error (debug builds abort with the SQL);
 * the _opt form is for one bind sequence shared by several statements, some without name. */
void db_bind_int64_opt(sqlite3_stmt *st, const char *name, int64_t v);
void db_bind_text_opt(sqlite3_stmt *st, const char *name, const char *v);

/* Steps a statement expected to finish (INSERT/UPDATE/DELETE). Returns 0, or -1 on error
 * (logged with the caller's name); constraint failures return -2 so handlers can map them. */
int db_exec_stmt(struct db *d, sqlite3_stmt *st);
/* Runs a plain SQL script (no parameters). Returns 0 or -1 (logged). */
int db_exec(struct db *d, const char *sql);
/* Steps st once and returns its first column as int64 (or dflt if no row). Resets st. */
int64_t db_one_int64(sqlite3_stmt *st, int64_t dflt);

/* The one way to write: BEGIN IMMEDIATE ... COMMIT. `caller` names the writer in logs.
 * db_tx_begin returns 0 or -1; db_tx_commit returns 0 or -1 (then the transaction is rolled
 * back); db_tx_rollback always succeeds. Nested use is a bug and aborts. */
int db_tx_begin(struct db *d, const char *caller);
int db_tx_commit(struct db *d);
void db_tx_rollback(struct db *d);

/* Group commit, for the server. db_writer_start opens the process's writer: one connection
 * that carries the writes of every worker connection, and a thread that commits them.
 *
 * A worker connection (db_batch_enable) that begins a transaction takes the writer's lock
 * (opening the batch transaction if none is open) and keeps it until db_release; meanwhile all
 * its statements go to the writer's connection, so the request reads its own writes. Its
 * transactions are savepoints: db_tx_commit releases one (NOT durable yet), db_tx_rollback
 * undoes only that one. The worker calls db_release when its request ends (and at the end of
 * a loop turn, as a safety net); on_hold runs when it takes the lock, so it can schedule that.
 *
 * The writer thread commits a batch as soon as nothing holds the lock: before_commit runs
 * first (outside any savepoint; holds says how many times workers took the lock in this batch
 * and, when it committed less than 20 ms before, in the previous one: how busy the writes are;
 * 0 for a batch the writer opened for before_commit alone; it returns >0 when it has work left,
 * 0, or -1 to have its own writes rolled back; with work left, the writer calls it again in a
 * batch of its own once the workers have not written for a moment), then one COMMIT, then, without the lock (the next batch fills
 * meanwhile), one fdatasync of the WAL; then on_settled(arg, gen, ok) tells every connection
 * that took part, on the writer thread: ok is false when the batch was rolled back or could not
 * be made durable. It also checkpoints the WAL (PASSIVE) beside the writers. */
int db_writer_start(const char *dir, int (*before_commit)(struct db *writer, int holds));
/* fn runs on the writer thread after every batch is settled (committed and synced, or rolled
 * back), without the lock: search's indexer is woken so. Call before db_writer_start. */
void db_writer_on_settled(void (*fn)(void));
/* Commits what is open and stops the thread; call after the workers stopped writing. */
void db_writer_stop(void);
/* Makes d a worker connection of the writer: its transactions become savepoints in the writer's
 * batch; on_hold and on_settled (with arg) as above. Once, before d writes. */
void db_batch_enable(struct db *d, void (*on_hold)(void *arg), void (*on_settled)(void *arg, uint64_t gen, bool ok),
		     void *arg);
/* Lets go of the writer if d holds it (a transaction still open is rolled back and logged);
 * nothing otherwise. On d's thread. */
void db_release(struct db *d);
/* The batch d's writes wait in (its gen, as on_settled will report it), or 0 when every write
 * of d is settled. */
uint64_t db_pending_gen(struct db *d);
/* db_pending_gen(d) != 0. */
bool db_batch_open(struct db *d);
/* Counts successful db_tx_commit calls: a request that changed it has a write in the batch. */
uint64_t db_write_seq(struct db *d);

/* True while d's statements go to the process's writer connection (a request that wrote). */
bool db_routed(struct db *d);

/* Column text copied into a new string (NULL for NULL). Caller frees. */
char *db_col_dup(sqlite3_stmt *st, int col);
/* Column text borrowed until the next step (never NULL: "" for NULL). */
const char *db_col_text(sqlite3_stmt *st, int col);

/* Online backup of the database into out_path with the SQLite backup API (consistent while
 * the server writes). Returns 0 or -1 (logged). */
int db_backup(struct db *d, const char *out_path);

#endif
