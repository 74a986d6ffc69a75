/* fuzz_filename.c — the attachment upload's `filename` query parameter (outside bytes) through
 * filename_clean_new, and the Content-Disposition built from what it keeps. Invariants: a kept
 * name is the input's last path segment, 1-255 bytes, without slashes or control characters,
 * never "." or ".."; valid UTF-8 stays valid; the header is printable ASCII only (no CR/LF, no
 * way to end the quoted string early or add a parameter), its ASCII fallback has one character
 * per character of the name, and its filename* part decodes back to the exact name. */
#include "filename.h"
#include "fuzz_check.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void check_disposition(const char *name)
{
	char *d = attachment_disposition_new(name);
	for (const unsigned char *p = (const unsigned char *)d; *p; p++)
		FUZZ_CHECK(*p >= 0x20 && *p < 0x7f, "non-printable byte 0x%02x in %s", *p, d);
	static const char head[] = "attachment; filename=\"";
	static const char mid[] = "\"; filename*=UTF-8''";
	FUZZ_CHECK(strncmp(d, head, sizeof head - 1) == 0, "%s", d);
	const char *q = d + sizeof head - 1;
	const char *end = strstr(q, mid);
	FUZZ_CHECK(end, "%s", d);
	for (const char *p = q; p < end; p++)
		FUZZ_CHECK(*p != '"' && *p != '\\' && *p != ';', "unsafe %c in the quoted fallback: %s", *p, d);
	if (ref_utf8_valid((const unsigned char *)name, strlen(name))) {
		/* One fallback character per character of the name. */
		size_t chars = 0;
		for (const unsigned char *p = (const unsigned char *)name; *p; p++)
			chars += (*p & 0xC0) != 0x80;
		FUZZ_CHECK((size_t)(end - q) == chars, "fallback of %zu characters for %zu", (size_t)(end - q), chars);
	}
	const char *enc = end + sizeof mid - 1;
	char *dec = xmalloc(strlen(enc) + 1);
	size_t n = 0;
	for (const char *p = enc; *p; p++) {
		if (*p == '%') {
			int h = hexval(p[1]), l = h < 0 ? -1 : hexval(p[2]);
			FUZZ_CHECK(h >= 0 && l >= 0, "bad percent escape in %s", d);
			dec[n++] = (char)(h * 16 + l);
			p += 2;
		} else {
			FUZZ_CHECK(strchr("!#$&+-.^_`|~", *p) || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
					   (*p >= '0' && *p <= '9'),
				   "%c is not an attr-char in %s", *p, d);
			dec[n++] = *p;
		}
	}
	dec[n] = 0;
	FUZZ_CHECK(n == strlen(name) && memcmp(dec, name, n) == 0, "filename* decodes to %s, not %s", dec, name);
	free(dec);
	free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = xstrndup((const char *)data, size); /* a query value is a C string */
	char *clean = attachment_clean_filename_new(in);
	const char *slash = NULL;
	for (const char *p = in; *p; p++)
		if (*p == '/' || *p == '\\')
			slash = p;
	const char *base = slash ? slash + 1 : in;
	if (clean) {
		size_t n = strlen(clean);
		FUZZ_CHECK(n >= 1 && n <= FILENAME_MAX_BYTES, "length %zu", n);
		FUZZ_CHECK(strcmp(clean, base) == 0, "kept %s, the last segment is %s", clean, base);
		FUZZ_CHECK(strcmp(clean, ".") != 0 && strcmp(clean, "..") != 0, "%s", clean);
		for (const unsigned char *p = (const unsigned char *)clean; *p; p++)
			FUZZ_CHECK(*p >= 0x20 && *p != 0x7f && *p != '/' && *p != '\\', "byte 0x%02x kept", *p);
		if (ref_utf8_valid((const unsigned char *)in, strlen(in)))
			FUZZ_CHECK(ref_utf8_valid((const unsigned char *)clean, n), "valid UTF-8 became invalid");
		check_disposition(clean);
	} else {
		/* Refused only for a reason. */
		size_t n = strlen(base);
		bool ctl = false;
		for (const unsigned char *p = (const unsigned char *)base; *p; p++)
			ctl |= *p < 0x20 || *p == 0x7f;
		FUZZ_CHECK(n == 0 || n > FILENAME_MAX_BYTES || ctl || strcmp(base, ".") == 0 || strcmp(base, "..") == 0,
			   "refused %s without a reason", base);
	}
	free(clean);
	free(in);
	return 0;
}
