/* filename.c — an attachment's name from the upload's query parameter, and the
 * Content-Disposition that serves it (filename.h). */
#include "filename.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The last path segment of name (either slash), or NULL when it is empty, over 255 bytes,
 * "." or "..", or holds a control character. New string. */
char *filename_clean_new(const char *name)
{
	const char *base = name;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	size_t n = strlen(base);
	if (n == 0 || n > FILENAME_MAX_BYTES || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)base; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return NULL;
	return xstrdup(base);
}

/* filename="..." (ASCII, unsafe characters as _) and filename*=UTF-8''percent-encoded, per
 * RFC 6266 / RFC 5987. New string. */
char *filename_disposition_new(const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = {0};
	buf_puts(&b, "attachment; filename=\"");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p >= 0x80) {
			while ((p[1] & 0xC0) == 0x80)
				p++;
			buf_append(&b, "_", 1);
		} else {
			char c = (*p < 0x20 || *p == '"' || *p == '\\' || *p == 0x7f || *p == ';') ? '_' : (char)*p;
			buf_append(&b, &c, 1);
		}
	}
	buf_puts(&b, "\"; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("!#$&+-.^_`|~", *p)) {
			buf_append(&b, p, 1);
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			buf_append(&b, e, 3);
		}
	}
	char *s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}
