/* fuzz_ics.c — the iCalendar writer (ics.c): any bytes as a TEXT value. Invariants: the output
 * has CRLF line ends only, no physical line over 75 octets, every line valid UTF-8 on its own
 * (folds never split a sequence), and unfolding gives back exactly the escaped text, which holds
 * no CR or LF. */
#include "ics.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf esc = {0}, line = {0}, out = {0}, unfolded = {0};
	buf_puts(&line, "DESCRIPTION:");
	ics_escape(&esc, (const char *)data, size);
	if (esc.len && (memchr(esc.data, '\r', esc.len) || memchr(esc.data, '\n', esc.len)))
		__builtin_trap();
	if (!utf8_valid(esc.data ? esc.data : "", esc.len))
		__builtin_trap();
	buf_append(&line, esc.data ? esc.data : "", esc.len);
	ics_line(&out, line.data, line.len);
	if (out.len < 2 || out.data[out.len - 2] != '\r' || out.data[out.len - 1] != '\n')
		__builtin_trap();
	size_t start = 0;
	bool first = true;
	for (size_t i = 0; i < out.len; i++) {
		if (out.data[i] == '\n')
			__builtin_trap(); /* a LF not after CR */
		if (out.data[i] != '\r')
			continue;
		if (i + 1 >= out.len || out.data[i + 1] != '\n')
			__builtin_trap();
		size_t len = i - start;
		if (len > 75 || !utf8_valid(out.data + start, len))
			__builtin_trap();
		if (first) {
			buf_append(&unfolded, out.data + start, len);
		} else {
			if (len == 0 || out.data[start] != ' ')
				__builtin_trap();
			buf_append(&unfolded, out.data + start + 1, len - 1);
		}
		first = false;
		i++;
		start = i + 1;
	}
	if (unfolded.len != line.len || memcmp(unfolded.data, line.data, line.len) != 0)
		__builtin_trap();
	buf_free(&esc);
	buf_free(&line);
	buf_free(&out);
	buf_free(&unfolded);
	return 0;
}
