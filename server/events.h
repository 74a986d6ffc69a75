/* events.h — the live event stream (GET /api/v1/events, Server-Sent Events) and the calls other
 * features use to publish to it. Events carry only ids; each is delivered to a subscriber only
 * if the visibility rule lets that subscriber read the thread, evaluated at delivery time on
 * the subscriber's own worker. */
#ifndef MAMORI_EVENTS_H
#define MAMORI_EVENTS_H

#include <stdint.h>

struct db;

/* Publishes `thread` {thread_id} (a new thread, or one whose state changed). */
void events_publish_thread(struct db *d, int64_t thread_id);
/* Publishes `post` {post_id, thread_id} (a new or edited post). */
void events_publish_post(struct db *d, int64_t thread_id, int64_t post_id);
/* Publishes `notification` {id, thread_id?} to user_id's streams only (thread_id 0: none). */
void events_publish_notification(struct db *d, int64_t notification_id, int64_t user_id, int64_t thread_id);

/* Says that access changed for user_id's streams (sign-out, suspension, expert assignment), for
 * the streams of company_id's users (withdrawal, group change), or for everyone's (both 0: a new
 * consent document version). Each stream concerned is re-checked on its own worker as soon as
 * the change is durable: it ends (session gone or expired, user suspended, company withdrawn,
 * consent gate failing) or carries only what the new principal may read. Call it in the
 * transaction of the change. */
void events_publish_access(struct db *d, int64_t user_id, int64_t company_id);

/* All of these may be called inside or outside a write transaction, from a worker thread (d is
 * that worker's connection; from any other thread they do nothing). Events are kept per write
 * batch (group commit, db.h): each goes out only once its own batch is durable, and the events
 * of a batch that fails are dropped (its writes were rolled back); at delivery the row is
 * looked up again, so an event of a rolled-back savepoint is never sent either. */

/* Live subscribers on all workers (approximate; for tests and metrics). */
int events_subscriber_count(void);

/* Feature hooks, listed in features.c: per-worker subscriber lists, the SIGTERM drain that ends
 * every stream, and the once-a-second tick (heartbeats, session limits, a slow re-check). */
struct worker;
int events_worker_init(struct worker *w);
void events_worker_free(struct worker *w);
void events_drain(struct worker *w);
void events_tick(struct worker *w);

#endif
