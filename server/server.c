/* server.c — threads, sockets and signals. Each worker owns an event base, an evhttp, a
 * listening socket on the shared port (SO_REUSEPORT) and a SQLite connection. Accepted
 * connections get TCP_NODELAY (evhttp over TLS otherwise stalls ~44 ms per response on delayed
 * ACKs), a per-worker connection cap and a deadline: within every timeout_seconds a connection
 * must deliver a request or move at least MIN_BYTES_PER_SECOND, so slow clients cannot hold
 * sockets forever while slow but honest uploads and downloads finish. The main thread only
 * waits for signals. */
#include "server.h"

#include "bodylimit.h"
#include "config.h"
#include "db.h"
#include "feature.h"
#include "tls.h"
#include "util.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTEN_BACKLOG 4096
/* Below this rate (bytes on the wire, both ways) a connection that delivers no request is cut
 * by its deadline: far above a slowloris's trickle, far below any real client's upload. */
#define MIN_BYTES_PER_SECOND 1024

struct post_msg {
	worker_fn fn;
	void *arg;
	struct post_msg *next;
};

struct worker_priv {
	pthread_t thread;
	struct evconnlistener *listener;
	int nconns;
	struct conn *conns; /* open connections, for the drain */
	int inflight;
	struct event *drain_ev;   /* activated by the main thread at SIGTERM */
	struct event *drain_poll; /* waits for in-flight requests to finish */
	struct event *inbox_ev;
	pthread_mutex_t inbox_lock;
	struct post_msg *inbox, **inbox_tail;
	struct event *tick; /* once a second: ticket key rotation, housekeeping */
	struct event *release_ev; /* zero-timeout timer: lets go of the writer at the end of the turn */
	struct after_commit *after, **after_tail; /* in batch order */
	int64_t drain_started;
};

struct after_commit {
	void (*fn)(void *arg, bool committed);
	void *arg;
	uint64_t gen; /* the write batch it waits for */
	struct after_commit *next;
};

/* One accepted connection; freed with its SSL (ex_data free callback). */
struct conn {
	struct worker *w;
	struct bufferevent *bev;
	struct event *deadline;
	bool active;    /* a request arrived since the last deadline check */
	uint64_t bytes; /* bytes read and written on the socket at the last deadline check */
	bool streaming; /* a long-lived response (event stream) */
	bool close_hooked; /* conn_closed is evhttp's close callback of the connection */
	void (*closecb)(struct evhttp_connection *, void *); /* server_conn_set_closecb's */
	void *closearg;
	struct body_watch *watch; /* request heads: each body's limit (bodylimit.h) */
	struct conn *next, **pprev; /* the worker's open connections (worker_priv.conns) */
};

static struct worker *workers;
static int nworkers;
static atomic_bool stopping;
static int conn_ex_index = -1;

/* ---- helper pool ------------------------------------------------------------------------ */

struct job {
	job_fn work, done;
	void *arg;
	struct event *ev;
	struct job *next;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static struct job *pool_head, **pool_tail = &pool_head;
static bool pool_quit;
static pthread_t *pool_threads;
static int pool_size;

/* On w's loop once a helper has run j->work: runs j->done, then frees the job and its event. */
static void job_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	j->done(j->arg);
	event_free(j->ev);
	free(j);
}

void pool_submit(struct worker *w, job_fn work, job_fn done, void *arg)
{
	struct job *j = xcalloc(1, sizeof *j);
	j->work = work;
	j->done = done;
	j->arg = arg;
	j->ev = event_new(w->base, -1, 0, job_done_cb, j);
	pthread_mutex_lock(&pool_lock);
	*pool_tail = j;
	pool_tail = &j->next;
	pthread_cond_signal(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
}

/* A helper thread, at nice 10: runs the queued jobs' work in submission order and wakes each job's
 * worker loop for its done. Returns once pool_quit is set and the queue is empty. */
static void *pool_main(void *arg)
{
	/* Slow work yields the CPU to the event loops: password hashing during a sign-in storm
	 * must not stretch the latency of ordinary requests (Linux nice is per thread). SCHED_IDLE
	 * was tried (2026-11-26): the storm figures did not separate from the noise, and on a
	 * saturated machine it starves sign-ins outright (a throttling test timed out), so nice 10. */
	setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
	for (;;) {
		pthread_mutex_lock(&pool_lock);
		while (!pool_head && !pool_quit)
			pthread_cond_wait(&pool_cond, &pool_lock);
		struct job *j = pool_head;
		if (!j) {
			pthread_mutex_unlock(&pool_lock);
			return NULL;
		}
		pool_head = j->next;
		if (!pool_head)
			pool_tail = &pool_head;
		pthread_mutex_unlock(&pool_lock);
		j->work(j->arg);
		event_active(j->ev, 0, 0); /* thread-safe: evthread_use_pthreads() */
	}
}

/* ---- cross-worker messages ---------------------------------------------------------------- */

/* On w's loop (inbox_ev): takes every message posted to w (worker_post) and runs each in posting
 * order, freeing the envelope; the payload is fn's. */
static void inbox_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct worker_priv *wp = w->priv;
	pthread_mutex_lock(&wp->inbox_lock);
	struct post_msg *m = wp->inbox;
	wp->inbox = NULL;
	wp->inbox_tail = &wp->inbox;
	pthread_mutex_unlock(&wp->inbox_lock);
	while (m) {
		struct post_msg *next = m->next;
		m->fn(w, m->arg);
		free(m);
		m = next;
	}
}

void worker_post(struct worker *w, worker_fn fn, void *arg)
{
	struct worker_priv *wp = w->priv;
	struct post_msg *m = xcalloc(1, sizeof *m);
	m->fn = fn;
	m->arg = arg;
	pthread_mutex_lock(&wp->inbox_lock);
	bool was_empty = wp->inbox == NULL;
	*wp->inbox_tail = m;
	wp->inbox_tail = &m->next;
	pthread_mutex_unlock(&wp->inbox_lock);
	if (was_empty)
		event_active(wp->inbox_ev, 0, 0);
}

int server_worker_count(void)
{
	return nworkers;
}

struct worker *server_worker(int i)
{
	return &workers[i];
}

bool server_stopping(void)
{
	return atomic_load(&stopping);
}

/* ---- connections -------------------------------------------------------------------------- */

/* OpenSSL's ex_data free callback for a connection's SSL (parent): marks the session shut, unlinks
 * the conn record from its worker and frees it with its deadline and body watcher. Runs when evhttp
 * frees the connection, on the worker's loop or in worker_destroy; ptr is NULL for an SSL that
 * never got a record. */
static void conn_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct conn *c = ptr;
	if (!c)
		return;
	/* libevent frees the SSL without SSL_shutdown; OpenSSL would then drop the session from
	 * the cache as "bad". Mark it shut so session-ID resumption keeps working. */
	SSL_set_shutdown(parent, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	struct worker_priv *wp = c->w->priv;
	wp->nconns--;
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	event_free(c->deadline);
	body_watch_free(c->watch);
	free(c);
}

/* The conn record of req's connection, found through its SSL; NULL on a connection without TLS (a
 * test worker) or when evhttp no longer has the connection. */
static struct conn *conn_of_request(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	if (!evcon)
		return NULL;
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	return ssl ? SSL_get_ex_data(ssl, conn_ex_index) : NULL;
}

void server_conn_set_streaming(struct evhttp_request *req, bool on)
{
	struct conn *c = conn_of_request(req);
	if (c)
		c->streaming = on;
}

/* Bytes read from and written to the socket so far (TLS records included). */
static uint64_t conn_bytes(struct conn *c)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	BIO *rb = ssl ? SSL_get_rbio(ssl) : NULL, *wb = ssl ? SSL_get_wbio(ssl) : NULL;
	return (rb ? BIO_number_read(rb) : 0) + (wb ? BIO_number_written(wb) : 0);
}

/* The connection's deadline, every timeout_seconds (at once for a refused connection): keeps a
 * connection that delivered a request, streams, or moved MIN_BYTES_PER_SECOND per second meanwhile,
 * and shuts the socket of any other. */
static void deadline_cb(evutil_socket_t unused, short what, void *arg)
{
	struct conn *c = arg;
	uint64_t bytes = conn_bytes(c), moved = bytes - c->bytes;
	c->bytes = bytes;
	if (c->active || c->streaming ||
	    moved >= (uint64_t)MIN_BYTES_PER_SECOND * (uint64_t)c->w->cfg->timeout_seconds) {
		c->active = false;
		return;
	}
	/* No request arrived within the deadline: a slow or idle client. Shutting the socket down
	 * makes evhttp see EOF and free the connection through its normal path. */
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

/* evhttp's close callback of every connection that carried a request (server_request_seen), run
 * when evhttp ends the connection, before it shuts the socket: first the layer above's callback
 * (server_conn_set_closecb), then TLS's close_notify alert when the connection ends cleanly — the
 * handshake done and every byte of the replies handed to TLS. libevent frees the SSL without
 * SSL_shutdown, so without this a reply ended with a bare TCP FIN: clients that do not forgive
 * a truncated stream (OpenSSL 3's default: wrk, curl) then report an error and drop the session,
 * so their next connection paid a full handshake instead of resuming (tests/e2e/test_foundation
 * test_close_notify). A connection cut short (a deadline, a reply not yet written) ends quietly.
 * SSL_shutdown does not wait for the peer's alert. */
static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct conn *c = arg;
	if (c->closecb)
		c->closecb(evcon, c->closearg);
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	if (ssl && SSL_is_init_finished(ssl) && !(SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN) &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		SSL_shutdown(ssl);
		ERR_clear_error(); /* a peer already gone: nothing to report */
	}
}

void server_conn_set_closecb(struct evhttp_connection *evcon, void (*fn)(struct evhttp_connection *, void *),
			     void *arg)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	struct conn *c = ssl ? SSL_get_ex_data(ssl, conn_ex_index) : NULL;
	if (c && c->close_hooked) {
		c->closecb = fn;
		c->closearg = arg;
	} else {
		evhttp_connection_set_closecb(evcon, fn, arg); /* a worker without TLS (tests) */
	}
}

/* Marks req's connection active, so that its next deadline keeps it, and makes conn_closed its
 * close callback at its first request. */
static void server_request_seen(struct evhttp_request *req)
{
	struct conn *c = conn_of_request(req);
	if (!c)
		return;
	/* No TCP_NODELAY here: Linux copies it from the listener (listen_socket) to every accepted
	 * socket, and a setsockopt per connection was one syscall in 30. */
	c->active = true;
	if (!c->close_hooked) {
		evhttp_connection_set_closecb(evhttp_request_get_connection(req), conn_closed, c);
		c->close_hooked = true;
	}
}

/* The largest body any route takes, for a signed-in request. */
static size_t server_max_body(const struct config *cfg)
{
	int64_t max_body = cfg->max_attachment_bytes > (1 << 20) ? cfg->max_attachment_bytes : (1 << 20);
	return (size_t)max_body + 4096;
}

/* evhttp asks for the connection's bufferevent before it sets the fd; the conn record rides
 * on the SSL object, so it lives exactly as long as the connection does. */
static struct bufferevent *bevcb(struct event_base *base, void *arg)
{
	struct worker *w = arg;
	/* Returning NULL here would make evhttp fall back to a plain socket bufferevent and speak
	 * cleartext HTTP on the TLS port; both can only fail for want of memory, so abort. */
	SSL *ssl = tls_new_ssl();
	if (!ssl) {
		log_error("tls: cannot create a connection's SSL");
		abort();
	}
	struct bufferevent *bev = bufferevent_openssl_socket_new(
		base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!bev) {
		log_error("tls: cannot create a connection's bufferevent");
		abort();
	}
	struct worker_priv *wp = w->priv;
	struct conn *c = xcalloc(1, sizeof *c);
	c->w = w;
	c->bev = bev;
	/* Over the connection cap (or draining): the connection is shut at once by its deadline.
	 * Otherwise its first request is due within timeout_seconds of the accept. */
	bool refuse = atomic_load(&stopping) || wp->nconns >= w->cfg->max_connections;
	c->deadline = event_new(base, -1, EV_PERSIST, deadline_cb, c);
	struct timeval tv = {refuse ? 0 : w->cfg->timeout_seconds, 0};
	event_add(c->deadline, &tv);
	SSL_set_ex_data(ssl, conn_ex_index, c);
	c->watch = body_watch_new(bev, w->db, w->cfg, server_max_body(w->cfg));
	wp->nconns++;
	c->next = wp->conns;
	if (c->next)
		c->next->pprev = &c->next;
	c->pprev = &wp->conns;
	wp->conns = c;
	return bev;
}

/* evhttp's callback for every request on w: marks the connection active and hands the request to
 * the layer above (server_app.dispatch). */
static void request_cb(struct evhttp_request *req, void *arg)
{
	struct worker *w = arg;
	server_request_seen(req);
	server_app.dispatch(w, req);
}

void server_request_begin(struct worker *w)
{
	((struct worker_priv *)w->priv)->inflight++;
}

void server_request_end(struct worker *w)
{
	((struct worker_priv *)w->priv)->inflight--;
}

/* ---- group commit ----------------------------------------------------------------------------- */

/* The writer (db.h) commits and syncs batches on its own thread; a worker only holds it while a
 * request writes, and learns on its inbox when a batch it wrote into is durable. */

/* w's zero-timeout release_ev, armed by batch_held: lets go of the writer at the end of the loop
 * turn if a timer or hook still holds it. */
static void release_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	db_release(w->db); /* a request releases at its end; this catches timers and hooks */
}

/* db's on_hold for w's connection, on w's thread with the writer's lock just taken: arms release_ev
 * so that the lock never outlives this loop turn. */
static void batch_held(void *arg)
{
	struct worker *w = arg;
	static const struct timeval zero = {0, 0};
	event_add(((struct worker_priv *)w->priv)->release_ev, &zero);
}

struct settled_msg {
	uint64_t gen;
	bool ok;
};

/* On w's loop, posted by batch_settled: runs, in batch order, and frees every after_commit callback
 * waiting for a batch up to m->gen, with m->ok as committed; frees m. */
static void settled_cb(struct worker *w, void *arg)
{
	struct settled_msg *m = arg;
	struct worker_priv *wp = w->priv;
	while (wp->after && wp->after->gen <= m->gen) {
		struct after_commit *a = wp->after;
		wp->after = a->next;
		if (!wp->after)
			wp->after_tail = &wp->after;
		a->fn(a->arg, m->ok);
		free(a);
	}
	free(m);
}

/* On the writer thread. */
static void batch_settled(void *arg, uint64_t gen, bool ok)
{
	struct settled_msg *m = xmalloc(sizeof *m);
	m->gen = gen;
	m->ok = ok;
	worker_post(arg, settled_cb, m);
}

void worker_after_commit(struct worker *w, void (*fn)(void *arg, bool committed), void *arg)
{
	struct worker_priv *wp = w->priv;
	uint64_t gen = db_pending_gen(w->db);
	if (!gen) {
		fn(arg, true); /* everything this worker wrote is durable already */
		return;
	}
	struct after_commit *a = xcalloc(1, sizeof *a);
	a->fn = fn;
	a->arg = arg;
	a->gen = gen;
	*wp->after_tail = a;
	wp->after_tail = &a->next;
}

/* ---- worker lifecycle ----------------------------------------------------------------------- */

/* A non-blocking listening socket for listen_addr, HOST:PORT or [V6]:PORT (an empty host listens on
 * every address), with SO_REUSEADDR, SO_REUSEPORT (one socket per worker on the same port) and
 * TCP_NODELAY, which accepted sockets inherit. Binds only the first address getaddrinfo returns.
 * listen_addr must contain a ':' (config_set checks). The first worker's (first) binds the
 * address once without SO_REUSEPORT before: SO_REUSEPORT would let this server join the sockets
 * of another process of the same user already listening there, and the kernel would share the
 * connections between the two without a word. Returns the fd or -1 (logged). */
static int listen_socket(const char *listen_addr, bool first)
{
	char *host = xstrdup(listen_addr);
	char *colon = strrchr(host, ':');
	*colon = 0;
	const char *port = colon + 1;
	char *h = host;
	if (h[0] == '[') {
		h++;
		h[strlen(h) - 1] = 0;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *ai = NULL;
	int fd = -1;
	if (getaddrinfo(*h ? h : NULL, port, &hints, &ai) != 0 || !ai) {
		log_error("listen: cannot resolve %s", listen_addr);
		goto out;
	}
	int one = 1;
	if (first) {
		int probe = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool taken = probe >= 0 &&
			     setsockopt(probe, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
			     bind(probe, ai->ai_addr, ai->ai_addrlen) < 0 && errno == EADDRINUSE;
		if (probe >= 0)
			close(probe);
		if (taken) {
			log_error("listen: %s is in use by another process", listen_addr);
			goto out;
		}
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		char eb[ERR_STR_LEN];
		log_error("listen: %s: %s", listen_addr, err_str(errno, eb));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
out:
	if (ai)
		freeaddrinfo(ai);
	free(host);
	return fd;
}

/* True while some connection still has reply bytes that have not reached the socket: a reply
 * that evhttp has taken is not delivered until then, and leaving the loop would drop it. */
static bool replies_unsent(struct worker_priv *wp)
{
	for (struct conn *c = wp->conns; c; c = c->next)
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
			return true;
	return false;
}

/* Every 20 ms of the drain: leaves w's loop once no request is in flight and every reply has
 * reached its socket, or after 30 s regardless. */
static void drain_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct worker_priv *wp = w->priv;
	if ((wp->inflight > 0 || replies_unsent(wp)) && now_unix() - wp->drain_started < 30)
		return;
	event_del(wp->drain_poll);
	event_base_loopexit(w->base, NULL);
}

/* On w's loop at SIGTERM/SIGINT (drain_ev, activated by the main thread): stops accepting, ends
 * event streams (server_app.drain) and starts drain_poll_cb. */
static void drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct worker_priv *wp = w->priv;
	if (wp->listener) {
		/* Stop accepting; evhttp owns the bound listener and frees it with the evhttp. */
		evconnlistener_disable(wp->listener);
	}
	server_app.drain(w); /* ends event streams */
	wp->drain_started = now_unix();
	struct timeval tv = {0, 20000};
	wp->drain_poll = event_new(w->base, -1, EV_PERSIST, drain_poll_cb, w);
	event_add(wp->drain_poll, &tv);
}

/* Once a second on every worker: worker 0 rotates the TLS ticket keys when they are due; each
 * worker runs the layer above's housekeeping (server_app.tick). */
static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	if (w->index == 0)
		tls_rotate_ticket_keys();
	server_app.tick(w);
}

static _Thread_local bool on_worker;

bool server_on_worker_thread(void)
{
	return on_worker;
}

/* A worker thread: runs w's loop until the drain leaves it, then the layer above's per-thread
 * cleanup (server_app.thread_exit). */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	on_worker = true;
	event_base_dispatch(w->base);
	server_app.thread_exit();
	return NULL;
}

/* Everything a worker needs but its socket: database, event base, evhttp with limits, the
 * inbox and the timers. tls selects the TLS bufferevent callback. */
static int worker_setup(struct worker *w, int index, const struct config *cfg, bool tls)
{
	struct worker_priv *wp = xcalloc(1, sizeof *wp);
	w->priv = wp;
	w->index = index;
	w->cfg = cfg;
	pthread_mutex_init(&wp->inbox_lock, NULL);
	wp->inbox_tail = &wp->inbox;
	wp->after_tail = &wp->after;
	if (db_open(cfg->data_dir, false, &w->db) < 0)
		return -1;
	/* With the change list, libevent folds the per-request toggling of a connection's read and
	 * write events into one epoll_ctl at the next dispatch (or none): 2 fewer syscalls a request. */
	struct event_config *ec = event_config_new();
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	w->base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (!w->base)
		w->base = event_base_new();
	w->http = evhttp_new(w->base);
	if (tls)
		evhttp_set_bevcb(w->http, bevcb, w);
	evhttp_set_gencb(w->http, request_cb, w);
	evhttp_set_max_headers_size(w->http, 32 * 1024);
	/* A connection starts with the small limit for bodies without a session; the body watcher
	 * (bodylimit.h) sets each request's limit from its head: server_max_body with a valid
	 * session cookie. Each route's own limit is checked by the router. */
	evhttp_set_max_body_size(w->http, tls ? BODY_ANON_MAX : (ev_ssize_t)server_max_body(cfg));
	evhttp_set_timeout(w->http, cfg->timeout_seconds);
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
						    EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
						    EVHTTP_REQ_OPTIONS);
	evhttp_set_default_content_type(w->http, "application/json; charset=utf-8");
	wp->inbox_ev = event_new(w->base, -1, 0, inbox_cb, w);
	wp->drain_ev = event_new(w->base, -1, 0, drain_cb, w);
	wp->tick = event_new(w->base, -1, EV_PERSIST, tick_cb, w);
	struct timeval sec = {1, 0};
	event_add(wp->tick, &sec);
	wp->release_ev = evtimer_new(w->base, release_cb, w);
	db_batch_enable(w->db, batch_held, batch_settled, w);
	return server_app.worker_init(w);
}

/* A serving worker: worker_setup with TLS, then its own listening socket (SO_REUSEPORT) bound to
 * its evhttp. Returns 0 or -1 (logged); the caller frees a worker that failed with worker_destroy. */
static int worker_init(struct worker *w, int index, const struct config *cfg)
{
	if (worker_setup(w, index, cfg, true) < 0)
		return -1;
	struct worker_priv *wp = w->priv;
	int fd = listen_socket(cfg->listen, index == 0);
	if (fd < 0)
		return -1;
	wp->listener = evconnlistener_new(w->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (!wp->listener || !evhttp_bind_listener(w->http, wp->listener))
		return -1;
	return 0;
}

/* Frees what worker_setup and worker_init made, once w's thread has ended or never started: the
 * layer above's state, the writer if w still holds it, the after_commit callbacks still waiting
 * (not run), the evhttp with its listener and connections, the timers, queued messages (payloads
 * freed with free()), the loop and the database. Nothing for a worker never set up (priv NULL). */
static void worker_destroy(struct worker *w)
{
	struct worker_priv *wp = w->priv;
	if (!wp)
		return;
	server_app.worker_free(w);
	if (w->db)
		db_release(w->db);
	/* Replies still waiting for a batch: their connections close with the evhttp. */
	for (struct after_commit *a = wp->after, *next; a; a = next) {
		next = a->next;
		free(a);
	}
	if (w->http)
		evhttp_free(w->http);
	/* A worker whose setup failed part-way (its database would not open) has some events not
	 * made yet: event_free(NULL) is not allowed. */
	if (wp->inbox_ev)
		event_free(wp->inbox_ev);
	if (wp->drain_ev)
		event_free(wp->drain_ev);
	if (wp->drain_poll)
		event_free(wp->drain_poll);
	if (wp->tick)
		event_free(wp->tick);
	if (wp->release_ev)
		event_free(wp->release_ev);
	/* Messages still queued are dropped with their payloads. */
	struct post_msg *m = wp->inbox;
	while (m) {
		struct post_msg *next = m->next;
		free(m->arg);
		free(m);
		m = next;
	}
	if (w->base)
		event_base_free(w->base);
	db_close(w->db);
	pthread_mutex_destroy(&wp->inbox_lock);
	free(wp);
	w->priv = NULL;
}

int server_test_worker_open(struct worker *w, const struct config *cfg)
{
	memset(w, 0, sizeof *w);
	evthread_use_pthreads();
	on_worker = true; /* the caller's thread drives this worker */
	if (features_start(cfg->data_dir) < 0 || db_writer_start(cfg->data_dir, features_before_commit) < 0)
		return -1;
	return worker_setup(w, 0, cfg, false);
}

void server_test_worker_close(struct worker *w)
{
	db_writer_stop();
	features_stop();
	worker_destroy(w);
}

int server_run(const struct config *cfg)
{
	evthread_use_pthreads();
	conn_ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_free_cb);
	if (tls_load(cfg->tls_cert, cfg->tls_key) < 0)
		return 1;

	/* Signals are handled by the main thread alone, with sigwait. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct db *d = NULL;
	if (db_open(cfg->data_dir, false, &d) < 0 || db_migrate(d) < 0) {
		db_close(d);
		return 1;
	}
	db_close(d);

	nworkers = cfg->workers;
	workers = xcalloc((size_t)nworkers, sizeof *workers);
	/* The features' threads first (search's indexer: the writer wakes it after every batch). */
	int rc = features_start(cfg->data_dir) < 0 || db_writer_start(cfg->data_dir, features_before_commit) < 0;
	for (int i = 0; i < nworkers && rc == 0; i++)
		if (worker_init(&workers[i], i, cfg) < 0)
			rc = 1;
	pool_size = cfg->helpers;
	pool_threads = xcalloc((size_t)pool_size, sizeof *pool_threads);
	if (rc == 0) {
		for (int i = 0; i < pool_size; i++)
			pthread_create(&pool_threads[i], NULL, pool_main, NULL);
		for (int i = 0; i < nworkers; i++)
			pthread_create(&((struct worker_priv *)workers[i].priv)->thread, NULL, worker_main, &workers[i]);
		log_info("mamori: serving https://%s with %d workers", cfg->listen, nworkers);

		for (;;) {
			int sig = 0;
			sigwait(&set, &sig);
			if (sig == SIGHUP) {
				if (tls_load(cfg->tls_cert, cfg->tls_key) == 0)
					log_info("mamori: TLS certificate reloaded");
				else
					log_error("mamori: TLS reload failed; keeping the previous certificate");
				continue;
			}
			log_info("mamori: signal %d, draining", sig);
			break;
		}
		atomic_store(&stopping, true);
		for (int i = 0; i < nworkers; i++)
			event_active(((struct worker_priv *)workers[i].priv)->drain_ev, 0, 0);
		for (int i = 0; i < nworkers; i++)
			pthread_join(((struct worker_priv *)workers[i].priv)->thread, NULL);
		pthread_mutex_lock(&pool_lock);
		pool_quit = true;
		pthread_cond_broadcast(&pool_cond);
		pthread_mutex_unlock(&pool_lock);
		for (int i = 0; i < pool_size; i++)
			pthread_join(pool_threads[i], NULL);
	}
	db_writer_stop();
	features_stop();
	for (int i = 0; i < nworkers; i++)
		worker_destroy(&workers[i]);
	free(workers);
	free(pool_threads);
	tls_shutdown();
	log_info("mamori: stopped");
	return rc;
}
