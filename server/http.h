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
};
#define ROUTE_NO_CSRF 1u  /* login and invitation acceptance only */
#define ROUTE_RAW_BODY 2u /* body is raw bytes of any Content-Type (attachments); without this flag a
			   * body must be application/json (415 unsupported_media_type) */
#define ROUTE_STREAM 4u   /* handler keeps the connection (event stream) */

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
const char *req_path_str(struct req *r, int i);
/* Declared query parameter by name: the string or NULL; the integer or dflt. */
const char *req_query_str(struct req *r, const char *name);
int64_t req_query_int(struct req *r, const char *name, int64_t dflt);

/* JSON body accessors. Each returns 0 when the member is present and of the right type, 1 when
 * absent (out untouched), -1 when present with the wrong type (the handler answers 422). */
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
