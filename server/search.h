/* search.h — the search index (docs/API.md §5). The query side is search.c; the writing side is
 * search_index.c (the queue in mamori.db: every path that stores or changes post text calls
 * search_index_post / search_unindex_post inside its transaction) and search_file.c (the indexes
 * in their own file, search.db, and the indexer thread that fills them from the queue). */
#ifndef MAMORI_SEARCH_H
#define MAMORI_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct buf;
struct sqlite3;

/* Queues post_id's text for the index (replacing any queued text); title is the thread's title
 * for its first post, else NULL. Durable with the transaction; search finds the post by it from
 * the commit on (from the queue until the indexer has moved it into search.db). Returns 0 or -1.
 * Call inside a write transaction. */
int search_index_post(struct db *d, int64_t post_id, const char *title, const char *body);
/* search_index_post for text already folded (text_fold_new of the title, "" for none, and the
 * body), so the folding can happen before the writer is taken. */
int search_queue_folded(struct db *d, int64_t post_id, const char *ftitle, const char *fbody);
/* Queues post_id's removal from both indexes (a queued "" title and body): not found from the
 * commit on. Call inside a write transaction; to change a post's text, search_index_post alone
 * replaces what was queued. Returns 0 or -1. */
int search_unindex_post(struct db *d, int64_t post_id);
/* The features table's before_commit (search_index.c): removes indexed rows from the queue, and
 * holds the writes while the indexer is more than SEARCH_QUEUE_FULL rows behind. */
int search_before_commit(struct db *writer, int holds);
/* The queue's bounds: search.c reads up to SEARCH_QUEUE_SCAN queued posts besides the ranked
 * index; search_before_commit keeps the queue below SEARCH_QUEUE_FULL, so none is missed. */
#define SEARCH_QUEUE_SCAN 2000
#define SEARCH_QUEUE_FULL 1536
_Static_assert(SEARCH_QUEUE_FULL < SEARCH_QUEUE_SCAN, "search reads the whole queue");

/* ---- search.db (search_file.c) ---------------------------------------------------------------
 * On a connection with search.db attached (db_open), not inside a transaction. */
/* Makes search.db's tables if they are missing (a new file); nothing on the writer's connection,
 * which has no search.db. Every connection runs it when opened (the features' db_open hook). */
int search_file_prepare(struct sqlite3 *h);
/* Indexes up to max queued rows above the indexed mark into search.db, oldest first, and raises
 * the mark in the same transaction. Returns how many, 0 when none (or search.db is not built
 * yet), -1 on an error (logged; nothing changed). */
int search_index_pending(struct db *d, int max);
/* Remakes both indexes from the posts (search.db missing, restored or never completed). Returns
 * 0 or -1. Search is incomplete until it returns. */
int search_rebuild(struct db *d);
/* search.db's indexed mark: every queue row with a seq up to it is indexed (-1: not built). */
int64_t search_indexed(struct db *d);
/* The server's indexer thread: indexes whatever the writer's batches queue (woken after each one
 * settles), rebuilding search.db first when it must. Start before the writer, stop after it. */
int search_indexer_start(const char *dir);
void search_indexer_stop(void);
/* The indexed mark the indexer last made durable (-1 until it has read or built search.db). */
int64_t search_published(void);
/* Waits until the indexer has published seq or more, at most timeout_ms. True when it has. */
bool search_wait_indexed(int64_t seq, int64_t timeout_ms);
/* For a purge: has the indexer index everything committed before the call, optimize both indexes
 * (the removed text's postings leave every page; secure_delete zeroes freed pages) and truncate
 * search.db's WAL; waits at most timeout_ms. True when all of it was done. */
bool search_flush(int64_t timeout_ms);

/* Shared by both sides. */
bool search_is_space(unsigned char c);
/* Length of the UTF-8 sequence at s (1 for an invalid byte), never past end. */
size_t search_cp_len(const char *s, const char *end);
/* Appends prefix and the hex of s[0..n) (at most 16 bytes): a search_short token. */
void search_put_hex(struct buf *b, char prefix, const char *s, size_t n);

/* Registers the FTS5 auxiliary function search_rank (search.c) on connection h and prepares
 * search.db there (search_file_prepare); db_open calls it for every connection. Returns 0, or -1
 * when FTS5 is missing (logged). */
int search_register(struct sqlite3 *h);

#endif
