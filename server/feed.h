/* feed.h — each user's private calendar feed (docs/API.md §9): GET/DELETE /api/v1/me/calendar and
 * GET /calendar/{token}.ics, written with ics.h. The feed is the concatenation of its sources'
 * events; adding a kind of event (dispatch visits of §10) is one function with the signature
 * below and one line in feed.c's table. */
#ifndef MAMORI_FEED_H
#define MAMORI_FEED_H

#include "util.h"

#include <stdint.h>

struct db;
struct principal;

/* What a source needs besides the database and the feed's owner. */
struct feed_ctx {
	const char *base_url; /* for links: BASE/#/rounds/ID */
	const char *uid_host; /* the right-hand side of every UID ("round-3-seminar@HOST") */
	int64_t dtstamp;      /* when this feed is generated (DTSTAMP) */
};

/* Appends the VEVENTs (ics_event) that principal p may see. Must never write content p may not
 * read, nor any confidential text (thread content, reports, checklists). Returns 0 or -1. */
typedef int (*feed_source_fn)(struct db *d, const struct principal *p, const struct feed_ctx *ctx, struct buf *b);

/* The feed token of (user_id, generation) under key: base64url of HMAC-SHA256 (43 characters),
 * written to out[64]. Pure. */
void feed_token(const unsigned char key[32], int64_t user_id, int64_t generation, char out[64]);

#endif
