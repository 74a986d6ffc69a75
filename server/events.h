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

/* All three may be called inside or outside a write transaction, from a worker thread (d is
 * that worker's connection; from any other thread they do nothing). Nothing is sent before the
 * worker's write batch has committed (group commit, db.h); events of a batch that fails are
 * dropped, and at delivery the row is looked up again, so an event of a rolled-back write is
 * never sent. */

/* Live subscribers on all workers (approximate; for tests and metrics). */
int events_subscriber_count(void);

/* Feature hooks, listed in features.c: per-worker subscriber lists, the SIGTERM drain that ends
 * every stream, and the once-a-second tick (heartbeats, access re-checks). */
struct worker;
int events_worker_init(struct worker *w);
void events_worker_free(struct worker *w);
void events_drain(struct worker *w);
void events_tick(struct worker *w);

#endif
