/* test_config.c — the configuration of docs/API.md §1: defaults, every key's validation (a bad value
 * is refused with a message naming the key and leaves the old value), unknown keys, comments and
 * blank lines, the order "file first, then flags" by which flags win, derived values, and the
 * shipped example file deploy/mamori.conf.example (every key, every value valid). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

/* Every key docs/API.md §1 names, plus the server's own. */
/* clang-format off */
static const char *const all_keys[] = {
	"listen", "tls_cert", "tls_key", "base_url", "smtp_host", "smtp_port", "mail_from",
	"sla_peer_hours", "sla_expert_hours", "track_capacity", "participants_per_company",
	"max_attachment_bytes", "workers", "helpers", "max_connections", "timeout_seconds", "post_rate_per_minute",
	"session_idle_seconds", "session_max_seconds", "invite_days", "web_dir",
	"application_deadline", "application_rate_per_hour", "application_retention_days", "clock_offset_seconds",
	"dispatch_stage1_due", "dispatch_stage4_due",
};
/* clang-format on */

static int load(struct config *c, const char *text, char err[256])
{
	return config_load_text(c, text, strlen(text), "test.conf", err);
}

static void test_defaults(void **state)
{
	(void)state;
	struct config c;
	config_defaults(&c);
	assert_string_equal(c.listen, "127.0.0.1:8443");
	assert_int_equal(c.smtp_port, 25);
	assert_non_null(c.smtp_host);
	assert_non_null(c.mail_from);
	assert_true(c.sla_peer_hours == 8.0);
	assert_true(c.sla_expert_hours == 16.0);
	assert_int_equal(c.track_capacity, 15);
	assert_int_equal(c.participants_per_company, 1);
	assert_int_equal(c.max_attachment_bytes, 20 * 1024 * 1024);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	assert_int_equal(c.workers, cores > 64 ? 64 : cores > 0 ? cores : 1);
	assert_true(c.helpers >= 1);
	assert_true(c.max_connections >= 1000);
	assert_true(c.timeout_seconds >= 5 && c.timeout_seconds <= 120);
	assert_true(c.session_idle_seconds > 0 && c.session_idle_seconds <= c.session_max_seconds);
	assert_true(c.application_deadline == CONFIG_NO_DEADLINE); /* unset: always open */
	assert_int_equal(c.application_rate_per_hour, 5);
	assert_int_equal(c.application_retention_days, 90);
	assert_int_equal(c.clock_offset_seconds, 0);
	assert_null(c.data_dir);
	assert_null(c.tls_cert);
	assert_null(c.base_url);
	assert_int_equal(c.dispatch_stage1_due, 810); /* 8月上旬 */
	assert_int_equal(c.dispatch_stage4_due, 229); /* the end of February */
	config_free(&c);
	config_free(&c); /* freeing twice is harmless: the struct is cleared */
}

struct key_case {
	const char *key;
	const char *good[6];
	const char *bad[10];
};

static const struct key_case cases[] = {
	{"listen",
	 {"127.0.0.1:8443", "[::1]:8443", "0.0.0.0:443", "localhost:1", "host:65535"},
	 {"", "nonsense", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", "127.0.0.1:-1",
	  ":8443", "127.0.0.1:", "127.0.0.1:84 43"}},
	{"tls_cert", {"/etc/mamori/cert.pem", "relative.pem"}, {""}},
	{"tls_key", {"/etc/mamori/key.pem"}, {""}},
	{"base_url", {"https://forum.example.jp"}, {""}},
	{"smtp_host", {"127.0.0.1", "mail.example.jp"}, {""}},
	{"smtp_port",
	 {"1", "25", "587", "65535"},
	 {"", "0", "65536", "-25", "25x", "2.5", "abc", "0x19", "99999999999999999999"}},
	{"mail_from", {"mamori@example.jp"}, {""}},
	{"sla_peer_hours", {"8", "0", "7.5", "10000"}, {"", "-1", "10001", "nan", "8h", "eight", "inf"}},
	{"sla_expert_hours", {"16", "0.25", "40"}, {"", "-0.5", "1e9", "soon"}},
	{"track_capacity", {"1", "15", "100000"}, {"", "0", "-1", "1.5", "100001", "fifteen"}},
	{"participants_per_company", {"1", "3", "1000"}, {"", "0", "1001", "two"}},
	{"max_attachment_bytes",
	 {"1", "20971520", "4294967296"},
	 {"", "0", "-1", "20MiB", "4294967297", "1e6", "99999999999999999999"}},
	/* The writer batches the writes of at most 64 worker connections (db.c). */
	{"workers", {"1", "2", "64"}, {"", "0", "-2", "65", "257", "many", "2.0"}},
	{"helpers", {"1", "64"}, {"", "0", "65"}},
	{"max_connections", {"16", "20000", "1000000"}, {"", "15", "0", "1000001"}},
	{"timeout_seconds", {"1", "30", "3600"}, {"", "0", "-1", "3601", "30s"}},
	{"post_rate_per_minute", {"0", "10", "100000"}, {"", "-1", "100001", "ten"}},
	{"session_idle_seconds", {"60", "43200"}, {"", "59", "0", "31536001"}},
	{"session_max_seconds", {"60", "1209600", "31536000"}, {"", "59", "31536001"}},
	{"invite_days", {"1", "7", "365"}, {"", "0", "366"}},
	{"web_dir", {"/usr/share/mamori/web"}, {""}},
	{"application_deadline",
	 {"2027-01-31T08:00:00Z", "2027-01-31T17:00:00+09:00", "1999-12-31T23:59:59Z"},
	 {"", "2027-01-31", "2027-01-31 17:00", "2027-02-30T00:00:00Z", "tomorrow", "2027-01-31T25:00:00Z"}},
	{"application_rate_per_hour", {"0", "5", "100000"}, {"", "-1", "100001", "five", "5.5"}},
	{"application_retention_days", {"1", "90", "3650"}, {"", "0", "-1", "3651", "90d"}},
	{"clock_offset_seconds", {"0", "-86400", "7776000"}, {"", "1.5", "soon", "99999999999"}},
	{"dispatch_stage1_due",
	 {"08-10", "01-01", "12-31", "02-29"},
	 {"", "8-10", "08/10", "13-01", "00-10", "08-00", "04-31", "02-30", "08-10x", "+8-10"}},
	{"dispatch_stage4_due", {"02-28", "03-31"}, {"", "02-", "feb", "2027-02-28"}},
};

/* A snapshot of every field, to see that a refused value changed nothing. */
static char *snapshot_new(const struct config *c)
{
	return xasprintf("%s|%s|%s|%s|%s|%d|%s|%g|%g|%d|%d|%lld|%d|%d|%d|%d|%d|%d|%d|%d|%s|%lld|%d|%d|%lld|%d|%d", c->listen,
			 c->tls_cert ? c->tls_cert : "-", c->tls_key ? c->tls_key : "-",
			 c->base_url ? c->base_url : "-", c->smtp_host, c->smtp_port, c->mail_from,
			 c->sla_peer_hours, c->sla_expert_hours, c->track_capacity,
			 c->participants_per_company, (long long)c->max_attachment_bytes, c->workers,
			 c->helpers, c->max_connections, c->timeout_seconds, c->session_idle_seconds,
			 c->session_max_seconds, c->invite_days, c->post_rate_per_minute, c->web_dir,
			 (long long)c->application_deadline, c->application_rate_per_hour,
			 c->application_retention_days, (long long)c->clock_offset_seconds,
			 c->dispatch_stage1_due, c->dispatch_stage4_due);
}

static void test_every_key_validates(void **state)
{
	(void)state;
	assert_int_equal(ARRAY_LEN(cases), ARRAY_LEN(all_keys));
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct key_case *kc = &cases[i];
		assert_string_equal(kc->key, all_keys[i]);
		for (int g = 0; g < 6 && kc->good[g]; g++) {
			struct config c;
			config_defaults(&c);
			char err[256] = "";
			if (config_set(&c, kc->key, kc->good[g], err) != 0)
				fail_msg("%s = '%s' refused: %s", kc->key, kc->good[g], err);
			config_free(&c);
		}
		for (int b = 0; b < 10 && kc->bad[b]; b++) {
			struct config c;
			config_defaults(&c);
			char *before = snapshot_new(&c);
			char err[256] = "";
			if (config_set(&c, kc->key, kc->bad[b], err) == 0)
				fail_msg("%s = '%s' accepted", kc->key, kc->bad[b]);
			if (!strstr(err, kc->key))
				fail_msg("%s = '%s': message does not name the key: %s", kc->key, kc->bad[b],
					 err);
			char *after = snapshot_new(&c);
			if (strcmp(before, after) != 0)
				fail_msg("%s = '%s' refused but changed the configuration", kc->key,
					 kc->bad[b]);
			free(before);
			free(after);
			config_free(&c);
		}
	}
}

/* More workers than the writer can batch used to abort the process on the first busy batch;
 * now the configuration refuses them at start, saying the limit. */
static void test_workers_limit(void **state)
{
	(void)state;
	struct config c;
	config_defaults(&c);
	char err[256] = "";
	assert_int_equal(config_set(&c, "workers", "65", err), -1);
	assert_non_null(strstr(err, "workers"));
	assert_non_null(strstr(err, "64"));
	assert_true(c.workers >= 1 && c.workers <= 64);
	config_free(&c);
}

static void test_values_land_in_their_fields(void **state)
{
	(void)state;
	struct config c;
	config_defaults(&c);
	char err[256];
	static const char text[] = "listen = 0.0.0.0:443\n"
				   "tls_cert = /c.pem\n"
				   "tls_key = /k.pem\n"
				   "base_url = https://forum.example.jp\n"
				   "smtp_host = mail.example.jp\n"
				   "smtp_port = 587\n"
				   "mail_from = noreply@example.jp\n"
				   "sla_peer_hours = 4.5\n"
				   "sla_expert_hours = 24\n"
				   "track_capacity = 20\n"
				   "participants_per_company = 3\n"
				   "max_attachment_bytes = 1048576\n"
				   "workers = 3\n"
				   "helpers = 5\n"
				   "max_connections = 100\n"
				   "timeout_seconds = 7\n"
				   "session_idle_seconds = 600\n"
				   "session_max_seconds = 86400\n"
				   "invite_days = 3\n"
				   "web_dir = /srv/web\n"
				   "application_deadline = 2027-01-31T17:00:00+09:00\n"
				   "application_rate_per_hour = 0\n"
				   "application_retention_days = 30\n"
				   "dispatch_stage1_due = 08-05\n"
				   "dispatch_stage4_due = 02-20\n";
	if (load(&c, text, err) != 0)
		fail_msg("%s", err);
	assert_string_equal(c.listen, "0.0.0.0:443");
	assert_string_equal(c.tls_cert, "/c.pem");
	assert_string_equal(c.tls_key, "/k.pem");
	assert_string_equal(c.base_url, "https://forum.example.jp");
	assert_string_equal(c.smtp_host, "mail.example.jp");
	assert_int_equal(c.smtp_port, 587);
	assert_string_equal(c.mail_from, "noreply@example.jp");
	assert_true(c.sla_peer_hours == 4.5);
	assert_true(c.sla_expert_hours == 24.0);
	assert_int_equal(c.track_capacity, 20);
	assert_int_equal(c.participants_per_company, 3);
	assert_int_equal(c.max_attachment_bytes, 1048576);
	assert_int_equal(c.workers, 3);
	assert_int_equal(c.helpers, 5);
	assert_int_equal(c.max_connections, 100);
	assert_int_equal(c.timeout_seconds, 7);
	assert_int_equal(c.session_idle_seconds, 600);
	assert_int_equal(c.session_max_seconds, 86400);
	assert_int_equal(c.invite_days, 3);
	assert_string_equal(c.web_dir, "/srv/web");
	assert_int_equal(c.application_deadline, 1801382400); /* 2027-01-31T08:00:00Z */
	assert_int_equal(c.application_rate_per_hour, 0);
	assert_int_equal(c.application_retention_days, 30);
	assert_int_equal(c.dispatch_stage1_due, 805);
	assert_int_equal(c.dispatch_stage4_due, 220);
	/* Values above 2^31 survive in the 64-bit field. */
	assert_int_equal(config_set(&c, "max_attachment_bytes", "4294967296", err), 0);
	assert_int_equal(c.max_attachment_bytes, 4294967296LL);
	config_free(&c);
}

static void test_unknown_key(void **state)
{
	(void)state;
	struct config c;
	config_defaults(&c);
	char err[256] = "";
	assert_int_equal(config_set(&c, "frobnicate", "1", err), -1);
	assert_non_null(strstr(err, "frobnicate"));
	/* Keys are exact: no case folding, no prefixes, no dashes for underscores. */
	static const char *const near[] = {"Workers", "WORKERS",  "worker", "workers_",
					   "work",    "tls-cert", " listen"};
	for (size_t i = 0; i < ARRAY_LEN(near); i++) {
		err[0] = 0;
		if (config_set(&c, near[i], "2", err) == 0)
			fail_msg("near-miss key '%s' accepted", near[i]);
		assert_non_null(strstr(err, "unknown"));
	}
	/* In a file: the message names the key, the file and the line. */
	err[0] = 0;
	assert_int_equal(load(&c, "workers = 2\n\nlisten_port = 8443\n", err), -1);
	assert_non_null(strstr(err, "listen_port"));
	assert_non_null(strstr(err, "test.conf"));
	assert_non_null(strstr(err, "line 3"));
	config_free(&c);
}

static void test_comments_and_layout(void **state)
{
	(void)state;
	struct config c;
	config_defaults(&c);
	char err[256] = "";
	static const char text[] = "# mamori configuration\n"
				   "\n"
				   "   \t\n"
				   "  # an indented comment\n"
				   "workers=3\n"
				   "\ttrack_capacity   =   20   # trailing comment\n"
				   "helpers = 4\r\n"              /* CRLF line ends */
				   "# timeout_seconds = 0\n"      /* commented out: a bad value is ignored */
				   "mail_from = a=b@example.jp\n" /* only the first '=' separates */
				   "smtp_port = 587";             /* no newline at the end */
	if (load(&c, text, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.workers, 3);
	assert_int_equal(c.track_capacity, 20);
	assert_int_equal(c.helpers, 4);
	assert_int_equal(c.timeout_seconds, 30);
	assert_string_equal(c.mail_from, "a=b@example.jp");
	assert_int_equal(c.smtp_port, 587);
	/* The last of two lines for one key wins. */
	assert_int_equal(load(&c, "workers = 5\nworkers = 6\n", err), 0);
	assert_int_equal(c.workers, 6);
	/* An empty file and a comment-only file are fine and change nothing. */
	assert_int_equal(load(&c, "", err), 0);
	assert_int_equal(load(&c, "# nothing\n\n", err), 0);
	assert_int_equal(c.workers, 6);
	config_free(&c);
}

static void test_malformed_lines(void **state)
{
	(void)state;
	struct config c;
	config_defaults(&c);
	char err[256] = "";
	assert_int_equal(load(&c, "workers = 2\njust words\n", err), -1);
	assert_non_null(strstr(err, ":2"));
	assert_int_equal(load(&c, "= 5\n", err), -1);
	assert_int_equal(load(&c, "workers =\n", err), -1);
	assert_non_null(strstr(err, "workers"));
	char *huge = xmalloc(10000);
	memset(huge, 'x', 9999);
	huge[9999] = 0;
	memcpy(huge, "web_dir = ", 10);
	assert_int_equal(load(&c, huge, err), -1);
	free(huge);
	static const char nul[] = "workers = 2\0\n";
	assert_int_equal(config_load_text(&c, nul, sizeof nul - 1, "nul.conf", err), -1);
	config_free(&c);
}

static void test_file_then_flags(void **state)
{
	(void)state;
	char path[] = "/tmp/mamori-test-config-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	static const char text[] = "listen = 10.0.0.1:9443\nworkers = 2\n";
	assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fd);

	/* What `mamori serve --config FILE --listen 127.0.0.1:7443 --data D` does, in its order. */
	struct config c;
	config_defaults(&c);
	char err[256] = "";
	if (config_load_file(&c, path, err) != 0)
		fail_msg("%s", err);
	assert_string_equal(c.listen, "10.0.0.1:9443");
	assert_int_equal(config_set(&c, "listen", "127.0.0.1:7443", err), 0);
	c.data_dir = xstrdup("/var/lib/mamori");
	config_finish(&c);
	assert_string_equal(c.listen, "127.0.0.1:7443");
	assert_int_equal(c.workers, 2); /* what no flag names stays as the file says */
	/* Derived values follow the final listen address and data directory. */
	assert_string_equal(c.base_url, "https://127.0.0.1:7443");
	assert_string_equal(c.tls_cert, "/var/lib/mamori/tls/cert.pem");
	assert_string_equal(c.tls_key, "/var/lib/mamori/tls/key.pem");
	config_free(&c);
	unlink(path);

	/* Explicit values are not replaced by derived ones. */
	config_defaults(&c);
	assert_int_equal(
		load(&c, "tls_cert = /etc/c.pem\ntls_key = /etc/k.pem\nbase_url = https://f.example.jp\n",
		     err),
		0);
	c.data_dir = xstrdup("/d");
	config_finish(&c);
	assert_string_equal(c.tls_cert, "/etc/c.pem");
	assert_string_equal(c.tls_key, "/etc/k.pem");
	assert_string_equal(c.base_url, "https://f.example.jp");
	config_free(&c);

	/* A file that cannot be read is an error naming it. */
	config_defaults(&c);
	assert_int_equal(config_load_file(&c, "/nonexistent/mamori.conf", err), -1);
	assert_non_null(strstr(err, "/nonexistent/mamori.conf"));
	config_free(&c);
}

/* A configuration file over 1 MiB is refused, not cut short (a line cut in the middle would
 * load a different value without a word). */
static void test_oversized_file(void **state)
{
	(void)state;
	char path[] = "/tmp/mamori-test-config-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	char line[80];
	int n = snprintf(line, sizeof line, "# %-70s\n", "padding");
	for (size_t written = 0; written < (1u << 20);)
		written += (size_t)write(fd, line, (size_t)n);
	static const char last[] = "workers = 3\n";
	assert_int_equal(write(fd, last, sizeof last - 1), (ssize_t)(sizeof last - 1));
	close(fd);
	struct config c;
	config_defaults(&c);
	char err[256] = "";
	assert_int_equal(config_load_file(&c, path, err), -1);
	assert_non_null(strstr(err, "larger than"));
	config_free(&c);
	unlink(path);
}

/* deploy/mamori.conf.example lists every key as a commented `#key = value` line. Uncommented,
 * the file must load, and each value must be the default (except the derived ones). */
static void test_example_file(void **state)
{
	(void)state;
	const char *src = getenv("MAMORI_SOURCE_DIR");
	if (!src)
		fail_msg("MAMORI_SOURCE_DIR is not set (ctest sets it; run by hand with it)");
	char *path = xasprintf("%s/deploy/mamori.conf.example", src);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot read %s", path);
	struct buf text = {0};
	char line[4096];
	bool seen[ARRAY_LEN(all_keys)] = {0};
	while (fgets(line, sizeof line, f)) {
		if (line[0] != '#' || line[1] < 'a' || line[1] > 'z')
			continue; /* prose comments start "# " */
		buf_puts(&text, line + 1);
		for (size_t i = 0; i < ARRAY_LEN(all_keys); i++) {
			size_t n = strlen(all_keys[i]);
			if (strncmp(line + 1, all_keys[i], n) == 0 &&
			    (line[1 + n] == ' ' || line[1 + n] == '='))
				seen[i] = true;
		}
	}
	fclose(f);
	for (size_t i = 0; i < ARRAY_LEN(all_keys); i++)
		if (!seen[i])
			fail_msg("%s does not list key %s", path, all_keys[i]);
	struct config dflt, ex;
	config_defaults(&dflt);
	config_defaults(&ex);
	char err[256] = "";
	if (config_load_text(&ex, buf_cstr(&text), text.len, path, err) != 0)
		fail_msg("example does not load: %s", err);
	/* Derived defaults (paths from the data directory, the core count, the build's web
	 * directory, base_url) and the application deadline are shown as examples; everything else must be the default. */
	ex.workers = dflt.workers;
	ex.helpers = dflt.helpers;
	ex.application_deadline = dflt.application_deadline; /* unset by default; shown as an example */
	free(ex.tls_cert);
	free(ex.tls_key);
	free(ex.base_url);
	free(ex.web_dir);
	ex.tls_cert = ex.tls_key = ex.base_url = NULL;
	ex.web_dir = xstrdup(dflt.web_dir);
	char *a = snapshot_new(&dflt), *b = snapshot_new(&ex);
	if (strcmp(a, b) != 0)
		fail_msg("example values differ from the defaults:\n  default %s\n  example %s", a, b);
	free(a);
	free(b);
	config_free(&dflt);
	config_free(&ex);
	buf_free(&text);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key_validates),
		cmocka_unit_test(test_workers_limit),
		cmocka_unit_test(test_values_land_in_their_fields),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_comments_and_layout),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_file_then_flags),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_oversized_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
