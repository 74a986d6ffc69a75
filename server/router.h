/* router.h — the route table and the dispatcher. The dispatcher alone runs the pipeline:
 * limits → session → declared access → CSRF → consent gate → declared parameters → handler →
 * error rendering. Features contribute routes and per-worker hooks through features.c. */
#ifndef MAMORI_ROUTER_H
#define MAMORI_ROUTER_H

#include "feature.h"
#include "http.h"

struct worker;


/* Handles one request from evhttp on worker w. */
void router_dispatch(struct worker *w, struct evhttp_request *ev);
/* Runs every feature's worker_init for w; returns 0, or -1 when one fails. */
int router_worker_init(struct worker *w);
/* Runs every feature's worker_free for w. */
void router_worker_free(struct worker *w);
/* Runs every feature's drain for w (SIGTERM: long-lived responses end). */
void router_drain(struct worker *w);
/* Once a second on each worker: flushes the request log, runs every feature's tick. */
void router_tick(struct worker *w);
/* Flushes this thread's buffered request log; called by a worker thread as it ends. */
void router_thread_exit(void);

/* True for the paths the routes serve: the API (/api/...) and the calendar feeds (/calendar/...,
 * feed.c); every other path is the web front end's (static.c). */
bool router_is_routed(const char *path);

/* Finds the route for method and path; fills path parameters into r. Returns the route, or
 * NULL with *method_mismatch set when the path exists for another method. */
const struct route *router_match(enum evhttp_cmd_type method, const char *path, struct req *r,
				 bool *method_mismatch);
/* Self-check of the table: at most WORKER_SLOTS features with distinct names; every route
 * declares its access (public alone) and, through ROUTE(), a handler name no other handler has;
 * a JSON body only where one is read, ROUTE_TX only where it writes. Returns 0, or -1 with err
 * naming the route. Run at start and by a unit test. */
int router_check_table(char err[256]);

/* Runs every feature's on_post hook; returns 0 or the first failure (-1). */
int router_run_post_hooks(struct req *r, int64_t thread_id, int64_t post_id);

/* Handler return for a stream that keeps the evhttp request (event stream): the router frees
 * its request record but does not reply. */
#define HTTP_DETACHED 1

#endif
