/* fuzz_csv.c — the consent report's CSV writer (consent_csv_field) with outside text (company
 * and user names) as cells. The input is split into cells at NUL and 0x1F bytes and written as
 * one record. Invariants: a strict RFC 4180 reader reads the record back into exactly those
 * cells, except that a cell starting with = + - @ TAB or CR comes back with a leading ' (OWASP
 * "CSV injection"); no cell read back starts with a formula character. */
#include "consent.h"
#include "fuzz_check.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CELLS 64

static bool formula_start(const char *s)
{
	return s[0] && strchr("=+-@\t\r", s[0]);
}

/* Reads one CRLF-terminated record of s; returns the number of cells or -1 if malformed. */
static int rfc4180_read(const char *s, size_t n, char **cells, size_t *lens, int max)
{
	size_t i = 0;
	int nc = 0;
	for (;;) {
		if (nc == max)
			return -1;
		char *c = xmalloc(n + 1);
		size_t len = 0;
		if (i < n && s[i] == '"') {
			i++;
			for (;;) {
				if (i >= n) {
					free(c);
					return -1;
				}
				if (s[i] == '"') {
					if (i + 1 < n && s[i + 1] == '"') {
						c[len++] = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				c[len++] = s[i++];
			}
		} else {
			while (i < n && s[i] != ',' && s[i] != '\r' && s[i] != '\n') {
				if (s[i] == '"') { /* a quote inside an unquoted field */
					free(c);
					return -1;
				}
				c[len++] = s[i++];
			}
		}
		c[len] = 0;
		cells[nc] = c;
		lens[nc++] = len;
		if (i < n && s[i] == ',') {
			i++;
			continue;
		}
		if (i + 2 == n && s[i] == '\r' && s[i + 1] == '\n')
			return nc;
		return -1; /* anything else after a field */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = xmalloc(size + 1);
	memcpy(in, data, size);
	in[size] = 0;
	const char *cells[MAX_CELLS];
	int nc = 0;
	size_t start = 0;
	for (size_t i = 0; i <= size && nc < MAX_CELLS; i++)
		if (i == size || in[i] == 0 || in[i] == 0x1f) {
			in[i] = 0;
			cells[nc++] = in + start;
			start = i + 1;
		}
	struct buf b = {0};
	for (int i = 0; i < nc; i++) {
		if (i)
			buf_puts(&b, ",");
		consent_csv_field(&b, i == nc - 1 && nc > 1 && !*cells[i] ? NULL : cells[i]);
	}
	buf_puts(&b, "\r\n");
	char *read[MAX_CELLS];
	size_t lens[MAX_CELLS];
	const char *out = buf_cstr(&b);
	int got = rfc4180_read(out, strlen(out), read, lens, MAX_CELLS);
	FUZZ_CHECK(got == nc, "wrote %d cells, read back %d from %s", nc, got, out);
	for (int i = 0; i < nc; i++) {
		const char *want = cells[i];
		if (formula_start(want)) {
			FUZZ_CHECK(read[i][0] == '\'' && strcmp(read[i] + 1, want) == 0, "cell %d: '%s' for '%s'", i, read[i], want);
		} else {
			FUZZ_CHECK(strcmp(read[i], want) == 0, "cell %d: '%s' for '%s'", i, read[i], want);
		}
		FUZZ_CHECK(!formula_start(read[i]), "cell %d reads back as a formula: '%s'", i, read[i]);
		free(read[i]);
	}
	buf_free(&b);
	free(in);
	return 0;
}
