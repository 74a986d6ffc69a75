/* test_kinds.c — the table of notification kinds: lookup (with the audience variant and the
 * fallback), languages, and the template filler used for mail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kinds.h"

static void assert_render(const char *tmpl, const char *params, const char *text, const char *want)
{
	json_t *p = params ? json_loads(params, 0, NULL) : NULL;
	char *got = kinds_render_new(tmpl, p, text, "(none)", "https://m.example");
	if (strcmp(got, want))
		fail_msg("render(%s, %s, %s) = \"%s\", want \"%s\"", tmpl, params, text, got, want);
	free(got);
	json_decref(p);
}

static void test_render(void **state)
{
	(void)state;
	assert_render("Due: {due_at} ({hours} h)", "{\"due_at\":\"2026-12-04T17:00:00+09:00\",\"hours\":16.0}", NULL,
		      "Due: 2026-12-04T17:00:00+09:00 (16 h)");
	assert_render("{document_title}（第{version}版）", "{\"document_title\":\"NDA\",\"version\":3}", NULL, "NDA（第3版）");
	assert_render("Note:\n{text}", "{}", "", "Note:\n(none)");
	assert_render("Note:\n{text}", NULL, "hello {due_at}", "Note:\nhello {due_at}"); /* text is not re-read */
	assert_render("{missing}|{base_url}/", "{}", NULL, "|https://m.example/");
	assert_render("{ not a name } {", "{}", NULL, " {"); /* an unknown placeholder is dropped */
	assert_render("plain", "{}", NULL, "plain");
	assert_render("", NULL, NULL, "");
}

static void test_find(void **state)
{
	(void)state;
	json_t *staff = json_pack("{s:s}", "audience", "secretariat");
	json_t *expert = json_pack("{s:s}", "audience", "expert");
	assert_string_equal(kinds_find("escalation.overdue", staff)->kind, "escalation.overdue:secretariat");
	assert_string_equal(kinds_find("escalation.overdue", expert)->kind, "escalation.overdue");
	assert_string_equal(kinds_find("escalation.overdue", NULL)->kind, "escalation.overdue");
	assert_string_equal(kinds_find("question.answered", staff)->kind, "question.answered");
	assert_string_equal(kinds_find("escalation", NULL)->kind, "other");
	assert_string_equal(kinds_find(NULL, NULL)->kind, "other");
	assert_null(kinds_find("reply", NULL)->pref);
	assert_string_equal(kinds_find("consent_version", NULL)->pref, "consent");
	json_decref(staff);
	json_decref(expert);
}

static void test_every_kind_speaks_both_languages(void **state)
{
	(void)state;
	const char *names[] = {"reply", "mention", "flag", "consent_version", "escalation.assigned",
			       "escalation.reminder", "escalation.declined", "escalation.overdue",
			       "question.answered", "answer.accepted", "question.resolved", "other"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const struct notice_kind *k = kinds_find(names[i], NULL);
		assert_string_equal(k->kind, names[i]);
		assert_non_null(k->text[LANG_JA].label);
		assert_non_null(k->text[LANG_EN].label);
		assert_true((k->text[LANG_JA].detail == NULL) == (k->text[LANG_EN].detail == NULL));
	}
	assert_int_equal(kinds_lang("en"), LANG_EN);
	assert_int_equal(kinds_lang("ja"), LANG_JA);
	assert_int_equal(kinds_lang(NULL), LANG_JA);
	assert_int_equal(kinds_lang("fr"), LANG_JA);
	assert_true(kinds_lang_valid("en") && kinds_lang_valid("ja"));
	assert_false(kinds_lang_valid("EN") || kinds_lang_valid("") || kinds_lang_valid(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_every_kind_speaks_both_languages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
