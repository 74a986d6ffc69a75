/* test_static.c — the web front end's files through a socketless worker (worker_client.h): the
 * index and assets with their types, ETag revalidation, and nothing outside the web directory —
 * not through "..", an encoded "..", a hidden file, a backslash, a symlinked file or a symlinked
 * directory — nor a type outside the table, nor a write. */
#include "worker_client.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

static struct worker_client c;
static char web[64];
static char outside[64];

/* Writes text into dir/name. */
static void put(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static void configure(struct config *cfg)
{
	cfg->web_dir = xstrdup(web);
}

static int setup(void **state)
{
	(void)state;
	snprintf(web, sizeof web, "/tmp/mamori-test-web-XXXXXX");
	snprintf(outside, sizeof outside, "/tmp/mamori-test-outside-XXXXXX");
	if (!mkdtemp(web) || !mkdtemp(outside))
		return -1;
	put(web, "index.html", "<!doctype html><title>守り</title>");
	put(web, "app.js", "export const x = 1;\n");
	put(web, ".secret.js", "hidden");
	put(web, "tool.exe", "MZ");
	put(outside, "secret.js", "outside");
	char *p = xasprintf("%s/secret.js", outside), *l = xasprintf("%s/link.js", web), *d = xasprintf("%s/dir", web);
	if (symlink(p, l) < 0 || symlink(outside, d) < 0)
		return -1;
	free(p);
	free(l);
	free(d);
	return wc_open(&c, "mamori-test-static", NULL, configure);
}

static int teardown(void **state)
{
	(void)state;
	wc_close(&c);
	return 0;
}

/* GET path: its status; *resp as wc_call. */
static int get(const char *path, const char *headers, char **resp)
{
	return wc_call(&c, "GET", path, headers, NULL, resp);
}

static void test_index_and_assets(void **state)
{
	(void)state;
	char *resp;
	assert_int_equal(get("/", NULL, &resp), 200);
	assert_non_null(strstr(resp, "Content-Type: text/html; charset=utf-8"));
	assert_non_null(strstr(resp, "Cache-Control: no-cache"));
	assert_non_null(strstr(wc_body(resp), "守り"));
	free(resp);
	assert_int_equal(get("/app.js", NULL, &resp), 200);
	assert_non_null(strstr(resp, "Content-Type: text/javascript"));
	const char *e = strstr(resp, "ETag: ");
	assert_non_null(e);
	char etag[80];
	assert_int_equal(sscanf(e, "ETag: %79[^\r]", etag), 1);
	free(resp);
	char *h = xasprintf("If-None-Match: %s\r\n", etag);
	assert_int_equal(get("/app.js", h, NULL), 304);
	free(h);
}

static void test_nothing_outside(void **state)
{
	(void)state;
	static const char *const refused[] = {
		"/../outside/secret.js", "/%2e%2e/%2e%2e/etc/passwd", "/.secret.js", "/a\\..\\app.js", "//app.js",
		"/link.js",		 "/dir/secret.js",	      "/tool.exe",   "/missing.js",
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		char *resp;
		int st = get(refused[i], NULL, &resp);
		if (st != 404 && st != 400)
			fail_msg("GET %s: %d %s", refused[i], st, resp);
		assert_null(strstr(resp, "outside"));
		free(resp);
	}
	assert_int_equal(wc_call(&c, "POST", "/app.js", NULL, "{}", NULL), 405);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_index_and_assets), cmocka_unit_test(test_nothing_outside)};
	return cmocka_run_group_tests(tests, setup, teardown);
}
