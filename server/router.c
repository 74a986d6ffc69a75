/* router.c — route matching and the request pipeline (docs/CONTRIBUTING.md "The request's way through").
 * Handlers never write error bodies: they return a status, and this file renders replies,
 * errors, the security headers every response carries, and the one log line per request. */
#include "router.h"

#include "body.h"
#include "bodylimit.h"
#include "cache.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "idempotency.h"
#include "server.h"
#include "session.h"
#include "query.h"
#include "reply.h"
#include "route_index.h"
#include "static.h"
#include "util.h"

#include <assert.h>
#include <ctype.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_MAX_BODY (1u << 20) /* JSON bodies; posts are checked at 65,536 bytes of text */
#define MAX_PATH_LEN 2048

/* The reason phrase of the status line for an HTTP status. */
static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	default: return status >= 500 ? "Internal Server Error" : "OK";
	}
}

/* ---- handler helpers (http.h) ---------------------------------------------------------- */

int req_error(struct req *r, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(r->err_msg);
	if (vasprintf(&r->err_msg, fmt, ap) < 0)
		r->err_msg = NULL;
	va_end(ap);
	r->err_code = code;
	return status;
}

int req_not_found(struct req *r)
{
	return req_error(r, 404, "not_found", "not found");
}

int req_forbidden(struct req *r)
{
	return req_error(r, 403, "forbidden", "you may not do this");
}

int req_internal(struct req *r, const char *what)
{
	log_error("internal error in %s: %s", r->route ? r->route->pattern : r->path, what);
	return req_error(r, 500, "internal", "internal error");
}

int req_reply(struct req *r, int status, json_t *out)
{
	if (r->out)
		json_decref(r->out);
	r->out = out;
	return status;
}

int req_path_id(struct req *r, int i, int64_t *out)
{
	if (i >= r->npath)
		return -1;
	const char *s = r->path_params[i];
	int64_t v = 0;
	if (!*s || strlen(s) > 18)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (v <= 0)
		return -1;
	*out = v;
	return 0;
}

const char *req_path_str(struct req *r, int i)
{
	return i < r->npath ? r->path_params[i] : NULL;
}

const char *req_query_str(struct req *r, const char *name)
{
	for (int i = 0; i < MAX_QUERY_PARAMS && r->route->params[i].name; i++)
		if (strcmp(r->route->params[i].name, name) == 0)
			return r->query_vals[i];
	return NULL;
}

int64_t req_query_int(struct req *r, const char *name, int64_t dflt)
{
	const char *s = req_query_str(r, name);
	return s ? strtoll(s, NULL, 10) : dflt;
}

int req_body_str(struct req *r, const char *name, const char **out)
{
	json_t *v = r->body ? json_object_get(r->body, name) : NULL;
	if (!v || json_is_null(v))
		return 1;
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

int req_body_int(struct req *r, const char *name, int64_t *out)
{
	json_t *v = r->body ? json_object_get(r->body, name) : NULL;
	if (!v || json_is_null(v))
		return 1;
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

int req_body_bool(struct req *r, const char *name, bool *out)
{
	json_t *v = r->body ? json_object_get(r->body, name) : NULL;
	if (!v || json_is_null(v))
		return 1;
	if (!json_is_boolean(v))
		return -1;
	*out = json_is_true(v);
	return 0;
}

/* The declared member name of r's route, or NULL (with an abort in debug builds: reading a
 * member the route does not declare is a programming error, as binding an unknown SQL name). */
static const json_t *field(struct req *r, const char *name)
{
	const struct body_spec *f = body_find(r->route->body, name);
	if (!f) {
		log_error("route %s reads body member %s, which it does not declare", r->route->pattern, name);
		assert(!"undeclared body member");
		return NULL;
	}
	const json_t *v = r->body ? json_object_get(r->body, name) : NULL;
	return v && !json_is_null(v) ? v : NULL;
}

const char *req_field_str(struct req *r, const char *name)
{
	const json_t *v = field(r, name);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int64_t req_field_int(struct req *r, const char *name, int64_t dflt)
{
	const json_t *v = field(r, name);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

bool req_field_bool(struct req *r, const char *name, bool dflt)
{
	const json_t *v = field(r, name);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

json_t *req_field_json(struct req *r, const char *name)
{
	return (json_t *)field(r, name);
}

bool req_field_present(struct req *r, const char *name)
{
	return field(r, name) != NULL;
}

int req_tx(struct req *r)
{
	assert(!r->tx_open);
	if (db_tx_begin(r->db, r->route && r->route->name ? r->route->name : __func__) < 0)
		return -1;
	r->tx_open = true;
	return 0;
}

/* Ends the transaction req_tx opened: commits on 2xx, rolls back otherwise. Returns status, or
 * 500 when the commit failed (nothing was kept). */
static int req_tx_end(struct req *r, int status)
{
	if (!r->tx_open)
		return status;
	r->tx_open = false;
	if (status >= 200 && status < 300) {
		if (db_tx_commit(r->db) == 0)
			return status;
		json_decref(r->out);
		r->out = NULL;
		if (r->raw_out) {
			evbuffer_free(r->raw_out);
			r->raw_out = NULL;
		}
		return req_internal(r, "commit");
	}
	db_tx_rollback(r->db);
	return status;
}

void req_header(struct req *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), name, value);
}

/* t as an RFC 3339 UTC string, or JSON null for 0 (http.h). New reference. */
json_t *json_time(int64_t t)
{
	if (!t)
		return json_null();
	char buf[32];
	time_format_utc(t, buf);
	return json_string(buf);
}

/* ---- matching ------------------------------------------------------------------------------- */

/* Frees the path parameters an earlier match copied into r. */
static void req_clear_path_params(struct req *r)
{
	for (int i = 0; i < r->npath; i++)
		free(r->path_params[i]);
	r->npath = 0;
}

/* Matches one pattern against a path; {x} takes one non-empty segment. The segments are
 * copied into r only on a match: most patterns tried for a request do not match. */
static bool pattern_match(const char *pat, const char *path, struct req *r)
{
	req_clear_path_params(r);
	const char *seg[MAX_PATH_PARAMS];
	size_t seg_len[MAX_PATH_PARAMS];
	int n = 0;
	while (*pat && *path) {
		if (*pat == '{') {
			const char *close = strchr(pat, '}');
			size_t len = strcspn(path, "/");
			if (len == 0 || n == MAX_PATH_PARAMS)
				return false;
			seg[n] = path;
			seg_len[n++] = len;
			pat = close + 1;
			path += len;
			continue;
		}
		if (*pat != *path)
			return false;
		pat++;
		path++;
	}
	if (*pat || *path)
		return false;
	for (int i = 0; i < n; i++)
		r->path_params[i] = xstrndup(seg[i], seg_len[i]);
	r->npath = n;
	return true;
}

bool router_is_routed(const char *path)
{
	return strncmp(path, "/api/", 5) == 0 || strncmp(path, "/calendar/", 10) == 0;
}

const struct route *router_match(enum evhttp_cmd_type method, const char *path, struct req *r,
				 bool *method_mismatch)
{
	*method_mismatch = false;
	size_t n;
	const struct route *const *candidates = route_index_candidates(path, &n);
	for (size_t i = 0; i < n; i++) {
		const struct route *rt = candidates[i];
		if (!pattern_match(rt->pattern, path, r))
			continue;
		if (rt->method == method || (method == EVHTTP_REQ_HEAD && rt->method == EVHTTP_REQ_GET))
			return rt;
		*method_mismatch = true;
	}
	req_clear_path_params(r);
	return NULL;
}

/* The parts of a route's declaration beyond its access: a unique handler name, a body
 * declaration only where a JSON body is read, ROUTE_TX only on a route that writes. */
static int check_route_shape(const struct feature *f, const struct route *rt, char err[256])
{
	bool reads = rt->method == EVHTTP_REQ_GET || rt->method == EVHTTP_REQ_HEAD;
	if (rt->body[0].name && (reads || (rt->flags & ROUTE_RAW_BODY))) {
		snprintf(err, 256, "route %s declares a JSON body it cannot receive", rt->pattern);
		return -1;
	}
	for (int i = 0; i < MAX_BODY_FIELDS && rt->body[i].name; i++)
		if (rt->body[i].type < BODY_STR || rt->body[i].type > BODY_OBJECT) {
			snprintf(err, 256, "route %s: body member %s has no type", rt->pattern, rt->body[i].name);
			return -1;
		}
	if ((rt->flags & ROUTE_TX) && (reads || (rt->flags & ROUTE_STREAM))) {
		snprintf(err, 256, "route %s: ROUTE_TX on a route that does not write", rt->pattern);
		return -1;
	}
	if (!rt->name) {
		snprintf(err, 256, "route %s is not declared with ROUTE() (no handler name)", rt->pattern);
		return -1;
	}
	for (const struct feature *g = features; g <= f && g->name; g++)
		for (const struct route *o = g->routes; o && o->pattern && o != rt; o++)
			if (strcmp(o->name, rt->name) == 0 && o->handler != rt->handler) {
				snprintf(err, 256, "two handlers are called %s (%s, %s)", rt->name, o->pattern, rt->pattern);
				return -1;
			}
	return 0;
}

int router_check_table(char err[256])
{
	for (const struct feature *f = features; f->name; f++) {
		if (f - features >= WORKER_SLOTS) {
			snprintf(err, 256, "more features than WORKER_SLOTS (%d)", WORKER_SLOTS);
			return -1;
		}
		if (feature_index(f->name) != f - features) {
			snprintf(err, 256, "two features are called %s", f->name);
			return -1;
		}
		for (const struct route *rt = f->routes; rt && rt->pattern; rt++) {
			if (rt->access == ACCESS_UNSET || !rt->handler) {
				snprintf(err, 256, "route %s (%s) declares no %s", rt->pattern, f->name,
					 rt->handler ? "access" : "handler");
				return -1;
			}
			if ((rt->access & ACCESS_PUBLIC) && (rt->access & ~ACCESS_PUBLIC)) {
				snprintf(err, 256, "route %s mixes public with other access", rt->pattern);
				return -1;
			}
			if (check_route_shape(f, rt, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---- replies -------------------------------------------------------------------------------- */

/* The request log: one line per request, collected per worker thread and written to stderr in
 * blocks (at 8 KiB, or by the once-a-second tick), so logging costs no syscall per request. */
static _Thread_local struct buf log_buf;

/* Writes this thread's buffered request log lines to stderr and empties the buffer. */
static void log_flush(void)
{
	if (log_buf.len) {
		fwrite(log_buf.data, 1, log_buf.len, stderr);
		log_buf.len = 0;
	}
}

/* Appends r's log line (method, route pattern, status, body bytes, duration) to this thread's
 * buffer; flushes it at 8 KiB. */
static void log_request(struct req *r, size_t bytes)
{
	static const char *const names[] = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH"};
	const char *m = "?";
	for (unsigned i = 0; i < ARRAY_LEN(names); i++)
		if (r->method == (enum evhttp_cmd_type)(1u << i))
			m = names[i];
	/* Written by hand: vfprintf was 1.4% of a cached thread view's instructions. */
	buf_puts(&log_buf, "req ");
	buf_puts(&log_buf, m);
	buf_puts(&log_buf, " ");
	buf_puts(&log_buf, r->route ? r->route->pattern : "-");
	const uint64_t vals[3] = {(uint64_t)(r->status < 0 ? 0 : r->status), bytes,
				  (uint64_t)(now_us_monotonic() - r->started_us)};
	for (int i = 0; i < 3; i++) {
		char num[24], *end = num + sizeof num, *d = u64_dec(vals[i], end);
		*--d = ' ';
		buf_append(&log_buf, d, (size_t)(end - d));
	}
	buf_puts(&log_buf, "us\n");
	if (log_buf.len >= 8192)
		log_flush();
}

/* Releases r's Idempotency-Key and frees r with everything it owns (the evhttp request is
 * evhttp's). */
static void req_free(struct req *r)
{
	idempotency_end(r);
	req_clear_path_params(r);
	for (int i = 0; i < MAX_QUERY_PARAMS; i++)
		free(r->query_vals[i]);
	json_decref(r->body);
	json_decref(r->out);
	json_decref(r->err_extra);
	if (r->raw_out)
		evbuffer_free(r->raw_out);
	free(r->err_msg);
	free(r->path);
	free(r->session_hash);
	free(r->csrf);
	principal_clear(&r->who_storage);
	free(r);
}

/* Sends r's reply with the security headers: the error body, raw_out, or r->out as JSON (no body
 * for 204; headers only for HEAD); Content-Type JSON and Cache-Control no-store unless the handler
 * set them; Connection: close while the server stops. Then logs the request. */
static void send_reply(struct req *r)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
	if (server_stopping())
		evhttp_add_header(h, "Connection", "close"); /* draining: no next request here */
	struct evbuffer *body = evbuffer_new();
	int status = r->status;
	if (r->err_code) {
		json_t *e = r->err_extra ? json_incref(r->err_extra) : json_object();
		json_object_set_new(e, "error", json_string(r->err_code));
		json_object_set_new(e, "message", json_string(r->err_msg ? r->err_msg : r->err_code));
		char *s = json_dumps(e, JSON_COMPACT);
		evbuffer_add(body, s, strlen(s));
		free(s);
		json_decref(e);
	} else if (r->raw_out) {
		evbuffer_add_buffer(body, r->raw_out);
	} else if (r->out && status != 204) {
		char *s = json_dumps(r->out, JSON_COMPACT);
		evbuffer_add(body, s, strlen(s));
		free(s);
	}
	size_t bytes = evbuffer_get_length(body);
	if (r->method == EVHTTP_REQ_HEAD)
		evbuffer_drain(body, bytes);
	reply_headers(h, status, r->method, bytes);
	struct evhttp_connection *evcon = evhttp_request_get_connection(r->ev);
	evhttp_send_reply(r->ev, status, reason(status), body);
	evbuffer_free(body);
	if (evcon)
		reply_coalesce(evcon);
	log_request(r, bytes);
}

/* evhttp's close callback while r waits (async work, group commit): the client left, so no reply
 * will be sent. */
static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
	struct req *r = arg;
	r->conn_gone = true;
}

/* worker_after_commit callback of a request that wrote: replies once its batch settled (503
 * storage_unavailable when it was not committed), then frees r. */
static void finish_after_commit(void *arg, bool committed)
{
	struct req *r = arg;
	if (!committed) {
		/* Nothing of this request was kept: say so instead of acknowledging. */
		json_decref(r->out);
		r->out = NULL;
		if (r->raw_out) {
			evbuffer_free(r->raw_out);
			r->raw_out = NULL;
		}
		r->status = req_error(r, 503, "storage_unavailable", "the change could not be stored; try again");
	}
	if (!r->conn_gone) {
		struct evhttp_connection *evcon = evhttp_request_get_connection(r->ev);
		if (evcon)
			server_conn_set_closecb(evcon, NULL, NULL);
		send_reply(r);
	}
	server_request_end(r->w);
	req_free(r);
}

void req_finish(struct req *r, int status)
{
	/* Each path lets go of the writer (db.h) as soon as it can, so the batch commits without
	 * waiting for the rest of this loop turn; a write's reply is queued before, so it cannot
	 * miss its batch's outcome. */
	/* A transaction is never open across a return to the loop: the writer would wait for it. */
	assert(!(r->tx_open && (status == HTTP_ASYNC || status == HTTP_DETACHED)));
	if (status != HTTP_ASYNC && status != HTTP_DETACHED) {
		status = req_tx_end(r, status);
		/* Every transaction a handler opened itself is ended by the time it answers. */
		assert(!db_in_write_tx(r->db));
	}
	if (status == HTTP_ASYNC) {
		db_release(r->db);
		/* The handler went async: remember if the client leaves meanwhile. */
		struct evhttp_connection *evcon = evhttp_request_get_connection(r->ev);
		if (evcon)
			server_conn_set_closecb(evcon, on_conn_close, r);
		return;
	}
	if (status == HTTP_DETACHED) {
		db_release(r->db);
		/* The handler owns the request and the connection's close callback now. */
		server_request_end(r->w);
		req_free(r);
		return;
	}
	struct evhttp_connection *evcon = evhttp_request_get_connection(r->ev);
	if (evcon)
		server_conn_set_closecb(evcon, NULL, NULL);
	r->status = status;
	idempotency_record(r, status); /* into the batch of the request's own writes */
	if (db_batch_open(r->db) && db_write_seq(r->db) != r->write_seq_start) {
		/* This request wrote: answer only once the write is durable (group commit). Until
		 * then, as for async work, notice a client that leaves. */
		if (evcon)
			server_conn_set_closecb(evcon, on_conn_close, r);
		worker_after_commit(r->w, finish_after_commit, r);
		db_release(r->db);
		return;
	}
	db_release(r->db);
	if (!r->conn_gone)
		send_reply(r);
	server_request_end(r->w);
	req_free(r);
}

/* ---- the pipeline --------------------------------------------------------------------------- */

/* Reads the query string into r->query_vals against the route's declared parameters. Returns 0, or
 * 400 bad_request when it does not fit. */
static int parse_query(struct req *r, const char *query)
{
	char err[160];
	if (query_parse(query, r->route->params, r->query_vals, err, sizeof err) < 0)
		return req_error(r, 400, "bad_request", "%s", err);
	return 0;
}

/* True when a Content-Type value names application/json: any case, parameters allowed
 * ("application/json; charset=utf-8"). */
static bool media_type_is_json(const char *ct)
{
	static const char json[] = "application/json";
	if (!ct)
		return false;
	ct += strspn(ct, " \t");
	if (strncasecmp(ct, json, sizeof json - 1) != 0)
		return false;
	ct += sizeof json - 1;
	ct += strspn(ct, " \t");
	return *ct == '\0' || *ct == ';';
}

/* A request that changes state from another site's page (Sec-Fetch-Site: cross-site, sent by
 * every current browser) is refused whatever else it carries: the CSRF token covers signed-in
 * routes, this covers the rest too (login CSRF, invitation acceptance). So is one from a sibling
 * site (same-site: another subdomain, which SameSite cookies do not keep out); our own pages
 * send same-origin, a typed address none. Reads are not affected, and clients that send no
 * Sec-Fetch-Site (scripts, older browsers) are judged by the other checks. */
static int check_cross_site(struct req *r)
{
	if (r->method == EVHTTP_REQ_GET || r->method == EVHTTP_REQ_HEAD || r->method == EVHTTP_REQ_OPTIONS)
		return 0;
	const char *site = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Sec-Fetch-Site");
	if (site && (strcasecmp(site, "cross-site") == 0 || strcasecmp(site, "same-site") == 0))
		return req_error(r, 403, "cross_site", "state-changing requests from another site are refused");
	return 0;
}

/* Takes the body: 413 over the route's limit; kept raw only for ROUTE_RAW_BODY; else 415 unless
 * application/json, 400 unless a valid UTF-8 JSON object, parsed into r->body (an empty object for
 * a POST, PUT or PATCH without body; NULL for a GET, HEAD or DELETE without). Returns 0 or the
 * status. */
static int parse_body(struct req *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	size_t n = evbuffer_get_length(in);
	size_t max = r->route->max_body ? r->route->max_body : DEFAULT_MAX_BODY;
	if (n > max)
		return req_error(r, 413, "too_large", "request body over %zu bytes", max);
	r->raw = n ? evbuffer_pullup(in, (ev_ssize_t)n) : (const unsigned char *)"";
	r->raw_len = n;
	if (r->route->flags & ROUTE_RAW_BODY)
		return 0;
	/* A JSON route takes a body only as application/json: a cross-site HTML form can send
	 * text/plain, urlencoded or multipart without a preflight, never application/json. A
	 * request without a body needs no type (POST .../follow). */
	if (n > 0 && !media_type_is_json(evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Content-Type")))
		return req_error(r, 415, "unsupported_media_type", "the body must be sent as Content-Type: application/json");
	if (r->method == EVHTTP_REQ_GET || r->method == EVHTTP_REQ_HEAD || r->method == EVHTTP_REQ_DELETE) {
		if (n == 0)
			return 0;
	}
	if (n == 0) {
		r->body = json_object();
		return 0;
	}
	if (!utf8_valid((const char *)r->raw, n))
		return req_error(r, 400, "bad_request", "body is not valid UTF-8");
	json_error_t jerr;
	r->body = json_loadb((const char *)r->raw, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!r->body)
		return req_error(r, 400, "bad_request", "malformed JSON: %s", jerr.text);
	if (!json_is_object(r->body))
		return req_error(r, 400, "bad_request", "body must be a JSON object");
	return 0;
}

/* The request's way through, in order: cross-site check, body, session, role, CSRF token, consent
 * gate, query parameters, declared body, Idempotency-Key, ROUTE_TX, the handler. Returns the status
 * to answer (HTTP_ASYNC or HTTP_DETACHED from the handler). */
static int run_pipeline(struct req *r)
{
	const struct route *rt = r->route;
	int rc = check_cross_site(r);
	if (rc)
		return rc;
	rc = parse_body(r);
	if (rc)
		return rc;
	if (session_load(r) < 0)
		return req_internal(r, "session lookup");
	enum access_result ar = authz_check_role(r->who, rt->access);
	if (ar != ACCESS_OK)
		goto denied;
	bool unsafe = r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD;
	if (unsafe && !(rt->flags & ROUTE_NO_CSRF) && !(rt->access & ACCESS_PUBLIC)) {
		const char *tok = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "X-CSRF-Token");
		if (!tok || !r->csrf || !crypto_streq(tok, r->csrf))
			return req_error(r, 403, "csrf", "missing or wrong X-CSRF-Token");
	}
	json_t *pending = NULL;
	ar = authz_check_gate(r->db, r->who, rt->access, &pending);
	if (ar == ACCESS_DENIED_CONSENT) {
		r->err_extra = json_object();
		json_object_set_new(r->err_extra, "pending", pending);
		return req_error(r, 403, "consent_required", "consent to the current documents is required");
	}
	if (ar != ACCESS_OK)
		goto denied;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->ev);
	rc = parse_query(r, evhttp_uri_get_query(uri));
	if (rc)
		return rc;
	if (rt->body[0].name) {
		char err[160];
		if (body_check(rt->body, r->body, err, sizeof err) < 0)
			return req_error(r, 422, "invalid", "%s", err);
	}
	rc = idempotency_begin(r);
	if (rc)
		return rc;
	if ((rt->flags & ROUTE_TX) && req_tx(r) < 0)
		return req_internal(r, "begin");
	return rt->handler(r);
denied:
	switch (ar) {
	case ACCESS_DENIED_UNAUTHENTICATED:
		return req_error(r, 401, "unauthenticated", "sign in first");
	case ACCESS_DENIED_INACTIVE:
		return req_error(r, 403, "company_inactive", "your company has withdrawn from the program");
	case ACCESS_DENIED_TOTP_SETUP:
		return req_error(r, 403, "totp_setup_required",
				 "two-step sign-in is required for this account: enrol it first (POST /api/v1/me/totp)");
	case ACCESS_DENIED_READ_ONLY:
		return req_error(r, 403, "read_only", "your company has completed the program; content is read-only");
	default:
		return req_forbidden(r);
	}
}

/* The read transaction of a GET or HEAD request (router_dispatch). The statements are taken
 * from the worker's own connection before the request can write, because a request that writes
 * has its statements routed to the writer's connection afterwards (db.h). */
struct read_tx {
	sqlite3_stmt *commit; /* NULL: no transaction open */
};
static const char read_begin_sql[] = "BEGIN";
static const char read_commit_sql[] = "COMMIT";
static const char read_rollback_sql[] = "ROLLBACK";

/* Opens the read transaction of a GET or HEAD on the worker's own connection; none (tx->commit
 * NULL) for other methods, when statements go to the writer's connection, when a transaction is
 * already open, or when BEGIN fails. */
static void read_tx_begin(struct req *r, struct read_tx *tx)
{
	tx->commit = NULL;
	if ((r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD) || db_routed(r->db) ||
	    !sqlite3_get_autocommit(db_handle(r->db)))
		return;
	sqlite3_stmt *st = db_stmt(r->db, read_begin_sql);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		tx->commit = db_stmt(r->db, read_commit_sql);
}

/* Commits the transaction read_tx_begin opened (rolling back when the commit fails); nothing when
 * none was. */
static void read_tx_end(struct read_tx *tx)
{
	if (!tx->commit)
		return;
	sqlite3 *h = sqlite3_db_handle(tx->commit);
	int rc = sqlite3_step(tx->commit);
	sqlite3_reset(tx->commit);
	if (rc != SQLITE_DONE && !sqlite3_get_autocommit(h)) {
		/* Only reads ran on this connection; nothing can be lost by rolling back. */
		log_error("read transaction: COMMIT failed: %s", sqlite3_errmsg(h));
		sqlite3_exec(h, read_rollback_sql, NULL, NULL, NULL);
	}
}

void router_dispatch(struct worker *w, struct evhttp_request *ev)
{
	struct req *r = xcalloc(1, sizeof *r);
	r->started_us = now_us_monotonic();
	r->ev = ev;
	r->w = w;
	r->db = w->db;
	r->cfg = w->cfg;
	r->method = evhttp_request_get_command(ev);
	r->write_seq_start = db_write_seq(w->db);
	server_request_begin(w);

	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	char *peer = NULL;
	ev_uint16_t port = 0;
	if (evcon)
		evhttp_connection_get_peer(evcon, &peer, &port);
	size_t ip_len = peer ? strnlen(peer, sizeof r->ip - 1) : 0; /* as snprintf "%s", without its 600 instructions */
	memcpy(r->ip, peer ? peer : "", ip_len);
	r->ip[ip_len] = '\0';
	r->user_agent = evhttp_find_header(evhttp_request_get_input_headers(ev), "User-Agent");
	if (!r->user_agent)
		r->user_agent = "";

	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	const char *raw_path = uri ? evhttp_uri_get_path(uri) : NULL;
	if (!raw_path || !*raw_path || strlen(raw_path) > MAX_PATH_LEN) {
		req_finish(r, req_error(r, 400, "bad_request", "bad request path"));
		return;
	}
	size_t plen = 0;
	r->path = evhttp_uridecode(raw_path, 0, &plen);
	if (!r->path || strlen(r->path) != plen || !utf8_valid(r->path, plen)) {
		req_finish(r, req_error(r, 400, "bad_request", "bad request path"));
		return;
	}
	if (!router_is_routed(r->path)) {
		req_finish(r, static_serve(r));
		return;
	}
	if (strcmp(r->path, BODY_REFUSED_PATH) == 0) {
		/* Put here by the body watcher (bodylimit.h) in place of a request without a session
		 * that announced a body too big for it; the body is dropped as it arrives. */
		req_finish(r, req_error(r, 413, "too_large", "a request without a valid session may carry at most %d bytes",
					 BODY_ANON_MAX));
		return;
	}
	bool mismatch;
	r->route = router_match(r->method, r->path, r, &mismatch);
	if (!r->route) {
		if (mismatch)
			req_finish(r, req_error(r, 405, "method_not_allowed", "method not allowed"));
		else
			req_finish(r, req_not_found(r));
		return;
	}
	/* A read-only request reads in one transaction on the worker's own connection: one WAL
	 * snapshot for the session, the gate and the handler, instead of a read transaction opened
	 * and closed by every statement (a shared-memory lock and a file-size check each). It ends
	 * here, before the reply, whatever the handler did: never open across a return to the loop
	 * (HTTP_ASYNC, HTTP_DETACHED). A handler that writes goes through the writer's connection
	 * (db.h), which this transaction does not touch. */
	struct read_tx tx;
	read_tx_begin(r, &tx);
	int status = run_pipeline(r);
	read_tx_end(&tx);
	req_finish(r, status);
}

int router_worker_init(struct worker *w)
{
	for (const struct feature *f = features; f->name; f++)
		if (f->worker_init && f->worker_init(w) < 0)
			return -1;
	return 0;
}

void router_thread_exit(void)
{
	cache_thread_free();
	log_flush();
	buf_free(&log_buf);
}

void router_worker_free(struct worker *w)
{
	for (const struct feature *f = features; f->name; f++)
		if (f->worker_free)
			f->worker_free(w);
}

void router_drain(struct worker *w)
{
	for (const struct feature *f = features; f->name; f++)
		if (f->drain)
			f->drain(w);
}

void router_tick(struct worker *w)
{
	log_flush();
	for (const struct feature *f = features; f->name; f++)
		if (f->tick)
			f->tick(w);
}

int router_run_post_hooks(struct req *r, int64_t thread_id, int64_t post_id)
{
	for (const struct feature *f = features; f->name; f++)
		if (f->on_post && f->on_post(r, thread_id, post_id) < 0)
			return -1;
	return 0;
}

const struct server_app server_app = {
	.dispatch = router_dispatch,
	.worker_init = router_worker_init,
	.worker_free = router_worker_free,
	.drain = router_drain,
	.tick = router_tick,
	.thread_exit = router_thread_exit,
};
