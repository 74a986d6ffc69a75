/* test_consent.c — the consent report's CSV fields (server/consent_report.c): RFC 4180 quoting, and the
 * apostrophe that keeps a name typed as a formula from running in the secretariat's Excel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "consent.h"
#include "util.h"

static void assert_field(const char *in, const char *want)
{
	struct buf b = {0};
	consent_csv_field(&b, in);
	const char *got = buf_cstr(&b);
	if (strcmp(got, want))
		fail_msg("field [%s]: got [%s], want [%s]", in ? in : "(null)", got, want);
	buf_free(&b);
}

static void test_plain_fields_unchanged(void **state)
{
	(void)state;
	assert_field("株式会社 山田製作所", "株式会社 山田製作所");
	assert_field("u1@example.jp", "u1@example.jp");
	assert_field("2026-11-25T11:00:00Z", "2026-11-25T11:00:00Z");
	assert_field("42", "42");
	assert_field("", "");
	assert_field(NULL, "");
	assert_field("a'b", "a'b");
}

static void test_quoting(void **state)
{
	(void)state;
	assert_field("山田, 太郎", "\"山田, 太郎\"");
	assert_field("say \"hi\"", "\"say \"\"hi\"\"\"");
	assert_field("line1\nline2", "\"line1\nline2\"");
	assert_field("cr\rhere", "\"cr\rhere\"");
	assert_field("\"", "\"\"\"\"");
}

static void test_formula_guard(void **state)
{
	(void)state;
	assert_field("=1+1", "'=1+1");
	assert_field("+81 3 1234", "'+81 3 1234");
	assert_field("-2", "'-2");
	assert_field("@SUM(A1)", "'@SUM(A1)");
	assert_field("\tx", "'\tx");
	/* guarded and quoted: the apostrophe goes inside the quotes */
	assert_field("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	/* only the first character matters */
	assert_field("a=b", "a=b");
	assert_field("メール@会社", "メール@会社");
}

static void test_appends(void **state)
{
	(void)state;
	struct buf b = {0};
	consent_csv_field(&b, "a,b");
	buf_puts(&b, ",");
	consent_csv_field(&b, "c");
	assert_string_equal(buf_cstr(&b), "\"a,b\",c");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_fields_unchanged),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_formula_guard),
		cmocka_unit_test(test_appends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
