/* fuzz_cookie.c — the Cookie header (outside bytes) through session_cookie_value. Invariants: the
 * value found is the one an independent reading of the header finds (cookies split at ';',
 * leading spaces skipped, the first cookie named exactly __Host-mamori), never part of another
 * cookie (x__Host-mamori=, a value holding "__Host-mamori="), never holding a ';', never empty. */
#include "fuzz_check.h"
#include "session.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *ref_cookie(const char *h)
{
	static const char name[] = SESSION_COOKIE "=";
	const char *seg = h;
	for (;;) {
		while (*seg == ' ' || *seg == ';')
			seg++;
		if (!*seg)
			return NULL;
		size_t len = strcspn(seg, ";");
		if (len >= sizeof name - 1 && memcmp(seg, name, sizeof name - 1) == 0) {
			size_t vlen = len - (sizeof name - 1);
			return vlen ? xstrndup(seg + sizeof name - 1, vlen) : NULL;
		}
		seg += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *h = xstrndup((const char *)data, size);
	char *got = session_cookie_value(h);
	char *want = ref_cookie(h);
	FUZZ_CHECK((!got && !want) || (got && want && strcmp(got, want) == 0), "got '%s', the header says '%s'",
		   got ? got : "(null)", want ? want : "(null)");
	if (got)
		FUZZ_CHECK(*got && !strchr(got, ';'), "'%s'", got);
	free(got);
	free(want);
	free(h);
	return 0;
}
