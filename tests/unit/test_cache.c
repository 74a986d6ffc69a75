/* test_cache.c — the per-thread caches' validity (cache.h): a value is reused until something it
 * may derive from changes; a change inside this connection's open transaction invalidates it at
 * once; another connection's commit invalidates it; a caller's epoch (cache_*_at) decides alone;
 * both (cache_*_since): past a commit, the caller's epoch decides. And the thread view's epoch
 * (schema/022), which cache_*_since is used with: it moves with every column the view reads and
 * not with the writes every sign-in, read mark or follow makes. */
#include "cache.h"
#include "db.h"
#include "util.h"
#include "view.h"

#include <ctype.h>
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

/* cache_*_since: answered while the database epoch holds, and past it while the caller's epoch
 * holds (then stamped again, so the next cache_get answers without the caller's epoch). */
static void test_since(void **state)
{
	(void)state;
	size_t len;
	read_on_d();
	cache_put_since(d, CACHE_POSTS, 9, 1, 0, 77, "tmpl", 4);
	read_on_d();
	assert_non_null(cache_get(d, CACHE_POSTS, 9, 1, 0, &len));
	insert_group(other, "since-1", true); /* a commit that is not the caller's epoch */
	read_on_d();
	assert_null(cache_get(d, CACHE_POSTS, 9, 1, 0, &len));
	assert_null(cache_get_since(d, CACHE_POSTS, 9, 1, 0, 78, &len)); /* the epoch moved: stale */
	const char *v = cache_get_since(d, CACHE_POSTS, 9, 1, 0, 77, &len);
	assert_non_null(v);
	assert_int_equal(len, 4);
	assert_memory_equal(v, "tmpl", 4);
	assert_non_null(cache_get(d, CACHE_POSTS, 9, 1, 0, &len));       /* stamped again */
	assert_null(cache_get_since(d, CACHE_POSTS, 9, 2, 0, 77, &len)); /* keys are exact */
	/* a plain cache_put entry is not answered by an epoch, nor a cache_put_at one */
	cache_put(d, CACHE_POSTS, 9, 3, 0, "plain", 5);
	cache_put_at(CACHE_POSTS, 9, 4, 0, 77, "at", 2);
	assert_null(cache_get_since(d, CACHE_POSTS, 9, 3, 0, 0, &len));
	assert_null(cache_get_since(d, CACHE_POSTS, 9, 4, 0, 77, &len));
	/* nothing answers inside this connection's own write transaction */
	insert_group(d, "since-2", false);
	assert_null(cache_get_since(d, CACHE_POSTS, 9, 1, 0, 77, &len));
	db_tx_rollback(d);
}

static int64_t view_epoch(void)
{
	return db_one_int64(db_stmt(d, "SELECT value FROM epochs WHERE name = 'thread_view'"), INT64_MIN);
}

/* sql (one statement) in a transaction of its own on d, committed. */
static void write(const char *sql)
{
	assert_int_equal(db_tx_begin(d, "test"), 0);
	assert_int_equal(db_exec(d, sql), 0);
	assert_int_equal(db_tx_commit(d), 0);
}

static void assert_moves(const char *sql, bool moves)
{
	int64_t before = view_epoch();
	assert_true(before != INT64_MIN);
	write(sql);
	if ((view_epoch() != before) != moves)
		fail_msg("%s %s the thread view's epoch", sql, moves ? "did not move" : "moved");
}

/* Every column `t.name`, `p.name` or `u.name` (threads, posts, users) in the SQL text cols: an
 * UPDATE of it, by itself, must move the thread view's epoch. */
static void assert_columns_move(const char *cols, int64_t thread, int64_t post, int64_t user)
{
	int n = 0;
	for (const char *s = cols; *s; s++) {
		if ((s != cols && (isalnum((unsigned char)s[-1]) || s[-1] == '_')) || s[1] != '.' ||
		    !strchr("tpu", *s))
			continue;
		const char *name = s + 2;
		size_t k = strspn(name, "abcdefghijklmnopqrstuvwxyz_");
		const char *table = *s == 't' ? "threads" : *s == 'p' ? "posts" : "users";
		int64_t id = *s == 't' ? thread : *s == 'p' ? post : user;
		char sql[200];
		snprintf(sql, sizeof sql, "UPDATE %s SET %.*s = %.*s WHERE id = %lld", table, (int)k, name,
			 (int)k, name, (long long)id);
		assert_moves(sql, true);
		n++;
	}
	assert_true(n >= 5);
}

static void test_thread_view_epoch(void **state)
{
	(void)state;
	write("INSERT INTO users (id, email, name, role, created_at) VALUES (501, 'v@example.jp', 'V', 'secretariat', 0)");
	write("INSERT INTO categories (id, slug, name, created_at) VALUES (501, 'v', 'V', 0)");
	write("INSERT INTO threads (id, category_id, author_id, title, kind, visibility, created_at, last_post_at)"
	      " VALUES (501, 501, 501, 'T', 'discussion', 'community', 0, 0)");
	write("INSERT INTO posts (id, thread_id, author_id, body, html, created_at) VALUES (501, 501, 501, 'b', 'h', 0)");
	/* what the reply reads */
	assert_columns_move(VIEW_THREAD_COLUMNS, 501, 501, 501);
	assert_columns_move(VIEW_POST_COLUMNS, 501, 501, 501);
	assert_moves("INSERT INTO tags (id, name) VALUES (501, 'tag')", false);
	assert_moves("INSERT INTO thread_tags (thread_id, tag_id) VALUES (501, 501)", true);
	assert_moves("UPDATE tags SET name = 'tag2' WHERE id = 501", true);
	assert_moves("DELETE FROM thread_tags WHERE thread_id = 501", true);
	assert_moves(
		"INSERT INTO posts (id, thread_id, author_id, body, html, created_at) VALUES (502, 501, 501, 'c', 'h', 0)",
		true);
	assert_moves("DELETE FROM posts WHERE id = 502", true);
	/* what a sign-in, a view, a follow, a notification or an account's own settings write */
	assert_moves("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at)"
		     " VALUES ('h', 501, 'c', 0, 0)",
		     false);
	assert_moves("UPDATE sessions SET last_seen_at = 1", false);
	assert_moves("INSERT INTO thread_reads (user_id, thread_id, seen_count, last_post_id, read_at)"
		     " VALUES (501, 501, 1, 501, 0)",
		     false);
	assert_moves("INSERT INTO thread_follows (thread_id, user_id, created_at) VALUES (501, 501, 0)",
		     false);
	assert_moves("INSERT INTO notifications (user_id, kind, created_at) VALUES (501, 'reply', 0)", false);
	assert_moves("UPDATE users SET password_hash = 'x', totp_last_step = 1, lang = 'en' WHERE id = 501",
		     false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reused_until_change),
		cmocka_unit_test(test_change_in_open_transaction),
		cmocka_unit_test(test_other_connection_commit),
		cmocka_unit_test(test_caller_epoch),
		cmocka_unit_test(test_since),
		cmocka_unit_test(test_thread_view_epoch),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
