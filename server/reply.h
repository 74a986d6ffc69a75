/* reply.h — how the router's replies leave (reply.c): their headers, written as few evhttp header
 * entries as libevent allows (evhttp formats each entry with a printf of its own), and their bytes
 * made one chain of the connection's output with as few copies as possible. */
#ifndef MAMORI_REPLY_H
#define MAMORI_REPLY_H

#include <event2/http.h>
#include <stdbool.h>
#include <stddef.h>

/* Adds to h the Date (this second's, formatted once a second per thread), the Content-Length
 * of body_len when the reply carries a body (evhttp's rule: not for HEAD, 1xx, 204, 304), the
 * default Content-Type (JSON) and Cache-Control (no-store) unless h has its own, and the
 * security headers of every response: as two entries, so that evhttp neither adds its own Date
 * and Content-Length nor formats a line per header. */
void reply_headers(struct evkeyvalq *h, int status, enum evhttp_cmd_type method, size_t body_len);

struct req;
struct evhttp_connection;
/* Sets r's raw body (r->raw_out, which must be unset) to the n parts joined, in one piece of
 * memory with room before it for the status line and headers: the reply then leaves in one
 * chain without reply_coalesce copying the body. For large replies served often (the thread
 * view); any other raw_out is sent as well, with one copy more. */
struct iovec;
void req_raw_out_parts(struct req *r, const struct iovec *parts, int n);

/* Makes the reply evhttp has just queued on evcon's output one chain, so that it leaves in as
 * few TLS records and writes as bufferevent_openssl allows (see reply.c). */
void reply_coalesce(struct evhttp_connection *evcon);

#endif
