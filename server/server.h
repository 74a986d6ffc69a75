/* server.h — the running server: worker threads (each with its own event base, evhttp and
 * SQLite connection, sharing the port with SO_REUSEPORT), the helper pool for slow work, cross-
 * thread messages between workers, and signal handling (SIGHUP reload, SIGTERM drain). */
#ifndef MAMORI_SERVER_H
#define MAMORI_SERVER_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

struct config;
struct db;
struct evhttp;
struct evhttp_connection;
struct evhttp_request;

/* At least the number of features (router_check_table checks). */
#define WORKER_SLOTS 48

struct worker {
	int index;
	struct event_base *base;
	struct evhttp *http;
	struct db *db;
	const struct config *cfg;
	void *priv; /* server.c internals */
	/* Per-feature state of this worker, slots[feature_index(name)] (feature.h); touched only
	 * on this worker's thread. */
	void *slots[WORKER_SLOTS];
};

/* What the server runs on every worker: the layer above it (the router) defines server_app.
 * The server knows no route and no feature (docs/ARCHITECTURE.md, "Layers"). */
struct server_app {
	void (*dispatch)(struct worker *w, struct evhttp_request *ev); /* each request */
	int (*worker_init)(struct worker *w);                          /* 0 or -1 */
	void (*worker_free)(struct worker *w);
	void (*drain)(struct worker *w); /* SIGTERM: end long-lived responses */
	void (*tick)(struct worker *w);  /* once a second */
	void (*thread_exit)(void);       /* on the worker's thread as it ends */
};
extern const struct server_app server_app;

/* Runs the server until SIGTERM/SIGINT; returns the process exit code. */
int server_run(const struct config *cfg);

/* The number of workers and worker i (for broadcasts). */
int server_worker_count(void);
struct worker *server_worker(int i);

/* Runs work(arg) on a helper thread, then done(arg) on w's event loop. For slow work only
 * (password hashing, mail, exports). Thread-safe. */
typedef void (*job_fn)(void *arg);
void pool_submit(struct worker *w, job_fn work, job_fn done, void *arg);

/* Runs fn(w, arg) on w's event loop (from any thread). arg is owned by fn. */
typedef void (*worker_fn)(struct worker *w, void *arg);
void worker_post(struct worker *w, worker_fn fn, void *arg);

/* Runs fn(arg, committed) on w's loop once the current write batch of w's connection has been
 * committed (committed=true) or has failed and been rolled back (false). The router uses it to
 * hold replies of writing requests until their writes are durable. When nothing w wrote is
 * still pending, fn(arg, true) runs at once, before this returns. On w's thread. */
void worker_after_commit(struct worker *w, void (*fn)(void *arg, bool committed), void *arg);

/* Sets fn(evcon, arg) to run when evcon closes (fn NULL: nothing), in place of
 * evhttp_connection_set_closecb: server.c keeps evhttp's own callback of a connection for itself
 * (it ends the TLS session with close_notify) and runs fn from it. On the connection's worker. */
void server_conn_set_closecb(struct evhttp_connection *evcon, void (*fn)(struct evhttp_connection *, void *),
			     void *arg);

/* Marks the connection of req as a long-lived stream: exempt from the idle deadline and ended
 * by the drain at shutdown. */
void server_conn_set_streaming(struct evhttp_request *req, bool on);

/* Request accounting for a clean drain: a request is in flight from dispatch to reply. */
void server_request_begin(struct worker *w);
void server_request_end(struct worker *w);
/* For tests and fuzzing: a worker without TLS or a listening socket (bind its evhttp with
 * evhttp_bind_socket_with_handle), driven by the caller's own loop. Returns 0 or -1. */
int server_test_worker_open(struct worker *w, const struct config *cfg);
void server_test_worker_close(struct worker *w);

/* True on a worker thread (or the thread driving a test worker): for assert() of "worker
 * thread only". */
bool server_on_worker_thread(void);

/* True once SIGTERM/SIGINT has been received. */
bool server_stopping(void);

#endif
