/* query.c — a request's query string against its route's declared parameters (query.h). */
#include "query.h"

#include "util.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads query against params into vals (query.h). Returns 0, or -1 with a message in err. */
int query_parse(const char *query, const struct param_spec *params, char **vals, char *err, size_t errlen)
{
	for (int i = 0; i < MAX_QUERY_PARAMS; i++)
		vals[i] = NULL;
	if (!query || !*query)
		return 0;
	/* evhttp decodes %00 into the value and the value then ends there: `?q=a%00b` would
	 * search "a". Bad input gets a clear 400 instead. */
	for (const char *p = strchr(query, '%'); p; p = strchr(p + 1, '%'))
		if (p[1] == '0' && p[2] == '0') {
			snprintf(err, errlen, "the query string holds an encoded NUL byte");
			return -1;
		}
	struct evkeyvalq q;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(query, &q) < 0) {
		snprintf(err, errlen, "malformed query string");
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < MAX_QUERY_PARAMS && params[i].name && rc == 0; i++) {
		const struct param_spec *ps = &params[i];
		const char *v = evhttp_find_header(&q, ps->name);
		if (!v || !*v)
			continue;
		if (!utf8_valid(v, strlen(v))) {
			snprintf(err, errlen, "parameter %s is not valid UTF-8", ps->name);
			rc = -1;
			break;
		}
		if (ps->type == PARAM_INT) {
			/* Digits only: strtoll alone would take " 5" (from "+5" in a query), "+5" and "-0". */
			size_t len = strlen(v);
			long long n = strtoll(v, NULL, 10);
			if (strspn(v, "0123456789") != len || len > 18) {
				snprintf(err, errlen, "parameter %s must be a non-negative integer", ps->name);
				rc = -1;
				break;
			}
			/* A page number times a page size must not overflow an offset. */
			if (strncmp(ps->name, "page", 4) == 0 && n > MAX_PAGE_NUMBER) {
				snprintf(err, errlen, "parameter %s is at most %d", ps->name, MAX_PAGE_NUMBER);
				rc = -1;
				break;
			}
		}
		vals[i] = xstrdup(v);
	}
	evhttp_clear_headers(&q);
	if (rc < 0)
		for (int i = 0; i < MAX_QUERY_PARAMS; i++) {
			free(vals[i]);
			vals[i] = NULL;
		}
	return rc;
}
