/* test_registry.c — the registry's pure rules (server/registry.c): JSIC division → track for
 * every letter, and SME eligibility at and around each class's two ceilings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "registry.h"

#include <string.h>

static void test_track_every_letter(void **state)
{
	(void)state;
	for (char c = 'A'; c <= 'Z'; c++) {
		const char *t = registry_track(c);
		if (c == 'D' || c == 'E' || c == 'F')
			assert_string_equal(t, "monozukuri");
		else if ((c >= 'G' && c <= 'P') || (c >= 'R' && c <= 'T'))
			assert_string_equal(t, "service");
		else
			assert_null(t); /* A, B, C, Q, U..Z */
	}
	assert_null(registry_track('d')); /* callers normalise case first */
	assert_null(registry_track('1'));
	assert_null(registry_track(0));
}

struct sme_case {
	const char *cls;
	int64_t capital, employees;
	int want;
};

static void test_sme_boundaries(void **state)
{
	(void)state;
	static const struct sme_case cases[] = {
		/* retail: 50,000,000 yen or 50 employees */
		{"retail", 50000000, 51, 1},
		{"retail", 50000001, 51, 0},
		{"retail", 50000001, 50, 1},
		{"retail", 0, 0, 1},
		{"retail", 900000000, 9000, 0},
		/* service: 50,000,000 or 100 */
		{"service", 50000000, 101, 1},
		{"service", 50000001, 101, 0},
		{"service", 50000001, 100, 1},
		/* wholesale: 100,000,000 or 100 */
		{"wholesale", 100000000, 101, 1},
		{"wholesale", 100000001, 101, 0},
		{"wholesale", 100000001, 100, 1},
		/* manufacturing and others: 300,000,000 or 300 */
		{"manufacturing_other", 300000000, 301, 1},
		{"manufacturing_other", 300000001, 301, 0},
		{"manufacturing_other", 300000001, 300, 1},
		/* a figure above one class's ceiling can be within another's */
		{"retail", 60000000, 80, 0},
		{"service", 60000000, 80, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int got = registry_is_sme(cases[i].cls, cases[i].capital, cases[i].employees);
		if (got != cases[i].want)
			fail_msg("%s capital %lld employees %lld: got %d want %d", cases[i].cls,
				 (long long)cases[i].capital, (long long)cases[i].employees, got,
				 cases[i].want);
	}
}

static void test_sme_unknown_class(void **state)
{
	(void)state;
	assert_int_equal(registry_is_sme("manufacturing", 1, 1), -1);
	assert_int_equal(registry_is_sme("Retail", 1, 1), -1);
	assert_int_equal(registry_is_sme("", 1, 1), -1);
	assert_int_equal(registry_is_sme(NULL, 1, 1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_track_every_letter),
		cmocka_unit_test(test_sme_boundaries),
		cmocka_unit_test(test_sme_unknown_class),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
