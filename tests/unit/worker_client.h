/* worker_client.h — handler tests without a process or TLS: a socketless worker
 * (server_test_worker_open: the real router, features, database and group-commit writer) on a
 * fresh data directory, driven over plain HTTP on a loopback port by the test's own thread, as
 * h2o tests its handlers. Header-only: each unit test is one source file. */
#ifndef MAMORI_TEST_WORKER_CLIENT_H
#define MAMORI_TEST_WORKER_CLIENT_H

#include "config.h"
#include "db.h"
#include "server.h"
#include "util.h"

#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct worker_client {
	struct config cfg;
	struct worker w;
	int port;
	char *dir;
};

/* Makes a data directory (prefix names it in /tmp), migrates it, runs seed_sql (may be NULL),
 * and opens the worker on a free loopback port. configure (may be NULL) adjusts the config
 * first. Returns 0 or -1. */
static int wc_open(struct worker_client *c, const char *prefix, const char *seed_sql,
		   void (*configure)(struct config *cfg))
{
	char *tmpl = xasprintf("/tmp/%s-XXXXXX", prefix);
	c->dir = mkdtemp(tmpl) ? tmpl : NULL;
	if (!c->dir) {
		free(tmpl);
		return -1;
	}
	config_defaults(&c->cfg);
	c->cfg.data_dir = xstrdup(c->dir);
	if (configure)
		configure(&c->cfg);
	struct db *d;
	if (db_open(c->dir, true, &d) < 0 || db_migrate(d) < 0 || (seed_sql && db_exec(d, seed_sql) < 0))
		return -1;
	db_close(d);
	if (server_test_worker_open(&c->w, &c->cfg) < 0)
		return -1;
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(c->w.http, "127.0.0.1", 0);
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &len);
	c->port = ntohs(sa.sin_port);
	return 0;
}

/* Closes the worker (the writer commits what is open) and removes nothing: the directory is
 * left for a failed test's post-mortem under /tmp. */
static void wc_close(struct worker_client *c)
{
	server_test_worker_close(&c->w);
	free(c->dir);
}

/* Sends the raw request req (it should say Connection: close) while running the worker's loop,
 * and returns everything the worker answered until it closed (caller frees). */
static char *wc_roundtrip(struct worker_client *c, const char *req)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		abort();
	struct buf out = {0};
	buf_append(&out, "", 0);
	char chunk[4096];
	for (int rounds = 0; rounds < 100000; rounds++) {
		event_base_loop(c->w.base, EVLOOP_NONBLOCK);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 1) > 0) {
			ssize_t n = recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
			if (n == 0)
				break;
			if (n > 0)
				buf_append(&out, chunk, (size_t)n);
		}
	}
	close(fd);
	return out.data;
}

/* One request: method, path, extra header lines (each ending in \r\n; may be NULL) and a body
 * (NULL: none; sent as application/json unless the headers name a Content-Type). Returns the
 * status; *resp (if not NULL) gets the whole response (caller frees). */
static int wc_call(struct worker_client *c, const char *method, const char *path, const char *headers,
		   const char *body, char **resp)
{
	bool typed = headers && strstr(headers, "Content-Type:");
	char *req = xasprintf("%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s%s"
			      "Content-Length: %zu\r\n\r\n%s",
			      method, path, headers ? headers : "",
			      body && !typed ? "Content-Type: application/json\r\n" : "", body ? strlen(body) : 0,
			      body ? body : "");
	char *r = wc_roundtrip(c, req);
	free(req);
	int st = 0;
	if (sscanf(r, "HTTP/1.1 %d", &st) != 1)
		st = 0;
	if (resp)
		*resp = r;
	else
		free(r);
	return st;
}

/* The body of a response from wc_call (points into it). */
static inline const char *wc_body(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");
	return b ? b + 4 : "";
}

#endif
