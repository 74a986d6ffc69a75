/* audit.h — the tamper-evident audit log (docs/API.md §7). Entries are appended inside the writer's
 * own transaction, so an action and its audit entry commit or fail together. */
#ifndef MAMORI_AUDIT_H
#define MAMORI_AUDIT_H

#include <jansson.h>
#include <stdint.h>

struct db;

/* Appends an entry chained to the previous one: hash = SHA-256(prev_hash || "\n" || id || "\n"
 * || at || "\n" || actor || "\n" || action || "\n" || target || "\n" || ip || "\n" || detail).
 * Must run inside a write transaction (db_tx_begin). detail may be NULL (borrowed). actor 0 =
 * none. Returns 0 or -1. */
int audit_append(struct db *d, int64_t actor_id, const char *action, const char *target, const char *ip,
		 json_t *detail);
/* Verifies the whole chain. Returns the number of entries (>= 0) when intact, or -1 with
 * *bad_id set to the first entry whose hash does not match (or that follows a removed one). */
int64_t audit_verify(struct db *d, int64_t *bad_id);
/* `mamori audit verify --data DIR`: prints "ok N entries" (exit 0) or names the broken entry
 * (exit 1); 2 for bad arguments. */
int audit_cli(int argc, char **argv);

#endif
