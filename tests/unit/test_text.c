/* test_text.c — search folding (full/half width, kana sound marks, case) and FTS5 query building,
 * the latter checked against a real in-memory SQLite FTS5 trigram table: hostile input must
 * never be a syntax error and must find its literal text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "util.h"

static void assert_fold(const char *in, const char *want)
{
	char *got = text_fold_new(in, strlen(in));
	if (strcmp(got, want))
		fail_msg("fold [%s]: got [%s], want [%s]", in, got, want);
	free(got);
}

static void test_fold_width_and_case(void **state)
{
	(void)state;
	assert_fold("ＵＴＭ", "utm");
	assert_fold("Ｈｅｌｌｏ，　Ｗｏｒｌｄ！１２３", "hello, world!123");
	assert_fold("　", " ");
	assert_fold("ＡＢＣ　ＤＥＦ", "abc def");
	assert_fold("！＂＃～", "!\"#~");
	assert_fold("Mixed CASE ascii", "mixed case ascii");
	/* outside the folded ranges text is unchanged: non-ASCII case, kanji, hiragana, emoji */
	assert_fold("ÄÖ Straße 対策 ひらがな カタカナ 😀 ￥", "ÄÖ straße 対策 ひらがな カタカナ 😀 ￥");
}

static void test_fold_halfwidth_katakana(void **state)
{
	(void)state;
	assert_fold("ｱｲﾃｨｰ", "アイティー");
	assert_fold("ｶﾞｲﾄﾞ", "ガイド");
	assert_fold("ﾊﾟｿｺﾝ ﾍﾞﾝﾁ ｳﾞｧ ﾎﾟｽﾄ", "パソコン ベンチ ヴァ ポスト");
	assert_fold("ﾂﾞﾃﾞﾄﾞｻﾞｼﾞｽﾞｾﾞｿﾞﾀﾞﾁﾞｷﾞｸﾞｹﾞｺﾞ", "ヅデドザジズゼゾダヂギグゲゴ");
	assert_fold("ﾜﾞｦﾞ", "ヷヺ");
	assert_fold("｡｢ｺﾝﾆﾁﾊ｣､･ｯｬ", "。「コンニチハ」、・ッャ");
	/* a mark after a kana that has no voiced form, or standing alone, becomes the combining
	 * mark (as NFKC does) */
	assert_fold("ｱﾞ", "ア\xE3\x82\x99");
	assert_fold("ﾞﾟ", "\xE3\x82\x99\xE3\x82\x9A");
	assert_fold("ｶﾟ", "カ\xE3\x82\x9A");
	/* full-width kana with a half-width or combining mark compose the same way */
	assert_fold("カﾞ", "ガ");
	assert_fold("ハ\xE3\x82\x9A", "パ");
	assert_fold("ガイド", "ガイド");
}

static void test_fold_invalid_utf8(void **state)
{
	(void)state;
	const char in[] = "a\xFF" "b\xE3\x81" "c\xC0\xAF" "d\xED\xA0\x80" "e\0f";
	char *got = text_fold_new(in, sizeof in - 1);
	assert_true(utf8_valid(got, strlen(got)));
	assert_string_equal(got, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD"
				 "c\xEF\xBF\xBD\xEF\xBF\xBD"
				 "d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
				 "e\xEF\xBF\xBD" "f");
	free(got);
	/* a half-width kana at the very end, and a truncated sequence after one */
	assert_fold("ｶ", "カ");
	assert_fold("ｶ\xE3", "カ\xEF\xBF\xBD");
	got = text_fold_new("", 0);
	assert_string_equal(got, "");
	free(got);
}

static void test_codepoints(void **state)
{
	(void)state;
	assert_int_equal(text_codepoints("", 0), 0);
	assert_int_equal(text_codepoints("abc", 3), 3);
	assert_int_equal(text_codepoints("対策", strlen("対策")), 2);
	assert_int_equal(text_codepoints("😀a", strlen("😀a")), 2);
	assert_int_equal(text_codepoints("\xFF\xFE", 2), 2);
	assert_int_equal(text_codepoints("a\xE3\x81", 3), 3);
}

static void test_like_escape(void **state)
{
	(void)state;
	char *s = text_like_escape_new("100%_a\\b");
	assert_string_equal(s, "100\\%\\_a\\\\b");
	free(s);
	s = text_like_escape_new("");
	assert_string_equal(s, "");
	free(s);
}

/* Builds the query for q and checks the expression and the short terms. */
static void assert_query(const char *q, const char *want_expr, const char *const *want_short,
			 size_t nshort)
{
	char **shorts = NULL;
	char *expr = text_fts_query_new(q, &shorts);
	if (want_expr)
		assert_non_null(expr);
	if (want_expr && strcmp(expr, want_expr))
		fail_msg("query [%s]: got [%s], want [%s]", q, expr, want_expr);
	if (!want_expr && expr)
		fail_msg("query [%s]: got [%s], want NULL", q, expr);
	assert_non_null(shorts);
	size_t i = 0;
	for (; shorts[i]; i++) {
		assert_true(i < nshort);
		assert_string_equal(shorts[i], want_short[i]);
	}
	assert_int_equal(i, nshort);
	free(expr);
	text_terms_free(shorts);
}

static void test_fts_query_shape(void **state)
{
	(void)state;
	assert_query("hello world", "\"hello\" \"world\"", NULL, 0);
	assert_query("  ＵＴＭ　ｶﾞｲﾄﾞ\t\n", "\"utm\" \"ガイド\"", NULL, 0);
	assert_query("say \"hi there\"", "\"say\" \"\"\"hi\" \"there\"\"\"", NULL, 0);
	assert_query("abc OR def", "\"abc\" \"def\"", (const char *const[]){"or"}, 1);
	assert_query("abc NOT def*", "\"abc\" \"not\" \"def*\"", NULL, 0);
	const char *const ja[] = {"対策"};
	assert_query("対策 セキュリティ", "\"セキュリティ\"", ja, 1);
	assert_query("対策", NULL, ja, 1);
	assert_query("", NULL, NULL, 0);
	assert_query(" \t　 ", NULL, NULL, 0);
	/* the caller may not want the short terms */
	char *expr = text_fts_query_new("ab cde", NULL);
	assert_string_equal(expr, "\"cde\"");
	free(expr);
	text_terms_free(NULL);
}

/* ---- against SQLite ---- */

static const char *const docs[] = {
	"UTM の設定ガイド",
	"plain english text about firewalls",
	"hostile \"quoted\" text with * and NEAR(a b) OR (c) col:umn ^start -minus +plus",
	"ｾｷｭﾘﾃｨ対策 の話",
	"100% sure_thing",
	"{col1 col2}: x AND y NOT z",
};

static sqlite3 *open_index(void)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE VIRTUAL TABLE idx USING fts5(body, tokenize='trigram');",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO idx(rowid, body) VALUES (?, ?)", -1, &st,
					    NULL),
			 SQLITE_OK);
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		char *folded = text_fold_new(docs[i], strlen(docs[i]));
		sqlite3_bind_int64(st, 1, (sqlite3_int64)i + 1);
		sqlite3_bind_text(st, 2, folded, -1, free);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return db;
}

/* Runs the user query q as the server would (MATCH for long terms, instr() on the folded text
 * for short ones, all ANDed) and returns a bit mask of the matching rowids; fails the test on
 * any SQLite error. */
static unsigned search(sqlite3 *db, const char *q)
{
	char **shorts;
	char *expr = text_fts_query_new(q, &shorts);
	struct buf sql = {0};
	buf_puts(&sql, "SELECT rowid FROM idx WHERE 1");
	if (expr)
		buf_puts(&sql, " AND idx MATCH ?1");
	for (size_t i = 0; shorts[i]; i++)
		buf_printf(&sql, " AND instr(body, ?%zu) > 0", i + 2);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, buf_cstr(&sql), -1, &st, NULL);
	if (rc != SQLITE_OK)
		fail_msg("prepare for [%s]: %s", q, sqlite3_errmsg(db));
	if (expr)
		sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
	for (size_t i = 0; shorts[i]; i++)
		sqlite3_bind_text(st, (int)i + 2, shorts[i], -1, SQLITE_STATIC);
	unsigned mask = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		mask |= 1u << sqlite3_column_int(st, 0);
	if (rc != SQLITE_DONE)
		fail_msg("query [%s] (MATCH %s): %s", q, expr ? expr : "-", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	buf_free(&sql);
	free(expr);
	text_terms_free(shorts);
	return mask;
}

static void test_fts_against_sqlite(void **state)
{
	(void)state;
	sqlite3 *db = open_index();

	/* folding on both sides: width and case do not matter */
	assert_int_equal(search(db, "utm"), 1u << 1);
	assert_int_equal(search(db, "ＵＴＭ ガイド"), 1u << 1);
	assert_int_equal(search(db, "ｾｷｭﾘﾃｨ"), 1u << 4);
	assert_int_equal(search(db, "セキュリティ対策"), 1u << 4);
	assert_int_equal(search(db, "FIREWALLS english"), 1u << 2);

	/* two-character and one-character terms go through short_terms and still find text */
	assert_int_equal(search(db, "対策"), 1u << 4);
	assert_int_equal(search(db, "の"), (1u << 1) | (1u << 4));
	assert_int_equal(search(db, "の 設定"), 1u << 1);

	/* FTS5 syntax in the input is literal text, never an error */
	assert_int_equal(search(db, "\"quoted\""), 1u << 3);
	assert_int_equal(search(db, "NEAR(a b)"), 1u << 3);
	assert_int_equal(search(db, "OR (c)"), 1u << 3);
	assert_int_equal(search(db, "col:umn"), 1u << 3);
	assert_int_equal(search(db, "^start"), 1u << 3);
	assert_int_equal(search(db, "-minus +plus"), 1u << 3);
	assert_int_equal(search(db, "with *"), 1u << 3);
	assert_int_equal(search(db, "{col1 col2}:"), 1u << 6);
	assert_int_equal(search(db, "AND NOT"), 1u << 6);
	assert_int_equal(search(db, "100%"), 1u << 5);
	assert_int_equal(search(db, "sure_thing"), 1u << 5);

	/* hostile input that matches nothing must still run without error */
	const char *const hostile[] = {
		"\"",		 "\"\"\"",	   "*",	       "***",	      "NEAR(",	     "a OR",
		"AND",		 "NOT",		   "OR",       "(((",	      ")))",	     "body:",
		"body : x",	 "{body}: x",	   "- abc",    "abc*",	      "^",	     "\"abc",
		"abc\"",	 "x\" OR \"y",	   "NEAR(\"a\" \"b\", 1)", "\\\"\\", "'; DROP TABLE idx; --",
		"\xFF\xFE\xFD", "ｶﾞ\"ｶﾞ\"",	   "　\"　",   "rowid:1",     "idx:abc",     "+",
	};
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
		(void)search(db, hostile[i]);
	assert_int_equal(search(db, "'; DROP TABLE idx; --"), 0);
	assert_int_equal(search(db, "firewalls"), 1u << 2); /* the table is still there */

	sqlite3_close(db);
}

/* The one blank rule (text_blank): white space of every script is blank, any visible character
 * is not, invalid UTF-8 is not. */
static void test_blank(void **state)
{
	(void)state;
	const char *blank[] = {"", " ", "\t\r\n", "\xE3\x80\x80" /* U+3000 */, "\xC2\xA0" /* U+00A0 */,
			       "\xE2\x80\x80\xE2\x80\x8A" /* U+2000 U+200A */, "\xE2\x80\x8B" /* U+200B */,
			       "\xEF\xBB\xBF" /* U+FEFF */, "\xE2\x80\xA8\xE2\x80\xAF" /* U+2028 U+202F */,
			       "\xC2\x85\xE1\x9A\x80\xE2\x81\x9F\xE2\x81\xA0" /* U+0085 U+1680 U+205F U+2060 */};
	for (size_t i = 0; i < sizeof blank / sizeof *blank; i++)
		assert_true(text_blank(blank[i]));
	const char *visible[] = {"a", " a ", "\xE3\x80\x80\xE9\xA1\x8C" /* 　題 */, "\xE3\x80\x81" /* U+3001 、 */,
				 "\xE2\x80\x8C" /* U+200C ZWNJ: not blank by our rule */, "\xC2" /* truncated */,
				 "\xE0\x80\xA0" /* overlong space */, "\xED\xA0\x80" /* surrogate */, "_"};
	for (size_t i = 0; i < sizeof visible / sizeof *visible; i++)
		assert_false(text_blank(visible[i]));
}

/* The one UTF-8 decoder (utf8_decode) and what is built on it. */
static void test_utf8_decode(void **state)
{
	(void)state;
	uint32_t cp = 0;
	assert_int_equal(utf8_decode("A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(utf8_decode("\xC2\xA0", 2, &cp), 2);
	assert_int_equal(cp, 0xA0);
	assert_int_equal(utf8_decode("\xE3\x80\x80", 3, &cp), 3);
	assert_int_equal(cp, 0x3000);
	assert_int_equal(utf8_decode("\xF0\x9F\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1F600);
	assert_int_equal(utf8_decode("\xF4\x8F\xBF\xBF", 4, &cp), 4);
	assert_int_equal(cp, 0x10FFFF);
	const char *bad[] = {"\x80", "\xC0\x80", "\xC1\xBF", "\xE0\x9F\xBF", "\xED\xA0\x80", "\xF0\x8F\xBF\xBF",
			     "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xE3\x80", "\xE3\x41\x80", "\xFF"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(utf8_decode(bad[i], strlen(bad[i]), &cp), 0);
		assert_false(utf8_valid(bad[i], strlen(bad[i])));
	}
	assert_int_equal(utf8_decode("\xE3\x80\x80", 2, &cp), 0); /* n bounds the read */
	assert_int_equal(utf8_decode("", 0, &cp), 0);
	assert_true(utf8_valid("a\xE3\x80\x80\xF0\x9F\x98\x80", 8));
	struct buf b = {0};
	buf_put_codepoint(&b, 0x3000);
	buf_put_codepoint(&b, 0);      /* NUL → U+FFFD */
	buf_put_codepoint(&b, 0xD800); /* surrogate → U+FFFD */
	buf_put_codepoint(&b, 0x1F600);
	assert_int_equal(b.len, 3 + 3 + 3 + 4);
	assert_memory_equal(b.data, "\xE3\x80\x80\xEF\xBF\xBD\xEF\xBF\xBD\xF0\x9F\x98\x80", b.len);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_width_and_case),
		cmocka_unit_test(test_fold_halfwidth_katakana),
		cmocka_unit_test(test_fold_invalid_utf8),
		cmocka_unit_test(test_codepoints),
		cmocka_unit_test(test_like_escape),
		cmocka_unit_test(test_fts_query_shape),
		cmocka_unit_test(test_fts_against_sqlite),
		cmocka_unit_test(test_blank),
		cmocka_unit_test(test_utf8_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
