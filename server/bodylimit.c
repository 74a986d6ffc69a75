/* bodylimit.c — per-request body limits decided from the request head (bodylimit.h).
 *
 * How it follows the byte stream: an evbuffer callback on the connection's input runs as bytes
 * are added (inside the TLS read, before evhttp's own read callback, which is deferred) and as
 * evhttp drains them. The watcher copies each head until its blank line (LF or CRLF line ends,
 * as evhttp's parser takes them), skips the body the head announces (Content-Length; HEAD and
 * TRACE have none; no length means none, as in evhttp), and starts over. A head that it cannot
 * follow for certain (folded lines, two lengths, an unparsable length, over HEAD_MAX) makes it
 * stop following the connection with the small limit in force: it fails closed. Chunked bodies
 * are followed chunk by chunk, as evhttp reads them.
 *
 * The limit for a request takes effect when evhttp starts reading that request's head (the
 * watcher sees the drain), never earlier: a pipelined head must not lower the limit of a body
 * evhttp is still reading. */
#include "bodylimit.h"

#include "session.h"
#include "util.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEAD_MAX (64 * 1024) /* evhttp refuses heads over 32 KiB itself */
#define PENDING_MAX 16       /* pipelined heads evhttp has not reached yet */

/* What evhttp gets in place of a refused request: no body, so the router answers at once. */
static const char refused_keep_head[] = "GET " BODY_REFUSED_PATH " HTTP/1.1\r\nHost: mamori\r\n\r\n";
static const char refused_close_head[] =
	"GET " BODY_REFUSED_PATH " HTTP/1.1\r\nHost: mamori\r\nConnection: close\r\n\r\n";

enum watch_state {
	W_HEAD,    /* copying a head */
	W_BODY,    /* skipping body_left bytes */
	W_DROP,    /* a refused body: dropping body_left bytes as they arrive */
	W_CHUNK_SIZE, /* a chunked body: reading a chunk-size line */
	W_CHUNK_DATA, /* skipping body_left bytes of a chunk */
	W_TRAILER,    /* after the last chunk: lines until a blank one */
	W_DISCARD, /* a refused body of unknown end: drop every byte that arrives */
	W_OFF,     /* not following any more; the small limit stays */
};

struct body_watch {
	struct bufferevent *bev;
	struct evbuffer *in;
	struct db *db;
	const struct config *cfg;
	size_t full_limit;
	enum watch_state state;
	struct buf head;
	size_t line_len;      /* bytes of the head's current line, CR not counted */
	char cline[24];       /* a chunk-size line being read */
	size_t clen;
	size_t trailer_len;
	int64_t body_left;
	uint64_t added;       /* bytes ever added to the input */
	uint64_t consumed;    /* bytes ever drained from it (by evhttp) */
	uint64_t head_at;     /* stream offset where the head being copied starts */
	struct {
		uint64_t at;  /* the head's stream offset */
		size_t limit; /* its body limit, set when evhttp starts reading it */
	} pending[PENDING_MAX];
	int npending;
	bool busy;            /* our own change to the buffer is running */
};

int body_head_parse(const char *head, size_t len, struct body_head *out)
{
	memset(out, 0, sizeof *out);
	out->length = -1;
	const char *p = head, *end = head + len;
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		return -1;
	size_t mlen = strcspn(p, " \r\n");
	if (mlen == 0 || mlen >= sizeof out->method || p + mlen > eol)
		return -1;
	memcpy(out->method, p, mlen);
	int lengths = 0;
	for (p = eol + 1; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break;
		size_t n = (size_t)(eol - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n == 0)
			break; /* the blank line */
		if (*p == ' ' || *p == '\t')
			return -1; /* a folded line: evhttp would join it to the header above */
		const char *colon = memchr(p, ':', n);
		if (!colon)
			continue; /* evhttp refuses the head */
		size_t klen = (size_t)(colon - p);
		const char *v = colon + 1, *vend = p + n;
		while (v < vend && (*v == ' ' || *v == '\t'))
			v++;
		while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
			vend--;
		if (klen == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
			char num[24];
			size_t vl = (size_t)(vend - v);
			if (++lengths > 1 || vl == 0 || vl >= sizeof num)
				return -1;
			memcpy(num, v, vl);
			num[vl] = '\0';
			char *e;
			long long x = strtoll(num, &e, 10);
			if (*e || x < 0)
				return -1;
			out->length = x;
		} else if (klen == 17 && strncasecmp(p, "Transfer-Encoding", 17) == 0) {
			out->chunked = (size_t)(vend - v) == 7 && strncasecmp(v, "chunked", 7) == 0 ? 1 : -1;
		} else if (klen == 6 && strncasecmp(p, "Expect", 6) == 0) {
			out->expect_continue = 1;
		} else if (klen == 6 && strncasecmp(p, "Cookie", 6) == 0 && !out->cookie) {
			out->cookie = xstrndup(v, (size_t)(vend - v));
		}
	}
	if (out->chunked < 0) /* another transfer coding: not followed */
		return -1;
	return 0;
}

void body_head_clear(struct body_head *h)
{
	free(h->cookie);
	h->cookie = NULL;
}

/* The evhttp connection that owns bw's bufferevent, read from the argument of the callbacks evhttp
 * set on it; NULL when that argument is not such a connection. */
static struct evhttp_connection *watch_evcon(struct body_watch *bw)
{
	/* evhttp sets its callbacks on the bufferevent with the connection as their argument
	 * before the first byte can arrive. */
	void *arg = NULL;
	bufferevent_getcb(bw->bev, NULL, NULL, NULL, &arg);
	struct evhttp_connection *evcon = arg;
	return evcon && evhttp_connection_get_bufferevent(evcon) == bw->bev ? evcon : NULL;
}

/* Sets the body limit of bw's evhttp connection to limit (nothing when watch_evcon finds none). */
static void set_limit(struct body_watch *bw, size_t limit)
{
	struct evhttp_connection *evcon = watch_evcon(bw);
	if (evcon)
		evhttp_connection_set_max_body_size(evcon, (ev_ssize_t)limit);
}

/* Stops following the connection; the small limit stays in force. */
static void give_up(struct body_watch *bw)
{
	bw->state = W_OFF;
	bw->npending = 0;
	set_limit(bw, BODY_ANON_MAX);
}

/* Sets the limit of the last head evhttp has started reading (it has drained a byte of it). */
static void apply_pending(struct body_watch *bw)
{
	int n = 0;
	while (n < bw->npending && bw->consumed > bw->pending[n].at)
		n++;
	if (!n)
		return;
	set_limit(bw, bw->pending[n - 1].limit);
	memmove(bw->pending, bw->pending + n, (size_t)(bw->npending - n) * sizeof bw->pending[0]);
	bw->npending -= n;
}

/* Replaces n bytes of the input at offset from with insert (evbuffer has no such operation:
 * the input is rebuilt, which only refused requests pay for). Keeps the stream counters in
 * terms of the bytes evhttp sees. */
static void splice(struct body_watch *bw, size_t from, size_t n, const char *insert, size_t ilen)
{
	size_t len = evbuffer_get_length(bw->in), tail = len - from - n;
	char *front = xmalloc(from + 1), *back = xmalloc(tail + 1);
	evbuffer_copyout(bw->in, front, from);
	struct evbuffer_ptr ep;
	evbuffer_ptr_set(bw->in, &ep, from + n, EVBUFFER_PTR_SET);
	if (tail)
		evbuffer_copyout_from(bw->in, &ep, back, tail);
	bw->busy = true;
	evbuffer_drain(bw->in, len);
	evbuffer_add(bw->in, front, from);
	evbuffer_add(bw->in, insert, ilen);
	evbuffer_add(bw->in, back, tail);
	bw->busy = false;
	free(front);
	free(back);
	bw->added = bw->added - n + ilen;
}

/* A head is complete and ends before offset *pos of the input. Decides its body's limit, or
 * refuses it: then the head is replaced by a refused_*_head (adjusting *pos) and its body is
 * dropped as it arrives, or, when its end cannot be known, it may never come (Expect:
 * 100-continue) or it is over the full limit, everything that follows is, and the connection
 * closes after the answer. */
static void head_done(struct body_watch *bw, size_t *pos)
{
	struct body_head h;
	int rc = body_head_parse(bw->head.data, bw->head.len, &h);
	bool bodyless = strcmp(h.method, "HEAD") == 0 || strcmp(h.method, "TRACE") == 0;
	bool chunked = h.chunked > 0 && !bodyless, expect = h.expect_continue != 0;
	int64_t length = bodyless || h.length < 0 ? 0 : h.length;
	bool big = !bodyless && (chunked || length > BODY_ANON_MAX);
	bool signed_in = rc == 0 && big && h.cookie && session_cookie_valid(bw->db, bw->cfg, h.cookie);
	body_head_clear(&h);
	if (rc < 0) {
		give_up(bw);
		return;
	}
	/* A chunked body without a session is not refused up front (clients send small bodies
	 * chunked too): libevent holds it to the small limit as the chunks come (its own 413). */
	if (big && !signed_in && !chunked) {
		if (bw->head_at < bw->consumed) {
			give_up(bw); /* evhttp holds part of the head: its own 413 then (not JSON) */
			return;
		}
		size_t start = (size_t)(bw->head_at - bw->consumed);
		/* A client waiting for 100 Continue sends no body after a refusal: no bytes to drop,
		 * so the connection cannot go on either. */
		bool drop_body = !expect && (uint64_t)length <= bw->full_limit;
		const char *with = drop_body ? refused_keep_head : refused_close_head;
		size_t wlen = strlen(with);
		if (drop_body) {
			splice(bw, start, *pos - start, with, wlen);
			*pos = start + wlen;
			bw->body_left = length;
			bw->state = W_DROP;
		} else {
			size_t len = evbuffer_get_length(bw->in);
			splice(bw, start, len - start, with, wlen);
			*pos = start + wlen;
			bw->state = W_DISCARD;
		}
		return;
	}
	size_t limit = big && signed_in ? bw->full_limit : BODY_ANON_MAX;
	if (bw->consumed > bw->head_at) {
		set_limit(bw, limit);
	} else if (bw->npending == PENDING_MAX) {
		give_up(bw); /* too many pipelined heads ahead of evhttp */
		return;
	} else {
		bw->pending[bw->npending].at = bw->head_at;
		bw->pending[bw->npending++].limit = limit;
	}
	if (chunked) {
		bw->clen = 0;
		bw->state = W_CHUNK_SIZE;
		return;
	}
	bw->body_left = length;
	bw->state = length > 0 ? W_BODY : W_HEAD;
}

/* Reads the lines of a chunked body from *pos as evhttp does (evhttp_handle_chunked_read): a
 * blank line where a size is due is skipped, a size is hexadecimal ended by the line's end or a
 * space, 0 ends the chunks and is followed by trailer lines up to a blank one. Stops when a
 * chunk's data starts, at the end of the trailer, or at the end of the input. Returns -1 for
 * what evhttp would refuse (the connection ends then; the watcher stops). */
static int chunk_lines(struct body_watch *bw, struct evbuffer *buf, size_t *pos, size_t len)
{
	char tmp[512];
	while (*pos < len && (bw->state == W_CHUNK_SIZE || bw->state == W_TRAILER)) {
		struct evbuffer_ptr ep;
		evbuffer_ptr_set(buf, &ep, *pos, EVBUFFER_PTR_SET);
		size_t m = len - *pos < sizeof tmp ? len - *pos : sizeof tmp;
		ev_ssize_t got = evbuffer_copyout_from(buf, &ep, tmp, m);
		if (got <= 0)
			return -1;
		size_t i = 0;
		for (; i < (size_t)got && (bw->state == W_CHUNK_SIZE || bw->state == W_TRAILER); i++) {
			char c = tmp[i];
			if (bw->state == W_TRAILER) {
				if (c == '\n') {
					if (bw->line_len == 0)
						bw->state = W_HEAD;
					bw->line_len = 0;
				} else if (c != '\r') {
					bw->line_len++;
				}
				if (++bw->trailer_len > HEAD_MAX)
					return -1;
				continue;
			}
			if (c != '\n') {
				if (bw->clen == sizeof bw->cline - 1)
					return -1;
				bw->cline[bw->clen++] = c;
				continue;
			}
			if (bw->clen && bw->cline[bw->clen - 1] == '\r')
				bw->clen--;
			bw->cline[bw->clen] = '\0';
			bool blank = bw->clen == 0;
			bw->clen = 0;
			if (blank)
				continue;
			char *end;
			long long size = strtoll(bw->cline, &end, 16);
			if ((*end != '\0' && *end != ' ') || size < 0)
				return -1;
			if (size == 0) {
				bw->state = W_TRAILER;
				bw->line_len = 0;
				bw->trailer_len = 0;
			} else {
				bw->body_left = size;
				bw->state = W_CHUNK_DATA;
			}
		}
		*pos += i;
	}
	return 0;
}

/* The evbuffer callback on the connection's input: counts the bytes added and drained (a drain by
 * evhttp applies the pending limits), then walks the new bytes through the state machine: heads
 * copied and decided, bodies skipped or dropped, chunks followed. Ignores the changes splice makes
 * (busy). */
static void input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct body_watch *bw = arg;
	if (bw->busy)
		return;
	bw->consumed += info->n_deleted;
	bw->added += info->n_added;
	apply_pending(bw);
	size_t n = info->n_added;
	if (!n || bw->state == W_OFF)
		return;
	/* The input holds the stream from offset `consumed`; the new bytes are at its end. */
	size_t len = evbuffer_get_length(buf), pos = len - n;
	char tmp[4096];
	while (pos < len) {
		if (bw->state == W_DISCARD) {
			splice(bw, pos, len - pos, NULL, 0);
			return;
		}
		if (bw->state == W_BODY || bw->state == W_DROP) {
			size_t take = len - pos < (uint64_t)bw->body_left ? len - pos : (size_t)bw->body_left;
			if (bw->state == W_DROP) {
				splice(bw, pos, take, NULL, 0);
				len -= take;
			} else {
				pos += take;
			}
			bw->body_left -= (int64_t)take;
			if (!bw->body_left)
				bw->state = W_HEAD;
			continue;
		}
		if (bw->state == W_CHUNK_DATA) {
			size_t take = len - pos < (uint64_t)bw->body_left ? len - pos : (size_t)bw->body_left;
			pos += take;
			bw->body_left -= (int64_t)take;
			if (!bw->body_left)
				bw->state = W_CHUNK_SIZE;
			continue;
		}
		if (bw->state == W_CHUNK_SIZE || bw->state == W_TRAILER) {
			if (chunk_lines(bw, buf, &pos, len) < 0) {
				give_up(bw);
				return;
			}
			continue;
		}
		if (bw->state != W_HEAD)
			return;
		struct evbuffer_ptr ep;
		evbuffer_ptr_set(buf, &ep, pos, EVBUFFER_PTR_SET);
		size_t m = len - pos < sizeof tmp ? len - pos : sizeof tmp;
		ev_ssize_t got = evbuffer_copyout_from(buf, &ep, tmp, m);
		if (got <= 0)
			return;
		size_t i = 0;
		bool done = false;
		for (; i < (size_t)got && !done; i++) {
			if (tmp[i] == '\n') {
				done = bw->line_len == 0;
				bw->line_len = 0;
			} else if (tmp[i] != '\r') {
				bw->line_len++;
			}
		}
		if (bw->head.len == 0)
			bw->head_at = bw->consumed + pos;
		buf_append(&bw->head, tmp, i);
		pos += i;
		if (bw->head.len > HEAD_MAX) {
			give_up(bw);
			return;
		}
		if (done) {
			head_done(bw, &pos);
			bw->head.len = 0;
			bw->line_len = 0;
			len = evbuffer_get_length(buf);
		}
	}
}

struct body_watch *body_watch_new(struct bufferevent *bev, struct db *d, const struct config *cfg,
				  size_t full_limit)
{
	struct body_watch *bw = xcalloc(1, sizeof *bw);
	bw->bev = bev;
	bw->in = bufferevent_get_input(bev);
	bw->db = d;
	bw->cfg = cfg;
	bw->full_limit = full_limit;
	evbuffer_add_cb(bw->in, input_cb, bw);
	return bw;
}

void body_watch_free(struct body_watch *bw)
{
	if (!bw)
		return;
	buf_free(&bw->head);
	free(bw);
}
