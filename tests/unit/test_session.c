/* test_session.c — cookie sessions through the real router on a socketless worker
 * (server_test_worker_open) and a real database: a valid cookie signs in; idle and absolute
 * expiry end the session and delete its row; a suspended user's session signs in no one; a
 * forged token is nobody; a write without the session's CSRF token is refused; sign-out ends the
 * session server-side; the cookie header parser. */
#include "crypto.h"
#include "session.h"
#include "worker_client.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static struct worker_client c;

#define TOKEN "test-session-token-0123456789abcdefghijklmnopqrstuv"
#define CSRF "csrf-0123456789"

/* Inserts the session TOKEN for user 1, last seen and created `age` seconds ago. */
static void put_session(int64_t created_age, int64_t seen_age)
{
	char hash[65];
	crypto_sha256_hex(TOKEN, strlen(TOKEN), hash);
	int64_t now = now_unix();
	char *sql = xasprintf("DELETE FROM sessions; INSERT INTO sessions (token_hash, user_id, csrf_token, created_at,"
			      " last_seen_at) VALUES ('%s', 1, '" CSRF "', %lld, %lld)",
			      hash, (long long)(now - created_age), (long long)(now - seen_age));
	assert_int_equal(db_exec(c.w.db, sql), 0);
	free(sql);
}

static int64_t sessions(void)
{
	return db_one_int64(db_stmt(c.w.db, "SELECT count(*) FROM sessions"), -1);
}

/* The status of method path with an optional cookie and CSRF token ({} as the body of a write);
 * *resp (if not NULL) gets the whole response. */
static int status_of(const char *method, const char *path, const char *cookie, const char *csrf, char **resp)
{
	char *h = xasprintf("%s%s%s%s%s%s", cookie ? "Cookie: " : "", cookie ? cookie : "", cookie ? "\r\n" : "",
			    csrf ? "X-CSRF-Token: " : "", csrf ? csrf : "", csrf ? "\r\n" : "");
	int st = wc_call(&c, method, path, h, strcmp(method, "GET") ? "{}" : NULL, resp);
	free(h);
	return st;
}

static void configure(struct config *cfg)
{
	cfg->session_idle_seconds = 3600;
	cfg->session_max_seconds = 86400;
}

static int setup(void **state)
{
	(void)state;
	return wc_open(&c, "mamori-test-session", "INSERT INTO users (id, email, name, role, status, created_at)"
			   " VALUES (1, 'kanri@example.jp', '管理者', 'secretariat', 'active', 0)", configure);
}

static int teardown(void **state)
{
	(void)state;
	wc_close(&c);
	return 0;
}

static void test_valid_cookie_signs_in(void **state)
{
	(void)state;
	put_session(10, 10);
	char *resp;
	assert_int_equal(status_of("GET", "/api/v1/me", SESSION_COOKIE "=" TOKEN, NULL, &resp), 200);
	assert_non_null(strstr(resp, "kanri@example.jp"));
	free(resp);
	assert_int_equal(status_of("GET", "/api/v1/me", NULL, NULL, NULL), 401);
	assert_int_equal(status_of("GET", "/api/v1/me", SESSION_COOKIE "=" TOKEN "x", NULL, NULL), 401);
	assert_int_equal(status_of("GET", "/api/v1/me", "other=1; " SESSION_COOKIE "=" TOKEN, NULL, NULL), 200);
}

static void test_idle_and_absolute_expiry(void **state)
{
	(void)state;
	put_session(10, 3601); /* idle too long */
	assert_int_equal(status_of("GET", "/api/v1/me", SESSION_COOKIE "=" TOKEN, NULL, NULL), 401);
	assert_int_equal(sessions(), 0);
	put_session(86401, 5); /* active, but older than the absolute limit */
	assert_int_equal(status_of("GET", "/api/v1/me", SESSION_COOKIE "=" TOKEN, NULL, NULL), 401);
	assert_int_equal(sessions(), 0);
	put_session(86000, 3500); /* both just inside */
	assert_int_equal(status_of("GET", "/api/v1/me", SESSION_COOKIE "=" TOKEN, NULL, NULL), 200);
	assert_int_equal(sessions(), 1);
}

static void test_suspended_user_is_nobody(void **state)
{
	(void)state;
	put_session(10, 10);
	assert_int_equal(db_exec(c.w.db, "UPDATE users SET status = 'suspended' WHERE id = 1"), 0);
	assert_int_equal(status_of("GET", "/api/v1/me", SESSION_COOKIE "=" TOKEN, NULL, NULL), 401);
	assert_int_equal(db_exec(c.w.db, "UPDATE users SET status = 'active' WHERE id = 1"), 0);
}

static void test_csrf_and_sign_out(void **state)
{
	(void)state;
	put_session(10, 10);
	char *resp;
	assert_int_equal(status_of("DELETE", "/api/v1/session", SESSION_COOKIE "=" TOKEN, NULL, &resp), 403);
	assert_non_null(strstr(resp, "csrf"));
	free(resp);
	assert_int_equal(status_of("DELETE", "/api/v1/session", SESSION_COOKIE "=" TOKEN, "wrong", NULL), 403);
	assert_int_equal(sessions(), 1);
	int st = status_of("DELETE", "/api/v1/session", SESSION_COOKIE "=" TOKEN, CSRF, &resp);
	assert_true(st == 204 || st == 200);
	assert_non_null(strstr(resp, "Max-Age=0"));
	free(resp);
	assert_int_equal(sessions(), 0);
	assert_int_equal(status_of("GET", "/api/v1/me", SESSION_COOKIE "=" TOKEN, NULL, NULL), 401);
}

static void test_cookie_header_parser(void **state)
{
	(void)state;
	char *v = session_cookie_value("a=1; " SESSION_COOKIE "=abc; b=2");
	assert_string_equal(v, "abc");
	free(v);
	v = session_cookie_value(SESSION_COOKIE "=xyz");
	assert_string_equal(v, "xyz");
	free(v);
	assert_null(session_cookie_value("x" SESSION_COOKIE "=abc"));
	assert_null(session_cookie_value(SESSION_COOKIE "="));
	assert_null(session_cookie_value(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_cookie_signs_in),
		cmocka_unit_test(test_idle_and_absolute_expiry),
		cmocka_unit_test(test_suspended_user_is_nobody),
		cmocka_unit_test(test_csrf_and_sign_out),
		cmocka_unit_test(test_cookie_header_parser),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
