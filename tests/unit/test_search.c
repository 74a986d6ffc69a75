/* test_search.c — the search index on a real database made from the schema: search_rank (title
 * matches first, then term frequency against length), registered on every connection through
 * the features table's db_open hook; the queue in mamori.db and the indexes in search.db
 * (search_index_post → search_index_pending → matchable; search_unindex_post; the writer's
 * search_before_commit removing what was indexed); the query side's literal terms; the shared
 * helpers. */
#include "db.h"
#include "search.h"
#include "text.h"
#include "util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static char *dir;
static struct db *d;

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/mamori-test-search-XXXXXX";
	dir = xstrdup(mkdtemp(tmpl));
	/* search.db is built (empty) as the indexer builds it on a server's first start */
	return db_open(dir, true, &d) < 0 || db_migrate(d) < 0 || search_rebuild(d) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	db_close(d);
	free(dir);
	return 0;
}

/* The rowids matching q, best search_rank first, as "1,2,3". */
static char *ranked(const char *q)
{
	char *expr = text_fts_query_new(q, NULL);
	assert_non_null(expr);
	sqlite3_stmt *st = db_stmt(d, "SELECT rowid FROM search_fts WHERE search_fts MATCH :q"
				      " ORDER BY search_rank(search_fts) DESC, rowid");
	db_bind_text(st, ":q", expr);
	struct buf b = {0};
	buf_append(&b, "", 0);
	while (sqlite3_step(st) == SQLITE_ROW)
		buf_printf(&b, "%s%lld", b.len ? "," : "", (long long)sqlite3_column_int64(st, 0));
	sqlite3_reset(st);
	free(expr);
	return b.data;
}

/* Queue rows above search.db's indexed mark: what search still reads from the queue. */
static int64_t unindexed(void)
{
	sqlite3_stmt *st = db_stmt(d, "SELECT count(*) FROM search_pending WHERE seq > :m");
	db_bind_int64(st, ":m", search_indexed(d));
	return db_one_int64(st, -1);
}

static void index_now(int64_t id, const char *title, const char *body)
{
	assert_int_equal(db_tx_begin(d, "test"), 0);
	assert_int_equal(search_index_post(d, id, title, body), 0);
	assert_int_equal(db_tx_commit(d), 0);
	assert_int_equal(unindexed(), 1);
	assert_int_equal(search_index_pending(d, 100), 1);
	assert_int_equal(unindexed(), 0);
	assert_int_equal(search_published(), search_indexed(d));
}

static void test_rank_title_first_then_frequency(void **state)
{
	(void)state;
	index_now(1, NULL, "ネットワークの設定について一度だけ");
	index_now(2, "ネットワーク機器の更新", "来月の定例会では、各社の取り組みを順番に紹介していただきます。資料は前日までに"
						 "共有フォルダへ置いてください。時間は一社あたり十五分を目安にお願いします。");
	index_now(3, NULL, "ネットワーク ネットワーク ネットワーク ネットワーク ネットワーク ネットワーク");
	index_now(4, NULL, "関係のない投稿");
	char *r = ranked("ネットワーク");
	assert_string_equal(r, "2,3,1"); /* a title match outranks any body, however often the body has it; then six hits, then one */
	free(r);
	/* folded on both sides: full-width and case */
	index_now(5, NULL, "ＶＰＮ の障害");
	r = ranked("vpn");
	assert_string_equal(r, "5");
	free(r);
	/* FTS5 syntax in a query is searched for, never run */
	r = ranked("ネットワーク OR 関係のない");
	assert_string_equal(r, "");
	free(r);
}

/* search_rank exists on every new connection: db_open runs the features' db_open hook. */
static void test_registered_on_every_connection(void **state)
{
	(void)state;
	struct db *e;
	assert_int_equal(db_open(dir, false, &e), 0);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db_handle(e), "SELECT search_rank(search_fts) FROM search_fts"
							   " WHERE search_fts MATCH 'abc'", -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_finalize(st);
	db_close(e);
}

static void test_unindex(void **state)
{
	(void)state;
	index_now(10, NULL, "消える予定の文章");
	char *r = ranked("消える予定");
	assert_string_equal(r, "10");
	free(r);
	assert_int_equal(db_tx_begin(d, "test"), 0);
	assert_int_equal(search_unindex_post(d, 10), 0);
	assert_int_equal(search_unindex_post(d, 10), 0); /* twice: the same */
	assert_int_equal(db_tx_commit(d), 0);
	r = ranked("消える予定"); /* still indexed until the indexer applies the queued removal */
	assert_string_equal(r, "10");
	free(r);
	assert_int_equal(search_index_pending(d, 100), 1);
	assert_int_equal(search_index_pending(d, 100), 0); /* nothing above the mark */
	r = ranked("消える予定");
	assert_string_equal(r, "");
	free(r);
}

/* Indexing in chunks raises the mark chunk by chunk; the writer's before_commit then removes the
 * rows at or below the mark the indexer published, and only those. Applying a row again (a crash
 * between search.db's commit and the queue's cleanup) leaves the same index. */
static void test_mark_and_cleanup(void **state)
{
	(void)state;
	assert_int_equal(db_tx_begin(d, "test"), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(search_index_post(d, 100 + i, NULL, "待ち行列の投稿"), 0);
	assert_int_equal(db_tx_commit(d), 0);
	assert_int_equal(unindexed(), 5);
	assert_int_equal(search_index_pending(d, 3), 3);
	assert_int_equal(unindexed(), 2);
	char *r = ranked("待ち行列");
	assert_string_equal(r, "100,101,102");
	free(r);
	assert_int_equal(db_tx_begin(d, "test"), 0);
	assert_int_equal(search_before_commit(d, 0), 0);
	assert_int_equal(db_tx_commit(d), 0);
	assert_int_equal(db_one_int64(db_stmt(d, "SELECT count(*) FROM search_pending"), -1), 2);
	/* the same rows applied again: the mark back, as after a crash before the cleanup */
	assert_int_equal(db_exec(d, "UPDATE search.search_state SET v = 0 WHERE k = 'indexed'"), 0);
	assert_int_equal(search_index_pending(d, 100), 2);
	r = ranked("待ち行列");
	assert_string_equal(r, "100,101,102,103,104");
	free(r);
	assert_int_equal(db_one_int64(db_stmt(d, "SELECT count(*) FROM search.search_fts"), -1),
			 db_one_int64(db_stmt(d, "SELECT count(DISTINCT rowid) FROM search.search_fts"), -2));
	/* a replaced row gets a higher seq: queued again above the mark */
	assert_int_equal(db_tx_begin(d, "test"), 0);
	assert_int_equal(search_index_post(d, 100, NULL, "書き直した投稿"), 0);
	assert_int_equal(db_tx_commit(d), 0);
	assert_int_equal(unindexed(), 1);
	assert_int_equal(search_index_pending(d, 100), 1);
	r = ranked("待ち行列");
	assert_string_equal(r, "101,102,103,104");
	free(r);
	r = ranked("書き直した");
	assert_string_equal(r, "100");
	free(r);
}

static void test_helpers(void **state)
{
	(void)state;
	const char *s = "a\xE3\x80\x80\xC3";
	const char *end = s + strlen(s);
	assert_int_equal(search_cp_len(s, end), 1);
	assert_int_equal(search_cp_len(s + 1, end), 3);
	assert_int_equal(search_cp_len(s + 4, end), 1); /* truncated: one byte */
	assert_true(search_is_space(' ') && search_is_space('\n'));
	assert_false(search_is_space('a'));
	struct buf b = {0};
	search_put_hex(&b, 'u', "\xE3\x81\x82", 3);
	assert_string_equal(buf_cstr(&b), "ue38182");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rank_title_first_then_frequency),
		cmocka_unit_test(test_registered_on_every_connection),
		cmocka_unit_test(test_unindex),
		cmocka_unit_test(test_mark_and_cleanup),
		cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
