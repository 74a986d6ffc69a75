/* test_visit.c — the pure parts of expert dispatch (docs/DISPATCH.md): the checklist keys per
 * stage (docs/API.md §10, word for word) and the due day of the behind-timing rule: a program
 * year starts on 1 April in Japan time, January–March days belong to the next calendar year, a
 * day past the month's end is its last day, and the day ends at midnight Japan time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "visit.h"

static int64_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
	return (int64_t)timegm(&tm);
}

static void test_checklist_keys(void **state)
{
	(void)state;
	static const char *const want[5][2] = {{NULL, NULL},
					       {"problems_shared", "vision_aligned"},
					       {"goals_set", "year_plan_clear"},
					       {"learning_applied", "plan_reviewable"},
					       {"next_year_clear", "plan_reflects_expert"}};
	for (int s = 1; s <= 4; s++)
		for (int i = 0; i < VISIT_CHECKLIST_KEYS; i++)
			assert_string_equal(visit_checklist_key(s, i), want[s][i]);
	assert_null(visit_checklist_key(0, 0));
	assert_null(visit_checklist_key(5, 0));
	assert_null(visit_checklist_key(1, 2));
	assert_null(visit_checklist_key(1, -1));
}

static void test_due_day(void **state)
{
	(void)state;
	/* In December 2026 (program year 2026): 08-10 is 2026-08-10, ending 2026-08-10T15:00Z. */
	int64_t dec = utc(2026, 12, 3, 8, 0);
	assert_int_equal(visit_due_end(810, dec), utc(2026, 8, 10, 15, 0));
	/* 02-29 in program year 2026 is the end of February 2027 (not a leap year): 02-28. */
	assert_int_equal(visit_due_end(229, dec), utc(2027, 2, 28, 15, 0));
	/* Program year 2027: February 2028 has a 29th. */
	assert_int_equal(visit_due_end(229, utc(2027, 6, 1, 0, 0)), utc(2028, 2, 29, 15, 0));
	/* In March 2027 we are still in program year 2026. */
	assert_int_equal(visit_due_end(810, utc(2027, 3, 31, 14, 59)), utc(2026, 8, 10, 15, 0));
	/* 31 March 15:00 UTC is 1 April in Japan: program year 2027 has begun. */
	assert_int_equal(visit_due_end(810, utc(2027, 3, 31, 15, 0)), utc(2027, 8, 10, 15, 0));
	/* A day past the month's end is its last day; 12-31 ends at the new year in Japan. */
	assert_int_equal(visit_due_end(431, dec), utc(2026, 4, 30, 15, 0));
	assert_int_equal(visit_due_end(1231, dec), utc(2026, 12, 31, 15, 0));
	assert_int_equal(visit_due_end(101, dec), utc(2027, 1, 1, 15, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checklist_keys),
		cmocka_unit_test(test_due_day),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
