/* test_session.c — cookie sessions through the real router on a socketless worker
 * (server_test_worker_open) and a real database: a valid cookie signs in; idle and absolute
 * expiry end the session and delete its row; a suspended user's session signs in no one; a
 * forged token is nobody; a write without the session's CSRF token is refused; sign-out ends the
 * session server-side; the cookie header parser. */
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "server.h"
#include "session.h"
#include "util.h"

#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

static struct config cfg;
static struct worker w;
static int port;
static char *dir;

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
	assert_int_equal(db_exec(w.db, sql), 0);
	free(sql);
}

static int64_t sessions(void)
{
	return db_one_int64(db_stmt(w.db, "SELECT count(*) FROM sessions"), -1);
}

/* Sends req (Connection: close) through the worker and returns the response (caller frees). */
static char *roundtrip(const char *req)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	struct buf out = {0};
	buf_append(&out, "", 0);
	char chunk[4096];
	for (int rounds = 0; rounds < 100000; rounds++) {
		event_base_loop(w.base, EVLOOP_NONBLOCK);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 1) > 0) {
			ssize_t n = recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
			if (n == 0)
				break;
			if (n > 0)
				buf_append(&out, chunk, (size_t)n);
		}
	}
	close(fd);
	return out.data;
}

static int status_of(const char *method, const char *path, const char *cookie, const char *csrf, char **resp)
{
	char *req = xasprintf("%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s%s%s%s%s%s"
			      "Content-Length: %s\r\n\r\n%s",
			      method, path, cookie ? "Cookie: " : "", cookie ? cookie : "", cookie ? "\r\n" : "",
			      csrf ? "X-CSRF-Token: " : "", csrf ? csrf : "", csrf ? "\r\n" : "",
			      strcmp(method, "GET") ? "2\r\nContent-Type: application/json" : "0",
			      strcmp(method, "GET") ? "{}" : "");
	char *r = roundtrip(req);
	free(req);
	int st = 0;
	sscanf(r, "HTTP/1.1 %d", &st);
	if (resp)
		*resp = r;
	else
		free(r);
	return st;
}

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/mamori-test-session-XXXXXX";
	dir = xstrdup(mkdtemp(tmpl));
	config_defaults(&cfg);
	cfg.data_dir = xstrdup(dir);
	cfg.session_idle_seconds = 3600;
	cfg.session_max_seconds = 86400;
	struct db *d;
	if (db_open(dir, true, &d) < 0 || db_migrate(d) < 0 ||
	    db_exec(d, "INSERT INTO users (id, email, name, role, status, created_at)"
		       " VALUES (1, 'kanri@example.jp', '管理者', 'secretariat', 'active', 0)") < 0)
		return -1;
	db_close(d);
	if (server_test_worker_open(&w, &cfg) < 0)
		return -1;
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(w.http, "127.0.0.1", 0);
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &len);
	port = ntohs(sa.sin_port);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	server_test_worker_close(&w);
	free(dir);
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
	assert_int_equal(db_exec(w.db, "UPDATE users SET status = 'suspended' WHERE id = 1"), 0);
	assert_int_equal(status_of("GET", "/api/v1/me", SESSION_COOKIE "=" TOKEN, NULL, NULL), 401);
	assert_int_equal(db_exec(w.db, "UPDATE users SET status = 'active' WHERE id = 1"), 0);
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
