/* query.h — a request's query string read against the parameters its route declares (router.c).
 * Pure; fuzzed by tests/fuzz/fuzz_query.c. */
#ifndef MAMORI_QUERY_H
#define MAMORI_QUERY_H

#include "http.h"

#include <stddef.h>

#define MAX_PAGE_NUMBER 1000000 /* the largest ?page= any list takes */

/* For each declared parameter params[i] (up to MAX_QUERY_PARAMS, ended by a NULL name), the
 * first value given for it (percent-decoded, '+' as a space; names compare without case, as
 * evhttp does), or NULL when it is absent or empty: vals[i] is a new string. A value must be
 * valid UTF-8, an integer parameter non-negative decimal of at most 18 digits (a `page...` one
 * at most MAX_PAGE_NUMBER), and the query may not hold an encoded NUL byte (%00, which would
 * cut a value short). Returns 0, or -1 with every vals[i] NULL and a message in err. */
int query_parse(const char *query, const struct param_spec *params, char **vals, char *err, size_t errlen);

#endif
