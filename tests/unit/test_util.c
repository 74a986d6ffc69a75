/* test_util.c — util.c: the one UTF-8 decoder and encoder (every scalar value round-trips; every
 * ill-formed sequence of the Unicode standard's Table 3-7 is refused), utf8_valid agreeing with
 * the decoder, RFC 3339 times, the growable buffer, err_str. */
#include "util.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

/* Every scalar value encodes to 1-4 bytes that decode back to it and are valid. */
static void test_every_scalar_round_trips(void **state)
{
	(void)state;
	struct buf b = {0};
	for (uint32_t cp = 1; cp <= 0x10FFFF; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		b.len = 0;
		buf_put_codepoint(&b, cp);
		size_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		assert_int_equal(b.len, want);
		uint32_t back = 0;
		assert_int_equal(utf8_decode(b.data, b.len, &back), want);
		assert_int_equal(back, cp);
		assert_true(utf8_valid(b.data, b.len));
	}
	buf_free(&b);
}

/* NUL, surrogates and values past U+10FFFF are written as U+FFFD. */
static void test_encoder_replaces_non_scalars(void **state)
{
	(void)state;
	uint32_t bad[] = {0, 0xD800, 0xDFFF, 0x110000, 0xFFFFFFFF};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct buf b = {0};
		buf_put_codepoint(&b, bad[i]);
		assert_string_equal(buf_cstr(&b), "\xEF\xBF\xBD");
		buf_free(&b);
	}
}

static void test_decoder_refuses_ill_formed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"\x80",             /* stray continuation */
		"\xBF",             /* stray continuation */
		"\xC0\xAF",         /* overlong '/' */
		"\xC1\xBF",         /* overlong */
		"\xE0\x80\xAF",     /* overlong 3-byte */
		"\xE0\x9F\xBF",     /* overlong 3-byte (below U+0800) */
		"\xED\xA0\x80",     /* U+D800, a surrogate */
		"\xED\xBF\xBF",     /* U+DFFF */
		"\xF0\x8F\xBF\xBF", /* overlong 4-byte */
		"\xF4\x90\x80\x80", /* U+110000 */
		"\xF5\x80\x80\x80", /* lead byte past F4 */
		"\xFF",             /* never in UTF-8 */
		"\xE3\x81",         /* truncated あ */
		"\xE3\x41\x82",     /* continuation missing */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint32_t cp = 0;
		assert_int_equal(utf8_decode(bad[i], strlen(bad[i]), &cp), 0);
		assert_false(utf8_valid(bad[i], strlen(bad[i])));
	}
	uint32_t cp = 0;
	assert_int_equal(utf8_decode("", 0, &cp), 0);
	assert_int_equal(utf8_decode(NULL, 0, &cp), 0); /* n == 0 reads nothing */
	/* the decoder reads no further than n: あ cut at 2 bytes is truncated */
	assert_int_equal(utf8_decode("\xE3\x81\x82", 2, &cp), 0);
	assert_int_equal(utf8_decode("\xE3\x81\x82", 3, &cp), 3);
	assert_int_equal(cp, 0x3042);
	assert_true(utf8_valid("資産台帳 と　全角", strlen("資産台帳 と　全角")));
}

static void test_rfc3339(void **state)
{
	(void)state;
	char s[32];
	time_format_utc(1798761600, s);
	assert_string_equal(s, "2027-01-01T00:00:00Z");
	int64_t t = 0;
	assert_int_equal(time_parse_rfc3339("2027-01-01T09:00:00+09:00", &t), 0);
	assert_int_equal(t, 1798761600);
	assert_int_equal(time_parse_rfc3339("2026-12-31T15:00:00-09:00", &t), 0);
	assert_int_equal(t, 1798761600);
	assert_int_not_equal(time_parse_rfc3339("2026-12-31 15:00:00", &t), 0);
	assert_int_not_equal(time_parse_rfc3339("2026-13-01T00:00:00Z", &t), 0);
	assert_int_not_equal(time_parse_rfc3339("2027-02-30T00:00:00Z", &t), 0);
	assert_int_not_equal(time_parse_rfc3339("", &t), 0);
	/* digits where digits belong: sscanf's %d alone would take these */
	static const char *const signed_fields[] = {
		"+202-01-01T00:00:00Z", "2026-+1-01T00:00:00Z", "2026-01- 1T00:00:00Z", "2026-01-01T-1:00:00Z",
		"2026-01-01T00:00:00+-9:00", "2026-01-01T00:00:00+ 9:00", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00+09:0",
	};
	for (size_t i = 0; i < sizeof signed_fields / sizeof signed_fields[0]; i++)
		if (time_parse_rfc3339(signed_fields[i], &t) == 0)
			fail_msg("accepted %s", signed_fields[i]);
	assert_int_equal(time_parse_rfc3339("2026-01-01T00:00:00.250+09:00", &t), 0);
}

static void test_buf_and_err_str(void **state)
{
	(void)state;
	struct buf b = {0};
	assert_string_equal(buf_cstr(&b), "");
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	assert_int_equal(b.len, strlen(b.data));
	assert_non_null(strstr(b.data, ",999,"));
	buf_puts(&b, "守り");
	assert_int_equal(memcmp(b.data + b.len - 6, "守り", 6), 0);
	buf_free(&b);
	assert_null(b.data);
	char e[ERR_STR_LEN];
	assert_true(strlen(err_str(ENOENT, e)) > 0);
	assert_true(strlen(err_str(123456, e)) > 0);
}

/* u64_dec writes the digits just before end, 0 and UINT64_MAX included. */
static void test_u64_dec(void **state)
{
	char b[24], *end = b + sizeof b;
	const struct {
		uint64_t v;
		const char *text;
	} cases[] = {{0, "0"}, {7, "7"}, {10, "10"}, {1319, "1319"}, {UINT64_MAX, "18446744073709551615"}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *d = u64_dec(cases[i].v, end);
		assert_int_equal(end - d, strlen(cases[i].text));
		assert_memory_equal(d, cases[i].text, strlen(cases[i].text));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_scalar_round_trips), cmocka_unit_test(test_encoder_replaces_non_scalars),
		cmocka_unit_test(test_decoder_refuses_ill_formed), cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_buf_and_err_str), cmocka_unit_test(test_u64_dec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
