/* audit.h — the tamper-evident audit log (docs/API.md §7). Entries are appended inside the writer's
 * own transaction, so an action and its audit entry commit or fail together. */
#ifndef MAMORI_AUDIT_H
#define MAMORI_AUDIT_H

#include <jansson.h>
#include <stdint.h>

struct db;
struct req;

/* Appends an entry chained to the previous one: hash = SHA-256(prev_hash || "\n" || id || "\n"
 * || at || "\n" || actor || "\n" || action || "\n" || target || "\n" || ip || "\n" || detail).
 * Must run inside a write transaction (db_tx_begin). detail may be NULL (borrowed). actor 0 =
 * none. Returns 0 or -1. */
int audit_append(struct db *d, int64_t actor_id, const char *action, const char *target, const char *ip,
		 json_t *detail);
/* The one spelling of an audit target or a read's path: "<kind>:<id>" ("thread:12", "user:3")
 * written into out (at least AUDIT_TARGET_MAX bytes); returns out. */
#define AUDIT_TARGET_MAX 48
char *audit_target(char *out, const char *kind, int64_t id);
/* audit_append with the target audit_target(kind, id). */
int audit_append_on(struct db *d, int64_t actor_id, const char *action, const char *kind, int64_t id,
		    const char *ip, json_t *detail);
/* Verifies the whole chain. Returns the number of entries (>= 0) when intact, or -1 with
 * *bad_id set to the first entry whose hash does not match, or to the id of a removed entry. */
int64_t audit_verify(struct db *d, int64_t *bad_id);
/* `mamori audit verify --data DIR`: prints "ok N entries" (exit 0) or names the broken entry
 * (exit 1); 2 for bad arguments. */
int audit_cli(int argc, char **argv);

/* The thread.read audit (docs/API.md §7): when thread_id is a `company` thread and r->who is outside
 * its company (an expert, the secretariat, an escalated expert), appends a thread.read entry in
 * its own short write transaction (group commit makes it cheap). via (may be NULL) names the
 * path ("post:12", "attachment:3") and goes into the entry's detail. Returns 0 (also when
 * nothing needed writing) or -1 on a database error. Call it after the read succeeded, outside
 * any transaction. Worker thread only. */
int audit_thread_read(struct req *r, int64_t thread_id, const char *via);
/* The same for a caller that already knows the thread is another company's (one query less on
 * the thread view's hot path). */
int audit_thread_outsider_read(struct req *r, int64_t thread_id, const char *via);

#endif
