/* test_cache.c — the per-thread caches' validity (cache.h): a value is reused until something it
 * may derive from changes; a change inside this connection's open transaction invalidates it at
 * once; another connection's commit invalidates it; a caller's epoch (cache_*_at) decides alone;
 * both (cache_*_since): past a commit, the caller's epoch decides. And the thread view's epoch
 * (schema/022), which cache_*_since is used with: it moves with every column the view reads and
 * not with the writes every sign-in, read mark or follow makes; and the session epoch (schema/023),
 * which the session cache is stamped with: it moves with every column the session query reads but
 * the touch's, and not with a post's, a read mark's or a new session's writes. */
#include "cache.h"
#include "db.h"
#include "session.h"
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

static int64_t epoch_of(const char *name)
{
	sqlite3_stmt *st = db_stmt(d, "SELECT value FROM epochs WHERE name = :n");
	db_bind_text(st, ":n", name);
	return db_one_int64(st, INT64_MIN);
}

/* sql (one statement) in a transaction of its own on d, committed. */
static void write(const char *sql)
{
	assert_int_equal(db_tx_begin(d, "test"), 0);
	assert_int_equal(db_exec(d, sql), 0);
	assert_int_equal(db_tx_commit(d), 0);
}

/* sql, committed, moves the epoch `name` (or, with moves false, does not). */
static void assert_epoch_moves(const char *name, const char *sql, bool moves)
{
	int64_t before = epoch_of(name);
	assert_true(before != INT64_MIN);
	write(sql);
	if ((epoch_of(name) != before) != moves)
		fail_msg("%s %s the %s epoch", sql, moves ? "did not move" : "moved", name);
}

static void assert_moves(const char *sql, bool moves)
{
	assert_epoch_moves("thread_view", sql, moves);
}

/* The rows the column walker below updates: one per table alias. */
struct alias {
	char letter;
	const char *table, *where;
};

/* Every column `x.name` in the SQL text cols whose alias x is one of aliases (but those named in
 * except, space-separated "x.name" words): an UPDATE of it, by itself, must move the epoch `name`.
 * Returns how many columns it checked. */
static int assert_columns_move_epoch(const char *name, const char *cols, const struct alias *aliases,
				     const char *except)
{
	int n = 0;
	for (const char *s = cols; *s; s++) {
		if ((s != cols && (isalnum((unsigned char)s[-1]) || s[-1] == '_')) || s[1] != '.')
			continue;
		const struct alias *a = aliases;
		while (a->letter && a->letter != *s)
			a++;
		if (!a->letter)
			continue;
		const char *col = s + 2;
		size_t k = strspn(col, "abcdefghijklmnopqrstuvwxyz_");
		char word[64];
		snprintf(word, sizeof word, "%c.%.*s", *s, (int)k, col);
		const char *hit = strstr(except, word);
		if (hit && (hit == except || hit[-1] == ' ') &&
		    (hit[strlen(word)] == ' ' || !hit[strlen(word)]))
			continue;
		char sql[200];
		snprintf(sql, sizeof sql, "UPDATE %s SET %.*s = %.*s WHERE %s", a->table, (int)k, col, (int)k,
			 col, a->where);
		assert_epoch_moves(name, sql, true);
		n++;
	}
	return n;
}

/* Every column of threads (t), posts (p) or users (u) in cols moves the thread view's epoch. */
static void assert_columns_move(const char *cols, int64_t thread, int64_t post, int64_t user)
{
	char tw[32], pw[32], uw[32];
	snprintf(tw, sizeof tw, "id = %lld", (long long)thread);
	snprintf(pw, sizeof pw, "id = %lld", (long long)post);
	snprintf(uw, sizeof uw, "id = %lld", (long long)user);
	const struct alias aliases[] = {{'t', "threads", tw}, {'p', "posts", pw}, {'u', "users", uw}, {0}};
	assert_true(assert_columns_move_epoch("thread_view", cols, aliases, "") >= 5);
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

/* The session epoch (schema/023): every column the session query reads but the touch's, in
 * sessions, users and companies, moves it; what a post, a read mark, a follow, a notification, a
 * new session or a touch writes does not. */
static void test_session_epoch(void **state)
{
	(void)state;
	write("INSERT INTO groups (id, name, created_at) VALUES (601, 'g601', 0)");
	write("INSERT INTO companies (id, name, industry, sme_class, capital_yen, employees, track, group_id, created_at)"
	      " VALUES (601, 'C', 'E', 'manufacturing_other', 1, 1, 'monozukuri', 601, 0)");
	write("INSERT INTO users (id, email, name, role, company_id, status, created_at)"
	      " VALUES (601, 's@example.jp', 'S', 'participant', 601, 'active', 0)");
	assert_epoch_moves("session",
			   "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at)"
			   " VALUES ('h601', 601, 'c', 0, 0)",
			   false);
	const struct alias aliases[] = {{'s', "sessions", "token_hash = 'h601'"},
					{'u', "users", "id = 601"},
					{'c', "companies", "id = 601"},
					{0}};
	assert_true(assert_columns_move_epoch("session", SESSION_LOAD_SQL, aliases, "s.last_seen_at") >= 14);
	/* what a touch, a post, a read mark, a follow, a notification or an account's settings write */
	assert_epoch_moves("session", "UPDATE sessions SET last_seen_at = 5 WHERE token_hash = 'h601'",
			   false);
	write("INSERT INTO categories (id, slug, name, created_at) VALUES (601, 's', 'S', 0)");
	assert_epoch_moves(
		"session",
		"INSERT INTO threads (id, category_id, author_id, title, kind, visibility, created_at, last_post_at)"
		" VALUES (601, 601, 601, 'T', 'discussion', 'community', 0, 0)",
		false);
	assert_epoch_moves("session",
			   "INSERT INTO posts (id, thread_id, author_id, body, html, created_at)"
			   " VALUES (601, 601, 601, 'b', 'h', 0)",
			   false);
	assert_epoch_moves("session", "UPDATE threads SET post_count = 2, last_post_at = 1 WHERE id = 601",
			   false);
	assert_epoch_moves("session",
			   "INSERT INTO thread_reads (user_id, thread_id, seen_count, last_post_id, read_at)"
			   " VALUES (601, 601, 1, 601, 0)",
			   false);
	assert_epoch_moves("session",
			   "INSERT INTO thread_follows (thread_id, user_id, created_at) VALUES (601, 601, 0)",
			   false);
	assert_epoch_moves("session",
			   "INSERT INTO notifications (user_id, kind, created_at) VALUES (601, 'reply', 0)",
			   false);
	assert_epoch_moves("session", "UPDATE users SET totp_last_step = 1, lang = 'en' WHERE id = 601",
			   false);
	/* a session, a user, a company gone */
	assert_epoch_moves("session", "DELETE FROM sessions WHERE token_hash = 'h601'", true);
	write("DELETE FROM thread_follows");
	write("DELETE FROM thread_reads");
	write("DELETE FROM notifications");
	write("DELETE FROM posts WHERE id = 601");
	write("DELETE FROM threads WHERE id = 601");
	assert_epoch_moves("session", "DELETE FROM users WHERE id = 601", true);
	assert_epoch_moves("session", "DELETE FROM companies WHERE id = 601", true);
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
		cmocka_unit_test(test_session_epoch),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
