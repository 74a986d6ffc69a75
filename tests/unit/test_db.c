/* test_db.c — the database layer: migrations, the statement cache, the write helper and group
 * commit (savepoints inside one batch; a rolled-back writer leaves the others intact). */
#include "db.h"
#include "util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
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

static int opened;
static void on_open(void *arg)
{
	opened++;
}

static void test_group_commit(void **state)
{
	char *dir = make_dir();
	struct db *d, *other;
	assert_int_equal(db_open(dir, true, &d), 0);
	assert_int_equal(db_migrate(d), 0);
	assert_int_equal(db_open(dir, false, &other), 0);
	db_batch_enable(d, on_open, NULL);
	uint64_t seq = db_write_seq(d);
	assert_int_equal(add_group(d, "a", true), 0);
	assert_int_equal(add_group(d, "b", false), -1); /* rolled back: only its savepoint */
	assert_int_equal(add_group(d, "c", true), 0);
	assert_int_equal(opened, 1);
	assert_true(db_batch_open(d));
	assert_int_equal(db_write_seq(d), seq + 2);
	/* Not committed yet: another connection does not see the rows. */
	assert_int_equal(count_groups(other), 0);
	assert_int_equal(db_batch_commit(d), 0);
	assert_false(db_batch_open(d));
	assert_int_equal(count_groups(other), 2);
	/* A constraint failure inside a batch is reported and leaves the batch usable. */
	assert_int_equal(add_group(d, "a", true), -1);
	assert_int_equal(add_group(d, "d", true), 0);
	assert_int_equal(db_batch_commit(d), 0);
	assert_int_equal(count_groups(other), 3);
	assert_int_equal(opened, 2);
	db_close(other);
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
