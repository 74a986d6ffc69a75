/* fuzz_query.c — query strings (outside bytes) through query_parse, which every route's declared
 * parameters go through, and util.c's utf8_valid against an independent reference validator.
 * Invariants: a value the parser accepts is valid UTF-8 (never an invalid one accepted), an
 * integer parameter holds only digits within its bounds, and each accepted value is exactly
 * what an independent decoder (split at '&', first `name=` without case, %XX and '+' decoded)
 * makes of the query: nothing cut short (an encoded NUL is refused), nothing of another
 * parameter; a refused query leaves no value behind. */
#include "fuzz_check.h"
#include "query.h"
#include "util.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct param_spec params[] = {
	{"q", PARAM_STR}, {"page", PARAM_INT}, {"filename", PARAM_STR}, {"per_page", PARAM_INT},
	{"category_id", PARAM_INT}, {NULL, 0},
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The first value of name, decoded; NULL when absent. Sets *nul when it decodes a NUL byte. */
static char *ref_lookup(const char *query, const char *name, bool *nul)
{
	*nul = false;
	size_t nlen = strlen(name);
	for (const char *seg = query; seg;) {
		const char *amp = strchr(seg, '&');
		size_t len = amp ? (size_t)(amp - seg) : strlen(seg);
		const char *eq = memchr(seg, '=', len);
		if (eq && (size_t)(eq - seg) == nlen && strncasecmp(seg, name, nlen) == 0) {
			const char *v = eq + 1;
			size_t vlen = len - (size_t)(v - seg);
			char *out = xmalloc(vlen + 1);
			size_t n = 0;
			for (size_t i = 0; i < vlen; i++) {
				int h, l;
				if (v[i] == '%' && i + 2 < vlen &&
				    (h = hexval(v[i + 1])) >= 0 && (l = hexval(v[i + 2])) >= 0) {
					out[n] = (char)(h * 16 + l);
					*nul |= out[n] == 0;
					n++;
					i += 2;
				} else {
					out[n++] = v[i] == '+' ? ' ' : v[i];
				}
			}
			out[n] = 0;
			return out;
		}
		seg = amp ? amp + 1 : NULL;
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FUZZ_CHECK(utf8_valid((const char *)data, size) == ref_utf8_valid(data, size),
		   "utf8_valid disagrees with the reference on %zu bytes", size);
	char *query = xstrndup((const char *)data, size);
	char *vals[MAX_QUERY_PARAMS];
	char err[160];
	int rc = query_parse(query, params, vals, err, sizeof err);
	for (int i = 0; params[i].name; i++) {
		if (rc < 0) {
			FUZZ_CHECK(!vals[i], "a refused query left %s", params[i].name);
			continue;
		}
		bool nul;
		char *want = ref_lookup(query, params[i].name, &nul);
		FUZZ_CHECK(!nul, "accepted a query with an encoded NUL in %s", params[i].name);
		if (!want || !*want) {
			FUZZ_CHECK(!vals[i], "%s present although the query has no value for it", params[i].name);
		} else {
			FUZZ_CHECK(vals[i] && strcmp(vals[i], want) == 0, "%s is '%s', the query says '%s'", params[i].name,
				   vals[i] ? vals[i] : "(null)", want);
			FUZZ_CHECK(ref_utf8_valid((const unsigned char *)vals[i], strlen(vals[i])),
				   "accepted invalid UTF-8 in %s", params[i].name);
			if (params[i].type == PARAM_INT) {
				size_t n = strlen(vals[i]);
				FUZZ_CHECK(n <= 18 && strspn(vals[i], "0123456789") == n, "integer %s = '%s'", params[i].name,
					   vals[i]);
				if (strncmp(params[i].name, "page", 4) == 0)
					FUZZ_CHECK(strtoll(vals[i], NULL, 10) <= MAX_PAGE_NUMBER, "page %s", vals[i]);
			}
		}
		free(want);
		free(vals[i]);
	}
	free(query);
	return 0;
}
