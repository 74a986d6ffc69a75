/* notify.h — in-app notifications (docs/API.md §5): the call every feature uses to tell a user about
 * something in a thread, and the notification routes. A notification is only stored for a user
 * who may read its thread at that moment, and only listed while they still may. */
#ifndef MAMORI_NOTIFY_H
#define MAMORI_NOTIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct db;

/* Stores a notification for user_id and publishes a `notification` event to their streams.
 * Must run inside the caller's write transaction (db_tx_begin). kind names what happened
 * ("reply", "mention", "escalation.assigned", ...: the table in kinds.c); thread_id/post_id/
 * actor_id may be 0 (none); params is a JSON object of the kind's language-neutral values
 * (borrowed, may be NULL for none; never a thread's title or text, which the listing reads
 * live), rendered by the client in the reader's language. When thread_id is set the user must
 * be active and able to read the thread now (authz_can_read_thread), else nothing is stored.
 * Nobody is notified of their own action (user_id == actor_id).
 * Returns 1 when stored, 0 when skipped, -1 on a database
 * error (the caller rolls back). Worker threads only. */
int notify_user(struct db *d, int64_t user_id, const char *kind, int64_t thread_id, int64_t post_id,
		int64_t actor_id, const json_t *params);

/* notify_user in two steps, for a caller that decides recipients before it takes the writer
 * (the writer's lock is every worker's): notify_may_tell is notify_user's check (an active user
 * other than actor_id who may read thread_id now), run on the caller's own connection, outside
 * the write transaction; notify_user_told stores a notification without params for a user that
 * check accepted, inside it. A change of access in between is harmless: the list re-applies the
 * visibility rule and mail re-checks at send time. */
bool notify_may_tell(struct db *d, int64_t user_id, int64_t thread_id, int64_t actor_id);
int notify_user_told(struct db *d, int64_t user_id, const char *kind, int64_t thread_id, int64_t post_id,
		     int64_t actor_id);

/* The same for a dispatch visit (docs/API.md §10): stored only when user_id is active and may read
 * visit visit_id now (AUTHZ_VISIT_VISIBLE); the list re-applies that rule. params (kind's
 * language-neutral values, server/kinds.c) must never carry the report. Returns 1 stored, 0
 * skipped, -1 database error. */
int notify_user_visit(struct db *d, int64_t user_id, const char *kind, int64_t visit_id, int64_t actor_id,
		      const json_t *params);

#endif
