/* http.h — the request wrapper every handler sees: the parsed request (path parameters,
 * declared query parameters, JSON body), the caller, the response being built, and the error
 * a handler reports. Handlers return a status; the router renders bodies and errors. */
#ifndef MAMORI_HTTP_H
#define MAMORI_HTTP_H

#include "authz.h"

#include <event2/http.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct worker;
struct db;
struct config;
struct sqlite3_stmt;

/* A handler's return value: an HTTP status, or HTTP_ASYNC when the reply will come later via
 * req_finish (work handed to the helper pool). */
#define HTTP_ASYNC 0

enum param_type { PARAM_INT = 1, PARAM_STR };
struct param_spec {
	const char *name;
	enum param_type type;
};
#define MAX_QUERY_PARAMS 8
#define MAX_PATH_PARAMS 3

/* A route's declared JSON body: the members it reads, their types and limits (body.c). The
 * router checks a declared body before the handler runs (422 invalid, naming the member), so a
 * handler reads its members with req_field_* and holds only its own rule. Members the route
 * does not declare are ignored; a JSON null reads as absent. */
enum body_type { BODY_STR = 1, BODY_INT, BODY_BOOL, BODY_ARRAY, BODY_OBJECT };
#define BODY_REQUIRED 1u  /* absent (or null) → 422 "<name> is required" */
#define BODY_NOT_BLANK 2u /* a string that is not blank (text_blank: U+3000 and friends count) */
#define BODY_POSITIVE 4u  /* an integer ≥ 1 (an id) */
#define BODY_LINE 8u      /* a one-line string: no control characters (names, titles) */
struct body_spec {
	const char *name;
	enum body_type type;
	unsigned flags; /* BODY_* */
	int64_t max;    /* strings: most bytes (UTF-8; limits are stored sizes); integers: largest value; 0: none */
};
#define MAX_BODY_FIELDS 12

struct req;
typedef int (*handler_fn)(struct req *r);

struct route {
	enum evhttp_cmd_type method;
	const char *pattern;    /* "/api/v1/threads/{id}"; {name} matches one segment */
	unsigned access;        /* enum access bits; never ACCESS_UNSET */
	handler_fn handler;
	size_t max_body;        /* 0: the default (64 KiB + slack) */
	unsigned flags;         /* ROUTE_* */
	struct param_spec params[MAX_QUERY_PARAMS]; /* declared query parameters */
	const char *name;       /* the handler's name, unique across features (logs, transactions) */
	struct body_spec body[MAX_BODY_FIELDS];     /* declared JSON body members; none: not checked */
};
#define ROUTE_NO_CSRF 1u  /* login and invitation acceptance only */
#define ROUTE_RAW_BODY 2u /* body is raw bytes of any Content-Type (attachments); without this flag a
			   * body must be application/json (415 unsupported_media_type) */
#define ROUTE_STREAM 4u   /* handler keeps the connection (event stream) */
#define ROUTE_TX 8u       /* the router opens the write transaction before the handler (req_tx) */

/* One route table entry: ROUTE(POST, "/api/v1/cases", ACCESS_WRITE | ACCESS_SECRETARIAT,
 * case_create, .flags = ROUTE_TX, .body = {{"title", BODY_STR, BODY_REQUIRED | BODY_NOT_BLANK}}).
 * The handler's name is recorded for logs and the uniqueness check (router_check_table). */
#define ROUTE(m, pat, acc, fn, ...)                                                                            \
	{                                                                                                      \
		.method = EVHTTP_REQ_##m, .pattern = (pat), .access = (acc), .handler = (fn), .name = #fn,      \
		__VA_ARGS__                                                                                    \
	}

struct req {
	struct evhttp_request *ev;
	struct worker *w;
	struct db *db;
	const struct config *cfg;
	const struct route *route;
	enum evhttp_cmd_type method;
	char *path;             /* decoded path */
	char *path_params[MAX_PATH_PARAMS];
	int npath;
	char *query_vals[MAX_QUERY_PARAMS]; /* by index of route->params; NULL if absent */
	json_t *body;           /* parsed JSON object (NULL for GET/raw routes) */
	const unsigned char *raw; /* raw body bytes (owned by evhttp) */
	size_t raw_len;
	struct principal *who;  /* NULL when not signed in */
	struct principal who_storage;
	char *session_hash;     /* sha256 hex of the session token, when signed in */
	char *csrf;             /* the session's CSRF token */
	char ip[64];
	const char *user_agent;
	json_t *out;            /* response JSON (owned; rendered on success) */
	struct evbuffer *raw_out; /* or a raw body (owned); set Content-Type with req_header */
	int status;
	const char *err_code;   /* set with req_error */
	char *err_msg;
	json_t *err_extra;      /* extra members merged into the error body */
	int64_t started_us;
	uint64_t write_seq_start; /* db_write_seq at dispatch: a change means this request wrote */
	bool finished;
	bool conn_gone;         /* the client left while async work ran */
	void *async_ctx;        /* per-handler state across HTTP_ASYNC */
	void *idem;             /* idempotency.c: this request's Idempotency-Key */
	bool tx_open;           /* req_tx: the router ends this write transaction (req_finish) */
};

/* Reports an error: stores code and message and returns status, so a handler can write
 * `return req_error(r, 422, "invalid", "title is empty");`. */
int req_error(struct req *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* 404 not_found, the same for missing and unreadable resources. */
int req_not_found(struct req *r);
/* 403 forbidden. */
int req_forbidden(struct req *r);
/* 500 internal (logged), for database failures. */
int req_internal(struct req *r, const char *what);

/* Sets the response JSON (steals the reference) and returns status. */
int req_reply(struct req *r, int status, json_t *out);

/* Path parameter i as a positive int64; returns 0 or -1 (the router then answers 404). */
int req_path_id(struct req *r, int i, int64_t *out);
/* Path parameter i as decoded text (owned by r), or NULL when the route has fewer. */
const char *req_path_str(struct req *r, int i);
/* Declared query parameter by name: the string or NULL; the integer or dflt. */
const char *req_query_str(struct req *r, const char *name);
int64_t req_query_int(struct req *r, const char *name, int64_t dflt);

/* Declared body members (route->body, already checked by the router): the string or NULL when
 * absent; the integer or dflt; the boolean or dflt; the array/object (borrowed) or NULL; whether
 * the member was sent (not absent, not null). Asking for a member the route does not declare is
 * a programming error (debug builds abort). */
const char *req_field_str(struct req *r, const char *name);
int64_t req_field_int(struct req *r, const char *name, int64_t dflt);
bool req_field_bool(struct req *r, const char *name, bool dflt);
json_t *req_field_json(struct req *r, const char *name);
bool req_field_present(struct req *r, const char *name);

/* Opens the request's write transaction; the router ends it when the handler returns (or at
 * req_finish for HTTP_ASYNC work): commits on a 2xx status — a failed commit turns the answer
 * into 500 — and rolls back on any other, so a handler that refuses after writing changes
 * nothing. Open it after the checks that need no lock (validation, reads), so other requests
 * are not kept waiting for the writer. Returns 0, or -1 (answer req_internal). */
int req_tx(struct req *r);

/* Undeclared JSON body members, for routes without a declared body (raw parsing). Each returns
 * 0 when the member is present and of the right type, 1 when absent (out untouched), -1 when
 * present with the wrong type (the handler answers 422). */
int req_body_str(struct req *r, const char *name, const char **out);
int req_body_int(struct req *r, const char *name, int64_t *out);
int req_body_bool(struct req *r, const char *name, bool *out);

/* Adds a response header. */
void req_header(struct req *r, const char *name, const char *value);

/* Finishes an HTTP_ASYNC request with status (renders r->out or the error). Runs on the
 * request's own worker thread. */
void req_finish(struct req *r, int status);

/* JSON helpers used across handlers. */
json_t *json_time(int64_t t); /* RFC 3339 string, or null for 0 */

#endif
