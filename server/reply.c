/* reply.c — the headers of the router's replies and their way into one chain (reply.h). evhttp
 * writes each header entry with its own evbuffer_add_printf, and adds Date and Content-Length
 * itself (strftime, snprintf, one more entry each) when they are missing: 13 printfs for a
 * reply, a sixth of a cached thread view's instructions. Here the lines evhttp does not look for
 * ride in the value of one entry; evhttp prints "key: value\r\n", so the bytes on the wire are
 * the same header lines. */
#include "reply.h"

#include "http.h"
#include "util.h"

#include <assert.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/uio.h>
#include <time.h>

#define CSP                                                                                        \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "                \
	"form-action 'self'; frame-ancestors 'none'"

/* The headers on every response, API or static, success or error: one line each, CRLF between. */
static const char security[] = "Strict-Transport-Security: max-age=63072000; includeSubDomains\r\n"
			       "Content-Security-Policy: " CSP "\r\n"
			       "X-Content-Type-Options: nosniff\r\n"
			       "Referrer-Policy: no-referrer\r\n"
			       "X-Frame-Options: DENY\r\n"
			       "Cross-Origin-Opener-Policy: same-origin\r\n"
			       "Cross-Origin-Resource-Policy: same-origin\r\n"
			       "Permissions-Policy: camera=(), microphone=(), geolocation=()";
static const char json_type_line[] = "Content-Type: application/json; charset=utf-8\r\n";
static const char no_store_line[] = "Cache-Control: no-store\r\n";

/* Appends an entry to h without evhttp_add_header's checks: the caller's text holds CR LF only
 * between complete header lines it wrote itself. key and value are copied (evhttp frees both). */
static void header_append(struct evkeyvalq *h, const char *key, size_t key_len, const char *value, size_t value_len)
{
	struct evkeyval *kv = xmalloc(sizeof *kv);
	kv->key = xstrndup(key, key_len);
	kv->value = xstrndup(value, value_len);
	TAILQ_INSERT_TAIL(h, kv, next);
}

/* This second's Date value (RFC 7231 IMF-fixdate, as evhttp writes it), per thread. */
static const char *date_now(void)
{
	static _Thread_local time_t at = -1;
	static _Thread_local char text[40];
	time_t t = time(NULL);
	if (t != at) {
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		at = t;
	}
	return text;
}

/* Whether evhttp sends a body (and so a Content-Length) with status to a request of method. */
static bool needs_body(int status, enum evhttp_cmd_type method)
{
	return status != 204 && status != 304 && (status < 100 || status >= 200) && method != EVHTTP_REQ_HEAD;
}

void reply_headers(struct evkeyvalq *h, int status, enum evhttp_cmd_type method, size_t body_len)
{
	/* evhttp looks for Date, Content-Length and Content-Type by name and adds each it misses:
	 * each is the name of an entry; every other line rides in the value of the last one. */
	const char *date = date_now();
	header_append(h, "Date", 4, date, strlen(date));
	if (needs_body(status, method)) {
		char len[24];
		char *d = u64_dec(body_len, len + sizeof len);
		header_append(h, "Content-Length", 14, d, (size_t)(len + sizeof len - d));
	}
	char text[sizeof security + sizeof json_type_line + sizeof no_store_line];
	size_t n = 0;
	if (!evhttp_find_header(h, "Content-Type")) {
		memcpy(text + n, json_type_line, sizeof json_type_line - 1);
		n += sizeof json_type_line - 1;
	}
	if (!evhttp_find_header(h, "Cache-Control")) {
		memcpy(text + n, no_store_line, sizeof no_store_line - 1);
		n += sizeof no_store_line - 1;
	}
	memcpy(text + n, security, sizeof security - 1);
	n += sizeof security - 1;
	/* The first line's name is the entry's key, the rest its value. */
	const char *colon = memchr(text, ':', n);
	header_append(h, text, (size_t)(colon - text), colon + 2, n - (size_t)(colon + 2 - text));
}

/* Room kept before a body made by req_raw_out_parts, for the status line and headers (~900
 * bytes for JSON; handlers' own headers add to it). */
#define HEADROOM 2048
/* Where the last body made by req_raw_out_parts on this thread starts: the start of its chain's
 * data while that chain still has the room before it. */
static _Thread_local const void *headroom_body;

void req_raw_out_parts(struct req *r, const struct iovec *parts, int n)
{
	assert(!r->raw_out);
	size_t len = 0;
	for (int i = 0; i < n; i++)
		len += parts[i].iov_len;
	r->raw_out = evbuffer_new();
	struct evbuffer_iovec v;
	if (evbuffer_reserve_space(r->raw_out, (ev_ssize_t)(HEADROOM + len), &v, 1) != 1 || v.iov_len < HEADROOM + len) {
		for (int i = 0; i < n; i++) /* not expected; the plain way */
			evbuffer_add(r->raw_out, parts[i].iov_base, parts[i].iov_len);
		return;
	}
	char *p = (char *)v.iov_base + HEADROOM;
	for (int i = 0; i < n; i++) {
		memcpy(p, parts[i].iov_base, parts[i].iov_len);
		p += parts[i].iov_len;
	}
	v.iov_len = HEADROOM + len;
	evbuffer_commit_space(r->raw_out, &v, 1);
	evbuffer_drain(r->raw_out, HEADROOM); /* within the chain: the room stays before the data */
	headroom_body = (char *)v.iov_base + HEADROOM;
}

/* evhttp leaves the status line and headers in one chain of the connection's output and the
 * body in others, and bufferevent_openssl makes one SSL_write, hence one TLS record and one
 * write(2), of each chain. Made one chain before the loop writes it (evhttp only queues), the
 * reply leaves in as few records as bufferevent_openssl allows: one per 15,000 bytes. A body
 * made by req_raw_out_parts has room before it: the headers move there (a copy of them only);
 * any other reply is copied into one chain. Either way the bytes and their order are the same
 * (evbuffer_prepend writes into the room when the chain has it, into a new chain otherwise). */
#define COALESCE_MAX (64u * 1024) /* beyond, one more record hardly matters */
void reply_coalesce(struct evhttp_connection *evcon)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	struct evbuffer *out = bev ? bufferevent_get_output(bev) : NULL;
	const void *body = headroom_body;
	headroom_body = NULL;
	if (!out || evbuffer_get_length(out) > COALESCE_MAX)
		return;
	struct evbuffer_iovec v[2];
	if (body && evbuffer_peek(out, -1, NULL, v, 2) == 2 && v[1].iov_base == body && v[0].iov_len <= HEADROOM) {
		char head[HEADROOM];
		size_t n = v[0].iov_len;
		if (evbuffer_remove(out, head, n) == (int)n && evbuffer_prepend(out, head, n) == 0 &&
		    evbuffer_peek(out, -1, NULL, NULL, 0) == 1)
			return;
	}
	evbuffer_pullup(out, -1);
}
