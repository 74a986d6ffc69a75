/* reply.c — the headers of the router's replies (reply.h). evhttp writes each header entry with
 * its own evbuffer_add_printf, and adds Date and Content-Length itself (strftime, snprintf, one
 * more entry each) when they are missing: 13 printfs for a reply, a sixth of a cached thread
 * view's instructions. Here the lines evhttp does not look for ride in the value of one entry;
 * evhttp prints "key: value\r\n", so the bytes on the wire are the same header lines. */
#include "reply.h"

#include "util.h"

#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
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
static const char json_type[] = "Content-Type: application/json; charset=utf-8\r\n";
static const char no_store[] = "Cache-Control: no-store\r\n";

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
		char len[24]; /* decimal digits, from the end (snprintf: 700 instructions) */
		char *d = len + sizeof len;
		do
			*--d = (char)('0' + body_len % 10);
		while ((body_len /= 10) != 0);
		header_append(h, "Content-Length", 14, d, (size_t)(len + sizeof len - d));
	}
	char text[sizeof security + sizeof json_type + sizeof no_store];
	size_t n = 0;
	if (!evhttp_find_header(h, "Content-Type")) {
		memcpy(text + n, json_type, sizeof json_type - 1);
		n += sizeof json_type - 1;
	}
	if (!evhttp_find_header(h, "Cache-Control")) {
		memcpy(text + n, no_store, sizeof no_store - 1);
		n += sizeof no_store - 1;
	}
	memcpy(text + n, security, sizeof security - 1);
	n += sizeof security - 1;
	/* The first line's name is the entry's key, the rest its value. */
	const char *colon = memchr(text, ':', n);
	header_append(h, text, (size_t)(colon - text), colon + 2, n - (size_t)(colon + 2 - text));
}
