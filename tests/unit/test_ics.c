/* test_ics.c — the iCalendar writer (ics.c, RFC 5545): TEXT escaping, folding at 75 octets that
 * never splits a UTF-8 sequence (Japanese at the boundary), CRLF only, the calendar frame, and
 * the standard rounds' dates (round.c) against the brochure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ics.h"
#include "round.h"
#include "util.h"

static char *escaped(const char *s)
{
	struct buf b = {0};
	ics_escape(&b, s, strlen(s));
	char *r = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return r;
}

static void assert_escape(const char *in, const char *want)
{
	char *got = escaped(in);
	if (strcmp(got, want))
		fail_msg("escape [%s]: got [%s], want [%s]", in, got, want);
	free(got);
}

static void test_escape(void **state)
{
	(void)state;
	assert_escape("a,b;c\\d", "a\\,b\\;c\\\\d");
	assert_escape("line1\nline2\r\nline3\rline4", "line1\\nline2\\nline3\\nline4");
	assert_escape("tab\tok", "tab\tok");
	assert_escape("bell\a and del\x7f", "bell and del");
	assert_escape("第1回：基礎", "第1回：基礎");
	assert_escape("bad \xff byte", "bad \xEF\xBF\xBD byte");
	assert_escape("cut \xE7\xAC", "cut \xEF\xBF\xBD\xEF\xBF\xBD");
	assert_escape("colon: stays", "colon: stays");
}

/* Checks the physical lines of b: CRLF ends, at most 75 octets, each valid UTF-8 on its own;
 * returns the unfolded text of the first content line (new string). */
static char *check_lines(const struct buf *b)
{
	assert_true(b->len >= 2 && b->data[b->len - 2] == '\r' && b->data[b->len - 1] == '\n');
	struct buf u = {0};
	size_t start = 0, lines = 0;
	for (size_t i = 0; i + 1 < b->len; i++) {
		if (b->data[i] == '\n')
			fail_msg("bare LF at %zu", i);
		if (b->data[i] != '\r')
			continue;
		assert_int_equal(b->data[i + 1], '\n');
		size_t len = i - start;
		if (len > 75)
			fail_msg("line of %zu octets", len);
		if (!utf8_valid(b->data + start, len))
			fail_msg("line %zu splits a UTF-8 sequence", lines);
		if (lines == 0)
			buf_append(&u, b->data + start, len);
		else if (b->data[start] == ' ')
			buf_append(&u, b->data + start + 1, len - 1);
		else
			break;
		lines++;
		start = i + 2;
		i++;
	}
	char *r = xstrdup(buf_cstr(&u));
	buf_free(&u);
	return r;
}

static void test_fold_ascii(void **state)
{
	(void)state;
	char line[200];
	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = 0;
	struct buf b = {0};
	ics_line(&b, line, strlen(line));
	/* 75 + (1 + 74) + (1 + 50) */
	assert_int_equal(b.len, 75 + 2 + 75 + 2 + 51 + 2);
	char *u = check_lines(&b);
	assert_string_equal(u, line);
	free(u);
	buf_free(&b);
	/* exactly 75 octets: one line, no fold */
	line[75] = 0;
	b = (struct buf){0};
	ics_line(&b, line, 75);
	assert_int_equal(b.len, 77);
	buf_free(&b);
}

/* A Japanese character (3 octets) straddling octet 75 at every offset: the fold moves before
 * it, never inside it. */
static void test_fold_multibyte_boundary(void **state)
{
	(void)state;
	for (int pad = 0; pad < 6; pad++) {
		struct buf l = {0};
		buf_puts(&l, "SUMMARY:");
		for (int i = 0; i < pad; i++)
			buf_puts(&l, "a");
		for (int i = 0; i < 60; i++)
			buf_puts(&l, i % 2 ? "回" : "🗓"); /* 3- and 4-octet sequences */
		struct buf b = {0};
		ics_line(&b, l.data, l.len);
		char *u = check_lines(&b);
		assert_string_equal(u, buf_cstr(&l));
		free(u);
		buf_free(&b);
		buf_free(&l);
	}
}

static void test_text_prop_round_trip(void **state)
{
	(void)state;
	const char *title = "第9回 技術的対策と物理的対策およびセキュリティ対策状況の有効性評価"
			    "【実施手順・実施者マニュアルレベル③】, 会場; 新宿\\7F";
	struct buf b = {0};
	ics_text_prop(&b, "SUMMARY", title);
	char *u = check_lines(&b);
	char *want_val = escaped(title);
	char *want = xasprintf("SUMMARY:%s", want_val);
	assert_string_equal(u, want);
	assert_non_null(strstr(want, "\\, 会場\\; 新宿\\\\7F"));
	free(u);
	free(want_val);
	free(want);
	buf_free(&b);
}

static void test_calendar_frame(void **state)
{
	(void)state;
	struct buf b = {0};
	ics_begin(&b, "mamori 研修日程");
	struct ics_event e = {.uid = "round-1-seminar@mamori-test",
			      .start = 1690257600, /* 2023-07-25T04:00:00Z = 13:00 JST */
			      .end = 1690264800,
			      .summary = "第1回 セミナー",
			      .location = "新宿, 7F",
			      .url = "https://example.jp/#/rounds/1"};
	ics_event(&b, &e, 1700000000);
	ics_end(&b);
	const char *s = buf_cstr(&b);
	assert_true(strncmp(s, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", 30) == 0);
	assert_non_null(strstr(s, "\r\nMETHOD:PUBLISH\r\n"));
	assert_non_null(strstr(s, "\r\nX-WR-CALNAME:mamori 研修日程\r\n"));
	assert_non_null(strstr(s, "\r\nTZID:Asia/Tokyo\r\n"));
	assert_non_null(strstr(s, "\r\nDTSTART;TZID=Asia/Tokyo:20230725T130000\r\n"));
	assert_non_null(strstr(s, "\r\nDTEND;TZID=Asia/Tokyo:20230725T150000\r\n"));
	assert_non_null(strstr(s, "\r\nDTSTAMP:20231114T221320Z\r\n"));
	assert_non_null(strstr(s, "\r\nUID:round-1-seminar@mamori-test\r\n"));
	assert_non_null(strstr(s, "\r\nLOCATION:新宿\\, 7F\r\n"));
	assert_true(b.len > 15 && strcmp(s + b.len - 15, "END:VCALENDAR\r\n") == 0);
	char *u = check_lines(&b);
	free(u);
	buf_free(&b);
}

static void test_standard_dates(void **state)
{
	(void)state;
	/* The brochure's 令和5年度: 7/25, 8/22, 9/12, 9/26, 10/10, 10/24, 11/14, 11/28, 12/19, 1/23. */
	static const int want[10][3] = {{2023, 7, 25},  {2023, 8, 22},  {2023, 9, 12},  {2023, 9, 26},
					{2023, 10, 10}, {2023, 10, 24}, {2023, 11, 14}, {2023, 11, 28},
					{2023, 12, 19}, {2024, 1, 23}};
	for (int i = 0; i < 10; i++) {
		int y, m, d;
		assert_int_equal(round_standard_date(2023, i, &y, &m, &d), 0);
		if (y != want[i][0] || m != want[i][1] || d != want[i][2])
			fail_msg("round %d: %d-%d-%d, want %d-%d-%d", i + 1, y, m, d, want[i][0], want[i][1], want[i][2]);
	}
	int y, m, d;
	assert_int_equal(round_standard_date(2023, 10, &y, &m, &d), -1);
	/* 2024-09-24 is a Tuesday after 秋分の日 (9/22, substitute 9/23): not a holiday, stays. A
	 * holiday Tuesday moves a week: 2026-09-22 is 国民の休日 → round 4 of FY2026 on 9/29. */
	assert_int_equal(round_standard_date(2026, 3, &y, &m, &d), 0);
	assert_int_equal(m, 9);
	assert_int_equal(d, 29);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_fold_ascii),
		cmocka_unit_test(test_fold_multibyte_boundary),
		cmocka_unit_test(test_text_prop_round_trip),
		cmocka_unit_test(test_calendar_frame),
		cmocka_unit_test(test_standard_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
