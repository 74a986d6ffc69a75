/* cache.c — per-thread, two-way set-associative caches keyed by (kind, a, b, c) and stamped with
 * the database epoch (SQLITE_FCNTL_DATA_VERSION, which changes with every commit by any connection,
 * plus this connection's write count), with an epoch of the caller's, or with both (cache.h). A
 * stale entry is never returned; memory is bounded by the slot count and the per-value limit. */
#include "cache.h"

#include "db.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 1024 /* power of two */
#define MAX_VALUE (1u << 20)

struct slot {
	enum cache_kind kind;
	int64_t a, b, c;
	unsigned data_version;
	uint64_t write_seq;
	bool at;       /* stamped with a caller's epoch (cache_put_at) instead */
	bool since;    /* stamped with both (cache_put_since) */
	int64_t epoch; /* the caller's epoch: cache_put_at, cache_put_since */
	char *val;
	size_t len;
	uint64_t used; /* clock_now at its last use; 0: never */
};

static _Thread_local struct slot *slots;

static _Thread_local uint64_t clock_now; /* stamps slots' last use */

/* This thread's pair of slots for (kind, a, b, c) (FNV-1a of the key), allocating the table on
 * first use: two-way, so that two keys one request uses together (the session and the posts
 * page) cannot keep evicting each other. */
static struct slot *pair_for(enum cache_kind kind, int64_t a, int64_t b, int64_t c)
{
	if (!slots)
		slots = xcalloc(SLOTS, sizeof *slots);
	uint64_t h = 1469598103934665603ull;
	const uint64_t parts[] = {(uint64_t)kind, (uint64_t)a, (uint64_t)b, (uint64_t)c};
	for (size_t i = 0; i < ARRAY_LEN(parts); i++)
		h = (h ^ parts[i]) * 1099511628211ull;
	return &slots[(h ^ (h >> 29)) & (SLOTS - 1) & ~(uint64_t)1];
}

/* Whether s holds the key (kind, a, b, c). */
static bool holds(const struct slot *s, enum cache_kind kind, int64_t a, int64_t b, int64_t c)
{
	return s->val && s->kind == kind && s->a == a && s->b == b && s->c == c;
}

/* The slot holding (kind, a, b, c), marked used; NULL when neither of its pair does. */
static struct slot *slot_find(enum cache_kind kind, int64_t a, int64_t b, int64_t c)
{
	struct slot *p = pair_for(kind, a, b, c);
	for (int i = 0; i < 2; i++)
		if (holds(&p[i], kind, a, b, c)) {
			p[i].used = ++clock_now;
			return &p[i];
		}
	return NULL;
}

/* The slot to store (kind, a, b, c) in: the one holding it already, else the pair's less recently
 * used (an empty one first). */
static struct slot *slot_for(enum cache_kind kind, int64_t a, int64_t b, int64_t c)
{
	struct slot *p = pair_for(kind, a, b, c), *s;
	if (holds(&p[0], kind, a, b, c))
		s = &p[0];
	else if (holds(&p[1], kind, a, b, c))
		s = &p[1];
	else
		s = p[0].used <= p[1].used ? &p[0] : &p[1];
	s->used = ++clock_now;
	return s;
}

/* d's current epoch: the data version of its main database (changes with every commit to the file)
 * and the number of rows d's handle has changed, committed or not. */
static void epoch(struct db *d, unsigned *dv, uint64_t *ws)
{
	*dv = 0;
	sqlite3_file_control(db_handle(d), "main", SQLITE_FCNTL_DATA_VERSION, dv);
	/* Every row this connection changed, committed or not: a cache entry stored before a write
	 * inside the still-open transaction must not answer after it. */
	*ws = (uint64_t)sqlite3_total_changes64(db_handle(d));
}

bool cache_epoch_current(struct db *d)
{
	sqlite3 *h = db_handle(d);
	if (db_routed(d) || db_in_write_tx(d) || sqlite3_get_autocommit(h))
		return false;
	if (sqlite3_txn_state(h, "main") != SQLITE_TXN_NONE)
		return true;
	sqlite3_stmt *st = db_stmt(d, "PRAGMA data_version");
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW && sqlite3_txn_state(h, "main") != SQLITE_TXN_NONE;
}

const char *cache_get(struct db *d, enum cache_kind kind, int64_t a, int64_t b, int64_t c, size_t *len)
{
	/* A request that wrote reads through the writer's connection (db.h): it must see its own
	 * uncommitted writes, which no cached value holds. */
	if (db_routed(d))
		return NULL;
	struct slot *s = slot_find(kind, a, b, c);
	if (!s || s->at)
		return NULL;
	unsigned dv;
	uint64_t ws;
	epoch(d, &dv, &ws);
	if (s->data_version != dv || s->write_seq != ws)
		return NULL;
	*len = s->len;
	return s->val;
}

/* The slot for (kind, a, b, c) holding a copy of val, its stamp left to the caller; NULL when
 * val is too large to keep. */
static struct slot *slot_store(enum cache_kind kind, int64_t a, int64_t b, int64_t c, const char *val, size_t len)
{
	if (len > MAX_VALUE)
		return NULL;
	struct slot *s = slot_for(kind, a, b, c);
	free(s->val);
	s->val = xstrndup(val, len);
	s->len = len;
	s->kind = kind;
	s->a = a;
	s->b = b;
	s->c = c;
	return s;
}

void cache_put(struct db *d, enum cache_kind kind, int64_t a, int64_t b, int64_t c, const char *val, size_t len)
{
	/* Not a value derived from uncommitted writes (routed, or this connection's own open write
	 * transaction): they may still be rolled back. */
	struct slot *s = db_routed(d) || db_in_write_tx(d) ? NULL : slot_store(kind, a, b, c, val, len);
	if (!s)
		return;
	s->at = false;
	s->since = false;
	epoch(d, &s->data_version, &s->write_seq);
}

void cache_put_since(struct db *d, enum cache_kind kind, int64_t a, int64_t b, int64_t c, int64_t at,
		     const char *val, size_t len)
{
	struct slot *s = db_routed(d) || db_in_write_tx(d) ? NULL : slot_store(kind, a, b, c, val, len);
	if (!s)
		return;
	s->at = false;
	s->since = true;
	s->epoch = at;
	epoch(d, &s->data_version, &s->write_seq);
}

const char *cache_get_since(struct db *d, enum cache_kind kind, int64_t a, int64_t b, int64_t c, int64_t at,
			    size_t *len)
{
	/* As cache_get: a request that wrote must see its own writes, which no cached value holds. */
	if (db_routed(d) || db_in_write_tx(d))
		return NULL;
	struct slot *s = slot_find(kind, a, b, c);
	if (!s || s->at || !s->since || s->epoch != at)
		return NULL;
	/* Still what the value derives from: answered until d's next commit without asking again. */
	epoch(d, &s->data_version, &s->write_seq);
	*len = s->len;
	return s->val;
}

const char *cache_get_at(enum cache_kind kind, int64_t a, int64_t b, int64_t c, int64_t at, size_t *len)
{
	struct slot *s = slot_find(kind, a, b, c);
	if (!s || !s->at || s->epoch != at)
		return NULL;
	*len = s->len;
	return s->val;
}

void cache_put_at(enum cache_kind kind, int64_t a, int64_t b, int64_t c, int64_t at, const char *val, size_t len)
{
	struct slot *s = slot_store(kind, a, b, c, val, len);
	if (!s)
		return;
	s->at = true;
	s->since = false;
	s->epoch = at;
}

void cache_thread_free(void)
{
	if (!slots)
		return;
	for (size_t i = 0; i < SLOTS; i++)
		free(slots[i].val);
	free(slots);
	slots = NULL;
}
