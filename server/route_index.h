/* route_index.h — the route table grouped by the first three segments of the path
 * ("/api/v1/threads"), so that matching a request tries only the routes that can match it. */
#ifndef MAMORI_ROUTE_INDEX_H
#define MAMORI_ROUTE_INDEX_H

#include <stddef.h>

struct route;

/* The routes that may match path, in table order (features[], then each feature's routes):
 * those whose first three segments are path's, and those with a {parameter} in theirs. Every
 * other route's literal text differs from path. *n receives the count. Thread-safe; the index is
 * built on first use. */
const struct route *const *route_index_candidates(const char *path, size_t *n);

#endif
