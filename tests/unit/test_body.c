/* test_body.c — body_check: a request body against its route's declared members (body.h). */
#include "body.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static const struct body_spec spec[] = {
	{"company_id", BODY_INT, BODY_REQUIRED | BODY_POSITIVE, 0},
	{"title", BODY_STR, BODY_REQUIRED | BODY_NOT_BLANK | BODY_LINE, 12},
	{"body", BODY_STR, BODY_NOT_BLANK, 0},
	{"count", BODY_INT, 0, 10},
	{"open", BODY_BOOL, 0, 0},
	{"ids", BODY_ARRAY, 0, 0},
	{"meta", BODY_OBJECT, 0, 0},
	{0},
};

/* body_check of the JSON text, with its message in err. */
static int check(const char *text, char *err, size_t n)
{
	json_t *j = json_loads(text, JSON_ALLOW_NUL, NULL);
	assert_non_null(j);
	err[0] = '\0';
	int rc = body_check(spec, j, err, n);
	json_decref(j);
	return rc;
}

static void expect_ok(const char *text)
{
	char err[160];
	if (check(text, err, sizeof err) != 0)
		fail_msg("%s refused: %s", text, err);
}

static void expect_refused(const char *text, const char *msg)
{
	char err[160];
	assert_int_equal(check(text, err, sizeof err), -1);
	assert_string_equal(err, msg);
}

static void test_accepts_well_formed(void **state)
{
	(void)state;
	expect_ok("{\"company_id\": 3, \"title\": \"資産台帳\"}");
	expect_ok("{\"company_id\": 3, \"title\": \"x\", \"body\": \"本文\", \"count\": 10, \"open\": false,"
		  " \"ids\": [1], \"meta\": {}}");
	/* null reads as absent; members nobody declared are not looked at */
	expect_ok("{\"company_id\": 1, \"title\": \"x\", \"body\": null, \"extra\": [1, 2]}");
}

static void test_required(void **state)
{
	(void)state;
	expect_refused("{\"title\": \"x\"}", "company_id is required");
	expect_refused("{\"company_id\": null, \"title\": \"x\"}", "company_id is required");
	expect_refused("{\"company_id\": 1}", "title is required");
}

static void test_types(void **state)
{
	(void)state;
	expect_refused("{\"company_id\": \"1\", \"title\": \"x\"}", "company_id must be an integer");
	expect_refused("{\"company_id\": 1.5, \"title\": \"x\"}", "company_id must be an integer");
	expect_refused("{\"company_id\": 1, \"title\": 5}", "title must be a string");
	expect_refused("{\"company_id\": 1, \"title\": \"x\", \"open\": 1}", "open must be true or false");
	expect_refused("{\"company_id\": 1, \"title\": \"x\", \"ids\": {}}", "ids must be an array");
	expect_refused("{\"company_id\": 1, \"title\": \"x\", \"meta\": []}", "meta must be an object");
}

static void test_limits(void **state)
{
	(void)state;
	expect_refused("{\"company_id\": 0, \"title\": \"x\"}", "company_id must be a positive integer");
	expect_refused("{\"company_id\": -4, \"title\": \"x\"}", "company_id must be a positive integer");
	expect_refused("{\"company_id\": 1, \"title\": \"x\", \"count\": 11}", "count must be at most 10");
	expect_ok("{\"company_id\": 1, \"title\": \"123456789012\"}");
	expect_refused("{\"company_id\": 1, \"title\": \"1234567890123\"}", "title is longer than 12 bytes");
	/* bytes, not characters: five kana are 15 bytes */
	expect_refused("{\"company_id\": 1, \"title\": \"あいうえお\"}", "title is longer than 12 bytes");
	expect_refused("{\"company_id\": 1, \"title\": \"a\\nb\"}", "title must be one line without control characters");
	expect_refused("{\"company_id\": 1, \"title\": \"a\\u0000b\"}", "title holds a NUL character");
}

/* The one blank rule (text_blank): the full-width space a Japanese keyboard types is blank. */
static void test_blank(void **state)
{
	(void)state;
	expect_refused("{\"company_id\": 1, \"title\": \"\"}", "title is empty");
	expect_refused("{\"company_id\": 1, \"title\": \"\\u3000\\u3000\"}", "title is empty");
	expect_refused("{\"company_id\": 1, \"title\": \"x\", \"body\": \" \\t\\n\"}", "body is empty");
	expect_ok("{\"company_id\": 1, \"title\": \"x\", \"body\": \"\\u3000a\"}");
}

static void test_find(void **state)
{
	(void)state;
	assert_ptr_equal(body_find(spec, "count"), &spec[3]);
	assert_null(body_find(spec, "nope"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_well_formed), cmocka_unit_test(test_required), cmocka_unit_test(test_types),
		cmocka_unit_test(test_limits),		    cmocka_unit_test(test_blank),    cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
