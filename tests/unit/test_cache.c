/* test_cache.c — the per-thread caches' validity (cache.h): a value is reused until something it
 * may derive from changes; a change inside this connection's open transaction invalidates it at
 * once; another connection's commit invalidates it; a caller's epoch (cache_*_at) decides alone. */
#include "cache.h"
#include "db.h"
#include "util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static char *dir;
static struct db *d, *other;

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/mamori-test-cache-XXXXXX";
	dir = xstrdup(mkdtemp(tmpl));
	if (db_open(dir, true, &d) < 0 || db_migrate(d) < 0 || db_open(dir, false, &other) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cache_thread_free();
	db_close(other);
	db_close(d);
	free(dir);
	return 0;
}

static void insert_group(struct db *c, const char *name, bool commit)
{
	assert_int_equal(db_tx_begin(c, "test"), 0);
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO groups (name, created_at) VALUES (:n, 0)");
	db_bind_text(st, ":n", name);
	assert_int_equal(db_exec_stmt(c, st), 0);
	if (commit)
		assert_int_equal(db_tx_commit(c), 0);
}

static void assert_cached(const char *want)
{
	size_t len = 0;
	const char *v = cache_get(d, CACHE_POSTS, 7, 1, 0, &len);
	if (!want) {
		assert_null(v);
		return;
	}
	assert_non_null(v);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(v, want, len);
}

/* Reused while nothing changes; keys are exact. */
static void test_reused_until_change(void **state)
{
	(void)state;
	cache_put(d, CACHE_POSTS, 7, 1, 0, "page", 4);
	assert_cached("page");
	assert_cached("page"); /* reading does not invalidate */
	size_t len;
	assert_null(cache_get(d, CACHE_POSTS, 7, 2, 0, &len));
	assert_null(cache_get(d, CACHE_POSTS, 8, 1, 0, &len));
	assert_null(cache_get(d, CACHE_GATE, 7, 1, 0, &len));
	/* a read-only statement changes nothing */
	assert_true(db_one_int64(db_stmt(d, "SELECT count(*) FROM groups"), -1) >= 0);
	assert_cached("page");
}

/* A row changed inside this connection's open transaction invalidates at once, before any
 * commit; nothing is stored while the transaction is open (it may be rolled back); after the
 * rollback the old value stays invalid (the epoch moved on). */
static void test_change_in_open_transaction(void **state)
{
	(void)state;
	cache_put(d, CACHE_POSTS, 7, 1, 0, "page", 4);
	assert_cached("page");
	insert_group(d, "in-tx", false);
	assert_cached(NULL);
	cache_put(d, CACHE_POSTS, 7, 1, 0, "mine", 4); /* derived from uncommitted rows: not kept */
	assert_cached(NULL);
	db_tx_rollback(d);
	assert_cached(NULL);
}

/* A read on d: SQLite notices other connections' commits when a read transaction starts, as
 * every request's does (router.c) before it asks the cache. */
static void read_on_d(void)
{
	assert_true(db_one_int64(db_stmt(d, "SELECT count(*) FROM groups"), -1) >= 0);
}

/* Another connection's commit invalidates. */
static void test_other_connection_commit(void **state)
{
	(void)state;
	read_on_d();
	cache_put(d, CACHE_POSTS, 7, 1, 0, "page", 4);
	read_on_d();
	assert_cached("page");
	insert_group(other, "other", true);
	read_on_d();
	assert_cached(NULL);
	/* and a value stored after it is good again */
	cache_put(d, CACHE_POSTS, 7, 1, 0, "new", 3);
	assert_cached("new");
}

/* cache_*_at: valid for exactly the caller's epoch, whatever else commits. */
static void test_caller_epoch(void **state)
{
	(void)state;
	size_t len;
	cache_put_at(CACHE_GATE, 1, 2, 3, 42, "[]", 2);
	assert_non_null(cache_get_at(CACHE_GATE, 1, 2, 3, 42, &len));
	assert_int_equal(len, 2);
	insert_group(other, "unrelated", true); /* not the epoch: still valid */
	assert_non_null(cache_get_at(CACHE_GATE, 1, 2, 3, 42, &len));
	assert_null(cache_get_at(CACHE_GATE, 1, 2, 3, 43, &len));
	assert_null(cache_get_at(CACHE_GATE, 1, 2, 4, 42, &len));
	/* an epoch-stamped entry is not a data-version one and vice versa */
	assert_null(cache_get(d, CACHE_GATE, 1, 2, 3, &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reused_until_change),
		cmocka_unit_test(test_change_in_open_transaction),
		cmocka_unit_test(test_other_connection_commit),
		cmocka_unit_test(test_caller_epoch),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
