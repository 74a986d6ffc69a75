/* events.c — the event stream (GET /api/v1/events, Server-Sent Events, docs/API.md §5) and the
 * publish calls of events.h. A publish is queued on the publishing worker with the write batch
 * it belongs to and fanned out once that batch is durable (group commit, db.h) to every worker
 * with worker_post; each worker delivers to its own subscribers, asking authz_can_read_thread
 * for each subscriber at delivery time, so assignments, escalations and visibility changes apply
 * at once. A subscriber costs one small record. Changes of access (sign-out, suspension,
 * withdrawal, consent, group, assignment) arrive as messages (events_publish_access) that re-load
 * the principal of the streams concerned and end those that may no longer read; a stream also
 * ends when its session reaches the idle or absolute limit. */
#include "events.h"

#include "authz.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "router.h"
#include "server.h"
#include "util.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEARTBEAT_SECONDS 20
/* A safety net only: every change of access sends its own message (events_publish_access). */
#define RECHECK_SECONDS 60
#define MAX_BACKLOG_BYTES (256 * 1024) /* a client this far behind is cut off */

enum ev_type { EV_THREAD = 1, EV_POST, EV_NOTIFICATION, EV_ACCESS };

struct ev_item {
	enum ev_type type;
	int64_t thread_id, post_id, notification_id, user_id, company_id;
};

/* The events one write batch published on this worker (gen 0: written outside any batch). They
 * go out when that batch is durable, and are dropped when it fails. */
struct ev_group {
	struct ev_group *next;
	struct worker *w;
	uint64_t gen;
	size_t n, cap;
	struct ev_item *items;
};

/* One message to a worker: a flat allocation (server.c frees undelivered ones with free()). */
struct ev_batch {
	size_t n;
	struct ev_item items[];
};

struct sub {
	struct sub *prev, *next;
	struct evhttp_request *req;
	struct worker *w;
	struct principal who;
	char session_hash[65];
	int64_t last_beat, last_check;
	int64_t expires_at; /* the session's idle or absolute limit, whichever comes first */
	bool attached;       /* our close callback is set on the connection */
	bool attach_pending; /* attach_cb still to run: it frees u if u ended meanwhile */
	bool dead;
};

/* Per worker (its slot: streams_of); touched only on that worker's thread. */
struct streams {
	struct sub *head;
	int count;
	struct ev_group *groups; /* waiting for their batch, oldest first */
};

/* This feature's worker slot (feature.h), set by the first events_worker_init, which runs
 * before any worker thread starts. */
static int slot = -1;

/* w's subscribers and waiting groups, or NULL before the first events_worker_init. */
static struct streams *streams_of(struct worker *w)
{
	return slot < 0 ? NULL : w->slots[slot];
}

static atomic_int total_subscribers;

int events_subscriber_count(void)
{
	return atomic_load(&total_subscribers);
}

static const char post_exists_sql[] = "SELECT 1 FROM posts WHERE id = :id AND thread_id = :tid";
static const char notification_sql[] =
	"SELECT coalesce(thread_id, 0) FROM notifications WHERE id = :id AND user_id = :uid";
static const char session_times_sql[] = "SELECT created_at, last_seen_at FROM sessions WHERE token_hash = :h";

/* ---- publishing --------------------------------------------------------------------------- */

/* The worker whose connection d is, or NULL (the writer's connection, the command line's). */
static struct worker *worker_of_db(struct db *d)
{
	for (int i = 0; i < server_worker_count(); i++) {
		struct worker *w = server_worker(i);
		if (w->db == d)
			return w;
	}
	return NULL;
}

static void deliver(struct worker *w, void *arg);

/* Hands a copy of a group's events to every worker (its own included). */
static void group_fan_out(struct ev_group *g)
{
	size_t bytes = sizeof(struct ev_batch) + g->n * sizeof(struct ev_item);
	for (int i = 0; g->n && i < server_worker_count(); i++) {
		struct ev_batch *b = xmalloc(bytes);
		b->n = g->n;
		memcpy(b->items, g->items, g->n * sizeof(struct ev_item));
		worker_post(server_worker(i), deliver, b);
	}
}

/* Takes g off its worker's list of waiting groups and frees it. */
static void group_unlink_free(struct ev_group *g)
{
	struct streams *s = streams_of(g->w);
	for (struct ev_group **pp = s ? &s->groups : NULL; pp && *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	free(g->items);
	free(g);
}

/* The group's batch has settled: its events go out only when the batch is durable; a batch
 * that failed was rolled back, and so are its events. */
static void group_settled(void *arg, bool committed)
{
	struct ev_group *g = arg;
	if (committed)
		group_fan_out(g);
	group_unlink_free(g);
}

/* One-shot timer for events published outside any write batch: sends them on the next loop turn. */
static void group_now_cb(evutil_socket_t fd, short what, void *arg)
{
	group_settled(arg, true);
}

/* Queues event it in the group of the write batch that d's writes wait in; a group goes out when
 * its batch settles. Nothing when d is no worker's connection. */
static void publish(struct db *d, struct ev_item it)
{
	struct worker *w = worker_of_db(d);
	if (!w || !streams_of(w))
		return;
	struct streams *s = streams_of(w);
	/* The batch these writes wait in (db.h): the events of each batch are kept apart, so an
	 * event never leaves before its own batch is durable, and a failed batch takes only its
	 * own events with it. */
	uint64_t gen = db_pending_gen(d);
	struct ev_group *g = s->groups, **tail = &s->groups;
	for (; g && g->gen != gen; g = g->next)
		tail = &g->next;
	bool fresh = !g;
	if (fresh) {
		g = xcalloc(1, sizeof *g);
		g->w = w;
		g->gen = gen;
		*tail = g;
	}
	if (g->n == g->cap)
		g->items = xrealloc(g->items, (g->cap = g->cap ? g->cap * 2 : 8) * sizeof *g->items);
	g->items[g->n++] = it;
	if (!fresh)
		return;
	/* Last: when the batch settled meanwhile, worker_after_commit runs group_settled at once. */
	struct timeval zero = {0, 0};
	if (gen)
		worker_after_commit(w, group_settled, g);
	else if (event_base_once(w->base, -1, EV_TIMEOUT, group_now_cb, g, &zero) < 0)
		group_settled(g, true);
}

void events_publish_thread(struct db *d, int64_t thread_id)
{
	publish(d, (struct ev_item){.type = EV_THREAD, .thread_id = thread_id});
}

void events_publish_post(struct db *d, int64_t thread_id, int64_t post_id)
{
	publish(d, (struct ev_item){.type = EV_POST, .thread_id = thread_id, .post_id = post_id});
}

void events_publish_notification(struct db *d, int64_t notification_id, int64_t user_id, int64_t thread_id)
{
	publish(d, (struct ev_item){.type = EV_NOTIFICATION, .notification_id = notification_id, .user_id = user_id,
				    .thread_id = thread_id});
}

void events_publish_access(struct db *d, int64_t user_id, int64_t company_id)
{
	publish(d, (struct ev_item){.type = EV_ACCESS, .user_id = user_id, .company_id = company_id});
}

/* ---- subscribers ---------------------------------------------------------------------------- */

/* Takes u off its worker's list and frees it (only marks it dead while attach_cb is pending). */
static void sub_unlink(struct sub *u)
{
	struct streams *s = streams_of(u->w);
	if (u->prev)
		u->prev->next = u->next;
	else
		s->head = u->next;
	if (u->next)
		u->next->prev = u->prev;
	s->count--;
	atomic_fetch_sub(&total_subscribers, 1);
	principal_clear(&u->who);
	if (u->attach_pending)
		u->dead = true;
	else
		free(u);
}

/* Ends the response (when the connection is still there) and forgets the subscriber. */
static void sub_end(struct sub *u)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(u->req);
	if (evcon && u->attached)
		server_conn_set_closecb(evcon, NULL, NULL);
	if (evcon)
		server_conn_set_streaming(u->req, false);
	evhttp_send_reply_end(u->req); /* with no connection left, this frees the request */
	sub_unlink(u);
}

/* The client went away. If evhttp already detached the request (EOF while streaming), it is
 * ours to free; otherwise evhttp frees it with the connection right after this callback. */
static void on_close(struct evhttp_connection *evcon, void *arg)
{
	struct sub *u = arg;
	if (!evhttp_request_get_connection(u->req))
		evhttp_request_free(u->req);
	sub_unlink(u);
}

/* Sends raw text; cuts off a client that does not keep up. Returns false when u was ended. */
static bool sub_send(struct sub *u, const char *text, size_t n)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(u->req);
	if (!evcon) {
		sub_end(u);
		return false;
	}
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	if (bev && evbuffer_get_length(bufferevent_get_output(bev)) > MAX_BACKLOG_BYTES) {
		sub_end(u);
		return false;
	}
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, text, n);
	evhttp_send_reply_chunk(u->req, b);
	evbuffer_free(b);
	return true;
}

/* The router clears the connection's close callback when a handler detaches; set ours after. */
static void attach_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sub *u = arg;
	u->attach_pending = false;
	if (u->dead) {
		free(u);
		return;
	}
	struct evhttp_connection *evcon = evhttp_request_get_connection(u->req);
	if (!evcon) {
		sub_end(u); /* left before we got here: evhttp handed the request to us */
		return;
	}
	server_conn_set_closecb(evcon, on_close, u);
	u->attached = true;
}

/* Reads the session's times and sets u->expires_at from the idle and absolute limits (config.h).
 * False when the session is gone or past either limit. */
static bool sub_session_alive(struct worker *w, struct sub *u)
{
	sqlite3_stmt *st = db_stmt(w->db, session_times_sql);
	db_bind_text(st, ":h", u->session_hash);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return false;
	}
	int64_t created = sqlite3_column_int64(st, 0), seen = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	int64_t idle_end = seen + w->cfg->session_idle_seconds, max_end = created + w->cfg->session_max_seconds;
	u->expires_at = idle_end < max_end ? idle_end : max_end;
	return now_unix() <= u->expires_at;
}

/* Re-loads the subscriber's principal (company, group, role); false when the stream must end
 * (session gone or expired, user not active, company withdrawn, consent no longer given). */
static bool sub_recheck(struct worker *w, struct sub *u)
{
	if (!sub_session_alive(w, u))
		return false;
	struct principal p;
	if (authz_principal_load(w->db, u->who.user_id, &p) < 0)
		return false;
	json_t *pending = NULL;
	enum access_result ar = authz_check_gate(w->db, &p, ACCESS_CONTENT, &pending);
	json_decref(pending);
	principal_clear(&u->who);
	u->who = p;
	return ar == ACCESS_OK;
}

/* An access change (events_publish_access), now durable: re-check the subscribers it concerns
 * (user_id's, company_id's, or everyone's when both are 0) and end or narrow their streams. */
static void deliver_access(struct worker *w, const struct ev_item *it)
{
	struct streams *s = streams_of(w);
	struct sub *next;
	for (struct sub *u = s->head; u; u = next) {
		next = u->next;
		bool all = !it->user_id && !it->company_id;
		if (!all && u->who.user_id != it->user_id && !(it->company_id && u->who.company_id == it->company_id))
			continue;
		u->last_check = now_unix();
		if (!sub_recheck(w, u))
			sub_end(u);
	}
}

/* Delivers a batch to this worker's subscribers. Each event is looked up once (so a rolled-back
 * write sends nothing) and checked against each subscriber with the visibility rule. */
static void deliver(struct worker *w, void *arg)
{
	struct ev_batch *b = arg;
	struct streams *s = streams_of(w);
	for (size_t i = 0; s && s->head && i < b->n; i++) {
		struct ev_item *it = &b->items[i];
		char line[200];
		int n = 0;
		if (it->type == EV_ACCESS) {
			deliver_access(w, it);
			continue;
		}
		if (it->type == EV_POST) {
			sqlite3_stmt *st = db_stmt(w->db, post_exists_sql);
			db_bind_int64(st, ":id", it->post_id);
			db_bind_int64(st, ":tid", it->thread_id);
			if (db_one_int64(st, 0) != 1)
				continue;
			n = snprintf(line, sizeof line, "event: post\ndata: {\"post_id\":%lld,\"thread_id\":%lld}\n\n",
				     (long long)it->post_id, (long long)it->thread_id);
		} else if (it->type == EV_THREAD) {
			n = snprintf(line, sizeof line, "event: thread\ndata: {\"thread_id\":%lld}\n\n",
				     (long long)it->thread_id);
		} else {
			sqlite3_stmt *st = db_stmt(w->db, notification_sql);
			db_bind_int64(st, ":id", it->notification_id);
			db_bind_int64(st, ":uid", it->user_id);
			int64_t tid = db_one_int64(st, -1);
			if (tid < 0)
				continue;
			it->thread_id = tid;
			if (tid)
				n = snprintf(line, sizeof line, "event: notification\ndata: {\"id\":%lld,\"thread_id\":%lld}\n\n",
					     (long long)it->notification_id, (long long)tid);
			else
				n = snprintf(line, sizeof line, "event: notification\ndata: {\"id\":%lld}\n\n",
					     (long long)it->notification_id);
		}
		struct sub *next;
		for (struct sub *u = s->head; u; u = next) {
			next = u->next;
			if (it->type == EV_NOTIFICATION && u->who.user_id != it->user_id)
				continue;
			if (it->thread_id && !authz_can_read_thread(w->db, &u->who, it->thread_id))
				continue;
			sub_send(u, line, (size_t)n);
		}
	}
	free(b);
}

/* ---- the route and the worker hooks ---------------------------------------------------------- */

/* GET /api/v1/events — gated readers; 200 text/event-stream that stays open: events `thread`
 * {thread_id}, `post` {post_id, thread_id} and `notification` {id, thread_id?}, each only about
 * content the caller may read at that moment; a comment line every 20 seconds keeps it alive. */
static int handle_event_stream(struct req *r)
{
	struct streams *s = streams_of(r->w);
	if (server_stopping() || !s)
		return req_error(r, 503, "unavailable", "the server is shutting down");
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
	evhttp_add_header(h, "Content-Type", "text/event-stream; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Accel-Buffering", "no");
	evhttp_add_header(h, "Strict-Transport-Security", "max-age=63072000; includeSubDomains");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply_start(r->ev, 200, "OK");
	server_conn_set_streaming(r->ev, true);
	struct sub *u = xcalloc(1, sizeof *u);
	u->req = r->ev;
	u->w = r->w;
	u->who = *r->who;
	u->who.name = r->who->name ? xstrdup(r->who->name) : NULL;
	u->who.email = r->who->email ? xstrdup(r->who->email) : NULL;
	snprintf(u->session_hash, sizeof u->session_hash, "%s", r->session_hash ? r->session_hash : "");
	u->last_beat = u->last_check = now_unix();
	if (!sub_session_alive(r->w, u))
		u->expires_at = u->last_check; /* the tick ends it */
	u->next = s->head;
	if (s->head)
		s->head->prev = u;
	s->head = u;
	s->count++;
	atomic_fetch_add(&total_subscribers, 1);
	static const char hello[] = "retry: 5000\n: connected\n\n";
	struct timeval zero = {0, 0};
	u->attach_pending = true;
	if (event_base_once(r->w->base, -1, EV_TIMEOUT, attach_cb, u, &zero) < 0)
		u->attach_pending = false; /* no close callback: the heartbeat finds a dead connection */
	sub_send(u, hello, sizeof hello - 1);
	fprintf(stderr, "req GET /api/v1/events 200 stream\n");
	return HTTP_DETACHED;
}

int events_worker_init(struct worker *w)
{
	if (slot < 0)
		slot = feature_index("events");
	w->slots[slot] = xcalloc(1, sizeof(struct streams));
	return 0;
}

/* SIGTERM: end every stream so the drain does not wait for them. */
void events_drain(struct worker *w)
{
	struct streams *s = streams_of(w);
	while (s && s->head)
		sub_end(s->head);
}

void events_worker_free(struct worker *w)
{
	events_drain(w);
	struct streams *s = streams_of(w);
	/* Groups still waiting for a batch: the worker's pending after-commit calls are dropped
	 * with it (server.c), never run. */
	while (s && s->groups) {
		struct ev_group *g = s->groups;
		s->groups = g->next;
		free(g->items);
		free(g);
	}
	free(s);
	w->slots[slot] = NULL;
}

/* Once a second: heartbeats, the end of streams whose session reached its idle or absolute
 * limit (re-read first: other requests may have kept it alive), and a slow re-check of each
 * subscriber's access as a safety net (changes of access arrive as messages, deliver_access). */
void events_tick(struct worker *w)
{
	struct streams *s = streams_of(w);
	int64_t now = now_unix();
	struct sub *next;
	for (struct sub *u = s ? s->head : NULL; u; u = next) {
		next = u->next;
		if (now - u->last_check >= RECHECK_SECONDS || now > u->expires_at) {
			u->last_check = now;
			if (!sub_recheck(w, u)) {
				sub_end(u);
				continue;
			}
		}
		if (now - u->last_beat >= HEARTBEAT_SECONDS) {
			u->last_beat = now;
			static const char ping[] = ": ping\n\n";
			sub_send(u, ping, sizeof ping - 1);
		}
	}
}

const struct route events_routes[] = {
	ROUTE(GET, "/api/v1/events", ACCESS_CONTENT, handle_event_stream, .flags = ROUTE_STREAM),
	{0},
};
