/* reply.h — the headers of every reply the router sends, written as few evhttp header entries as
 * libevent allows (reply.c): evhttp formats each entry with a printf of its own. */
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

#endif
