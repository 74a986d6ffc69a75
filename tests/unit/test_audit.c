/* test_audit.c — the hash-chained audit log: entries chain from the genesis hash, verify counts
 * them, and any change the append-only triggers would stop (an edited detail, a removed entry)
 * is found by audit_verify, which names the first entry that no longer matches. Targets are
 * spelt kind:id by audit_target. */
#include "audit.h"
#include "db.h"
#include "util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

static struct db *d;

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/mamori-test-audit-XXXXXX";
	if (!mkdtemp(tmpl) || db_open(tmpl, true, &d) < 0 || db_migrate(d) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	db_close(d);
	return 0;
}

/* Appends n entries in one transaction. */
static void append(int n)
{
	assert_int_equal(db_tx_begin(d, __func__), 0);
	for (int i = 0; i < n; i++) {
		json_t *detail = json_pack("{s:i, s:s}", "n", i, "名前", "資産台帳");
		assert_int_equal(audit_append_on(d, 1, "thing.test", "thing", i + 1, "127.0.0.1", detail), 0);
		json_decref(detail);
	}
	assert_int_equal(db_tx_commit(d), 0);
}

static void test_chain_verifies(void **state)
{
	(void)state;
	int64_t bad = -1;
	assert_int_equal(audit_verify(d, &bad), 0);
	append(5);
	assert_int_equal(audit_verify(d, &bad), 5);
	char t[AUDIT_TARGET_MAX];
	assert_string_equal(audit_target(t, "thread", 12), "thread:12");
	assert_int_equal(db_one_int64(db_stmt(d, "SELECT count(*) FROM audit_log WHERE target = 'thing:3'"), 0), 1);
}

static void test_edits_and_removals_are_found(void **state)
{
	(void)state;
	int64_t bad = 0;
	/* What the triggers stop through SQL, someone with the file could still do: simulate it. */
	assert_int_equal(db_exec(d, "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"), 0);
	assert_int_equal(db_exec(d, "CREATE TEMP TABLE kept AS SELECT detail FROM audit_log WHERE id = 3;"
				    "UPDATE audit_log SET detail = '{\"n\":9}' WHERE id = 3"),
			 0);
	assert_int_equal(audit_verify(d, &bad), -1);
	assert_int_equal(bad, 3);
	assert_int_equal(db_exec(d, "UPDATE audit_log SET detail = (SELECT detail FROM kept) WHERE id = 3"), 0);
	assert_int_equal(audit_verify(d, &bad), 5);
	assert_int_equal(db_exec(d, "DELETE FROM audit_log WHERE id = 4"), 0);
	assert_int_equal(audit_verify(d, &bad), -1);
	assert_int_equal(bad, 4); /* the id of the removed entry */
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_chain_verifies),
					   cmocka_unit_test(test_edits_and_removals_are_found)};
	return cmocka_run_group_tests(tests, setup, teardown);
}
