/* bodylimit.h — request bodies before sign-in. evhttp reads a whole body before the router sees
 * the request, up to one limit per connection; with the attachment limit (20 MiB) for everyone,
 * an outsider could make the server buffer that much per connection. The watcher reads each
 * request head as it arrives on a connection, before evhttp does, and sets the connection's
 * body limit for that request: the full limit only with a valid session cookie, otherwise
 * BODY_ANON_MAX. A request without a session announcing a bigger body (Content-Length) is
 * replaced, before evhttp parses it, by a body-less request for BODY_REFUSED_PATH,
 * which the router answers 413 too_large at once; the body is dropped as it arrives, never
 * buffered, and the connection goes on with the next request (or closes after the answer when
 * the client waits for 100 Continue or the length is over the full limit). A chunked body
 * without a session is held to BODY_ANON_MAX by evhttp as its chunks come (evhttp's own 413). */
#ifndef MAMORI_BODYLIMIT_H
#define MAMORI_BODYLIMIT_H

#include <stddef.h>
#include <stdint.h>

struct bufferevent;
struct db;
struct config;

#define BODY_ANON_MAX (64 * 1024)
#define BODY_REFUSED_PATH "/api/v1/-/body-refused"

struct body_watch;
/* Watches the input of bev, an evhttp server connection's bufferevent (set up by evhttp before
 * any byte arrives); d and cfg check session cookies on the connection's worker thread;
 * full_limit is the body limit for signed-in requests. */
struct body_watch *body_watch_new(struct bufferevent *bev, struct db *d, const struct config *cfg,
				  size_t full_limit);
/* Frees the watcher (when the connection goes). */
void body_watch_free(struct body_watch *bw);

/* The parsed head, for the unit test: method, Content-Length (-1 when absent), chunked, the
 * session cookie's presence. Returns 0, or -1 when the head is not one the watcher can follow
 * (several Content-Length lines, folded lines, a bad length...). */
struct body_head {
	char method[16];
	int64_t length;
	int chunked;
	int expect_continue; /* Expect: 100-continue: the body may never come */
	char *cookie;        /* the Cookie header (new string) or NULL */
};
int body_head_parse(const char *head, size_t len, struct body_head *out);
void body_head_clear(struct body_head *h);

#endif
