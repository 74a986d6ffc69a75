/* test_application.c — application_contact_due (docs/API.md §8): 17:00 Asia/Tokyo on the third
 * business day after the Tokyo calendar day of receipt; dates around weekends, 成人の日,
 * 建国記念の日, 天皇誕生日 and 年末年始 against a count done here by hand, plus the Tokyo-day edge
 * (just before and just after midnight in Tokyo). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "application.h"
#include "util.h"

/* Epoch of y-m-d hh:mm in Tokyo (UTC+9). */
static int64_t jst(int y, int m, int d, int hh, int mm)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = hh, .tm_min = mm};
	return (int64_t)timegm(&tm) - 9 * 3600;
}

struct due_case {
	int y, m, d, hh, mm;    /* received, Tokyo time */
	int dy, dm, dd;         /* due date, 17:00 Tokyo */
};

static const struct due_case cases[] = {
	/* A plain week: Monday → Thursday, Wednesday → Monday (weekend skipped). */
	{2026, 11, 30, 10, 0, 2026, 12, 3},
	{2026, 12, 2, 10, 0, 2026, 12, 7},
	{2026, 12, 4, 10, 0, 2026, 12, 9},  /* Friday */
	{2026, 12, 5, 10, 0, 2026, 12, 9},  /* Saturday: counts from Monday like Friday does */
	{2026, 12, 6, 23, 59, 2026, 12, 9}, /* Sunday, a minute before midnight in Tokyo */
	{2026, 12, 7, 0, 0, 2026, 12, 10},  /* Monday 00:00 Tokyo (Sunday 15:00 UTC) */
	{2026, 12, 7, 16, 59, 2026, 12, 10},
	{2026, 12, 7, 23, 0, 2026, 12, 10}, /* after hours: still that Tokyo day */
	/* 年末年始: 29 December – 3 January are closed (and 1 January is a holiday). */
	{2026, 12, 24, 10, 0, 2027, 1, 4},
	{2026, 12, 25, 10, 0, 2027, 1, 5},
	{2026, 12, 28, 10, 0, 2027, 1, 6},
	{2026, 12, 30, 10, 0, 2027, 1, 6},
	{2027, 1, 3, 10, 0, 2027, 1, 6},
	{2027, 1, 4, 10, 0, 2027, 1, 7},
	/* 成人の日 (Monday 11 January 2027). */
	{2027, 1, 8, 10, 0, 2027, 1, 14},
	/* 建国記念の日 (Thursday 11 February 2027) and 天皇誕生日 (Tuesday 23 February 2027). */
	{2027, 2, 9, 12, 0, 2027, 2, 15},
	{2027, 2, 10, 12, 0, 2027, 2, 16},
	{2027, 2, 19, 12, 0, 2027, 2, 25},
};

static void test_due_dates(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct due_case *c = &cases[i];
		int64_t got = application_contact_due(jst(c->y, c->m, c->d, c->hh, c->mm));
		int64_t want = jst(c->dy, c->dm, c->dd, 17, 0);
		if (got != want)
			fail_msg("received %04d-%02d-%02d %02d:%02d JST: due %lld, want %04d-%02d-%02d 17:00 JST (%lld)",
				 c->y, c->m, c->d, c->hh, c->mm, (long long)got, c->dy, c->dm, c->dd, (long long)want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
