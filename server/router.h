/* router.h — the route table and the dispatcher. The dispatcher alone runs the pipeline:
 * limits → session → declared access → CSRF → consent gate → declared parameters → handler →
 * error rendering. Features contribute routes and per-worker hooks through features.c. */
#ifndef MAMORI_ROUTER_H
#define MAMORI_ROUTER_H

#include "http.h"

struct worker;

/* A feature module's contribution: its routes (terminated by a zero route) and optional hooks
 * run on every worker thread. */
struct feature {
	const char *name;
	const struct route *routes;
	int (*worker_init)(struct worker *w);
	void (*worker_free)(struct worker *w);
	void (*drain)(struct worker *w); /* SIGTERM: end long-lived responses */
	void (*tick)(struct worker *w);  /* once a second */
	/* Called inside the writing transaction after a post is stored (a thread's first post
	 * included), so features can react (escalation answered, mentions...). Return 0 or -1
	 * (the whole write is then rolled back). */
	int (*on_post)(struct req *r, int64_t thread_id, int64_t post_id);
};
/* Defined in features.c, terminated by {0}. */
extern const struct feature features[];

/* Handles one request from evhttp on worker w. */
void router_dispatch(struct worker *w, struct evhttp_request *ev);
int router_worker_init(struct worker *w);
void router_worker_free(struct worker *w);
void router_drain(struct worker *w);
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
/* Self-check of the table: every route declares its access. Returns 0, or -1 with err naming
 * the route. Run at start and by a unit test. */
int router_check_table(char err[256]);

/* Runs every feature's on_post hook; returns 0 or the first failure (-1). */
int router_run_post_hooks(struct req *r, int64_t thread_id, int64_t post_id);

/* Handler return for a stream that keeps the evhttp request (event stream): the router frees
 * its request record but does not reply. */
#define HTTP_DETACHED 1

#endif
