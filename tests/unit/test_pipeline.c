/* test_pipeline.c — the router's pipeline through a socketless worker (worker_client.h): each
 * refusal comes from its own step, in order (cross-site → Content-Type/JSON → session → role →
 * CSRF → declared query → declared body), and the router-owned write transaction keeps a refused
 * request from changing anything while an accepted one is committed with its audit entry. */
#include "crypto.h"
#include "session.h"
#include "worker_client.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static struct worker_client c;

#define TOKEN "pipeline-session-token-0123456789abcdefghijklmnopqrs"
#define CSRF "csrf-pipeline-0123456789"
#define COOKIE "Cookie: " SESSION_COOKIE "=" TOKEN "\r\n"
#define SIGNED COOKIE "X-CSRF-Token: " CSRF "\r\n"

/* Seeds the secretariat user 1 with the session TOKEN, and company 1. */
static int setup(void **state)
{
	(void)state;
	char hash[65];
	crypto_sha256_hex(TOKEN, strlen(TOKEN), hash);
	char *seed = xasprintf(
		"INSERT INTO users (id, email, name, role, status, created_at)"
		" VALUES (1, 'kanri@example.jp', '事務局', 'secretariat', 'active', 0);"
		"INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at)"
		" VALUES ('%s', 1, '" CSRF "', strftime('%%s','now'), strftime('%%s','now'));"
		"INSERT INTO companies (id, name, industry, sme_class, capital_yen, employees, track, created_at)"
		" VALUES (1, '株式会社テスト', 'E', 'manufacturing_other', 10000000, 30, 'monozukuri', 0);",
		hash);
	int rc = wc_open(&c, "mamori-test-pipeline", seed, NULL);
	free(seed);
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	wc_close(&c);
	return 0;
}

static int64_t count(const char *sql)
{
	return db_one_int64(db_stmt(c.w.db, sql), -1);
}

/* Calls and checks status and the error code in the body (NULL: no check). */
static void expect_answer(const char *method, const char *path, const char *headers, const char *body, int status,
			  const char *error)
{
	char *resp;
	int st = wc_call(&c, method, path, headers, body, &resp);
	if (st != status || (error && !strstr(wc_body(resp), error)))
		fail_msg("%s %s: expected %d %s, got %s", method, path, status, error ? error : "", resp);
	free(resp);
}

static void test_each_step_refuses_on_its_own(void **state)
{
	(void)state;
	expect_answer("GET", "/api/v1/nothing-here", NULL, NULL, 404, "\"not_found\"");
	expect_answer("DELETE", "/api/v1/health", NULL, NULL, 405, "\"method_not_allowed\"");
	expect_answer("POST", "/api/v1/cases", "Sec-Fetch-Site: cross-site\r\n" SIGNED, "{}", 403, "\"cross_site\"");
	expect_answer("POST", "/api/v1/cases", "Content-Type: text/plain\r\n" SIGNED, "{}", 415,
		      "\"unsupported_media_type\"");
	expect_answer("POST", "/api/v1/cases", SIGNED, "{\"company_id\": ", 400, "\"bad_request\"");
	expect_answer("POST", "/api/v1/cases", SIGNED, "[1]", 400, "\"bad_request\"");
	expect_answer("GET", "/api/v1/cases", NULL, NULL, 401, "\"unauthenticated\"");
	expect_answer("POST", "/api/v1/cases", COOKIE, "{}", 403, "\"csrf\"");
	expect_answer("GET", "/api/v1/users?company_id=abc", COOKIE, NULL, 400, "\"bad_request\"");
	expect_answer("POST", "/api/v1/cases", SIGNED, "{\"company_id\": 1}", 422, "title is required");
	expect_answer("GET", "/api/v1/cases", COOKIE, NULL, 200, NULL);
}

static void test_refused_writes_change_nothing(void **state)
{
	(void)state;
	int64_t audit = count("SELECT count(*) FROM audit_log");
	expect_answer("POST", "/api/v1/cases", SIGNED, "{\"company_id\": 1, \"title\": \"\u3000\", \"body\": \"x\"}", 422,
		      "title is empty");
	expect_answer("POST", "/api/v1/cases", SIGNED, "{\"company_id\": 7, \"title\": \"t\", \"body\": \"x\"}", 422,
		      "no company 7");
	assert_int_equal(count("SELECT count(*) FROM cases"), 0);
	assert_int_equal(count("SELECT count(*) FROM audit_log"), audit);

	expect_answer("POST", "/api/v1/cases", SIGNED, "{\"company_id\": 1, \"title\": \"事例\", \"body\": \"本文\"}", 201,
		      "\"draft\"");
	assert_int_equal(count("SELECT count(*) FROM cases"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit_log WHERE action = 'case.create' AND target = 'case:1'"), 1);
	/* publish refuses a draft (409) inside its transaction: nothing moves */
	expect_answer("POST", "/api/v1/cases/1/publish", SIGNED, NULL, 409, "\"not_approved\"");
	assert_int_equal(count("SELECT count(*) FROM cases WHERE status = 'draft'"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit_log"), audit + 1);
	assert_false(db_in_write_tx(c.w.db));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_step_refuses_on_its_own),
		cmocka_unit_test(test_refused_writes_change_nothing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
