/* fuzz_mail.c — the e-mail message builder (mail_message_new) with outside text: a thread title
 * in the Subject, post text in the body, an address. The input is split at 0x1F bytes into
 * address, subject and body. Invariants: mail_address_ok never accepts an address that could
 * leave the To: header (CR, LF, space, <, >, quotes, commas...); the header section is exactly
 * the nine headers we write, in order, each line CRLF-terminated, printable ASCII, at most 78
 * columns (To: at most 998), continuation lines only inside Subject (no header injection from a title); each
 * encoded word of the Subject holds whole UTF-8 characters and all of them decode to the
 * subject; the body decodes from base64 lines of at most 76 characters to the text with CRLF
 * line ends. */
#include "fuzz_check.h"
#include "mail.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes n base64 characters (n a multiple of 4, '=' padding) onto out; false if malformed. */
static bool b64_decode(const char *s, size_t n, struct buf *out)
{
	if (n % 4)
		return false;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else {
				if (pad || (v[k] = b64val(s[i + k])) < 0)
					return false;
			}
		}
		unsigned char bytes[3] = {(unsigned char)(v[0] << 2 | v[1] >> 4), (unsigned char)(v[1] << 4 | v[2] >> 2),
					  (unsigned char)(v[2] << 6 | v[3])};
		buf_append(out, bytes, (size_t)(3 - pad));
	}
	return true;
}

static const char *const headers[] = {"Date:", "From:", "To:", "Subject:", "Message-ID:", "MIME-Version:",
				      "Content-Type:", "Content-Transfer-Encoding:", "Auto-Submitted:"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = xstrndup((const char *)data, size);
	char *parts[3] = {in, "", ""};
	for (int k = 1; k < 3; k++) {
		char *sep = strchr(parts[k - 1], 0x1f);
		if (!sep)
			break;
		*sep = 0;
		parts[k] = sep + 1;
	}
	const char *to = parts[0], *subject = parts[1], *body = parts[2];
	if (mail_address_ok(to)) {
		for (const char *c = to; *c; c++)
			FUZZ_CHECK(*c > 0x20 && *c < 0x7f && !strchr("<>\"(),;:\\[]", *c), "address %s accepted", to);
	} else {
		to = "someone@example.jp";
	}
	char *msg = mail_message_new("mamori@example.jp", to, subject, body, 42, 1764720000);
	char *split = strstr(msg, "\r\n\r\n");
	FUZZ_CHECK(split, "no end of headers");
	split[2] = 0; /* the header section, ending with its last CRLF */
	int next = 0;
	struct buf subj = {0};
	bool in_subject = false;
	bool subject_utf8 = ref_utf8_valid((const unsigned char *)subject, strlen(subject));
	for (char *line = msg; *line;) {
		char *eol = strstr(line, "\r\n");
		FUZZ_CHECK(eol, "header line without CRLF");
		size_t len = (size_t)(eol - line);
		/* RFC 5322: at most 998; ours fold the Subject under 78 (an address may be 254 long). */
		FUZZ_CHECK(len <= 998 && (len <= 78 || strncmp(line, "To:", 3) == 0), "header line of %zu columns", len);
		for (size_t i = 0; i < len; i++)
			FUZZ_CHECK(line[i] >= 0x20 && line[i] < 0x7f, "byte 0x%02x in a header", (unsigned char)line[i]);
		const char *words;
		if (line[0] == ' ') {
			FUZZ_CHECK(in_subject, "a continuation line outside Subject");
			words = line;
		} else {
			FUZZ_CHECK(next < 9 && strncmp(line, headers[next], strlen(headers[next])) == 0,
				   "unexpected header line %.*s", (int)len, line);
			in_subject = next == 3;
			words = in_subject ? line + strlen("Subject:") : NULL;
			if (next == 2)
				FUZZ_CHECK(len == strlen("To: <>") + strlen(to), "To: %.*s", (int)len, line);
			next++;
		}
		if (words && words < eol) {
			FUZZ_CHECK(*words == ' ', "no space before the encoded word");
			words++;
			size_t wl = (size_t)(eol - words);
			if (wl) {
				FUZZ_CHECK(wl >= 12 && strncmp(words, "=?UTF-8?B?", 10) == 0 && strncmp(eol - 2, "?=", 2) == 0,
					   "not one encoded word: %.*s", (int)wl, words);
				size_t before = subj.len;
				FUZZ_CHECK(b64_decode(words + 10, wl - 12, &subj), "bad base64 in Subject");
				if (subject_utf8)
					FUZZ_CHECK(ref_utf8_valid((const unsigned char *)subj.data + before, subj.len - before),
						   "an encoded word splits a character");
			}
		}
		line = eol + 2;
	}
	FUZZ_CHECK(next == 9, "%d headers", next);
	FUZZ_CHECK(subj.len == strlen(subject) && memcmp(subj.data ? subj.data : "", subject, subj.len) == 0,
		   "Subject decodes to something else");
	/* The body. */
	struct buf want = {0}, got = {0};
	for (const char *c = body; *c; c++) {
		if (*c == '\n')
			buf_puts(&want, "\r\n");
		else if (*c != '\r')
			buf_append(&want, c, 1);
	}
	for (char *line = split + 4; *line;) {
		char *eol = strstr(line, "\r\n");
		FUZZ_CHECK(eol && eol - line <= 76 && eol > line, "body line");
		FUZZ_CHECK(b64_decode(line, (size_t)(eol - line), &got), "bad base64 in the body");
		line = eol + 2;
	}
	FUZZ_CHECK(got.len == want.len && (!got.len || memcmp(got.data, want.data, got.len) == 0),
		   "the body decodes to something else");
	buf_free(&want);
	buf_free(&got);
	buf_free(&subj);
	free(msg);
	free(in);
	return 0;
}
