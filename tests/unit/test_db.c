/* test_db.c — the database layer: migrations, the statement cache, the write helper and group
 * commit (savepoints inside one batch; a rolled-back writer leaves the others intact). */
#include "db.h"
#include "util.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

static char *make_dir(void)
{
	char tmpl[] = "/tmp/mamori-test-db-XXXXXX";
	return xstrdup(mkdtemp(tmpl));
}

static int64_t count_groups(struct db *d)
{
	return db_one_int64(db_stmt(d, "SELECT count(*) FROM groups"), -1);
}

static int add_group(struct db *d, const char *name, bool commit)
{
	static const char sql[] = "INSERT INTO groups (name, created_at) VALUES (:name, 0)";
	if (db_tx_begin(d, "test") < 0)
		return -1;
	sqlite3_stmt *st = db_stmt(d, sql);
	db_bind_text(st, ":name", name);
	if (db_exec_stmt(d, st) < 0 || !commit) {
		db_tx_rollback(d);
		return -1;
	}
	return db_tx_commit(d);
}

static void test_migrate_is_idempotent(void **state)
{
	char *dir = make_dir();
	struct db *d;
	assert_int_equal(db_open(dir, true, &d), 0);
	assert_int_equal(db_migrate(d), 0);
	assert_int_equal(db_one_int64(db_stmt(d, "PRAGMA user_version"), 0), db_schema_version());
	assert_int_equal(db_migrate(d), 0);
	sqlite3_stmt *st = db_stmt(d, "PRAGMA journal_mode");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(db_col_text(st, 0), "wal");
	sqlite3_reset(st);
	db_close(d);
	free(dir);
}

static int held;
static void on_hold(void *arg)
{
	held++;
}

/* Outcomes the writer thread reported, by connection (arg). */
static pthread_mutex_t settled_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t settled_cond = PTHREAD_COND_INITIALIZER;
static uint64_t settled_gen[2];
static int settled_ok[2];

static void on_settled(void *arg, uint64_t gen, bool ok)
{
	int i = (int)(intptr_t)arg;
	pthread_mutex_lock(&settled_lock);
	settled_gen[i] = gen;
	settled_ok[i] = ok;
	pthread_cond_broadcast(&settled_cond);
	pthread_mutex_unlock(&settled_lock);
}

static bool wait_settled(int i, uint64_t gen)
{
	pthread_mutex_lock(&settled_lock);
	for (int n = 0; settled_gen[i] < gen && n < 100; n++) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&settled_cond, &settled_lock, &ts);
	}
	bool ok = settled_gen[i] >= gen && settled_ok[i];
	pthread_mutex_unlock(&settled_lock);
	return ok;
}

static int before_commit_calls;
static int before_commit(struct db *w, int holds)
{
	before_commit_calls++;
	return 0;
}

static void test_group_commit(void **state)
{
	char *dir = make_dir();
	struct db *d, *e, *other;
	assert_int_equal(db_open(dir, true, &d), 0);
	assert_int_equal(db_migrate(d), 0);
	assert_int_equal(db_open(dir, false, &e), 0);
	assert_int_equal(db_open(dir, false, &other), 0);
	assert_int_equal(db_writer_start(dir, before_commit), 0);
	db_batch_enable(d, on_hold, on_settled, (void *)(intptr_t)0);
	db_batch_enable(e, on_hold, on_settled, (void *)(intptr_t)1);
	uint64_t seq = db_write_seq(d);
	assert_int_equal(add_group(d, "a", true), 0);
	assert_int_equal(add_group(d, "b", false), -1); /* rolled back: only its savepoint */
	assert_int_equal(add_group(d, "c", true), 0);
	assert_int_equal(held, 1);
	assert_true(db_routed(d));
	/* The holder reads its own writes through the writer's connection; nobody else does yet. */
	assert_int_equal(count_groups(d), 2);
	assert_int_equal(count_groups(other), 0);
	assert_int_equal(db_write_seq(d), seq + 2);
	uint64_t gen = db_pending_gen(d);
	assert_true(gen > 0);
	db_release(d);
	assert_false(db_routed(d));
	assert_true(wait_settled(0, gen));
	assert_int_equal(db_pending_gen(d), 0);
	assert_false(db_batch_open(d));
	assert_int_equal(count_groups(other), 2);
	assert_true(before_commit_calls >= 1);
	/* Two connections write; a constraint failure in one leaves the batch usable for both. */
	assert_int_equal(add_group(d, "a", true), -1);
	assert_int_equal(add_group(d, "d", true), 0);
	uint64_t gd = db_pending_gen(d);
	db_release(d);
	assert_int_equal(add_group(e, "e", true), 0);
	uint64_t ge = db_pending_gen(e);
	db_release(e);
	assert_true(ge >= gd);
	assert_true(wait_settled(0, gd));
	assert_true(wait_settled(1, ge));
	assert_int_equal(count_groups(other), 4);
	/* Durable and consistent after the writer stops. */
	db_writer_stop();
	assert_int_equal(count_groups(other), 4);
	db_close(other);
	db_close(e);
	db_close(d);
	free(dir);
}

static void test_backup_is_sound(void **state)
{
	char *dir = make_dir();
	struct db *d;
	assert_int_equal(db_open(dir, true, &d), 0);
	assert_int_equal(db_migrate(d), 0);
	assert_int_equal(add_group(d, "x", true), 0);
	char *out = xasprintf("%s/copy", dir);
	assert_int_equal(db_backup(d, out), 0);
	free(out);
	db_close(d);
	/* The copy opens and holds the row. */
	char *path = xasprintf("%s/copy", dir);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(h, "SELECT count(*) FROM groups", -1, &st, NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	sqlite3_close(h);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_is_idempotent),
		cmocka_unit_test(test_group_commit),
		cmocka_unit_test(test_backup_is_sound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
