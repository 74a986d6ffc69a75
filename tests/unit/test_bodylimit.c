/* test_bodylimit.c — the request-head parser of the body watcher (server/bodylimit.c): it must
 * read Content-Length, chunked and the Cookie as evhttp does, and refuse (so the watcher fails
 * closed) every head it cannot follow for certain. The watcher itself runs end to end in
 * tests/e2e/test_body_limits.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "bodylimit.h"

static int parse(const char *head, struct body_head *h)
{
	return body_head_parse(head, strlen(head), h);
}

static void test_lengths_and_cookie(void **state)
{
	(void)state;
	struct body_head h;
	assert_int_equal(parse("POST /api/v1/session HTTP/1.1\r\nHost: x\r\ncontent-length:  1048576 \r\n"
			       "Cookie: a=b; __Host-mamori=tok\r\n\r\n", &h), 0);
	assert_string_equal(h.method, "POST");
	assert_int_equal(h.length, 1048576);
	assert_int_equal(h.chunked, 0);
	assert_string_equal(h.cookie, "a=b; __Host-mamori=tok");
	body_head_clear(&h);
	/* LF-only line ends, no length: no body */
	assert_int_equal(parse("GET / HTTP/1.1\nHost: x\n\n", &h), 0);
	assert_int_equal(h.length, -1);
	assert_null(h.cookie);
	body_head_clear(&h);
	assert_int_equal(parse("POST /x HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n", &h), 0);
	assert_int_equal(h.chunked, 1);
	body_head_clear(&h);
	assert_int_equal(parse("POST /x HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", &h), 0);
	assert_int_equal(h.expect_continue, 1);
	assert_int_equal(h.length, 5);
	body_head_clear(&h);
}

/* Heads where the watcher and evhttp could disagree: refused, so the small limit applies. */
static void test_refuses_what_it_cannot_follow(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"POST /x HTTP/1.1\r\nContent-Length: 10\r\nContent-Length: 99999999\r\n\r\n",
		"POST /x HTTP/1.1\r\nContent-Length: 10\r\n  99\r\n\r\n",
		"POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		"POST /x HTTP/1.1\r\nContent-Length: 1e9\r\n\r\n",
		"POST /x HTTP/1.1\r\nContent-Length: \r\n\r\n",
		"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"\r\n",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct body_head h;
		if (parse(bad[i], &h) == 0)
			fail_msg("accepted: %s", bad[i]);
		body_head_clear(&h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lengths_and_cookie),
		cmocka_unit_test(test_refuses_what_it_cannot_follow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
