/* test_mail.c — the pure parts of the mail sender: the retry schedule, which addresses may go into
 * an SMTP envelope and a header, and the RFC 5322 message text (headers under 78 columns, a
 * Japanese subject as encoded words never split inside a character, a base64 UTF-8 body that
 * decodes back to the text with CRLF line ends). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "mail.h"
#include "util.h"

static void test_retry_schedule(void **state)
{
	(void)state;
	/* A short first retry catches a relay restart; then 30 s doubling, capped at an hour. */
	static const int64_t want[] = {5, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600};
	for (int i = 0; i < (int)ARRAY_LEN(want); i++)
		assert_int_equal(mail_retry_delay(i + 1), want[i]);
	assert_int_equal(mail_retry_delay(1000), 3600);
	assert_int_equal(mail_retry_delay(0), 5);
}

static void test_address_ok(void **state)
{
	(void)state;
	assert_true(mail_address_ok("tanaka@example.co.jp"));
	assert_true(mail_address_ok("a+tag@b"));
	static const char *const bad[] = {
		"",
		"no-at",
		"@example.jp",
		"tanaka@",
		"a@b@c",
		"tanaka @example.jp",
		"tanaka@example.jp\r\nBcc: x@y",
		"<tanaka@example.jp>",
		"\"q\"@example.jp",
		"a,b@example.jp",
		"たなか@example.jp",
		"a;b@c",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		if (mail_address_ok(bad[i]))
			fail_msg("accepted [%s]", bad[i]);
	assert_false(mail_address_ok(NULL));
}

/* Decodes base64 text (no line breaks) into a new NUL-terminated string. */
static char *b64_decode_new(const char *s, size_t n)
{
	unsigned char *out = xmalloc(n + 1);
	int len = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	assert_true(len >= 0);
	/* EVP_DecodeBlock counts padding bytes as zeros; drop them. */
	while (n > 0 && s[n - 1] == '=') {
		len--;
		n--;
	}
	out[len] = 0;
	return (char *)out;
}

static void test_message_text(void **state)
{
	(void)state;
	const char *subject =
		"[mamori] 専門家として質問への回答を依頼されました: 本社サーバのランサムウェア対策と😀絵文字";
	const char *body = "田中 様\n\n一行目\n二行目\n";
	char *m = mail_message_new("mamori@example.jp", "tanaka@example.jp", subject, body, 42, 1795643614);

	char *sep = strstr(m, "\r\n\r\n");
	assert_non_null(sep);
	*sep = 0;
	const char *head = m, *payload = sep + 4;
	assert_non_null(strstr(head, "Date: Wed, 25 Nov 2026 21:53:34 +0000\r\n"));
	assert_non_null(strstr(head, "From: mamori <mamori@example.jp>\r\n"));
	assert_non_null(strstr(head, "To: <tanaka@example.jp>\r\n"));
	assert_non_null(strstr(head, "Message-ID: <mamori.42.1795643614@example.jp>\r\n"));
	assert_non_null(strstr(head, "Content-Type: text/plain; charset=UTF-8\r\n"));
	assert_non_null(strstr(head, "Content-Transfer-Encoding: base64\r\n"));

	/* Every header line is ASCII and at most 78 columns; no bare LF. */
	for (const char *line = head; *line;) {
		const char *end = strstr(line, "\r\n");
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len > 78)
			fail_msg("header line of %zu columns: %.*s", len, (int)len, line);
		for (size_t i = 0; i < len; i++)
			assert_true((unsigned char)line[i] >= 0x20 && (unsigned char)line[i] < 0x7f);
		line += len + (end ? 2 : 0);
	}

	/* The subject's encoded words each decode to whole UTF-8 characters and join to the text. */
	struct buf joined = {0};
	const char *p = strstr(head, "Subject:");
	assert_non_null(p);
	int words = 0;
	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		p += 10;
		const char *q = strstr(p, "?=");
		assert_non_null(q);
		char *dec = b64_decode_new(p, (size_t)(q - p));
		assert_true(utf8_valid(dec, strlen(dec)));
		buf_puts(&joined, dec);
		free(dec);
		words++;
		p = q + 2;
		if (strncmp(p, "\r\n ", 3) != 0)
			break;
	}
	assert_true(words > 1);
	assert_string_equal(buf_cstr(&joined), subject);
	buf_free(&joined);

	/* The body: base64 lines of at most 76, decoding to the text with CRLF line ends. */
	struct buf b64 = {0};
	for (const char *line = payload; *line;) {
		const char *end = strstr(line, "\r\n");
		assert_non_null(end);
		assert_true(end - line <= 76);
		buf_append(&b64, line, (size_t)(end - line));
		line = end + 2;
	}
	char *text = b64_decode_new(buf_cstr(&b64), b64.len);
	assert_string_equal(text, "田中 様\r\n\r\n一行目\r\n二行目\r\n");
	free(text);
	buf_free(&b64);
	free(m);
}

static void test_empty_subject_and_body(void **state)
{
	(void)state;
	char *m = mail_message_new("a@b", "c@d", "", "", 1, 0);
	assert_non_null(strstr(m, "Subject: \r\n"));
	assert_non_null(strstr(m, "\r\n\r\n"));
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_schedule),
		cmocka_unit_test(test_address_ok),
		cmocka_unit_test(test_message_text),
		cmocka_unit_test(test_empty_subject_and_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
