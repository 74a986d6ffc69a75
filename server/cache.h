/* cache.h — small per-thread caches of derived answers, two kinds of validity:
 * - cache_get/cache_put (a thread page's rendered posts): valid for one database epoch, used
 *   only while no connection has committed anything since it was stored and this connection
 *   has changed no row (even inside a transaction not yet committed). Correct without any
 *   feature having to invalidate anything.
 * - cache_put_since/cache_get_since (a thread page, thread.c): both, the value answering past a
 *   commit while a narrower epoch read from the epochs table holds (schema/022).
 * - cache_get_at/cache_put_at (the consent gate's verdict, authz.c; a session's principal,
 *   session.c): stamped with a narrower epoch the caller reads from the epochs table
 *   (schema/011_gate_epoch.sql, schema/023_session_epoch.sql), which triggers move only when
 *   what the value was derived from changes, so posts do not invalidate it.
 * (The thread list's totals are cached in thread.c against the list epoch, schema/010.) */
#ifndef MAMORI_CACHE_H
#define MAMORI_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

enum cache_kind { CACHE_GATE = 1, CACHE_POSTS, CACHE_COUNT, CACHE_SESSION, CACHE_VIEW, CACHE_GATE_NOW };

/* The cached bytes for (kind, a, b, c) in d's current epoch, or NULL. Borrowed until the next
 * cache_put on this thread; *len receives the length. */
const char *cache_get(struct db *d, enum cache_kind kind, int64_t a, int64_t b, int64_t c, size_t *len);
/* Stores a copy of val for (kind, a, b, c) in d's current epoch (two slots per hash: the older
 * entry of the pair is replaced). Values over 1 MiB are not kept. */
void cache_put(struct db *d, enum cache_kind kind, int64_t a, int64_t b, int64_t c, const char *val, size_t len);
/* cache_put, with a second stamp: an epoch `at` the caller read from the epochs table in the
 * same read transaction (cache_epoch_current) before deriving val. cache_get answers it while
 * the database epoch holds; past it, cache_get_since still does while `at` is unchanged. */
void cache_put_since(struct db *d, enum cache_kind kind, int64_t a, int64_t b, int64_t c, int64_t at,
		     const char *val, size_t len);
/* The value cache_put_since stored for (kind, a, b, c) with the epoch at (read by the caller in
 * this request's read transaction), whatever was committed since, or NULL; a hit is stamped
 * with d's current epoch again, so that cache_get answers it until the next commit. */
const char *cache_get_since(struct db *d, enum cache_kind kind, int64_t a, int64_t b, int64_t c, int64_t at,
			    size_t *len);
/* The same, stamped with an epoch the caller reads from the epochs table (schema/010, 011),
 * which triggers move only when what the value was derived from changes. The caller reads the
 * epoch before deriving the value (or in the same statement) and never while its connection is
 * routed to the writer (db_routed: it may see its own uncommitted writes). */
const char *cache_get_at(enum cache_kind kind, int64_t a, int64_t b, int64_t c, int64_t at, size_t *len);
void cache_put_at(enum cache_kind kind, int64_t a, int64_t b, int64_t c, int64_t at, const char *val, size_t len);
/* Whether cache_get may be asked now: true when d's statements run in a read transaction on its
 * own connection whose snapshot has begun, begun here if needed (a read of PRAGMA data_version),
 * so the epoch cache_get compares is this request's. A deferred BEGIN takes its snapshot at the
 * first read; before it, the epoch is the previous transaction's, and a commit made since (a
 * sign-out on another worker) would go unseen. False outside a transaction (each statement then
 * reads its own snapshot, which no later cache_get can know) and when d is routed. */
bool cache_epoch_current(struct db *d);
/* Frees this thread's cache (worker exit). */
void cache_thread_free(void);

#endif
