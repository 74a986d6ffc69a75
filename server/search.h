/* search.h — the search index (API.md §5): every path that stores or changes post text keeps
 * it in step through these two calls, inside the writer's transaction. */
#ifndef MAMORI_SEARCH_H
#define MAMORI_SEARCH_H

#include <stdint.h>

struct db;

/* Indexes post_id's folded text; title is the thread's title for its first post, else NULL.
 * Returns 0 or -1. Call inside a write transaction. */
int search_index_post(struct db *d, int64_t post_id, const char *title, const char *body);
/* Removes post_id from both indexes (no-op when absent). Returns 0 or -1. Call inside a write
 * transaction; to change a post's text, unindex then index again. */
int search_unindex_post(struct db *d, int64_t post_id);

#endif
