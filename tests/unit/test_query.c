/* test_query.c — query_parse, the router's reading of a query string against a route's declared
 * parameters: first value wins, names without case, '+' and %XX decoded, undeclared names
 * ignored, empty means absent; refused: invalid UTF-8, an encoded NUL, a signed or non-digit
 * integer, more than 18 digits, a page past MAX_PAGE_NUMBER — and a refusal leaves no value. */
#include "query.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

static const struct param_spec params[] = {{"q", PARAM_STR}, {"page", PARAM_INT}, {"company_id", PARAM_INT}, {0}};

static char *vals[MAX_QUERY_PARAMS];

/* Parses query; returns query_parse's result (vals filled). */
static int parse(const char *query)
{
	char err[160];
	for (int i = 0; i < MAX_QUERY_PARAMS; i++) {
		free(vals[i]);
		vals[i] = NULL;
	}
	return query_parse(query, params, vals, err, sizeof err);
}

static void test_values(void **state)
{
	(void)state;
	assert_int_equal(parse("q=%E8%B3%87%E7%94%A3+%E5%8F%B0%E5%B8%B3&page=2&other=x"), 0);
	assert_string_equal(vals[0], "資産 台帳");
	assert_string_equal(vals[1], "2");
	assert_null(vals[2]);
	assert_int_equal(parse("Q=first&q=second&company_id="), 0);
	assert_string_equal(vals[0], "first");
	assert_null(vals[2]); /* empty is absent */
	assert_int_equal(parse(""), 0);
	assert_int_equal(parse(NULL), 0);
	assert_null(vals[0]);
}

static void test_refusals_leave_nothing(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"q=ok&page=-1", "q=ok&page=%2B5", "q=ok&page=+5", "q=ok&page=1.0", "q=ok&page=0x10", "q=ok&company_id=1234567890123456789",
		"q=ok&page=1000001", "q=a%00b", "q=%FF", "q=%ED%A0%80",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (parse(bad[i]) != -1)
			fail_msg("accepted %s", bad[i]);
		for (int j = 0; j < MAX_QUERY_PARAMS; j++)
			assert_null(vals[j]);
	}
	assert_int_equal(parse("page=1000000&company_id=123456789012345678"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_values), cmocka_unit_test(test_refusals_leave_nothing)};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	for (int i = 0; i < MAX_QUERY_PARAMS; i++)
		free(vals[i]);
	return rc;
}
