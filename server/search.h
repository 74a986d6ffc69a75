/* search.h — the search index (docs/API.md §5). The query side is search.c; the writing side is
 * search_index.c: every path that stores or changes post text keeps the index in step through
 * search_index_post / search_unindex_post inside the writer's transaction. */
#ifndef MAMORI_SEARCH_H
#define MAMORI_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct buf;

/* Queues post_id's text for the index (replacing any queued text); title is the thread's title
 * for its first post, else NULL. Durable with the transaction; search_index_pending makes it
 * searchable. Returns 0 or -1. Call inside a write transaction. */
int search_index_post(struct db *d, int64_t post_id, const char *title, const char *body);
/* search_index_post for text already folded (text_fold_new of the title, "" for none, and the
 * body), so the folding can happen before the writer is taken. */
int search_queue_folded(struct db *d, int64_t post_id, const char *ftitle, const char *fbody);
/* Removes post_id from both indexes and from the queue (no-op when absent). Returns 0 or -1.
 * Call inside a write transaction; to change a post's text, unindex then index again. */
int search_unindex_post(struct db *d, int64_t post_id);
/* Indexes up to max queued posts, oldest first, and removes them from the queue. Call inside
 * a write transaction, best outside any savepoint (FTS5 flushes at each one). Returns how many
 * were indexed, or -1 (the caller rolls back). */
int search_index_pending(struct db *d, int max);
/* The features table's before_commit: indexes queued posts by the policy in search_index.c. */
int search_before_commit(struct db *writer, int holds);
/* The queue's bounds: search.c reads up to SEARCH_QUEUE_SCAN queued posts besides the ranked
 * index; search_before_commit keeps the queue below SEARCH_QUEUE_FULL, so none is missed. */
#define SEARCH_QUEUE_SCAN 2000
#define SEARCH_QUEUE_FULL 1536
_Static_assert(SEARCH_QUEUE_FULL < SEARCH_QUEUE_SCAN, "search reads the whole queue");
/* Whether anything waits in the queue. */
bool search_pending_any(struct db *d);

/* Shared by both sides. */
bool search_is_space(unsigned char c);
/* Length of the UTF-8 sequence at s (1 for an invalid byte), never past end. */
size_t search_cp_len(const char *s, const char *end);
/* Appends prefix and the hex of s[0..n) (at most 16 bytes): a search_short token. */
void search_put_hex(struct buf *b, char prefix, const char *s, size_t n);

/* Registers the FTS5 auxiliary function search_rank (search.c) on connection h; db_open calls
 * it for every connection. Returns 0, or -1 when FTS5 is missing (logged). */
struct sqlite3;
int search_register(struct sqlite3 *h);

#endif
